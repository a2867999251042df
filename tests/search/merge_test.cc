// Coordinator merge over synthetic shard answers: merged pages equal the
// global order, cursors page through every hit exactly once, and shard
// results survive the codec.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <algorithm>
#include <set>

#include <boost/json.hpp>

#include "engine/core/random.h"
#include "engine/search/cursor.h"
#include "engine/search/merge.h"

namespace shoal::search {
namespace {

const Schema& schema() {
  static const Schema s = *Schema::from_json(R"({"properties": {
      "color": {"type": "keyword"}, "n": {"type": "integer"}}})");
  return s;
}

struct Row {
  std::string id;
  double score;
  Value color, n;
};

// What a shard holding `rows` returns for the request: its first from+size
// hits after the cursor in sort order (the rule engine/shard applies).
ShardResult shard_answer(const SearchRequest& req, const std::vector<Row>& rows) {
  ShardResult r;
  std::vector<Hit> hits;
  for (const Row& row : rows) {
    Hit h;
    h.id = row.id;
    h.score = row.score;
    for (const SortClause& c : req.sort) {
      if (c.target == SortTarget::kScore) h.sort.push_back(Value::floating(row.score));
      else if (c.target == SortTarget::kId) h.sort.push_back(Value::keyword(row.id));
      else h.sort.push_back(c.field == 0 ? row.color : row.n);
    }
    if (req.search_after && compare_keys(req.sort, h.sort, *req.search_after) <= 0) continue;
    hits.push_back(std::move(h));
  }
  std::sort(hits.begin(), hits.end(), HitOrder{&req.sort});
  if (hits.size() > req.from + req.size) hits.resize(req.from + req.size);
  r.total_hits = rows.size();
  r.hits = std::move(hits);
  // Through the codec, as over the network.
  auto back = decode_shard_result(req, schema(), encode_shard_result(req, r));
  RC_ASSERT(back.ok());
  return std::move(*back);
}

std::vector<Row> make_rows(uint64_t seed, size_t n) {
  Rng rng(seed);
  std::vector<Row> rows(n);
  const char* colors[] = {"a", "b", "c"};
  for (size_t i = 0; i < n; ++i) {
    rows[i].id = "r" + std::to_string(rng.below(1000000)) + "_" + std::to_string(i);
    rows[i].score = static_cast<double>(rng.below(4));  // many ties
    if (!rng.chance(0.2)) rows[i].color = Value::keyword(colors[rng.below(3)]);
    if (!rng.chance(0.2)) rows[i].n = Value::integer(rng.range(-3, 3));
  }
  return rows;
}

const char* kSorts[] = {
    R"({})",
    R"({"sort": ["_id"]})",
    R"({"sort": [{"color": "desc"}, {"n": {"order": "asc", "missing": "_first"}}]})",
    R"({"sort": [{"n": "desc"}, "_score"]})",
    R"({"sort": [{"_id": "desc"}]})",
};

RC_GTEST_PROP(Merge, PagingThroughShardsVisitsEveryHitOnceInGlobalOrder, ()) {
  const uint64_t seed = *rc::gen::arbitrary<uint64_t>();
  const size_t n = *rc::gen::inRange<size_t>(0, 150);
  const size_t shards = *rc::gen::inRange<size_t>(1, 6);
  const int size = *rc::gen::inRange(1, 17);
  const std::string sort = kSorts[*rc::gen::inRange(0, 5)];
  std::vector<Row> rows = make_rows(seed, n);
  std::vector<std::vector<Row>> parts(shards);
  Rng rng(seed + 1);
  for (const Row& r : rows) parts[rng.below(shards)].push_back(r);

  std::string body = sort.substr(0, sort.size() - 1) + (sort.size() > 2 ? ", " : "") + "\"size\": " +
                     std::to_string(size);
  auto base = parse_search_request(body + "}", schema());
  RC_ASSERT(base.ok());
  // The oracle: every row as one shard would order it.
  SearchRequest all_req = *base;
  all_req.size = static_cast<uint32_t>(n);
  std::vector<Hit> global = merge_shard_results(all_req, {{0, shard_answer(all_req, rows)}}, {}).hits;

  std::vector<std::string> seen;
  std::string cursor;
  for (size_t page = 0; page <= n / size + 1; ++page) {
    auto req = parse_search_request(body + (cursor.empty() ? "" : ", \"cursor\": \"" + cursor + "\"") + "}",
                                    schema());
    RC_ASSERT(req.ok());
    std::vector<std::pair<uint32_t, ShardResult>> answers;
    for (size_t s = 0; s < shards; ++s) answers.emplace_back(static_cast<uint32_t>(s), shard_answer(*req, parts[s]));
    SearchResponse resp = merge_shard_results(*req, std::move(answers), {});
    RC_ASSERT(resp.total_hits == n);
    for (const Hit& h : resp.hits) seen.push_back(h.id);
    if (!resp.next_cursor) break;
    cursor = *resp.next_cursor;
  }
  RC_ASSERT(seen.size() == n);
  for (size_t i = 0; i < n; ++i) RC_ASSERT(seen[i] == global[i].id);
}

TEST(Merge, FromSkipsAcrossShardsAndMissingShardsAreReported) {
  std::vector<Row> rows = make_rows(3, 40);
  auto req = parse_search_request(R"({"sort": ["_id"], "from": 5, "size": 10})", schema());
  ASSERT_TRUE(req.ok());
  std::vector<Row> a(rows.begin(), rows.begin() + 20), b(rows.begin() + 20, rows.end());
  SearchResponse resp = merge_shard_results(*req, {{7, shard_answer(*req, b)}, {2, shard_answer(*req, a)}}, {9, 4});
  std::vector<std::string> ids;
  for (const Row& r : rows) ids.push_back(r.id);
  std::sort(ids.begin(), ids.end());
  ASSERT_EQ(resp.hits.size(), 10u);
  for (size_t i = 0; i < 10; ++i) EXPECT_EQ(resp.hits[i].id, ids[i + 5]);
  EXPECT_EQ(resp.shards_total, 4u);
  EXPECT_EQ(resp.shards_missing, (std::vector<uint32_t>{4, 9}));
  auto body = render_response(*req, schema(), resp);
  ASSERT_TRUE(body.ok());
  EXPECT_TRUE(body->at("partial").as_bool());
  EXPECT_EQ(boost::json::serialize(body->at("_shards").at("missing")), "[4,9]");
}

TEST(Merge, CorruptShardResultsAreDataLossNotCrashes) {
  auto req = parse_search_request(R"({"size": 2, "aggs": {"c": {"terms": {"field": "color"}}}})", schema());
  ASSERT_TRUE(req.ok());
  ShardResult r;
  r.total_hits = 1;
  r.aggs.push_back(empty_partial(req->aggs[0]));
  std::string bytes = encode_shard_result(*req, r);
  ASSERT_TRUE(decode_shard_result(*req, schema(), bytes).ok());
  for (size_t cut = 0; cut < bytes.size(); ++cut) {
    EXPECT_FALSE(decode_shard_result(*req, schema(), bytes.substr(0, cut)).ok());
  }
  Rng rng(1);
  for (int i = 0; i < 200; ++i) {
    std::string bad = bytes;
    bad[rng.below(bad.size())] ^= static_cast<char>(1 + rng.below(255));
    (void)decode_shard_result(*req, schema(), bad);  // any answer but a crash
  }
}

}  // namespace
}  // namespace shoal::search
