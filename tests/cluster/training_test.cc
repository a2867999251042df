// Training routing data: split points cut a sample into equal runs even with
// duplicates, refuse what cannot be cut; k-means survives degenerate samples.
#include <gtest/gtest.h>

#include <algorithm>
#include <set>
#include <vector>

#include "engine/cluster/shard_map.h"
#include "engine/core/random.h"
#include "tests/cluster/cluster_test_util.h"

namespace shoal::cluster {
namespace {

using search::Value;

std::vector<Value> integers(std::vector<int64_t> v) {
  std::vector<Value> out;
  for (int64_t x : v) out.push_back(Value::integer(x));
  return out;
}

TEST(SplitPoints, DistinctValuesGiveEqualCountQuantiles) {
  std::vector<Value> sample;
  for (int64_t i = 99; i >= 0; --i) sample.push_back(Value::integer(i));  // order must not matter
  std::vector<Value> points;
  ASSERT_TRUE(split_points(sample, 4, &points).ok());
  EXPECT_EQ(points, integers({25, 50, 75}));
}

TEST(SplitPoints, OneRangeNeedsNoPointsAndNoSample) {
  std::vector<Value> points = integers({1});
  ASSERT_TRUE(split_points({}, 1, &points).ok());
  EXPECT_TRUE(points.empty());
}

TEST(SplitPoints, DuplicatesStillGiveStrictlyAscendingPointsWithNonEmptyRanges) {
  // Mostly one value: a naive quantile would repeat it.
  std::vector<Value> sample = integers({1, 2, 3});
  for (int i = 0; i < 97; ++i) sample.push_back(Value::integer(5));
  sample.push_back(Value::integer(9));
  std::vector<Value> points;
  ASSERT_TRUE(split_points(sample, 4, &points).ok());
  ASSERT_EQ(points.size(), 3u);
  EXPECT_TRUE(points[0] < points[1] && points[1] < points[2]);
  EXPECT_TRUE(Value::integer(1) < points[0]) << "range 0 would be empty";
}

TEST(SplitPoints, ExactlyKDistinctValuesGiveOneEach) {
  std::vector<Value> sample = integers({7, 7, 7, 3, 3, 1});
  std::vector<Value> points;
  ASSERT_TRUE(split_points(sample, 3, &points).ok());
  EXPECT_EQ(points, integers({3, 7}));
}

TEST(SplitPoints, KeywordsSplitInByteOrder) {
  std::vector<Value> sample;
  for (const char* w : {"pear", "apple", "Zebra", "\xc3\xa9t\xc3\xa9", "mango", "kiwi"}) sample.push_back(Value::keyword(w));
  std::vector<Value> points;
  ASSERT_TRUE(split_points(sample, 3, &points).ok());
  // Sorted by bytes: Zebra apple kiwi mango pear été (0xc3 above ASCII).
  EXPECT_EQ(points, (std::vector<Value>{Value::keyword("kiwi"), Value::keyword("pear")}));
}

TEST(SplitPoints, RefusesWhatCannotBeCut) {
  std::vector<Value> out;
  EXPECT_EQ(split_points(integers({1, 1, 1}), 2, &out).code, ErrorCode::kBadRequest);  // one distinct value
  EXPECT_EQ(split_points({}, 2, &out).code, ErrorCode::kBadRequest);
  EXPECT_EQ(split_points(integers({1, 2}), 0, &out).code, ErrorCode::kBadRequest);
  EXPECT_EQ(split_points(integers({1, 2}), kMaxShards + 1, &out).code, ErrorCode::kBadRequest);
  EXPECT_EQ(split_points({Value::integer(1), Value::keyword("a")}, 2, &out).code, ErrorCode::kBadRequest);
  EXPECT_EQ(split_points({Value::floating(1), Value::floating(2)}, 2, &out).code, ErrorCode::kBadRequest);
  EXPECT_EQ(split_points({Value(), Value::integer(2)}, 2, &out).code, ErrorCode::kBadRequest);
  std::vector<Value> huge(kMaxRoutingSample + 1, Value::integer(1));
  EXPECT_EQ(split_points(huge, 2, &out).code, ErrorCode::kBadRequest);
}

TEST(TrainCentroids, DuplicatePointsStillGiveEveryDistinctPointACentroid) {
  // Three distinct points, many copies: an empty cluster must be re-seeded
  // so that all three end up as centroids.
  std::vector<std::vector<float>> sample;
  for (int i = 0; i < 30; ++i) sample.push_back({0, 0});
  for (int i = 0; i < 2; ++i) sample.push_back({5, 5});
  sample.push_back({-9, 3});
  for (uint64_t seed = 0; seed < 20; ++seed) {
    auto centroids = train_centroids(sample, 3, search::VectorMetric::kL2, seed);
    std::set<std::vector<float>> got(centroids.begin(), centroids.end());
    EXPECT_EQ(got, (std::set<std::vector<float>>{{0, 0}, {5, 5}, {-9, 3}})) << "seed " << seed;
  }
}

TEST(TrainCentroids, MoreCentroidsThanPointsRepeatsSomeButReturnsK) {
  const std::vector<std::vector<float>> sample = {{1, 0}, {0, 1}};
  auto centroids = train_centroids(sample, 4, search::VectorMetric::kL2, 3);
  ASSERT_EQ(centroids.size(), 4u);
  for (const auto& c : centroids) EXPECT_TRUE(c == sample[0] || c == sample[1]);
}

TEST(ComputeRouting, BuildsWhatEachStrategyNeedsFromSampleDocuments) {
  const search::Schema plain = test::parse_schema(test::kPlainSchema);
  std::vector<search::Document> docs;
  for (int i = 0; i < 40; ++i) docs.push_back(test::plain_doc("d", {}, Value::integer(i)));
  docs.push_back(test::plain_doc("no-price"));
  RoutingData routing;
  ASSERT_TRUE(compute_routing(test::settings("r", ShardingStrategy::kRange, 4, 1, "price"), plain, docs, 1, &routing).ok());
  EXPECT_EQ(routing.split_points, integers({10, 20, 30}));
  EXPECT_TRUE(routing.centroids.empty());

  ASSERT_TRUE(compute_routing(test::settings("h", ShardingStrategy::kHash, 4), plain, docs, 1, &routing).ok());
  EXPECT_EQ(routing, RoutingData{});

  const std::string vschema = test::vector_schema(2, "l2_norm");
  const search::Schema vector = test::parse_schema(vschema);
  std::vector<search::Document> vdocs = {test::vector_doc("a", {0, 0}), test::vector_doc("b", {10, 10}),
                                         test::vector_doc("c", {})};
  const CollectionSettings vs = test::settings("v", ShardingStrategy::kVector, 2, 1, "", vschema);
  ASSERT_TRUE(compute_routing(vs, vector, vdocs, 1, &routing).ok());
  std::set<std::vector<float>> got(routing.centroids.begin(), routing.centroids.end());
  EXPECT_EQ(got, (std::set<std::vector<float>>{{0, 0}, {10, 10}}));

  const CollectionSettings three = test::settings("v", ShardingStrategy::kVector, 3, 1, "", vschema);
  EXPECT_EQ(compute_routing(three, vector, vdocs, 1, &routing).code, ErrorCode::kBadRequest);  // 2 vectors
  EXPECT_EQ(compute_routing(test::settings("r", ShardingStrategy::kRange, 4, 1, "nope"), plain, docs, 1, &routing).code,
            ErrorCode::kBadRequest);
}

}  // namespace
}  // namespace shoal::cluster
