// Node: one Shoal server process, in either world.
//
// A Node is built on an Env and hosts the node's services: the health monitor
// now, and replication groups and the client API as they land. It also
// answers the admin channel, so operators (`shoal health`) and tests can ask
// a running node for its view of the cluster without touching its disk.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "engine/cluster/health.h"
#include "absl/container/btree_map.h"
#include "engine/server/replica.h"
#include "engine/env/env.h"
#include "engine/rpc/rpc.h"

namespace shoal {

struct NodeConfig {
  // Every member of the cluster, this node included.
  std::vector<NodeId> members;
  HealthConfig health;
  // Observes every peer status change (the simulator's checkers use it).
  HealthMonitor::ChangeCallback on_health_change;
  // The replication groups this node hosts a replica of from its start
  // (more are added and dropped at run time: add_replica, drop_replica).
  std::vector<GroupSpec> groups;
  // Observes every hosted Raft replica (the simulator's invariant checker).
  RaftObserver* raft_observer = nullptr;
};

// Admin requests and replies travel on kAdminChannel:
//   request: u8 kind, u64 request id
//   reply:   u8 kind, u64 request id, bytes body (JSON)
enum class AdminKind : uint8_t { kStatus = 1 };

class Node {
 public:
  // REQUIRES: config.members contains env.self().
  Node(Env& env, NodeConfig config);
  ~Node();
  Node(const Node&) = delete;
  Node& operator=(const Node&) = delete;

  void start();

  NodeId id() const { return env_.self(); }
  HealthMonitor& health() { return *health_; }
  Rpc& rpc() { return *rpc_; }
  const HealthMonitor& health() const { return *health_; }
  // The node cannot serve: names why (e.g. a corrupt file). Empty when fine.
  std::string error() const;
  // The hosted replica of this group, or nullptr.
  Replica* group(GroupId id);
  const Replica* group(GroupId id) const;
  // Every hosted replica, by group id.
  const absl::btree_map<GroupId, std::unique_ptr<Replica>>& replicas() const { return replicas_; }
  // Starts hosting a replica of spec.id. Returns false (changing nothing)
  // when one is hosted already.
  bool add_replica(const GroupSpec& spec);
  // Stops the replica of `id` (its storage stays on disk). Returns false when
  // none is hosted.
  bool drop_replica(GroupId id);

  // The node's status as JSON: its id, boot counter and per-peer health.
  std::string status_json() const;

 private:
  void on_admin(Message&& m);
  void on_group_request(Request&& request, Responder responder);

  Env& env_;
  NodeConfig config_;
  std::unique_ptr<Rpc> rpc_;
  std::unique_ptr<HealthMonitor> health_;
  absl::btree_map<GroupId, std::unique_ptr<Replica>> replicas_;
};

}  // namespace shoal
