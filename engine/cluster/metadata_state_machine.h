// MetadataStateMachine: the replicated state of the metadata group (group 0)
// — the cluster's members and collections, held as one versioned ShardMap.
//
// Raft calls apply() with each committed command (metadata_command.h) in log
// order and query() for reads it has already made safe; both return an
// encoded MetadataResult. apply() depends on nothing but the state and the
// command — no clock, no randomness, no I/O — so a create command carries
// the routing data its proposer trained (split points, centroids), and apply
// only validates and copies it. What apply computes itself is deterministic:
// replica placement (place_replicas, from the map alone) and group ids (the
// map's next_group; group 0 is this group, shard groups start at 1 and are
// never reused).
//
// Commands and their answers:
//   AddMember        kNone; kConflict if already a member or the member list
//                    is full; kBadRequest for kNoNode or a client id.
//   RemoveMember     kNone (and leader hints naming the node are cleared);
//                    kNotFound if not a member; kConflict while any shard
//                    has a replica there.
//   CreateCollection kNone with the new CollectionInfo as payload; kConflict
//                    if the name exists (also when the settings are equal),
//                    the collection bound is reached or group ids ran out;
//                    kBadRequest for invalid settings or routing data.
//   DropCollection   kNone; kNotFound if there is no such collection.
//   SetLeaderHint    kNone; kNotFound if no shard has that group;
//                    kBadRequest if the node is neither kNoNode nor a member.
// A malformed command is kBadRequest. Every failed command changes nothing
// (but its index, like every index, is applied).
//
// Versions. ShardMap::version is bumped by exactly the commands that change
// what routing or placement reads: members, collections, shards, replicas,
// bounds. SetLeaderHint does not bump it: a hint is advisory and changes on
// every election, and clients and servers reject requests routed under an
// older version (kStaleMap) — bumping on hints would make every election
// look like a map change and send every client to refresh. A stale hint
// costs one kNotLeader redirect, not a misrouted request.
//
// Reads. GetMap and GetCollection answer with the encoded map / collection,
// or kUnavailable (index = the applied index) when they ask for a higher
// min_applied_index: the replica is behind and the reader should try again
// or ask another.
//
// Snapshots and fingerprint. snapshot() encodes the applied index and the map
// (equal states give equal bytes) under a CRC32C; restore() accepts only an
// intact snapshot whose map passes check_shard_map and leaves the state
// unchanged otherwise. fingerprint() is a stable hash of the applied index
// and the encoded map, recomputed on each call (O(map bytes); the map is
// small and the simulator asks once per check).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "engine/cluster/metadata_command.h"
#include "engine/cluster/shard_map.h"
#include "engine/raft/state_machine.h"

namespace shoal::cluster {

class MetadataStateMachine final : public StateMachine {
 public:
  MetadataStateMachine() = default;

  // REQUIRES: index > applied_index(). PROMISES: applied_index() == index and
  // an encoded MetadataResult; malformed bytes give kBadRequest.
  std::string apply(uint64_t index, std::string_view command) override;
  // REQUIRES: index > applied_index(). PROMISES: applied_index() == index.
  void skip(uint64_t index) override;
  uint64_t applied_index() const override { return applied_index_; }
  // PROMISES: an encoded MetadataResult; malformed bytes give kBadRequest.
  std::string query(std::string_view request) const override;
  std::string snapshot() const override;
  // Only metadata commands and queries reach this group's log (a KV client
  // pointed at a sharded node's group 0 is refused, not appended).
  bool accepts_command(std::string_view command) const override { return decode_command(command).ok(); }
  bool accepts_query(std::string_view request) const override { return decode_query(request).ok(); }
  // PROMISES: on error (DataLoss) the state is exactly as before.
  absl::Status restore(std::string_view bytes) override;
  uint64_t fingerprint() const override;

  // apply() and query() without the encoding, for in-process callers.
  // REQUIRES (apply_command): index > applied_index().
  MetadataResult apply_command(uint64_t index, const MetadataCommand& command);
  MetadataResult read(const MetadataQuery& query) const;

  const ShardMap& map() const { return map_; }
  // The invariants checker: the map obeys check_shard_map. O(map).
  Error check_invariants() const { return check_shard_map(map_); }

 private:
  MetadataResult add_member(const AddMember& c);
  MetadataResult remove_member(const RemoveMember& c);
  MetadataResult create_collection(const CreateCollection& c);
  MetadataResult drop_collection(const DropCollection& c);
  MetadataResult set_leader_hint(const SetLeaderHint& c);
  // A result of this machine's current state: its map version and index.
  MetadataResult result(ErrorCode code, std::string message = {}, std::string payload = {}) const;

  uint64_t applied_index_ = 0;
  ShardMap map_;
};

}  // namespace shoal::cluster
