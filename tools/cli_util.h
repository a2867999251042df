// Parsing helpers shared by the commands.
#pragma once

#include <map>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <CLI/CLI.hpp>

#include "absl/status/statusor.h"
#include "engine/core/ids.h"
#include "engine/rpc/group_protocol.h"
#include "engine/core/time.h"

namespace shoal::tools {

// A sweep runs at most this many seeds of each scenario: a range beyond it is
// a typo (1..18446744073709551615), not a plan, and would queue jobs forever.
inline constexpr uint64_t kSweepSeedsMax = 1'000'000;

// Decimal digits only (no sign, no spaces), at most 2^64-1; else nullopt.
std::optional<uint64_t> parse_whole_number(std::string_view text);

// A seed: a whole number in decimal digits (no sign, no spaces, no 0x), from
// 0 to 2^64-1; leading zeros are decimal. The error is one line naming `flag`
// and what is wrong with `text`.
absl::StatusOr<uint64_t> parse_seed(std::string_view flag, std::string_view text);

// "A..B" (inclusive) or a single "A", as `--seeds` takes it: both seeds as
// parse_seed reads them, A <= B, and at most kSweepSeedsMax seeds.
absl::StatusOr<std::pair<uint64_t, uint64_t>> parse_seed_range(std::string_view flag, std::string_view text);

// The check of a `--seed` option: refuses what parse_seed refuses and hands
// CLI11 the seed without leading zeros, since CLI11's own conversion wraps
// "-1" to 2^64-1, saturates an overlong number and reads "010" as octal.
CLI::Validator seed_validator();

// A byte count: a whole number with an optional unit, KiB, MiB, GiB or TiB
// (K, M, G, T and KB, MB, GB, TB mean the same powers of 1024), e.g.
// "512MiB", "4G", "1000000". nullopt when malformed, zero or past 2^64-1.
std::optional<uint64_t> parse_bytes(std::string_view text);

// A fresh client id for a real-mode client process.
NodeId random_client_id();

// Seconds on the machine's monotonic clock, for wall-time figures in output.
double wall_seconds();

// The p-quantile (0..1) of `values` by the nearest rank below; 0 when empty.
double percentile(std::vector<double> values, double p);

// Parses a write level (leader, quorum, all) / a read level (linearizable,
// lease, session, any); nullopt for anything else.
std::optional<WriteLevel> parse_write_level(std::string_view text);
std::optional<ReadLevel> parse_read_level(std::string_view text);

// Parses --endpoints "1=127.0.0.1:7001,2=..." (ids may be left out: they
// count up from the previous one); returns an error line, or "" when fine.
std::string parse_endpoints(const std::string& text, std::map<NodeId, std::string>* out);

}  // namespace shoal::tools
