// Node: one Shoal server process, in either world.
//
// A Node is built on an Env and hosts the node's services: the health
// monitor, the replicas of the replication groups it holds, and the rpc
// methods clients call. It also answers the admin channel, so operators
// (`shoal health`) and tests can ask a running node for its view of the
// cluster without touching its disk.
//
// A sharded node (metadata_voters non-empty) also:
//   * hosts a replica of the metadata group (group 0) when it is one of its
//     voters;
//   * registers itself as a member (AddMember) until the map lists it;
//   * keeps a cached shard map (MapCache) and reconciles its replicas with
//     it: a replica for every shard the map places here, none for a shard
//     it does not (dropped replicas keep their storage);
//   * refuses a group request routed by a map older than the group's
//     routing (kStaleMap with the version it holds), so a sender re-routes;
//   * serves kCreateCollectionMethod: the routing (centroids, split points)
//     is computed here from the caller's sample, then proposed.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "engine/cluster/health.h"
#include "absl/container/btree_map.h"
#include "engine/server/replica.h"
#include "engine/env/env.h"
#include "engine/rpc/rpc.h"
#include "engine/cluster/metadata_client.h"
#include "engine/coordinator/coordinator.h"
#include "engine/server/map_cache.h"

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

  // Sharded nodes: the metadata group's voters (empty: not sharded).
  std::vector<NodeId> metadata_voters;
  // Raft settings of the metadata group and of every shard group (group and
  // initial_voters are set per group).
  RaftOptions shard_raft;
  uint64_t snapshot_chunk_bytes = kDefaultSnapshotChunkBytes;
  MapCacheOptions map_cache;
};

// The rpc methods of a sharded node's admin API (group requests are 1; the
// coordinator's methods start at 100).
inline constexpr MethodId kCreateCollectionMethod = 50;
// Payload of kCreateCollectionMethod: settings, a sample of documents (JSON)
// the routing is computed from, and the seed of that computation. The reply
// is a cluster::MetadataResult (its code says kConflict, kBadRequest, ...).
struct CreateCollectionRequest {
  cluster::CollectionSettings settings;
  std::string sample_json;  // a JSON array of documents; may be empty for hash
  uint64_t seed = 1;
};
std::string encode_create_collection(const CreateCollectionRequest& r);
absl::StatusOr<CreateCollectionRequest> decode_create_collection(std::string_view bytes);

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

  // Sharded nodes: the cached shard map (null otherwise).
  MapCache* map_cache() { return map_cache_.get(); }
  coord::Coordinator* coordinator() { return coordinator_.get(); }
  cluster::MetadataClient* metadata() { return metadata_.get(); }

  // The node's status as JSON: its id, boot counter and per-peer health.
  std::string status_json() const;

 private:
  void on_admin(Message&& m);
  void on_group_request(Request&& request, Responder responder);
  void serve_group_request(ClientRequest request, Responder responder);
  // Sharded nodes (node_shards.cc).
  void start_sharded();
  void register_member();
  void reconcile(const cluster::ShardMap& map);
  // An error when `request` was routed by a map older than its group's routing.
  Error stale_routing(const ClientRequest& request) const;
  void on_create_collection(Request&& request, Responder responder);

  Env& env_;
  NodeConfig config_;
  std::unique_ptr<Rpc> rpc_;
  std::unique_ptr<HealthMonitor> health_;
  std::unique_ptr<cluster::MetadataClient> metadata_;
  std::unique_ptr<MapCache> map_cache_;
  std::unique_ptr<coord::Coordinator> coordinator_;
  TimerSlot register_timer_;
  bool registered_ = false;
  absl::btree_map<GroupId, std::unique_ptr<Replica>> replicas_;
};

}  // namespace shoal
