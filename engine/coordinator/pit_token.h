// A cluster point in time: one pinned revision per shard of a collection, and
// the opaque id a client carries for it.
//
// open_pit proposes OpenPointInTime on every shard; each shard pins its
// latest revision at the log index of that command (the open index). The id
// names the collection, the map version the PIT was opened under and, per
// shard, the group, the pinned revision and the open index. A search with
// the id reads each shard at its revision, asking the replica to have applied
// the open index first (min_applied_index), so any replica that answers holds
// the pin. Shards are matched by group: when the map no longer puts the
// collection's shards in the same groups, the PIT cannot be read any more.
//
// The id is codec bytes (magic, version) in URL-safe base64 without padding.
// Decoding is bounds-checked; a forged or truncated id is an error, never a
// crash. It is not search::encode_pit's format (that one has no groups): the
// coordinator takes the "pit" member out of a request before the search
// library sees it.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "engine/cluster/shard_map.h"

namespace shoal::coord {

struct PitShard {
  uint32_t shard = 0;
  GroupId group = 0;
  uint64_t revision = 0;    // the pinned revision
  uint64_t open_index = 0;  // the log index of the OpenPointInTime command
  bool operator==(const PitShard&) const = default;
};

struct PitToken {
  std::string collection;
  uint64_t map_version = 0;
  std::vector<PitShard> shards;  // ascending, distinct shard ids
  bool operator==(const PitToken&) const = default;
};

std::string encode_pit_token(const PitToken& token);
// PROMISES: InvalidArgument for anything but an id encode_pit_token made
// (within kShardsPerRequestMax shards and a valid-length collection name).
absl::StatusOr<PitToken> decode_pit_token(std::string_view id);

// Whether `info` still puts every shard of the token in the token's group,
// and has no other shard: kNone, or kConflict saying what moved.
Error check_pit_matches(const PitToken& token, const cluster::CollectionInfo& info);

}  // namespace shoal::coord
