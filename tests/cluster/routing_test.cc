// Routing: hash slots spread evenly and never move unnoticed, range bounds
// cut a sample into equal runs in field order, vector centroids keep a
// cluster together, and the k-NN fan-out picks the nearest shards.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <string>
#include <vector>

#include "engine/cluster/shard_map.h"
#include "engine/core/random.h"
#include "tests/cluster/cluster_test_util.h"

namespace shoal::cluster {
namespace {

using search::Value;
using test::add_collection;
using test::map_with_members;
using test::plain_doc;
using test::settings;
using test::vector_doc;

std::vector<std::string> random_ids(size_t n, uint64_t seed) {
  Rng rng(seed);
  std::vector<std::string> ids;
  for (size_t i = 0; i < n; ++i) ids.push_back("doc-" + std::to_string(rng.next_u64()));
  return ids;
}

std::string random_word(Rng& rng) {
  std::string w;
  for (int i = 0; i < 8; ++i) w.push_back(static_cast<char>('a' + rng.below(26)));
  return w;
}

// Asserts every count is within ±10% of an even share.
void expect_balanced(const std::vector<size_t>& counts, size_t total) {
  const double even = static_cast<double>(total) / counts.size();
  for (size_t i = 0; i < counts.size(); ++i) {
    EXPECT_GE(counts[i], even * 0.9) << "shard " << i << " of " << counts.size();
    EXPECT_LE(counts[i], even * 1.1) << "shard " << i << " of " << counts.size();
  }
}

TEST(HashRouting, TenThousandIdsSpreadWithinTenPercent) {
  const std::vector<std::string> ids = random_ids(10000, 7);
  for (uint32_t shards : {3u, 4u, 6u, 8u}) {
    ShardMap map = map_with_members({1, 2, 3});
    const CollectionInfo& info = add_collection(map, settings("c", ShardingStrategy::kHash, shards));
    std::vector<size_t> counts(shards, 0);
    for (const std::string& id : ids) ++counts[route(info, plain_doc(id))];
    expect_balanced(counts, ids.size());
  }
}

TEST(HashRouting, EvenSplitTilesTheSlotsAndAgreesWithItsInverse) {
  for (uint32_t n = 1; n <= kMaxShards; ++n) {
    EXPECT_EQ(even_slot_begin(0, n), 0u);
    EXPECT_EQ(even_slot_begin(n, n), kHashSlots);
    for (uint32_t i = 0; i < n; ++i) {
      const uint32_t begin = even_slot_begin(i, n);
      const uint32_t end = even_slot_begin(i + 1, n);
      ASSERT_LT(begin, end);
      ASSERT_LE(end - begin, kHashSlots / n + 1);
      ASSERT_EQ(even_shard_of_slot(begin, n), i);
      ASSERT_EQ(even_shard_of_slot(end - 1, n), i);
    }
  }
}

// Pinned: a change to stable_hash, the seed or the slot count moves these
// and fails here, before it silently moves every stored document.
TEST(HashRouting, SlotsOfKnownIdsArePinned) {
  ShardMap map = map_with_members({1});
  const CollectionInfo& info = add_collection(map, settings("c", ShardingStrategy::kHash, 4));
  const std::map<std::string, std::pair<uint32_t, uint32_t>> expected = {
      {"a", {1319, 1}},
      {"doc-1", {1013, 0}},
      {"user:42", {349, 0}},
      {"", {3888, 3}},
      {"order/2024/17", {507, 0}},
      {"k", {2723, 2}},
      {"zz", {2092, 2}},
  };
  for (const auto& [id, want] : expected) {
    EXPECT_EQ(hash_slot(id), want.first) << id;
    EXPECT_EQ(route(info, plain_doc(id)), want.second) << id;
  }
}

TEST(HashRouting, OnlyTheIdDecidesAndLookupsByIdFindTheOwner) {
  ShardMap map = map_with_members({1});
  const CollectionInfo& info = add_collection(map, settings("c", ShardingStrategy::kHash, 5));
  for (const std::string& id : random_ids(200, 3)) {
    const uint32_t owner = route(info, plain_doc(id));
    EXPECT_EQ(route(info, plain_doc(id, Value::keyword("red"), Value::integer(9))), owner);
    EXPECT_EQ(shards_for_id(info, id), std::vector<uint32_t>{owner});
  }
}

const CollectionInfo& range_collection(ShardMap& map, const std::string& field, std::vector<Value> sample,
                                       uint32_t shards) {
  RoutingData routing;
  const Error e = split_points(std::move(sample), shards, &routing.split_points);
  EXPECT_TRUE(e.ok()) << e.describe();
  return add_collection(map, settings("r", ShardingStrategy::kRange, shards, 1, field), routing);
}

TEST(RangeRouting, KeywordSplitsFromASampleAreBalancedAndMonotone) {
  Rng rng(11);
  std::vector<Value> sample;
  for (int i = 0; i < 2000; ++i) sample.push_back(Value::keyword(random_word(rng)));
  ShardMap map = map_with_members({1});
  const CollectionInfo& info = range_collection(map, "color", sample, 4);
  std::vector<std::string> words;
  for (int i = 0; i < 10000; ++i) words.push_back(random_word(rng));
  std::vector<size_t> counts(4, 0);
  for (const std::string& w : words) ++counts[route(info, plain_doc("x", Value::keyword(w)))];
  expect_balanced(counts, words.size());
  std::sort(words.begin(), words.end());
  uint32_t previous = 0;
  for (const std::string& w : words) {
    const uint32_t shard = route(info, plain_doc("x", Value::keyword(w)));
    ASSERT_GE(shard, previous) << w;  // byte order in, shard order out
    previous = shard;
  }
  EXPECT_EQ(previous, 3u);
}

TEST(RangeRouting, IntegerSplitsFromASampleAreBalancedAndNumericallyOrdered) {
  Rng rng(12);
  std::vector<Value> sample;
  for (int i = 0; i < 2000; ++i) sample.push_back(Value::integer(rng.range(-1000000, 1000000)));
  ShardMap map = map_with_members({1});
  const CollectionInfo& info = range_collection(map, "price", sample, 6);
  std::vector<int64_t> values;
  for (int i = 0; i < 10000; ++i) values.push_back(rng.range(-1000000, 1000000));
  std::vector<size_t> counts(6, 0);
  for (int64_t v : values) ++counts[route(info, plain_doc("x", {}, Value::integer(v)))];
  expect_balanced(counts, values.size());
  std::sort(values.begin(), values.end());
  uint32_t previous = 0;
  for (int64_t v : values) {
    const uint32_t shard = route(info, plain_doc("x", {}, Value::integer(v)));
    ASSERT_GE(shard, previous) << v;
    previous = shard;
  }
}

TEST(RangeRouting, ExplicitBoundsAreInclusiveBelowAndMissingGoesToShardZero) {
  ShardMap map = map_with_members({1});
  RoutingData routing;
  routing.split_points = {Value::integer(9), Value::integer(100)};
  const CollectionInfo& info = add_collection(map, settings("r", ShardingStrategy::kRange, 3, 1, "price"), routing);
  EXPECT_TRUE(info.shards[0].range_lower.missing());
  EXPECT_EQ(route(info, plain_doc("a", {}, Value::integer(-5))), 0u);
  EXPECT_EQ(route(info, plain_doc("a", {}, Value::integer(8))), 0u);
  EXPECT_EQ(route(info, plain_doc("a", {}, Value::integer(9))), 1u);
  EXPECT_EQ(route(info, plain_doc("a", {}, Value::integer(99))), 1u);   // numerically, not "99" > "100"
  EXPECT_EQ(route(info, plain_doc("a", {}, Value::integer(100))), 2u);
  EXPECT_EQ(route(info, plain_doc("a", {}, Value::integer(INT64_MAX))), 2u);
  EXPECT_EQ(route(info, plain_doc("a")), 0u);  // no range field: shard 0
  EXPECT_EQ(shards_for_id(info, "a"), (std::vector<uint32_t>{0, 1, 2}));
}

// ---- Vectors ------------------------------------------------------------------

constexpr uint32_t kDims = 8;
constexpr int kClusters = 4;

// A point of cluster c: a Gaussian-ish blob (sum of uniforms) around a centre
// far out on axis c, so the clusters are well separated under every metric.
std::vector<float> cluster_point(int c, Rng& rng) {
  std::vector<float> v(kDims);
  for (uint32_t d = 0; d < kDims; ++d) {
    const double noise = (rng.real01() + rng.real01() + rng.real01() - 1.5) * 0.6;
    v[d] = static_cast<float>((d == static_cast<uint32_t>(c) ? 10.0 : 0.0) + noise);
  }
  return v;
}

std::vector<std::vector<float>> clustered_sample(int per_cluster, uint64_t seed) {
  Rng rng(seed);
  std::vector<std::vector<float>> sample;
  for (int i = 0; i < per_cluster; ++i) {
    for (int c = 0; c < kClusters; ++c) sample.push_back(cluster_point(c, rng));
  }
  return sample;
}

class VectorRouting : public ::testing::TestWithParam<const char*> {};

TEST_P(VectorRouting, KmeansPutsEachClusterInAShardOfItsOwn) {
  const std::string schema = test::vector_schema(kDims, GetParam());
  const search::Schema parsed = test::parse_schema(schema);
  RoutingData routing;
  routing.centroids = train_centroids(clustered_sample(100, 5), kClusters, parsed.vector()->metric, 99);
  ShardMap map = map_with_members({1, 2});
  const CollectionInfo& info =
      add_collection(map, settings("v", ShardingStrategy::kVector, kClusters, 2, "", schema), routing);
  Rng rng(6);
  std::map<int, uint32_t> shard_of_cluster;
  for (int i = 0; i < 250; ++i) {
    for (int c = 0; c < kClusters; ++c) {
      const std::vector<float> point = cluster_point(c, rng);
      const uint32_t shard = route(info, vector_doc("d", point));
      auto [it, fresh] = shard_of_cluster.emplace(c, shard);
      ASSERT_EQ(it->second, shard) << "cluster " << c << " split between shards";
      // The nearest shard for a query is the one its cluster lives in.
      ASSERT_EQ(shards_for_knn(info, point, 1), std::vector<uint32_t>{shard});
    }
  }
  std::vector<uint32_t> owners;
  for (const auto& [c, shard] : shard_of_cluster) owners.push_back(shard);
  std::sort(owners.begin(), owners.end());
  EXPECT_EQ(owners, (std::vector<uint32_t>{0, 1, 2, 3})) << "two clusters share a shard";
}

TEST_P(VectorRouting, TrainingIsAFunctionOfItsInputsAndSeed) {
  const search::VectorMetric metric = test::parse_schema(test::vector_schema(kDims, GetParam())).vector()->metric;
  const auto sample = clustered_sample(50, 8);
  const auto first = train_centroids(sample, kClusters, metric, 1234);
  EXPECT_EQ(train_centroids(sample, kClusters, metric, 1234), first);  // bit-identical
  ASSERT_EQ(first.size(), static_cast<size_t>(kClusters));
  for (const auto& c : first) {
    ASSERT_EQ(c.size(), kDims);
    if (metric == search::VectorMetric::kL2) continue;
    double norm = 0;
    for (float x : c) norm += static_cast<double>(x) * x;
    EXPECT_NEAR(norm, 1.0, 1e-5) << "spherical training gives unit centroids";
  }
}

INSTANTIATE_TEST_SUITE_P(Metrics, VectorRouting, ::testing::Values("l2_norm", "dot_product", "cosine"));

// A collection with hand-placed centroids on the axes: shard i at axis i.
const CollectionInfo& axis_collection(ShardMap& map, const std::string& similarity, uint32_t shards) {
  RoutingData routing;
  for (uint32_t i = 0; i < shards; ++i) {
    std::vector<float> c(kDims, 0.0f);
    c[i % kDims] = static_cast<float>(1 + i / kDims);
    routing.centroids.push_back(c);
  }
  return add_collection(map, settings("v", ShardingStrategy::kVector, shards, 1, "",
                                      test::vector_schema(kDims, similarity)),
                        routing);
}

TEST(VectorRoutingKnn, ReturnsTheNNearestShardsNearestFirst) {
  ShardMap map = map_with_members({1});
  const CollectionInfo& info = axis_collection(map, "l2_norm", 6);
  // Nearest to axis 2, then axis 0 (weight 0.5), then axis 4 (weight 0.2).
  std::vector<float> q(kDims, 0.0f);
  q[2] = 1.0f;
  q[0] = 0.5f;
  q[4] = 0.2f;
  EXPECT_EQ(shards_for_knn(info, q, 1), (std::vector<uint32_t>{2}));
  EXPECT_EQ(shards_for_knn(info, q, 3), (std::vector<uint32_t>{2, 0, 4}));
  // Every shard, nearest first, for n == 0 and n >= the count; the rest tie
  // and go by id.
  const std::vector<uint32_t> all = {2, 0, 4, 1, 3, 5};
  EXPECT_EQ(shards_for_knn(info, q, 0), all);
  EXPECT_EQ(shards_for_knn(info, q, 6), all);
  EXPECT_EQ(shards_for_knn(info, q, 60), all);
  // A query of the wrong dimension fans out to every shard in id order.
  EXPECT_EQ(shards_for_knn(info, std::vector<float>(3, 1.0f), 2), (std::vector<uint32_t>{0, 1, 2, 3, 4, 5}));
}

TEST(VectorRoutingKnn, NonVectorCollectionsFanOutToEveryShard) {
  ShardMap map = map_with_members({1});
  const CollectionInfo& info = add_collection(map, settings("c", ShardingStrategy::kHash, 3));
  EXPECT_EQ(shards_for_knn(info, std::vector<float>(kDims, 1.0f), 1), (std::vector<uint32_t>{0, 1, 2}));
}

TEST(VectorRoutingKnn, InnerProductPrefersLengthAndCosineDoesNot) {
  ShardMap ip_map = map_with_members({1});
  // Shard 8 sits on axis 0 with length 2, shard 0 with length 1.
  const CollectionInfo& ip = axis_collection(ip_map, "dot_product", 9);
  ShardMap cos_map = map_with_members({1});
  const CollectionInfo& cos = axis_collection(cos_map, "cosine", 9);
  std::vector<float> q(kDims, 0.0f);
  q[0] = 1.0f;
  EXPECT_EQ(route(ip, vector_doc("a", q)), 8u);
  EXPECT_EQ(route(cos, vector_doc("a", q)), 0u);  // equal cosine: the lower id
}

TEST(VectorRoutingKnn, TiesGoToTheLowerShard) {
  ShardMap map = map_with_members({1});
  RoutingData routing;
  routing.centroids = {std::vector<float>(kDims, 1.0f), std::vector<float>(kDims, 1.0f)};
  const CollectionInfo& info = add_collection(
      map, settings("v", ShardingStrategy::kVector, 2, 1, "", test::vector_schema(kDims, "l2_norm")), routing);
  EXPECT_EQ(route(info, vector_doc("a", std::vector<float>(kDims, 0.5f))), 0u);
  EXPECT_EQ(shards_for_knn(info, std::vector<float>(kDims, 0.5f), 0), (std::vector<uint32_t>{0, 1}));
}

TEST(VectorRoutingKnn, DocumentsWithoutAVectorGoByTheHashOfTheirId) {
  ShardMap map = map_with_members({1});
  const CollectionInfo& info = axis_collection(map, "l2_norm", 5);
  std::vector<size_t> counts(5, 0);
  for (const std::string& id : random_ids(2000, 4)) {
    const uint32_t shard = route(info, vector_doc(id, {}));
    EXPECT_EQ(shard, even_shard_of_slot(hash_slot(id), 5));
    ++counts[shard];
  }
  expect_balanced(counts, 2000);
  EXPECT_EQ(shards_for_id(info, "x"), (std::vector<uint32_t>{0, 1, 2, 3, 4}));
}

TEST(GroupLookup, FindsTheShardOfEveryGroupAndNothingElse) {
  ShardMap map = map_with_members({1, 2, 3});
  add_collection(map, settings("a", ShardingStrategy::kHash, 2));
  add_collection(map, settings("b", ShardingStrategy::kHash, 3));
  EXPECT_EQ(map.next_group, 6u);
  for (GroupId g = 1; g < 6; ++g) {
    const ShardRef ref = find_group(map, g);
    ASSERT_NE(ref.shard, nullptr) << g;
    EXPECT_EQ(ref.shard->group, g);
    EXPECT_EQ(ref.collection->settings.name, g <= 2 ? "a" : "b");
    EXPECT_EQ(ref.shard->shard, g <= 2 ? g - 1 : g - 3);
    EXPECT_EQ(shard_of_group(map, g), ref.shard);
  }
  EXPECT_EQ(shard_of_group(map, kMetadataGroup), nullptr);
  EXPECT_EQ(find_group(map, 6).collection, nullptr);
}

}  // namespace
}  // namespace shoal::cluster
