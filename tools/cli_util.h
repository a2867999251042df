// Parsing helpers shared by the commands.
#pragma once

#include <optional>
#include <string>

#include "engine/core/ids.h"
#include "engine/core/time.h"

namespace shoal::tools {

// "A..B" (inclusive) or a single "A". nullopt when malformed or A > B.
std::optional<std::pair<uint64_t, uint64_t>> parse_seed_range(const std::string& text);

// A fresh client id for a real-mode client process.
NodeId random_client_id();

// Seconds on the machine's monotonic clock, for wall-time figures in output.
double wall_seconds();

}  // namespace shoal::tools
