// Placement of a new collection's replicas on the cluster's members.
#include <algorithm>
#include <cstdint>
#include <tuple>

#include "absl/container/btree_map.h"
#include "engine/cluster/shard_map.h"
#include "engine/core/assert.h"

namespace shoal::cluster {
namespace {

struct NodeLoad {
  uint64_t replicas = 0;  // replicas of any shard on the node
  uint64_t leaders = 0;   // shards whose preferred leader it is
};

// What `current` already asks of each member; replicas on nodes that are not
// members (none, in a map that passes check_shard_map) are not counted.
absl::btree_map<NodeId, NodeLoad> current_loads(const std::vector<NodeId>& members, const ShardMap& current) {
  absl::btree_map<NodeId, NodeLoad> loads;
  for (NodeId node : members) loads[node] = NodeLoad{};
  for (const auto& [name, info] : current.collections) {
    for (const ShardInfo& shard : info.shards) {
      for (size_t i = 0; i < shard.replicas.size(); ++i) {
        auto it = loads.find(shard.replicas[i]);
        if (it == loads.end()) continue;
        ++it->second.replicas;
        if (i == 0) ++it->second.leaders;
      }
    }
  }
  return loads;
}

// Preferred leaders for the new shards, as balanced as their replica sets
// allow. A first pass gives each shard the replica leading fewest shards;
// then, while some node leads at least two more shards than a node it can
// reach — through a chain of new shards, each led by one node of the chain
// and holding a replica on the next — leadership shifts one step along the
// chain, so the first leads one fewer and the last one more. Each shift
// lowers the sum of squared leader counts, so the loop ends; when no chain is
// left the counts are balanced as far as the replica sets permit.
class LeaderBalancer {
 public:
  LeaderBalancer(const std::vector<std::vector<NodeId>>& sets, absl::btree_map<NodeId, NodeLoad>& loads)
      : sets_(sets), loads_(loads), leader_(sets.size()) {}

  std::vector<NodeId> choose() {
    for (size_t s = 0; s < sets_.size(); ++s) {
      leader_[s] = *std::min_element(sets_[s].begin(), sets_[s].end(), [this](NodeId a, NodeId b) {
        return std::tie(loads_[a].leaders, a) < std::tie(loads_[b].leaders, b);
      });
      ++loads_[leader_[s]].leaders;
    }
    while (shift_once()) {
    }
    return leader_;
  }

 private:
  // Finds one chain from a most-loaded node and shifts along it. Only nodes
  // leading a new shard can give leadership away, and only to a node at
  // least two below them, so the others are not tried as starts.
  bool shift_once() {
    absl::btree_map<NodeId, std::vector<size_t>> led;
    for (size_t s = 0; s < sets_.size(); ++s) led[leader_[s]].push_back(s);
    uint64_t fewest = UINT64_MAX;
    for (const auto& [node, load] : loads_) fewest = std::min(fewest, load.leaders);
    std::vector<NodeId> starts;
    for (const auto& [node, shards] : led) {
      if (loads_[node].leaders >= fewest + 2) starts.push_back(node);
    }
    std::stable_sort(starts.begin(), starts.end(),
                     [this](NodeId a, NodeId b) { return loads_[a].leaders > loads_[b].leaders; });
    for (NodeId start : starts) {
      if (search_from(start, led)) return true;
    }
    return false;
  }

  // Breadth-first over nodes; an edge u -> v is a new shard led by u that
  // has a replica on v. Shifts along the first chain that ends at a node
  // leading at least two fewer shards than `start`.
  bool search_from(NodeId start, const absl::btree_map<NodeId, std::vector<size_t>>& led) {
    absl::btree_map<NodeId, size_t> via;  // node -> the shard whose leadership it would take
    std::vector<NodeId> queue{start};
    via[start] = sets_.size();
    for (size_t head = 0; head < queue.size(); ++head) {
      auto shards = led.find(queue[head]);
      if (shards == led.end()) continue;
      for (size_t s : shards->second) {
        for (NodeId v : sets_[s]) {
          if (via.contains(v)) continue;
          via[v] = s;
          if (loads_[v].leaders + 2 <= loads_[start].leaders) {
            shift_to(v, via);
            return true;
          }
          queue.push_back(v);
        }
      }
    }
    return false;
  }

  void shift_to(NodeId end, const absl::btree_map<NodeId, size_t>& via) {
    ++loads_[end].leaders;
    NodeId node = end;
    while (via.at(node) != sets_.size()) {
      const size_t s = via.at(node);
      const NodeId previous = leader_[s];
      leader_[s] = node;
      node = previous;
    }
    --loads_[node].leaders;  // the start of the chain
  }

  const std::vector<std::vector<NodeId>>& sets_;
  absl::btree_map<NodeId, NodeLoad>& loads_;
  std::vector<NodeId> leader_;
};

}  // namespace

std::vector<std::vector<NodeId>> place_replicas(const std::vector<NodeId>& members, uint32_t shards, uint32_t rf,
                                                const ShardMap& current) {
  SHOAL_ASSERT(rf >= 1);
  SHOAL_ASSERT(rf <= members.size());
  SHOAL_ASSERT(std::is_sorted(members.begin(), members.end()));
  absl::btree_map<NodeId, NodeLoad> loads = current_loads(members, current);
  std::vector<std::vector<NodeId>> placement;
  placement.reserve(shards);
  std::vector<NodeId> order = members;
  for (uint32_t s = 0; s < shards; ++s) {
    // The rf least loaded members hold the shard: taking the least loaded
    // each time keeps a fresh cluster's replica counts within one of each
    // other. Among equally loaded nodes the one leading fewest goes first.
    std::stable_sort(order.begin(), order.end(), [&loads](NodeId a, NodeId b) {
      const NodeLoad& la = loads[a];
      const NodeLoad& lb = loads[b];
      return std::tie(la.replicas, la.leaders, a) < std::tie(lb.replicas, lb.leaders, b);
    });
    std::vector<NodeId> chosen(order.begin(), order.begin() + rf);
    std::sort(chosen.begin(), chosen.end());
    for (NodeId node : chosen) ++loads[node].replicas;
    placement.push_back(std::move(chosen));
  }
  const std::vector<NodeId> leaders = LeaderBalancer(placement, loads).choose();
  for (size_t s = 0; s < placement.size(); ++s) {
    // The preferred leader goes first; the others stay in id order.
    auto it = std::find(placement[s].begin(), placement[s].end(), leaders[s]);
    std::rotate(placement[s].begin(), it, it + 1);
  }
  return placement;
}

}  // namespace shoal::cluster
