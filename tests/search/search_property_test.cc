// The cross-shard promises, end to end through collections, the codec and
// the coordinator merge:
// * merged top-k of exact (flat) indexes equals the global top-k, ties by id,
//   with and without filters, whatever the sharding;
// * paging with cursors visits every document exactly once, and with a point
//   in time it does so even while writes continue between pages.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <algorithm>
#include <functional>
#include <map>
#include <memory>
#include <set>

#include "engine/search/cursor.h"
#include "tests/search/search_fixtures.h"

namespace shoal::search {
namespace {

using testing::make_docs;
using testing::make_schema;
using testing::parse;
using testing::search_all;
using testing::vector_json;

struct Cluster {
  std::vector<std::unique_ptr<Collection>> shards;
  Collection single;
  explicit Cluster(const search::Schema& s, size_t n) : single(s) {
    for (size_t i = 0; i < n; ++i) shards.push_back(std::make_unique<Collection>(s));
  }
  std::vector<Collection*> all() const {
    std::vector<Collection*> out;
    for (auto& s : shards) out.push_back(s.get());
    return out;
  }
  // Writes to the owning shard (by id hash) and to the single node.
  void upsert(std::vector<Document> docs, uint64_t revision) {
    std::vector<std::vector<Document>> parts(shards.size());
    for (const Document& d : docs) parts[stable_hash(d.id.data(), d.id.size()) % shards.size()].push_back(d);
    for (size_t i = 0; i < shards.size(); ++i) RC_ASSERT(shards[i]->upsert(std::move(parts[i]), revision).ok());
    RC_ASSERT(single.upsert(std::move(docs), revision).ok());
  }
  void remove(const std::vector<std::string>& ids, uint64_t revision) {
    for (auto& s : shards) RC_ASSERT(s->remove(ids, revision).ok());
    RC_ASSERT(single.remove(ids, revision).ok());
  }
};

// The brute-force oracle: every matching document with a vector, scored by
// the exact distance, best k by (score desc, id asc).
std::vector<std::string> oracle_knn(const std::vector<Document>& live, const search::SearchRequest& req,
                                    search::VectorMetric metric) {
  std::vector<std::pair<double, std::string>> scored;
  for (const Document& d : live) {
    double q = 0;
    if (d.vector.empty() || !search::in_matching_set(req, search::DocView{d.id, d.fields.data()}, &q)) continue;
    float dist = 0;
    for (size_t j = 0; j < d.vector.size(); ++j) {
      const float diff = d.vector[j] - req.knn->query_vector[j];
      dist += metric == search::VectorMetric::kL2 ? diff * diff : d.vector[j] * req.knn->query_vector[j];
    }
    scored.emplace_back(-search::knn_score(metric, dist), d.id);
  }
  std::sort(scored.begin(), scored.end());
  std::vector<std::string> ids;
  for (size_t i = 0; i < std::min<size_t>(req.knn->k, scored.size()); ++i) ids.push_back(scored[i].second);
  return ids;
}

const char* kFilters[] = {
    "",
    R"(, "filter": {"term": {"color": "red"}})",
    R"(, "filter": {"bool": {"should": [{"term": {"flag": true}}, {"range": {"n": {"lt": 3}}}]}})",
    R"(, "filter": {"bool": {"must_not": {"term": {"color": "blue"}}}})",
};

RC_GTEST_PROP(Search, MergedExactTopKEqualsTheGlobalTopK, ()) {
  const uint64_t seed = *rc::gen::arbitrary<uint64_t>();
  const size_t n = *rc::gen::inRange<size_t>(0, 300);
  const size_t shards = *rc::gen::inRange<size_t>(1, 6);
  const uint32_t k = *rc::gen::inRange<uint32_t>(1, 40);
  const bool ip = *rc::gen::arbitrary<bool>();
  const search::Schema schema = make_schema(3, ip ? "dot_product" : "l2_norm", R"({"type": "flat"})");
  Cluster cl(schema, shards);
  std::vector<Document> docs = make_docs(seed, n, 3, /*grid=*/true);
  cl.upsert(docs, 1);
  Rng rng(seed);
  const std::vector<float> q = {static_cast<float>(rng.range(-3, 3)), static_cast<float>(rng.range(-3, 3)),
                                static_cast<float>(rng.range(-3, 3))};
  const std::string filter = kFilters[rng.below(4)];
  const search::SearchRequest req = parse(R"({"knn": {"field": "v", "query_vector": )" + vector_json(q) +
                                             R"(, "k": )" + std::to_string(k) + filter + "}, \"size\": " +
                                             std::to_string(k) + R"(, "sort": [{"_score": "desc"}]})",
                                         schema);
  const search::SearchResponse merged = search_all(cl.all(), req);
  const search::SearchResponse single = search_all({&cl.single}, req);
  const std::vector<std::string> expected = oracle_knn(docs, req, schema.vector()->metric);
  RC_ASSERT(merged.hits.size() == expected.size());
  RC_ASSERT(single.hits.size() == expected.size());
  for (size_t i = 0; i < expected.size(); ++i) {
    RC_ASSERT(merged.hits[i].id == expected[i]);
    RC_ASSERT(single.hits[i].id == expected[i]);
    RC_ASSERT(merged.hits[i].score == single.hits[i].score);
  }
}

// Pages through `req` with cursors; returns the ids in page order.
std::vector<std::string> page_through(const std::vector<Collection*>& shards, const std::string& body,
                                      const search::Schema& schema, const std::vector<std::optional<uint64_t>>& at,
                                      const std::function<void(int)>& between_pages) {
  std::vector<std::string> seen;
  std::string cursor;
  for (int page = 0; page < 1000; ++page) {
    const std::string json = body.substr(0, body.size() - 1) +
                             (cursor.empty() ? "" : ", \"cursor\": \"" + cursor + "\"") + "}";
    const search::SearchRequest req = parse(json, schema);
    const search::SearchResponse resp = search_all(shards, req, at);
    for (const search::Hit& h : resp.hits) seen.push_back(h.id);
    if (!resp.next_cursor) break;
    cursor = *resp.next_cursor;
    between_pages(page);
  }
  return seen;
}

const char* kPagedSorts[] = {
    R"({"size": %d, "sort": ["_id"]})",
    R"({"size": %d, "sort": [{"color": {"order": "desc", "missing": "_first"}}, {"price": "asc"}]})",
    R"({"size": %d, "query": {"bool": {"should": [{"term": {"flag": true}}, {"term": {"color": "red"}}]}}})",
    R"({"size": %d, "sort": [{"n": "desc"}, {"at": "asc"}], "query": {"exists": {"field": "n"}}})",
    R"({"size": %d, "knn": {"field": "v", "query_vector": [1, 0, 1], "k": 60}, "sort": [{"price": "desc"}]})",
};

std::string with_size(const char* pattern, int size) {
  char buf[512];
  std::snprintf(buf, sizeof buf, pattern, size);
  return buf;
}

RC_GTEST_PROP(Search, PagingVisitsEveryDocumentExactlyOnce, ()) {
  const uint64_t seed = *rc::gen::arbitrary<uint64_t>();
  const size_t n = *rc::gen::inRange<size_t>(0, 200);
  const size_t shards = *rc::gen::inRange<size_t>(1, 5);
  const std::string body = with_size(kPagedSorts[*rc::gen::inRange(0, 5)], *rc::gen::inRange(1, 30));
  const search::Schema schema = make_schema(3, "l2_norm", R"({"type": "flat"})");
  Cluster cl(schema, shards);
  cl.upsert(make_docs(seed, n, 3, true), 1);
  const search::SearchRequest whole = parse(body, schema);
  search::SearchRequest all = whole;
  all.size = search::kMaxResultWindow;
  if (all.knn) all.size = all.knn->k;
  const search::SearchResponse everything = search_all({&cl.single}, all);
  const std::vector<std::string> seen = page_through(cl.all(), body, schema, {}, [](int) {});
  RC_ASSERT(seen.size() == everything.hits.size());
  for (size_t i = 0; i < seen.size(); ++i) RC_ASSERT(seen[i] == everything.hits[i].id);
}

RC_GTEST_PROP(Search, PointInTimePagingIgnoresConcurrentWrites, ()) {
  const uint64_t seed = *rc::gen::arbitrary<uint64_t>();
  const size_t n = *rc::gen::inRange<size_t>(1, 200);
  const size_t shards = *rc::gen::inRange<size_t>(1, 5);
  const std::string body = with_size(kPagedSorts[*rc::gen::inRange(0, 4)], *rc::gen::inRange(1, 20));
  const search::Schema schema = make_schema(3, "l2_norm", R"({"type": "hnsw", "m": 8})");
  Cluster cl(schema, shards);
  cl.upsert(make_docs(seed, n, 3, true), 1);
  // Open the point in time on every shard and on the oracle.
  std::vector<std::optional<uint64_t>> pit;
  search::PointInTime token;
  for (size_t i = 0; i < shards; ++i) {
    pit.push_back(*cl.shards[i]->open_point_in_time());
    token.shard_revisions.emplace_back(static_cast<uint32_t>(i), *pit.back());
  }
  const uint64_t single_pit = *cl.single.open_point_in_time();
  const std::string with_pit = body.substr(0, body.size() - 1) + ", \"pit\": {\"id\": \"" + search::encode_pit(token) +
                               "\"}}";
  search::SearchRequest all = parse(body, schema);
  all.size = search::kMaxResultWindow;
  const std::vector<std::string> expected = [&] {
    std::vector<std::string> ids;
    for (const search::Hit& h : search_all({&cl.single}, all, {single_pit}).hits) ids.push_back(h.id);
    return ids;
  }();
  // Between pages, overwrite and delete documents (some already seen, some not).
  uint64_t revision = 1;
  Rng rng(seed ^ 77);
  const std::vector<std::string> seen = page_through(cl.all(), with_pit, schema, pit, [&](int page) {
    ++revision;
    cl.upsert(make_docs(seed + revision, 10, 3, true, rng.below(n + 10)), revision);
    ++revision;
    cl.remove({"doc" + std::to_string(rng.below(n)), "doc" + std::to_string(rng.below(n))}, revision);
  });
  RC_ASSERT(seen == expected);
  for (auto& s : cl.shards) RC_ASSERT(s->check_invariants().ok());
}

TEST(Search, FilteredKnnPicksAStrategyBySelectivity) {
  const search::Schema schema = make_schema(8, "l2_norm", R"({"type": "hnsw", "m": 16, "ef_search": 64})");
  Collection c(schema);
  std::vector<Document> docs = make_docs(21, 6000, 8, false);
  // A rare tag on 1% of the documents, a common one on the rest.
  for (size_t i = 0; i < docs.size(); ++i) {
    docs[i].fields[1] = search::Value::integer(i % 100 == 0 ? 1 : 2);
    if (docs[i].vector.empty()) docs[i].vector.assign(8, 1.0f);  // every slot a candidate without a filter
  }
  ASSERT_TRUE(c.upsert(docs, 1).ok());
  const std::string q = vector_json(docs[17].vector);
  struct Case {
    std::string filter;
    KnnStrategy expected;
  } cases[] = {
      {"", KnnStrategy::kIndex},
      {R"(, "filter": {"term": {"n": 1}})", KnnStrategy::kExactScan},     // 60 candidates
      {R"(, "filter": {"term": {"n": 2}})", KnnStrategy::kOverfetch},     // 99% of slots
      {R"(, "filter": {"range": {"price": {"lt": 60}}})", KnnStrategy::kIndexSelector},  // about 48%
  };
  for (const Case& k : cases) {
    const search::SearchRequest req =
        parse(R"({"knn": {"field": "v", "query_vector": )" + q + R"(, "k": 10, "num_candidates": 50)" + k.filter +
                  "}}",
              schema);
    SearchStats stats;
    auto r = c.search(req, std::nullopt, &stats);
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(stats.knn_strategy, k.expected) << k.filter << " chose " << knn_strategy_name(stats.knn_strategy);
    EXPECT_EQ(r->hits.size(), 10u) << k.filter;
    // Every hit matches the filter, whatever the strategy.
    for (const search::Hit& h : r->hits) {
      const Document d = c.get(h.id)->value();
      double unused;
      EXPECT_TRUE(search::in_matching_set(req, search::DocView{d.id, d.fields.data()}, &unused));
    }
  }
}

}  // namespace
}  // namespace shoal::search
