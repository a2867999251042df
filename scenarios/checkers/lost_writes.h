// No acknowledged write lost: after the cluster heals and quiesces, the final
// value of every key shows each write that was acknowledged on it — unless a
// write that may be newer replaced it (see lineage.h). A final value that no
// operation ever wrote is a violation too.
//
// `final_values` is the value of each key read after quiescence; the client
// driver reads every key it wrote, and a key missing from the map counts as
// absent (so forgetting a key cannot hide a loss). Pure function.
#pragma once

#include "scenarios/checkers/check_result.h"
#include "scenarios/checkers/history.h"

namespace shoal::check {

CheckResult check_no_lost_writes(const History& history, const KeyValues& final_values);

}  // namespace shoal::check
