// The coordinator's operations (internal): each starts one operation object
// that owns itself through its pending callbacks and finishes exactly once.
// Arguments are as in Coordinator's methods.
#pragma once

#include <string>
#include <vector>

#include "engine/coordinator/core.h"

namespace shoal::coord {

void start_upsert(CoordinatorCore& core, std::string collection, std::string documents_json, WriteLevel level,
                  Duration timeout, WriteDone done);
void start_remove(CoordinatorCore& core, std::string collection, std::vector<std::string> ids, WriteLevel level,
                  Duration timeout, WriteDone done);
void start_search(CoordinatorCore& core, std::string collection, std::string request_json, SearchOptions options,
                  SearchDone done);
void start_get(CoordinatorCore& core, std::string collection, std::string id, GetOptions options, GetDone done);
void start_open_pit(CoordinatorCore& core, std::string collection, Duration timeout, PitDone done);
void start_close_pit(CoordinatorCore& core, std::string pit_id, Duration timeout, ClosePitDone done);

}  // namespace shoal::coord
