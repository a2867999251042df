// aggregations-equal-oracle: every kind merged from three unequal shards
// equals the single node; an average of per-shard averages, a wrong count,
// a summed cardinality, an out-of-bound percentile and a terms count
// outside its stated error fail.
#include <charconv>
#include <numeric>

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include "engine/search/agg_result.h"
#include "scenarios/checkers/aggregation_oracle.h"
#include "tests/checkers/search_oracle_fixtures.h"

namespace shoal::check {
namespace {

namespace json = boost::json;
using testing::oracle_of;
using testing::request_of;
using testing::small_docs;
using testing::small_schema;
using testing::Store;

// All 14 kinds, bucket kinds with sub-aggregations of exact and approximate kinds.
constexpr const char* kEveryKind = R"({"size": 0, "aggs": {
  "colors": {"terms": {"field": "color", "size": 3, "show_term_doc_count_error": true},
             "aggs": {"avg_price": {"avg": {"field": "price"}}, "p": {"percentiles": {"field": "price"}}}},
  "stats": {"stats": {"field": "price"}},
  "ext": {"extended_stats": {"field": "price"}},
  "hist": {"histogram": {"field": "price", "interval": 25, "min_doc_count": 0},
           "aggs": {"n_card": {"cardinality": {"field": "n"}}, "n_sum": {"sum": {"field": "n"}}}},
  "days": {"date_histogram": {"field": "at", "fixed_interval": "1d"}},
  "ranges": {"range": {"field": "price", "ranges": [{"to": 40}, {"from": 40, "to": 90}, {"from": 90}]},
             "aggs": {"max_n": {"max": {"field": "n"}}}},
  "groups": {"filters": {"filters": {"reds": {"term": {"color": "red"}}, "cheap": {"range": {"price": {"lt": 30}}}}},
             "aggs": {"min_price": {"min": {"field": "price"}}}},
  "avg_price": {"avg": {"field": "price"}},
  "min_n": {"min": {"field": "n"}},
  "max_n": {"max": {"field": "n"}},
  "sum_price": {"sum": {"field": "price"}},
  "count_n": {"value_count": {"field": "n"}},
  "pct": {"percentiles": {"field": "price", "percents": [1, 25, 50, 75, 99]}},
  "colors_seen": {"cardinality": {"field": "color"}}}})";

bool any_violation(const CheckResult& c, const std::string& text) {
  for (const Violation& v : c.violations) {
    if (v.what.find(text) != std::string::npos) return true;
  }
  return false;
}

class AggregationOracle : public ::testing::Test {
 protected:
  AggregationOracle()
      : schema_(small_schema()), docs_(small_docs(60)), store_(schema_, docs_, {9, 33, 18}),
        oracle_(oracle_of(schema_, docs_)) {}

  json::object rendered(const search::SearchRequest& r, const search::SearchResponse& response) {
    auto o = search::render_aggs(r.aggs, response.aggs);
    EXPECT_TRUE(o.ok()) << o.status();
    return o.ok() ? *o : json::object{};
  }

  search::Schema schema_;
  DocumentSet docs_;
  Store store_;
  std::unique_ptr<SearchOracle> oracle_;
};

TEST_F(AggregationOracle, EveryKindMergedFromShardsEqualsTheOracle) {
  const search::SearchRequest r = request_of(kEveryKind, schema_);
  ASSERT_EQ(r.aggs.size(), 14u);
  CheckResult c = check_aggregations_equal_oracle(*oracle_, r, store_.search(r));
  EXPECT_TRUE(c.ok) << c.message;
  EXPECT_EQ(c.name, "aggregations-equal-oracle");
}

TEST_F(AggregationOracle, AnAverageOfShardAveragesFails) {
  const search::SearchRequest r = request_of(R"({"size": 0, "aggs": {"avg_price": {"avg": {"field": "price"}}}})",
                                             schema_);
  // What a naive coordinator would answer: the mean of each shard's mean.
  double sum_of_averages = 0;
  for (size_t s = 0; s < store_.shard_count(); ++s) {
    auto result = store_.shard(s).search(r);
    ASSERT_TRUE(result.ok());
    auto one = search::render_aggs(r.aggs, result->aggs);
    ASSERT_TRUE(one.ok());
    sum_of_averages += one->at("avg_price").as_object().at("value").as_double();
  }
  const double naive = sum_of_averages / static_cast<double>(store_.shard_count());
  json::object store_answer{{"avg_price", json::object{{"value", naive}}}};
  CheckResult bad = check_aggregations_equal_oracle(*oracle_, r, store_answer, 3);
  ASSERT_FALSE(bad.ok);
  EXPECT_EQ(bad.violation_count, 1u);
  const std::string& what = bad.violations[0].what;
  EXPECT_NE(what.find("\"avg_price\" (avg)"), std::string::npos) << what;
  EXPECT_NE(what.find("expected"), std::string::npos) << what;
  char naive_text[64];
  auto end = std::to_chars(naive_text, naive_text + sizeof naive_text, naive).ptr;
  EXPECT_NE(what.find("got " + std::string(naive_text, end)), std::string::npos) << what;

  // The shard partials merged (sums and counts, not averages) pass.
  const search::SearchResponse merged = store_.search(r);
  EXPECT_TRUE(check_aggregations_equal_oracle(*oracle_, r, merged).ok);
  EXPECT_TRUE(check_aggregations_equal_oracle(*oracle_, r, rendered(r, merged), 3).ok);
}

TEST_F(AggregationOracle, AWrongExactValueFailsNamingTheAggregation) {
  const search::SearchRequest r = request_of(kEveryKind, schema_);
  json::object answer = rendered(r, store_.search(r));
  answer["count_n"].as_object()["value"] = answer["count_n"].as_object()["value"].to_number<int64_t>() + 1;
  auto& bucket = answer["ranges"].as_object()["buckets"].as_array()[1].as_object();
  bucket["max_n"].as_object()["value"] = 1000.0;
  CheckResult c = check_aggregations_equal_oracle(*oracle_, r, answer, 3);
  ASSERT_FALSE(c.ok);
  EXPECT_EQ(c.violation_count, 2u) << c.message;
  EXPECT_TRUE(any_violation(c, "\"count_n\" (value_count): value expected 50 got 51")) << c.message;
  EXPECT_TRUE(any_violation(c, ">max_n\" (max): value expected 20 got 1000")) << c.message;
}

TEST_F(AggregationOracle, AMissingOrExtraBucketFails) {
  const search::SearchRequest r = request_of(kEveryKind, schema_);
  json::object answer = rendered(r, store_.search(r));
  answer["hist"].as_object()["buckets"].as_array().pop_back();
  answer["groups"].as_object()["buckets"].as_object()["other"] = json::object{{"doc_count", 1}};
  CheckResult c = check_aggregations_equal_oracle(*oracle_, r, answer, 3);
  EXPECT_EQ(c.violation_count, 2u) << c.message;
  json::object missing = rendered(r, store_.search(r));
  missing.erase("stats");
  EXPECT_FALSE(check_aggregations_equal_oracle(*oracle_, r, missing, 3).ok);
}

TEST_F(AggregationOracle, ASumOfShardCardinalitiesIsOutOfBound) {
  const search::SearchRequest r =
      request_of(R"({"size": 0, "aggs": {"colors_seen": {"cardinality": {"field": "color"}}}})", schema_);
  uint64_t summed = 0;
  for (size_t s = 0; s < store_.shard_count(); ++s) {
    auto one = search::render_aggs(r.aggs, store_.shard(s).search(r)->aggs);
    summed += one->at("colors_seen").as_object().at("value").to_number<uint64_t>();
  }
  CheckResult bad =
      check_aggregations_equal_oracle(*oracle_, r, json::object{{"colors_seen", json::object{{"value", summed}}}}, 3);
  ASSERT_FALSE(bad.ok);
  EXPECT_NE(bad.message.find("(cardinality)"), std::string::npos) << bad.message;
  EXPECT_TRUE(check_aggregations_equal_oracle(*oracle_, r, store_.search(r)).ok);
}

TEST_F(AggregationOracle, ADenseCardinalityMayErrWithinItsBoundOnly) {
  // 60 prices, many distinct, over a threshold of 8: the sketch is dense.
  const search::SearchRequest r = request_of(
      R"({"size": 0, "aggs": {"prices": {"cardinality": {"field": "price", "precision_threshold": 8}}}})", schema_);
  json::object answer = rendered(r, store_.search(r));
  CheckResult good = check_aggregations_equal_oracle(*oracle_, r, answer, 3);
  EXPECT_TRUE(good.ok) << good.message;
  answer["prices"].as_object()["value"] = answer["prices"].as_object()["value"].to_number<double>() * 3;
  EXPECT_FALSE(check_aggregations_equal_oracle(*oracle_, r, answer, 3).ok);
}

TEST_F(AggregationOracle, APercentileOutsideItsRankBoundFails) {
  const search::SearchRequest r = request_of(
      R"({"size": 0, "aggs": {"pct": {"percentiles": {"field": "price", "percents": [50]}}}})", schema_);
  json::object answer = rendered(r, store_.search(r));
  EXPECT_TRUE(check_aggregations_equal_oracle(*oracle_, r, answer, 3).ok);
  auto stats = search::render_aggs(
      request_of(R"({"size": 0, "aggs": {"s": {"stats": {"field": "price"}}}})", schema_).aggs,
      oracle_->run(request_of(R"({"size": 0, "aggs": {"s": {"stats": {"field": "price"}}}})", schema_))->aggs);
  ASSERT_TRUE(stats.ok());
  answer["pct"].as_object()["values"].as_object()["50.0"] = stats->at("s").as_object().at("max");
  CheckResult bad = check_aggregations_equal_oracle(*oracle_, r, answer, 3);
  ASSERT_FALSE(bad.ok);
  EXPECT_NE(bad.message.find("(percentiles): 50.0"), std::string::npos) << bad.message;
}

TEST_F(AggregationOracle, TermsCountsStayWithinTheirStatedError) {
  // shard_size 2 forces every shard to cut its list, so errors are stated.
  const search::SearchRequest r = request_of(
      R"({"size": 0, "aggs": {"colors": {"terms": {"field": "color", "size": 2, "shard_size": 2,
                                                   "show_term_doc_count_error": true}}}})",
      schema_);
  json::object answer = rendered(r, store_.search(r));
  CheckResult good = check_aggregations_equal_oracle(*oracle_, r, answer, 3);
  EXPECT_TRUE(good.ok) << good.message << "\n" << json::serialize(answer);
  EXPECT_GT(answer["colors"].as_object()["doc_count_error_upper_bound"].to_number<uint64_t>(), 0u);

  // A count above the truth is never allowed.
  json::object over = answer;
  auto& first = over["colors"].as_object()["buckets"].as_array()[0].as_object();
  first["doc_count"] = first["doc_count"].to_number<uint64_t>() + 50;
  CheckResult c = check_aggregations_equal_oracle(*oracle_, r, over, 3);
  ASSERT_FALSE(c.ok);
  EXPECT_TRUE(any_violation(c, "but the true count is")) << c.message;
}

TEST_F(AggregationOracle, TermsWithoutTruncationMustBeExactAndComplete) {
  const search::SearchRequest r =
      request_of(R"({"size": 0, "aggs": {"colors": {"terms": {"field": "color", "size": 3}}}})", schema_);
  json::object answer = rendered(r, store_.search(r));
  EXPECT_TRUE(check_aggregations_equal_oracle(*oracle_, r, answer, 3).ok);

  // The top term left out, the rest moved up: a term is missing.
  json::object dropped = answer;
  auto& buckets = dropped["colors"].as_object()["buckets"].as_array();
  const uint64_t top = buckets[0].as_object()["doc_count"].to_number<uint64_t>();
  buckets.erase(buckets.begin());
  auto& other = dropped["colors"].as_object()["sum_other_doc_count"];
  other = other.to_number<uint64_t>() + top;
  CheckResult c = check_aggregations_equal_oracle(*oracle_, r, dropped, 3);
  ASSERT_FALSE(c.ok);
  EXPECT_NE(c.message.find("is missing"), std::string::npos) << c.message;

  // A stated error where no shard could cut its list.
  json::object loose = answer;
  loose["colors"].as_object()["doc_count_error_upper_bound"] = 5;
  EXPECT_FALSE(check_aggregations_equal_oracle(*oracle_, r, loose, 3).ok);

  // Keyed order: the first keys, exactly.
  const search::SearchRequest by_key = request_of(
      R"({"size": 0, "aggs": {"colors": {"terms": {"field": "color", "size": 2, "shard_size": 2,
                                                   "order": {"_key": "asc"}}}}})",
      schema_);
  EXPECT_TRUE(check_aggregations_equal_oracle(*oracle_, by_key, store_.search(by_key)).ok);
}

TEST_F(AggregationOracle, APartialResponseIsNotJudged) {
  const search::SearchRequest r = request_of(kEveryKind, schema_);
  CheckResult c = check_aggregations_equal_oracle(*oracle_, r, store_.search(r, {2}));
  EXPECT_TRUE(c.ok);
  EXPECT_NE(c.message.find("not judged"), std::string::npos);
  // Judged anyway (through the JSON entry point) it is wrong.
  EXPECT_FALSE(check_aggregations_equal_oracle(*oracle_, r, rendered(r, store_.search(r, {2})), 2).ok);
}

}  // namespace
}  // namespace shoal::check
