// Request parsing: what is accepted, and that every mistake is a clear error.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include "engine/search/cursor.h"
#include "engine/search/json_util.h"
#include "engine/search/request.h"

namespace shoal::search {
namespace {

const Schema& schema() {
  static const Schema s = *Schema::from_json(R"({"properties": {
      "color": {"type": "keyword"}, "n": {"type": "integer"}, "price": {"type": "float"},
      "at": {"type": "date"}, "flag": {"type": "boolean"},
      "v": {"type": "dense_vector", "dims": 3, "similarity": "l2_norm"}}})");
  return s;
}

TEST(Request, ParsesTheSupportedSubset) {
  auto r = parse_search_request(R"({
      "query": {"bool": {"must": [{"term": {"color": "red"}}, {"range": {"price": {"gte": 1, "lt": 5}}}],
                         "should": {"terms": {"n": [3, 1, 3]}}, "must_not": [{"exists": {"field": "flag"}}],
                         "filter": [{"range": {"at": {"gte": "2024-01-01"}}}, {"ids": {"values": ["b", "a"]}}]}},
      "knn": {"field": "v", "query_vector": [1, 2, 3], "k": 5, "num_candidates": 50, "filter": {"match_all": {}}},
      "sort": [{"price": {"order": "desc", "missing": "_first"}}, "_score"],
      "size": 3, "_source": false,
      "aggs": {"c": {"terms": {"field": "color"}, "aggs": {"a": {"avg": {"field": "price"}}}}}})",
                                schema());
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_TRUE(r->query.has_value());
  EXPECT_EQ(r->query->kind, ClauseKind::kBool);
  EXPECT_EQ(r->query->should[0].values.size(), 2u);  // deduplicated
  EXPECT_EQ(r->query->filter[1].ids, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(r->knn->k, 5u);
  EXPECT_EQ(r->sort.size(), 3u);  // _id appended
  EXPECT_EQ(r->sort.back().target, SortTarget::kId);
  EXPECT_FALSE(r->source);
  EXPECT_EQ(r->aggs[0].children[0].kind, AggKind::kAvg);
}

// Each bad request fails with a message that names the problem.
struct BadCase {
  const char* json;
  const char* expected;
};

TEST(Request, EveryMistakeIsAClearError) {
  const BadCase cases[] = {
      {R"({"query": {"term": {"colour": "red"}}})", "unknown field \"colour\""},
      {R"({"query": {"term": {"price": "cheap"}}})", "field \"price\" is float"},
      {R"({"query": {"range": {"n": {"gte": 1.5}}}})", "field \"n\" is integer"},
      {R"({"query": {"match": {"color": "red"}}})", "unknown query clause \"match\""},
      {R"({"query": {"term": {"color": "red"}})", "malformed JSON"},
      {R"({"knn": {"field": "v", "query_vector": [1, 2], "k": 3}})", "has dimension 3; the query vector has 2"},
      {R"({"knn": {"field": "color", "query_vector": [1, 2, 3]}})", "is not a dense_vector"},
      {R"({"knn": {"field": "v", "query_vector": [1, 2, 3], "k": 0}})", "knn.k"},
      {R"({"aggs": {"a": {"avg": {"field": "color"}}}})", "does not support field \"color\" of type keyword"},
      {R"({"aggs": {"a": {"date_histogram": {"field": "price", "fixed_interval": "1d"}}}})", "of type float"},
      {R"({"aggs": {"a": {"percentiles": {"field": "v"}}}})", "dense_vector"},
      {R"({"aggs": {"a": {"avg": {"field": "price"}, "aggs": {"b": {"max": {"field": "n"}}}}}})",
       "cannot have sub-aggregations"},
      {R"({"aggs": {"a": {"median": {"field": "price"}}}})", "unknown aggregation kind \"median\""},
      {R"({"aggs": {"a": {"terms": {"field": "color", "order": {"_count": "asc"}}}}})", "unbounded error"},
      {R"({"aggs": {"a": {"histogram": {"field": "price", "interval": 0}}}})", "must be positive"},
      {R"({"aggs": {"a": {"date_histogram": {"field": "at", "calendar_interval": "fortnight"}}}})", "fortnight"},
      {R"({"aggs": {"a": {"date_histogram": {"field": "at", "fixed_interval": "1d", "time_zone": "Europe/Oslo"}}}})",
       "named zones"},
      {R"({"sort": [{"nope": "asc"}]})", "unknown sort field"},
      {R"({"size": -1})", "size"},
      {R"({"from": 9000, "size": 2000})", "from + size"},
      {R"({"search_after": [1]})", "expected 2 values"},
      {R"({"cursor": "!!!"})", "cursor"},
      {R"({"pit": {"id": "AAAA"}})", "pit.id"},
      {R"({"colour": 1})", "unknown parameter \"colour\""},
      {R"([1, 2])", "expected an object"},
  };
  for (const BadCase& c : cases) {
    auto r = parse_search_request(c.json, schema());
    ASSERT_FALSE(r.ok()) << c.json;
    EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument) << c.json;
    EXPECT_NE(r.status().message().find(c.expected), std::string::npos)
        << c.json << " gave: " << r.status().message();
  }
}

TEST(Request, DeepOrHugeInputIsRejectedNotRecursedInto) {
  std::string deep;
  for (int i = 0; i < 30; ++i) deep += R"({"bool": {"must": )";
  deep += R"({"match_all": {}})";
  for (int i = 0; i < 30; ++i) deep += "}}";
  EXPECT_FALSE(parse_search_request("{\"query\": " + deep + "}", schema()).ok());
  EXPECT_FALSE(parse_search_request(std::string(kMaxJsonDepth + 10, '['), schema()).ok());
}

RC_GTEST_PROP(Request, ArbitraryTextNeverCrashesTheParser, (std::string text)) {
  (void)parse_search_request(text, schema());
}

TEST(Request, CursorsCarryTheSortAndRefuseAnother) {
  auto first = parse_search_request(R"({"sort": [{"n": "asc"}]})", schema());
  ASSERT_TRUE(first.ok());
  Cursor c{{Value::integer(4), Value::keyword("x")}, sort_fingerprint(first->sort), ""};
  const std::string token = encode_cursor(c);
  auto next = parse_search_request(R"({"sort": [{"n": "asc"}], "cursor": ")" + token + "\"}", schema());
  ASSERT_TRUE(next.ok()) << next.status();
  EXPECT_EQ(*next->search_after, c.after);
  auto other = parse_search_request(R"({"sort": [{"n": "desc"}], "cursor": ")" + token + "\"}", schema());
  EXPECT_FALSE(other.ok());

  PointInTime pit{{{1, 10}, {4, 12}}};
  auto round = decode_pit(encode_pit(pit));
  ASSERT_TRUE(round.ok());
  EXPECT_EQ(round->shard_revisions, pit.shard_revisions);
  EXPECT_EQ(*round->revision_of(4), 12u);
  EXPECT_FALSE(round->revision_of(2).has_value());
}

RC_GTEST_PROP(Cursor, DecodingForgedTokensNeverCrashes, (std::string bytes)) {
  (void)decode_cursor(bytes);
  (void)decode_pit(bytes);
}

}  // namespace
}  // namespace shoal::search
