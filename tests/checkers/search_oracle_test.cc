// The search oracle: a store of three unequal shards judged against one
// node holding every document — equal answers pass; a wrong order, a
// missing hit, a wrong score, an invented hit, a wrong total and a poor
// recall fail; partial answers are judged for what they promise.
#include <algorithm>

#include <gtest/gtest.h>

#include "scenarios/checkers/search_oracle.h"
#include "tests/checkers/search_oracle_fixtures.h"

namespace shoal::check {
namespace {

using testing::oracle_of;
using testing::request_of;
using testing::small_docs;
using testing::small_schema;
using testing::Store;

constexpr const char* kKnn = R"({"knn": {"field": "v", "query_vector": [0.1, -0.2, 0.3, 0.05], "k": 8,
                                         "num_candidates": 20}, "size": 8})";
constexpr const char* kFilteredSearch = R"({"query": {"bool": {"filter": [{"range": {"price": {"gte": 20}}}],
                                                    "should": [{"term": {"color": "red"}}]}},
                                            "sort": ["_score", {"price": "desc"}], "size": 10, "from": 3})";

TEST(SearchOracle, BuildsAnExactCollectionFromTheDocuments) {
  const search::Schema hnsw = small_schema("hnsw");
  auto c = build_oracle_collection(hnsw, small_docs(30));
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ((*c)->live_documents(), 30u);
  EXPECT_EQ((*c)->schema().vector()->index.kind, search::VectorIndexKind::kFlat);
  EXPECT_EQ(exact_schema(hnsw).fields(), hnsw.fields());
}

TEST(SearchOracle, RejectsADocumentTheSchemaRejects) {
  DocumentSet docs = small_docs(5);
  docs["bad"] = R"({"price": "cheap"})";
  auto c = build_oracle_collection(small_schema(), docs);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(c.status().message().find("\"bad\""), std::string::npos) << c.status();
  EXPECT_FALSE(build_oracle_collection(small_schema(), {{"x", "not json"}}).ok());
  EXPECT_FALSE(build_oracle_collection(small_schema(), {{"x", R"({"_id": "y"})"}}).ok());
  SearchJudgement j = check_search_against_oracle(small_schema(), docs, request_of(kKnn, small_schema()), {});
  EXPECT_FALSE(j.result.ok);
}

TEST(SearchOracle, AnExactKnnAnswerMergedFromShardsEqualsTheOracle) {
  const search::Schema schema = small_schema();
  const DocumentSet docs = small_docs(40);
  Store store(schema, docs, {7, 20, 13});
  auto oracle = oracle_of(schema, docs);
  const search::SearchRequest r = request_of(kKnn, schema);
  SearchJudgement j = oracle->check_search(r, store.search(r));
  EXPECT_TRUE(j.result.ok) << j.result.message;
  EXPECT_EQ(j.result.name, "knn-equals-oracle");
  EXPECT_FALSE(j.partial);
  EXPECT_FALSE(j.approximate);
  EXPECT_EQ(j.recall, 1.0);
}

TEST(SearchOracle, ExactTiesResolveByIdAsOnTheOracle) {
  const search::Schema schema = small_schema();
  const DocumentSet docs = small_docs(50, 11, /*grid=*/true);
  Store store(schema, docs, {30, 5, 15});
  auto oracle = oracle_of(schema, docs);
  const search::SearchRequest r =
      request_of(R"({"knn": {"field": "v", "query_vector": [0, 0, 0, 0], "k": 12}, "size": 12})", schema);
  EXPECT_TRUE(oracle->check_search(r, store.search(r)).result.ok);
}

TEST(SearchOracle, AWrongKnnOrderFails) {
  const search::Schema schema = small_schema();
  const DocumentSet docs = small_docs(40);
  Store store(schema, docs, {7, 20, 13});
  auto oracle = oracle_of(schema, docs);
  const search::SearchRequest r = request_of(kKnn, schema);
  search::SearchResponse bad = store.search(r);
  ASSERT_GE(bad.hits.size(), 3u);
  std::swap(bad.hits[1], bad.hits[2]);
  SearchJudgement j = oracle->check_search(r, bad);
  ASSERT_FALSE(j.result.ok);
  EXPECT_NE(j.result.message.find("out of order"), std::string::npos) << j.result.message;
  EXPECT_NE(j.result.message.find(bad.hits[2].id), std::string::npos);
}

TEST(SearchOracle, AMissingHitFails) {
  const search::Schema schema = small_schema();
  const DocumentSet docs = small_docs(40);
  Store store(schema, docs, {7, 20, 13});
  auto oracle = oracle_of(schema, docs);
  const search::SearchRequest r = request_of(kKnn, schema);
  search::SearchResponse bad = store.search(r);
  const std::string dropped = bad.hits[3].id;
  bad.hits.erase(bad.hits.begin() + 3);
  SearchJudgement j = oracle->check_search(r, bad);
  ASSERT_FALSE(j.result.ok);
  EXPECT_LT(j.recall, 1.0);
  bool named = false;
  for (const Violation& v : j.result.violations) named |= v.what.find(dropped) != std::string::npos;
  EXPECT_TRUE(named) << j.result.message;
}

TEST(SearchOracle, AWrongScoreFails) {
  const search::Schema schema = small_schema();
  const DocumentSet docs = small_docs(40);
  Store store(schema, docs, {7, 20, 13});
  auto oracle = oracle_of(schema, docs);
  const search::SearchRequest r = request_of(kKnn, schema);
  search::SearchResponse bad = store.search(r);
  bad.hits.back().score *= 0.9;
  SearchJudgement j = oracle->check_search(r, bad);
  ASSERT_FALSE(j.result.ok);
  EXPECT_NE(j.result.message.find("score"), std::string::npos) << j.result.message;
}

TEST(SearchOracle, AHitOutsideTheMatchingSetFails) {
  const search::Schema schema = small_schema();
  DocumentSet docs = small_docs(40);
  Store store(schema, docs, {7, 20, 13});
  const search::SearchRequest r = request_of(kKnn, schema);
  const search::SearchResponse answer = store.search(r);
  docs.erase(answer.hits[0].id);  // the store holds a document the oracle says is gone
  auto oracle = oracle_of(schema, docs);
  SearchJudgement j = oracle->check_search(r, answer);
  ASSERT_FALSE(j.result.ok);
  EXPECT_NE(j.result.message.find("not in the oracle's matching set"), std::string::npos) << j.result.message;
}

TEST(SearchOracle, AFilteredSortedPageEqualsTheOracle) {
  const search::Schema schema = small_schema();
  const DocumentSet docs = small_docs(60);
  Store store(schema, docs, {25, 10, 25});
  auto oracle = oracle_of(schema, docs);
  const search::SearchRequest r = request_of(kFilteredSearch, schema);
  search::SearchResponse good = store.search(r);
  SearchJudgement j = oracle->check_search(r, good);
  EXPECT_TRUE(j.result.ok) << j.result.message;
  EXPECT_EQ(j.result.name, "search-equals-oracle");

  search::SearchResponse wrong_total = good;
  wrong_total.total_hits += 1;
  SearchJudgement t = oracle->check_search(r, wrong_total);
  ASSERT_FALSE(t.result.ok);
  EXPECT_NE(t.result.message.find("total hits"), std::string::npos) << t.result.message;

  search::SearchResponse one_too_many = good;
  one_too_many.hits.push_back(good.hits.back());
  EXPECT_FALSE(oracle->check_search(r, one_too_many).result.ok);
}

TEST(SearchOracle, AnApproximateIndexIsJudgedByRecall) {
  const search::Schema schema = small_schema("hnsw");
  const DocumentSet docs = small_docs(40);
  Store store(schema, docs, {7, 20, 13});
  auto oracle = oracle_of(schema, docs);
  const search::SearchRequest r = request_of(kKnn, schema);
  SearchJudgement good = oracle->check_search(r, store.search(r));
  EXPECT_TRUE(good.result.ok) << good.result.message;
  EXPECT_TRUE(good.approximate);
  EXPECT_EQ(good.result.name, "knn-recall");
  EXPECT_EQ(good.recall, 1.0);

  // True, well-ordered hits, but the wrong neighbours: the 9th..16th nearest.
  auto ranking = oracle->ranking(r);
  ASSERT_TRUE(ranking.ok());
  search::SearchResponse far = store.search(r);
  far.hits.assign(ranking->begin() + 8, ranking->begin() + 16);
  SearchJudgement j = oracle->check_search(r, far);
  ASSERT_FALSE(j.result.ok);
  EXPECT_EQ(j.recall, 0.0);
  EXPECT_NE(j.result.message.find("recall"), std::string::npos) << j.result.message;

  // Seven of eight nearest pass a floor of 0.8 and fail one of 0.9.
  search::SearchResponse most = store.search(r);
  most.hits.pop_back();
  EXPECT_TRUE(oracle->check_search(r, most, {.recall_floor = 0.8}).result.ok);
  EXPECT_FALSE(oracle->check_search(r, most, {.recall_floor = 0.9}).result.ok);
}

TEST(SearchOracle, APartialAnswerIsJudgedForWhatItPromises) {
  const search::Schema schema = small_schema();
  const DocumentSet docs = small_docs(40);
  Store store(schema, docs, {7, 20, 13});
  auto oracle = oracle_of(schema, docs);
  for (const char* json : {kKnn, kFilteredSearch}) {
    const search::SearchRequest r = request_of(json, schema);
    search::SearchResponse partial = store.search(r, {1});
    SearchJudgement j = oracle->check_search(r, partial);
    EXPECT_TRUE(j.result.ok) << j.result.message;
    EXPECT_TRUE(j.partial);
    EXPECT_NE(j.result.message.find("partial"), std::string::npos);

    // An invented hit is still caught.
    search::SearchResponse invented = partial;
    invented.hits.front().id = "nope";
    EXPECT_FALSE(oracle->check_search(r, invented).result.ok);
  }
}

}  // namespace
}  // namespace shoal::check
