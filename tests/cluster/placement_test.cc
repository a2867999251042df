// Placement: distinct replicas, balanced counts (replicas and preferred
// leaders), determinism, and awareness of what existing collections place.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <set>
#include <vector>

#include "engine/cluster/shard_map.h"
#include "tests/cluster/cluster_test_util.h"

namespace shoal::cluster {
namespace {

std::vector<NodeId> nodes(size_t n) {
  std::vector<NodeId> out;
  for (NodeId i = 1; i <= n; ++i) out.push_back(i * 3);  // sparse ids
  return out;
}

// max - min of per-node counts, nodes with none included.
size_t spread(const std::vector<NodeId>& members, const std::map<NodeId, size_t>& counts) {
  size_t lo = SIZE_MAX, hi = 0;
  for (NodeId m : members) {
    auto it = counts.find(m);
    const size_t c = it == counts.end() ? 0 : it->second;
    lo = std::min(lo, c);
    hi = std::max(hi, c);
  }
  return hi - lo;
}

TEST(Placement, EveryShardGetsRfDistinctMembersAndCountsDifferByAtMostOne) {
  for (size_t n : {1u, 2u, 3u, 4u, 5u, 7u, 10u}) {
    for (uint32_t rf = 1; rf <= std::min<size_t>(n, 5); ++rf) {
      for (uint32_t shards : {1u, 2u, 3u, 4u, 8u, 13u, 64u}) {
        const std::vector<NodeId> members = nodes(n);
        const ShardMap empty = test::map_with_members(members);
        const auto placement = place_replicas(members, shards, rf, empty);
        ASSERT_EQ(placement.size(), shards);
        std::map<NodeId, size_t> replicas, leaders;
        for (const auto& shard : placement) {
          ASSERT_EQ(shard.size(), rf);
          ASSERT_EQ(std::set<NodeId>(shard.begin(), shard.end()).size(), rf) << "a node twice in one shard";
          for (NodeId node : shard) {
            ASSERT_TRUE(std::binary_search(members.begin(), members.end(), node));
            ++replicas[node];
          }
          ++leaders[shard.front()];
        }
        EXPECT_LE(spread(members, replicas), 1u) << n << " nodes, rf " << rf << ", " << shards << " shards";
        EXPECT_LE(spread(members, leaders), 1u) << n << " nodes, rf " << rf << ", " << shards << " shards";
        EXPECT_EQ(place_replicas(members, shards, rf, empty), placement) << "not deterministic";
      }
    }
  }
}

TEST(Placement, CountsWhatExistingCollectionsAlreadyPlace) {
  ShardMap map = test::map_with_members({1, 2, 3});
  // Three one-shard rf-1 collections: nodes 1, 2, 3 get one each. Then node
  // 4 joins; the next shard must go to it, the emptiest.
  for (const char* name : {"a", "b", "c"}) test::add_collection(map, test::settings(name, ShardingStrategy::kHash, 1));
  map.members.push_back(4);
  EXPECT_EQ(place_replicas(map.members, 1, 1, map), (std::vector<std::vector<NodeId>>{{4}}));
  // Across many collections of mixed shape totals stay within one.
  for (int i = 0; i < 12; ++i) {
    test::add_collection(map, test::settings("x" + std::to_string(i), ShardingStrategy::kHash, 1 + i % 5, 1 + i % 3));
  }
  std::map<NodeId, size_t> replicas;
  for (const auto& [name, info] : map.collections) {
    for (const ShardInfo& shard : info.shards) {
      for (NodeId node : shard.replicas) ++replicas[node];
    }
  }
  EXPECT_LE(spread(map.members, replicas), 1u);
}

}  // namespace
}  // namespace shoal::cluster
