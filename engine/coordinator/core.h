// CoordinatorCore: what every coordinator operation shares (internal).
//
// Operations are objects held by their own callbacks (shared_ptr); they keep
// a pointer to the core and a weak copy of its `alive` token, and check the
// token before touching anything, so an operation outliving its coordinator
// (its rpc replies or timers arriving after the coordinator was destroyed)
// does nothing at all.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "absl/container/btree_map.h"
#include "engine/coordinator/coordinator.h"
#include "engine/coordinator/group_call.h"

namespace shoal::coord {

struct CoordinatorCore {
  CoordinatorCore(Env& e, Rpc& r, ShardMapSource& m, CoordinatorOptions o)
      : env(e), rpc(r), maps(m), options(o), alive_token(std::make_shared<char>(0)) {}

  Env& env;
  Rpc& rpc;
  ShardMapSource& maps;
  const CoordinatorOptions options;
  std::shared_ptr<const void> alive_token;
  // The leader each group was last seen with: where a leader request starts.
  absl::btree_map<GroupId, NodeId> leaders;
  CoordinatorStats stats;
  size_t operations_in_flight = 0;

  std::weak_ptr<const void> alive() const { return alive_token; }

  // Counts an operation in; false (and counted) when over the bound.
  bool begin_operation();
  void end_operation();

  // Runs fn after d (zero: on the next turn of the loop) unless the
  // coordinator is gone by then.
  void after(Duration d, std::function<void()> fn);

  // A group call that starts a leader request at the leader last seen, and
  // remembers the leader it learns.
  void call(GroupCallSpec spec, GroupCallDone done);

  // Asks the map source for a map of at least `version`; fn(ok) later,
  // unless the coordinator is gone.
  void refresh(uint64_t version, std::function<void(bool ok)> fn);

  // The collection in the current map. When absent, the map is refreshed
  // once (the collection may be newer than this node's map) and looked up
  // again; fn gets the map and the collection (null: no such collection).
  using Resolved = std::function<void(std::shared_ptr<const cluster::ShardMap>, const cluster::CollectionInfo*)>;
  void resolve(const std::string& collection, Resolved fn);
};

// A group's replicas in the map (empty when the map has no such group).
std::vector<NodeId> replicas_of(const cluster::ShardMap& map, GroupId group);
// The one-line reason a shard failure shows in a response.
std::string reason_of(const Error& e);

}  // namespace shoal::coord
