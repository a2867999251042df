// A simulated cluster for the coordinator tests, without Raft.
//
// Fake shard nodes (processes 1..n) serve kGroupRequestMethod from one
// CollectionStateMachine per group, kept on the test side so every replica
// of a group answers from the same state and a crash loses nothing: a write
// is applied at once with the group's next index, a read is answered by
// query(). Knobs make a node slow, behind, overloaded for a few requests, or
// make a group refuse requests routed by a map older than a version
// (kStaleMap). The group's leader is a test-side setting; other replicas
// answer leader requests kNotLeader with a hint (or without one). Every
// request any fake node receives is logged, so tests can count commands per
// shard and see which map version routed each.
//
// The coordinator runs in its own process (kCoordNode) with a map source that
// caches the test's map and takes the newest one only when refreshed.
#pragma once

#include <gtest/gtest.h>

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "engine/cluster/shard_map.h"
#include "engine/coordinator/api.h"
#include "engine/coordinator/coordinator.h"
#include "engine/coordinator/shard_map_source.h"
#include "engine/rpc/group_protocol.h"
#include "engine/rpc/rpc.h"
#include "engine/shard/collection_command.h"
#include "engine/shard/collection_state_machine.h"
#include "sim/simulation.h"

namespace shoal::coord::testing {

inline constexpr NodeId kCoordNode = 100;
inline constexpr char kSchemaJson[] = R"({"properties": {
    "color": {"type": "keyword"}, "n": {"type": "integer"}, "price": {"type": "float"},
    "at": {"type": "date"}, "flag": {"type": "boolean"},
    "v": {"type": "dense_vector", "dims": 4, "similarity": "l2_norm", "index_options": {"type": "flat"}}}})";

struct FakeGroup {
  std::unique_ptr<shard::CollectionStateMachine> sm;
  uint64_t index = 0;
  NodeId leader = kNoNode;
  bool hint_leader = true;  // kNotLeader answers name the leader
  // Requests routed by a map older than this are answered kStaleMap.
  uint64_t min_map_version = 0;
};

struct NodeKnobs {
  Duration delay{0};         // answer this much later
  int overloaded_left = 0;   // answer kOverloaded to this many requests first
  bool behind = false;       // answer every read kBehind
};

struct Logged {
  NodeId node = kNoNode;
  GroupId group = 0;
  bool write = false;
  uint8_t level = 0;
  uint64_t map_version = 0;
  std::string kind;  // "upsert", "delete", "open", "close", "search", "get", ...
  std::vector<std::string> ids;  // upsert / delete
  TimePoint at;
  std::string answer;  // "ok", or the error code's name
};

struct World;

class FakeShardNode final : public sim::Process {
 public:
  FakeShardNode(Env& env, World* world);
  Rpc& rpc() { return rpc_; }

 private:
  void handle(Request q, Responder r);
  void answer(const ClientRequest& c, Responder r, Logged& entry);

  Env& env_;
  World* world_;
  Rpc rpc_;
};

// Caches the world's map; a refresh takes the world's newest one.
class FakeMapSource final : public ShardMapSource {
 public:
  FakeMapSource(Env& env, World* world);
  std::shared_ptr<const cluster::ShardMap> current() const override { return cached_; }
  void refresh(uint64_t version, std::function<void(bool ok)> done) override;

 private:
  Env& env_;
  World* world_;
  std::shared_ptr<const cluster::ShardMap> cached_;
};

class CoordNode final : public sim::Process {
 public:
  CoordNode(Env& env, World* world, CoordinatorOptions options)
      : rpc_(env), maps_(env, world), coordinator_(env, rpc_, maps_, options) {
    serve_api(rpc_, coordinator_);
  }
  Coordinator& coordinator() { return coordinator_; }
  Rpc& rpc() { return rpc_; }

 private:
  Rpc rpc_;
  FakeMapSource maps_;
  Coordinator coordinator_;
};

struct World {
  explicit World(uint64_t seed, int shard_nodes = 4, CoordinatorOptions options = {});

  // Creates the collection in the world's map and a fake group per shard
  // (leader: the preferred one). REQUIRES: called before any request.
  void create(cluster::CollectionSettings settings, cluster::RoutingData routing = {});
  // Installs a new map version (the coordinator sees it only on refresh).
  void publish(cluster::ShardMap map);

  Coordinator& coordinator() { return sim.process_as<CoordNode>(kCoordNode)->coordinator(); }
  const cluster::CollectionInfo& info(const std::string& name = "docs") const { return *map->find(name); }
  FakeGroup& group_of_shard(uint32_t shard, const std::string& name = "docs") {
    return groups[info(name).shards[shard].group];
  }
  // Log entries of one kind.
  std::vector<Logged> logged(const std::string& kind) const;

  // Runs the simulation until `*flag` is set or `limit` passes.
  bool wait(const bool& flag, Duration limit = seconds(30)) {
    return sim.run_until([&flag] { return flag; }, sim.now() + limit);
  }

  // Synchronous wrappers: run the operation and the simulation until done.
  WriteOutcome upsert(const std::string& docs_json, Duration timeout = seconds(5),
                      WriteLevel level = WriteLevel::kQuorum, const std::string& name = "docs");
  WriteOutcome remove(std::vector<std::string> ids, Duration timeout = seconds(5), const std::string& name = "docs");
  SearchOutcome search(const std::string& request, SearchOptions options = {}, const std::string& name = "docs");
  GetOutcome get(const std::string& id, GetOptions options = {}, const std::string& name = "docs");
  PitOutcome open_pit(Duration timeout = seconds(5), const std::string& name = "docs");
  ClosePitOutcome close_pit(const std::string& id, Duration timeout = seconds(5));

  sim::Simulation sim;
  std::shared_ptr<const cluster::ShardMap> map;
  std::map<GroupId, FakeGroup> groups;
  std::map<NodeId, std::set<GroupId>> hosted;
  std::map<NodeId, NodeKnobs> knobs;
  std::vector<Logged> log;
  uint64_t refreshes = 0;
  TimePoint completed_at;  // of the last synchronous wrapper's operation
};

// ---- Data ---------------------------------------------------------------------

// JSON of n seeded documents doc<first>..: fields of every type, vectors on
// a small grid (many exact ties), some fields missing.
std::string make_docs_json(uint64_t seed, size_t n, size_t first = 0);
std::vector<std::string> ids_of(const std::string& docs_json);

cluster::CollectionSettings settings(cluster::ShardingStrategy strategy, uint32_t shards, uint32_t rf,
                                     const std::string& name = "docs");

// What one node holding every document answers: the rendered body, without
// "_shards" and "partial" (the parts that depend on sharding).
std::string single_node_body(const std::string& docs_json, const std::string& request);
// A body from the coordinator with the same parts removed.
std::string without_shards(const std::string& body);

}  // namespace shoal::coord::testing
