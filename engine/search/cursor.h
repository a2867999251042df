// Opaque tokens a client carries between requests: the cursor of the next
// page, and a point in time (one pinned revision per shard).
//
// A cursor holds the sort key of the last hit returned (ending with its id,
// so it names one position in a total order), a fingerprint of the sort it
// belongs to, and the point in time if the search used one. Paging with it
// visits every document exactly once while no writes happen, and under
// concurrent writes as well when a point in time is used, since every page
// then reads the same revision of every shard.
//
// Tokens are codec bytes in URL-safe base64. Decoding is bounds-checked:
// a forged or truncated token is an InvalidArgument, never a crash.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "engine/search/value.h"

namespace shoal::search {

inline constexpr size_t kMaxTokenBytes = 64u << 10;
inline constexpr size_t kMaxPitShards = 65536;

struct Cursor {
  std::vector<Value> after;
  uint64_t sort_fingerprint = 0;
  std::string pit_id;  // empty when the search read the latest state
};

std::string encode_cursor(const Cursor& c);
absl::StatusOr<Cursor> decode_cursor(std::string_view token);

// A point in time: for each shard (by id, sorted), the revision it pinned.
struct PointInTime {
  std::vector<std::pair<uint32_t, uint64_t>> shard_revisions;
  // The revision for a shard, or nullopt when the shard is not part of it.
  std::optional<uint64_t> revision_of(uint32_t shard) const;
};

std::string encode_pit(const PointInTime& pit);
absl::StatusOr<PointInTime> decode_pit(std::string_view token);

}  // namespace shoal::search
