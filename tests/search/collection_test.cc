// A collection as a state machine: writes at revisions, points in time,
// garbage collection and compaction, IVF training, errors, snapshots.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "tests/search/search_fixtures.h"

namespace shoal::search {
namespace {

using testing::make_docs;
using testing::make_schema;
using testing::parse;
using testing::search_all;

std::vector<std::string> ids_of(const search::SearchResponse& r) {
  std::vector<std::string> ids;
  for (const search::Hit& h : r.hits) ids.push_back(h.id);
  return ids;
}

TEST(Collection, UpsertGetRemoveAtRevisions) {
  Collection c(make_schema(3, "l2_norm", R"({"type": "flat"})"));
  ASSERT_TRUE(c.upsert_json(R"([{"_id": "a", "color": "red", "n": 1, "v": [1, 2, 3]},
                                {"_id": "b", "color": "blue", "at": "2024-01-01T00:00:00Z"}])", 5).ok());
  EXPECT_EQ(c.revision(), 5u);
  EXPECT_EQ(c.live_documents(), 2u);
  auto a = c.get("a");
  ASSERT_TRUE(a.ok() && a->has_value());
  EXPECT_EQ((*a)->vector, (std::vector<float>{1, 2, 3}));
  EXPECT_EQ((*a)->fields[0], search::Value::keyword("red"));
  ASSERT_TRUE(c.upsert_json(R"({"_id": "a", "color": "green"})", 6).ok());
  EXPECT_EQ((*c.get("a"))->fields[0], search::Value::keyword("green"));
  EXPECT_TRUE((*c.get("a"))->vector.empty());
  auto removed = c.remove({"b", "nope"}, 7);
  ASSERT_TRUE(removed.ok());
  EXPECT_EQ(*removed, 1u);
  EXPECT_FALSE(c.get("b")->has_value());
  // Without a point in time only the latest revision is readable.
  EXPECT_EQ(c.get("a", 6).status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(c.get("a", 8).status().code(), absl::StatusCode::kOutOfRange);
  EXPECT_EQ(c.upsert_json(R"({"_id": "c"})", 6).code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(c.check_invariants().ok()) << c.check_invariants();
}

TEST(Collection, BadDocumentsAreRejectedWholeAndNamed) {
  Collection c(make_schema(3, "cosine", R"({"type": "flat"})"));
  struct Case {
    const char* json;
    const char* expected;
  } cases[] = {
      {R"({"_id": "x", "colour": "red"})", "unknown field \"colour\""},
      {R"({"_id": "x", "n": "five"})", "field \"n\" is integer"},
      {R"({"_id": "x", "v": [1, 2]})", "has dimension 3; got a vector of 2"},
      {R"({"_id": "x", "v": [0, 0, 0]})", "non-zero vector"},
      {R"({"_id": "x", "v": [1, "a", 2]})", "non-number"},
      {R"({"color": "red"})", "_id"},
      {R"([{"_id": "ok"}, {"_id": "x", "flag": 1}])", "field \"flag\" is boolean"},
      {R"({"_id": "x", )", "malformed JSON"},
  };
  for (const Case& k : cases) {
    absl::Status s = c.upsert_json(k.json, 1);
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << k.json;
    EXPECT_NE(s.message().find(k.expected), std::string::npos) << k.json << " gave " << s.message();
  }
  EXPECT_EQ(c.live_documents(), 0u);  // the valid first document of the batch was not applied either
}

TEST(Collection, PointInTimeReadsSurviveWritesUntilClosed) {
  Collection c(make_schema(4, "l2_norm", R"({"type": "hnsw", "m": 8})"));
  ASSERT_TRUE(c.upsert(make_docs(1, 300, 4, false), 1).ok());
  auto pit = c.open_point_in_time();
  ASSERT_TRUE(pit.ok());
  const search::SearchRequest all = parse(R"({"size": 1000, "sort": ["_id"]})", c.schema());
  const std::vector<std::string> before = ids_of(search_all({&c}, all));
  // A write at the pinned revision would change what it means.
  EXPECT_EQ(c.upsert(make_docs(2, 1, 4, false), *pit).code(), absl::StatusCode::kFailedPrecondition);
  ASSERT_TRUE(c.upsert(make_docs(3, 300, 4, false, 150), 2).ok());  // replaces doc150..doc299, adds 150 more
  std::vector<std::string> gone;
  for (int i = 0; i < 100; ++i) gone.push_back("doc" + std::to_string(i));
  ASSERT_TRUE(c.remove(gone, 3).ok());
  EXPECT_EQ(c.live_documents(), 350u);
  EXPECT_EQ(ids_of(search_all({&c}, all, {*pit})), before);
  EXPECT_EQ(c.get("doc5", *pit)->value().id, "doc5");
  EXPECT_FALSE(c.get("doc5")->has_value());
  EXPECT_TRUE(c.check_invariants().ok()) << c.check_invariants();
  const CollectionStats pinned = c.stats();
  EXPECT_EQ(pinned.dead_slots, 0u);
  ASSERT_TRUE(c.close_point_in_time(*pit).ok());
  EXPECT_EQ(c.close_point_in_time(*pit).code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(c.search(all, *pit).status().code(), absl::StatusCode::kFailedPrecondition);
  // 250 versions became garbage at once: enough to compact.
  EXPECT_EQ(c.stats().compactions, 1u);
  EXPECT_EQ(c.stats().slots, 350u);
  EXPECT_TRUE(c.check_invariants().ok()) << c.check_invariants();
  EXPECT_EQ(search_all({&c}, all).hits.size(), 350u);
}

TEST(Collection, CompactionDoesNotChangeExactAnswers) {
  Collection c(make_schema(4, "l2_norm", R"({"type": "flat"})"));
  ASSERT_TRUE(c.upsert(make_docs(4, 400, 4, true), 1).ok());
  const search::SearchRequest knn =
      parse(R"({"knn": {"field": "v", "query_vector": [1, 0, -1, 2], "k": 25}, "size": 25})", c.schema());
  std::vector<std::string> gone;
  for (int i = 0; i < 400; i += 5) gone.push_back("doc" + std::to_string(i));
  ASSERT_TRUE(c.remove(gone, 2).ok());
  EXPECT_EQ(c.stats().compactions, 0u);  // 80 dead of 400 slots: below a quarter
  const std::vector<std::string> before = ids_of(search_all({&c}, knn));
  std::vector<std::string> more;
  for (int i = 1; i < 400; i += 5) more.push_back("doc" + std::to_string(i));
  ASSERT_TRUE(c.remove(more, 3).ok());
  EXPECT_EQ(c.stats().compactions, 1u);
  // The same query over the remaining documents, before and after compaction.
  std::vector<std::string> expected;
  for (const std::string& id : before) {
    if (std::find(more.begin(), more.end(), id) == more.end()) expected.push_back(id);
  }
  std::vector<std::string> after = ids_of(search_all({&c}, knn));
  after.resize(expected.size());
  EXPECT_EQ(after, expected);
  EXPECT_TRUE(c.check_invariants().ok()) << c.check_invariants();
}

TEST(Collection, UnfilteredKnnShortcutAnswersLikeTheFullScan) {
  for (const char* kind : {R"({"type": "flat"})", R"({"type": "hnsw", "m": 8})"}) {
    Collection c(make_schema(4, "l2_norm", kind));
    std::vector<Document> docs = make_docs(11, 500, 4, true);
    for (Document& d : docs) {
      if (d.vector.empty()) d.vector = {1, 1, 1, 1};  // every slot a live vector
    }
    ASSERT_TRUE(c.upsert(docs, 1).ok());
    const std::string knn = R"("knn": {"field": "v", "query_vector": [0, 1, 0, -1], "k": 30}, "size": 30)";
    SearchStats fast, scan;
    auto a = c.search(parse("{" + knn + "}", c.schema()), std::nullopt, &fast);
    // An aggregation needs the scan, which then also feeds the knn planner.
    auto b = c.search(parse("{" + knn + R"(, "aggs": {"n": {"value_count": {"field": "n"}}}})", c.schema()),
                      std::nullopt, &scan);
    ASSERT_TRUE(a.ok() && b.ok());
    EXPECT_EQ(fast.knn_strategy, scan.knn_strategy) << kind;
    ASSERT_EQ(a->hits.size(), b->hits.size());
    for (size_t i = 0; i < a->hits.size(); ++i) {
      EXPECT_EQ(a->hits[i].id, b->hits[i].id) << kind;
      EXPECT_EQ(a->hits[i].score, b->hits[i].score) << kind;
    }
  }
}

TEST(Collection, IvfTrainsOnceEnoughVectorsExist) {
  Collection c(make_schema(4, "l2_norm", R"({"type": "ivf", "nlist": 8, "nprobe": 2, "train_min": 200})"));
  EXPECT_EQ(c.retrain_vector_index().code(), absl::StatusCode::kFailedPrecondition);
  ASSERT_TRUE(c.upsert(make_docs(5, 150, 4, false), 1).ok());
  EXPECT_FALSE(c.stats().vector_index_trained);
  ASSERT_TRUE(c.upsert(make_docs(6, 150, 4, false, 150), 2).ok());
  EXPECT_TRUE(c.stats().vector_index_trained);
  EXPECT_TRUE(c.retrain_vector_index().ok());
  EXPECT_TRUE(c.check_invariants().ok()) << c.check_invariants();
}

// Everything a snapshot must reproduce: hits (with scores) and aggregations,
// at the latest revision and at a pinned one.
std::string answer(Collection& c, const std::string& request, std::optional<uint64_t> revision) {
  const search::SearchRequest r = parse(request, c.schema());
  auto resp = search_all({&c}, r, {revision});
  auto body = search::render_response(r, c.schema(), resp);
  EXPECT_TRUE(body.ok());
  return boost::json::serialize(*body);
}

TEST(Collection, SnapshotRestoreGivesIdenticalHitsAndAggregations) {
  const char* kinds[] = {R"({"type": "flat"})", R"({"type": "ivf", "nlist": 8, "nprobe": 3, "train_min": 100})",
                         R"({"type": "hnsw", "m": 8, "ef_construction": 40})"};
  const std::string requests[] = {
      R"({"knn": {"field": "v", "query_vector": [0.5, -1, 2, 0], "k": 15, "num_candidates": 40}, "size": 15,
          "aggs": {"c": {"terms": {"field": "color"}, "aggs": {"p": {"percentiles": {"field": "price"}}}},
                   "h": {"date_histogram": {"field": "at", "fixed_interval": "1d"}}}})",
      R"({"knn": {"field": "v", "query_vector": [2, 2, 2, 2], "k": 5, "filter": {"term": {"flag": true}}}})",
      R"({"query": {"range": {"n": {"gte": 5}}}, "sort": [{"price": "desc"}], "size": 20,
          "aggs": {"s": {"extended_stats": {"field": "price"}}, "u": {"cardinality": {"field": "n"}}}})",
  };
  for (const char* kind : kinds) {
    Collection c(make_schema(4, "cosine", kind));
    ASSERT_TRUE(c.upsert(make_docs(7, 500, 4, false), 1).ok());
    const uint64_t pit = *c.open_point_in_time();
    ASSERT_TRUE(c.upsert(make_docs(8, 200, 4, false, 400), 2).ok());
    ASSERT_TRUE(c.remove({"doc1", "doc2", "doc3"}, 3).ok());
    const std::string bytes = c.snapshot();
    auto back = Collection::restore(bytes);
    ASSERT_TRUE(back.ok()) << back.status();
    EXPECT_EQ((*back)->snapshot(), bytes) << kind;
    for (const std::string& req : requests) {
      EXPECT_EQ(answer(c, req, std::nullopt), answer(**back, req, std::nullopt)) << kind << req;
      EXPECT_EQ(answer(c, req, pit), answer(**back, req, pit)) << kind << req;
    }
    // And they stay identical as the same writes continue on both.
    for (Collection* x : {&c, back->get()}) {
      ASSERT_TRUE(x->upsert(make_docs(9, 100, 4, false, 1000), 4).ok());
      ASSERT_TRUE(x->close_point_in_time(pit).ok());
    }
    EXPECT_EQ(c.snapshot(), (*back)->snapshot()) << kind;
    EXPECT_EQ(answer(c, requests[0], std::nullopt), answer(**back, requests[0], std::nullopt)) << kind;
  }
}

TEST(Collection, CorruptSnapshotsAreDataLossNeverACrash) {
  Collection c(make_schema(4, "l2_norm", R"({"type": "hnsw", "m": 8})"));
  ASSERT_TRUE(c.upsert(make_docs(10, 60, 4, false), 1).ok());
  const std::string bytes = c.snapshot();
  for (size_t cut = 0; cut < bytes.size(); cut += 1 + cut / 16) {
    EXPECT_FALSE(Collection::restore(bytes.substr(0, cut)).ok()) << cut;
  }
  Rng rng(3);
  for (int i = 0; i < 100; ++i) {
    std::string bad = bytes;
    // Flip bytes in the document area, which the decoder must validate itself.
    bad[rng.below(std::min<size_t>(bad.size(), 2000))] ^= static_cast<char>(1 + rng.below(255));
    (void)Collection::restore(bad);
  }
}

}  // namespace
}  // namespace shoal::search
