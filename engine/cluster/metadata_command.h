// The byte forms of the metadata group's commands, queries and results: what
// a node or the placement controller proposes to group 0, what a reader asks
// it, and what either gets back. Raft moves these as opaque bytes; only
// proposers, readers and MetadataStateMachine look inside.
//
// Commands change the cluster's membership and its collections:
//   AddMember / RemoveMember   a node joins or leaves the member list;
//   CreateCollection           settings plus the routing data the proposer
//                              computed (split points, centroids — see
//                              RoutingData: apply() never trains anything);
//   DropCollection             by name;
//   SetLeaderHint              who leads a shard group, as last observed.
// Queries read the map: GetMap (the whole ShardMap) and GetCollection (one
// CollectionInfo). Either may carry min_applied_index, for a reader that must
// see at least the state after a given log index (e.g. the index of its own
// create command): a replica behind it answers kUnavailable instead of an
// older map.
//
// Results carry a typed code (shoal::ErrorCode; kNone is success), the map
// version after the command (for a query: at the read), a log index (for a
// command the index of its entry; for a query the replica's applied index), a
// one-line message on failure, and a payload: CreateCollection and
// GetCollection return encode_collection_info, GetMap returns
// encode_shard_map, everything else nothing.
//
// Decoding never trusts its input: bounds-checked, unknown tags and trailing
// bytes rejected, only the canonical encoding accepted (decode(b) succeeds
// only if encoding the result gives b). Semantic checks (a valid collection
// name, a member id) belong to apply(), which answers kBadRequest.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>

#include "absl/status/statusor.h"
#include "engine/cluster/shard_map.h"
#include "engine/core/error.h"
#include "engine/core/ids.h"

namespace shoal::cluster {

// Result messages are cut to this many bytes.
inline constexpr size_t kMaxMetadataMessageBytes = 1 << 10;

// ---- Commands ---------------------------------------------------------------

struct AddMember {
  NodeId node = kNoNode;
  bool operator==(const AddMember&) const = default;
};

// Refused (kConflict) while any shard has a replica on the node: moving
// replicas away first is the placement controller's job.
struct RemoveMember {
  NodeId node = kNoNode;
  bool operator==(const RemoveMember&) const = default;
};

struct CreateCollection {
  CollectionSettings settings;
  RoutingData routing;  // computed by the proposer (compute_routing), or given by the user
  bool operator==(const CreateCollection&) const = default;
};

struct DropCollection {
  std::string name;
  bool operator==(const DropCollection&) const = default;
};

// node == kNoNode clears the hint.
struct SetLeaderHint {
  GroupId group = 0;
  NodeId node = kNoNode;
  bool operator==(const SetLeaderHint&) const = default;
};

using MetadataCommand = std::variant<AddMember, RemoveMember, CreateCollection, DropCollection, SetLeaderHint>;

// ---- Queries ----------------------------------------------------------------

struct GetMap {
  uint64_t min_applied_index = 0;
  bool operator==(const GetMap&) const = default;
};

struct GetCollection {
  std::string name;
  uint64_t min_applied_index = 0;
  bool operator==(const GetCollection&) const = default;
};

using MetadataQuery = std::variant<GetMap, GetCollection>;

// ---- Results ----------------------------------------------------------------

struct MetadataResult {
  ErrorCode code = ErrorCode::kNone;
  uint64_t map_version = 0;
  uint64_t index = 0;
  std::string message;
  std::string payload;
  bool ok() const { return code == ErrorCode::kNone; }
  bool operator==(const MetadataResult&) const = default;
};

// ---- Encoding ---------------------------------------------------------------

// PROMISES: decode(encode(x)) == x for every value the encoders are given
// (message within kMaxMetadataMessageBytes).
std::string encode_command(const MetadataCommand& command);
std::string encode_query(const MetadataQuery& query);
std::string encode_result(const MetadataResult& result);

// PROMISES: InvalidArgument for anything but a canonical encoding; never
// reads out of bounds.
absl::StatusOr<MetadataCommand> decode_command(std::string_view bytes);
absl::StatusOr<MetadataQuery> decode_query(std::string_view bytes);
absl::StatusOr<MetadataResult> decode_result(std::string_view bytes);

// A short human-readable form, for logs and test failures.
std::string describe(const MetadataCommand& command);
std::string describe(const MetadataResult& result);

}  // namespace shoal::cluster
