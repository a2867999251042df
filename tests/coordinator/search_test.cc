// Searches through the coordinator: equal to one node holding everything,
// missing shards named by the deadline, failover, points in time, probes.
#include <gtest/gtest.h>

#include <map>
#include <set>

#include <boost/json.hpp>

#include "tests/coordinator/coord_harness.h"

namespace shoal::coord::testing {
namespace {

namespace json = boost::json;
using cluster::ShardingStrategy;

// Requests over every part of the read path: filters, sorts, paging, knn over
// the flat index, and the 14 aggregation kinds.
std::vector<std::string> requests() {
  return {
      R"({"size": 50})",
      R"({"query": {"term": {"color": "red"}}, "size": 20})",
      R"({"query": {"bool": {"filter": [{"range": {"n": {"gte": 3, "lt": 15}}}],
                             "must_not": [{"term": {"flag": false}}]}}, "sort": [{"price": "desc"}], "size": 7,
          "from": 5})",
      R"({"sort": [{"n": {"order": "asc", "missing": "_last"}}, {"at": "desc"}], "size": 30, "from": 11})",
      R"({"sort": ["_id"], "size": 25, "search_after": ["doc150"]})",
      R"({"knn": {"field": "v", "query_vector": [1, 0, -1, 2], "k": 12, "num_candidates": 50}})",
      R"({"knn": {"field": "v", "query_vector": [0, 0, 0, 0], "k": 9, "num_candidates": 40,
                  "filter": {"term": {"color": "blue"}}}, "size": 5, "from": 2})",
      R"({"size": 0, "aggs": {
          "terms": {"terms": {"field": "color"}},
          "stats": {"stats": {"field": "price"}},
          "ext": {"extended_stats": {"field": "n"}},
          "hist": {"histogram": {"field": "n", "interval": 5}, "aggs": {"avg": {"avg": {"field": "price"}}}},
          "dh": {"date_histogram": {"field": "at", "calendar_interval": "week"}},
          "range": {"range": {"field": "price", "ranges": [{"to": 30}, {"from": 30, "to": 90}, {"from": 90}]}},
          "filters": {"filters": {"filters": {"red": {"term": {"color": "red"}}, "t": {"term": {"flag": true}}}}},
          "avg": {"avg": {"field": "price"}}, "min": {"min": {"field": "n"}}, "max": {"max": {"field": "at"}},
          "sum": {"sum": {"field": "price"}}, "count": {"value_count": {"field": "color"}},
          "pct": {"percentiles": {"field": "n", "percents": [10, 50, 90]}},
          "card": {"cardinality": {"field": "n"}}}})",
  };
}

// Equal JSON, except percentiles: a t-digest merged from shards is an
// approximation (its bound, not equality, is the promise), so those values
// need only be close.
void expect_same_answer(const std::string& sharded, const std::string& single, const std::string& request) {
  json::value a = json::parse(sharded);
  json::value b = json::parse(single);
  if (a.as_object().contains("aggregations") && a.at("aggregations").as_object().contains("pct")) {
    const json::object pa = a.at("aggregations").at("pct").at("values").as_object();
    const json::object pb = b.at("aggregations").at("pct").at("values").as_object();
    ASSERT_EQ(pa.size(), pb.size());
    for (const auto& kv : pa) EXPECT_NEAR(kv.value().to_number<double>(), pb.at(kv.key()).to_number<double>(), 1.0);
    a.at("aggregations").as_object().erase("pct");
    b.at("aggregations").as_object().erase("pct");
  }
  EXPECT_EQ(json::serialize(a), json::serialize(b)) << request;
}

class SearchEqualsOneNode : public ::testing::TestWithParam<ShardingStrategy> {};

TEST_P(SearchEqualsOneNode, EveryRequest) {
  World w(21);
  cluster::RoutingData routing;
  if (GetParam() == ShardingStrategy::kRange) {
    routing.split_points = {search::Value::integer(6), search::Value::integer(13)};
  }
  if (GetParam() == ShardingStrategy::kVector) routing.centroids = {{-2, -2, -2, -2}, {0, 0, 0, 0}, {2, 2, 2, 2}};
  w.create(settings(GetParam(), 3, 2), routing);
  const std::string docs = make_docs_json(4, 240);
  ASSERT_TRUE(w.upsert(docs).error.ok());
  for (const std::string& r : requests()) {
    for (ReadLevel level : {ReadLevel::kLinearizable, ReadLevel::kAny}) {
      SearchOptions o;
      o.level = level;
      SearchOutcome out = w.search(r, o);
      ASSERT_TRUE(out.error.ok()) << out.error.describe() << " for " << r;
      EXPECT_TRUE(out.failed.empty());
      expect_same_answer(without_shards(out.body_json), single_node_body(docs, r), r);
      json::value body = json::parse(out.body_json);
      EXPECT_EQ(body.at("_shards").at("total").as_int64(), 3);
      EXPECT_EQ(body.at("_shards").at("successful").as_int64(), 3);
      EXPECT_TRUE(body.at("_shards").at("failed").as_array().empty());
      EXPECT_EQ(out.revisions.size(), 3u);
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Strategies, SearchEqualsOneNode,
                         ::testing::Values(ShardingStrategy::kHash, ShardingStrategy::kRange,
                                           ShardingStrategy::kVector));

std::vector<std::string> hit_ids(const std::string& body) {
  std::vector<std::string> ids;
  const json::value parsed = json::parse(body);
  for (const json::value& h : parsed.at("hits").at("hits").as_array()) {
    ids.push_back(std::string(h.at("_id").as_string()));
  }
  return ids;
}

TEST(CoordinatorSearch, TiesGoByScoreThenId) {
  World w(22);
  w.create(settings(ShardingStrategy::kHash, 4, 1));
  // Every document has the same vector: equal scores, ordered by id.
  std::string docs = "[";
  for (int i = 0; i < 30; ++i) docs += (i ? "," : "") + std::string(R"({"_id": "t)") + std::to_string(100 + i) +
                                       R"(", "v": [1, 1, 1, 1]})";
  docs += "]";
  ASSERT_TRUE(w.upsert(docs).error.ok());
  SearchOutcome out = w.search(R"({"knn": {"field": "v", "query_vector": [1, 1, 1, 1], "k": 10,
                                   "num_candidates": 30}})");
  ASSERT_TRUE(out.error.ok());
  std::vector<std::string> expected;
  for (int i = 0; i < 10; ++i) expected.push_back("t" + std::to_string(100 + i));
  EXPECT_EQ(hit_ids(out.body_json), expected);
}

TEST(CoordinatorSearch, ASlowShardIsNamedMissingAndTheAnswerComesByTheDeadline) {
  World w(23);
  w.create(settings(ShardingStrategy::kHash, 4, 1));
  ASSERT_TRUE(w.upsert(make_docs_json(1, 100)).error.ok());
  const NodeId slow = w.info().shards[2].replicas[0];
  w.knobs[slow].delay = seconds(3);
  SearchOptions o;
  o.timeout = milliseconds(400);
  const TimePoint start = w.sim.now();
  SearchOutcome out = w.search(R"({"size": 100})", o);
  EXPECT_LE(w.completed_at - start, milliseconds(400));
  ASSERT_TRUE(out.error.ok()) << out.error.describe();
  ASSERT_EQ(out.failed.size(), 1u);
  EXPECT_EQ(out.failed[0].shard, 2u);
  EXPECT_EQ(out.failed[0].error.code, ErrorCode::kDeadline);
  json::value body = json::parse(out.body_json);
  EXPECT_TRUE(body.at("partial").as_bool());
  EXPECT_EQ(body.at("_shards").at("successful").as_int64(), 3);
  EXPECT_EQ(body.at("_shards").at("failed").at(0).at("shard").as_int64(), 2);
  EXPECT_EQ(body.at("_shards").at("failed").at(0).at("code").as_string(), "deadline");
  // The hits are exactly the other shards' documents.
  EXPECT_EQ(hit_ids(out.body_json).size(), 100 - w.groups[w.info().shards[2].group].sm->live_documents());
  // allow_partial = false: a clean kUnavailable naming the shard, no body.
  o.allow_partial = false;
  SearchOutcome strict = w.search(R"({"size": 100})", o);
  EXPECT_EQ(strict.error.code, ErrorCode::kUnavailable);
  EXPECT_NE(strict.error.message.find("2 ("), std::string::npos) << strict.error.message;
  EXPECT_TRUE(strict.body_json.empty());
  EXPECT_EQ(strict.failed.size(), 1u);
}

TEST(CoordinatorSearch, AnyReadsFailOverFromADownReplica) {
  World w(24);
  w.create(settings(ShardingStrategy::kHash, 2, 2));
  ASSERT_TRUE(w.upsert(make_docs_json(1, 60)).error.ok());
  const NodeId down = w.info().shards[0].replicas[0];
  w.sim.crash(down);
  SearchOptions o;
  o.level = ReadLevel::kAny;
  o.timeout = seconds(3);
  for (int i = 0; i < 8; ++i) {
    SearchOutcome out = w.search(R"({"size": 60})", o);
    ASSERT_TRUE(out.error.ok());
    EXPECT_TRUE(out.failed.empty()) << out.failed.size();
    EXPECT_EQ(hit_ids(out.body_json).size(), 60u);
  }
  // Random picks reached the down replica at least once, and moved on.
  std::set<NodeId> asked;
  for (const Logged& l : w.logged("search")) asked.insert(l.node);
  EXPECT_FALSE(asked.contains(down));
  EXPECT_GE(w.sim.process_as<CoordNode>(kCoordNode)->rpc().stats().deadlines, 1u);
}

TEST(CoordinatorSearch, ABehindReplicaIsPassedOver) {
  World w(25);
  w.create(settings(ShardingStrategy::kHash, 1, 2));
  ASSERT_TRUE(w.upsert(make_docs_json(1, 10)).error.ok());
  w.knobs[w.info().shards[0].replicas[1]].behind = true;
  SearchOptions o;
  o.level = ReadLevel::kSession;
  for (int i = 0; i < 6; ++i) {
    SearchOutcome out = w.search(R"({"size": 10})", o);
    ASSERT_TRUE(out.error.ok());
    EXPECT_TRUE(out.failed.empty());
  }
  // Both replicas behind: the shard is missing with a typed reason.
  w.knobs[w.info().shards[0].replicas[0]].behind = true;
  o.timeout = milliseconds(300);
  SearchOutcome out = w.search(R"({"size": 10})", o);
  ASSERT_EQ(out.failed.size(), 1u);
  EXPECT_NE(out.failed[0].error.code, ErrorCode::kNone);
}

TEST(CoordinatorSearch, LeaderReadsGoToTheLeader) {
  World w(26);
  w.create(settings(ShardingStrategy::kHash, 1, 3));
  ASSERT_TRUE(w.upsert(make_docs_json(1, 10)).error.ok());
  w.log.clear();
  for (int i = 0; i < 4; ++i) ASSERT_TRUE(w.search(R"({"size": 1})").error.ok());
  for (const Logged& l : w.logged("search")) EXPECT_EQ(l.node, w.group_of_shard(0).leader);
}

TEST(CoordinatorSearch, SessionTokensTravelToTheShards) {
  World w(27);
  w.create(settings(ShardingStrategy::kHash, 1, 2));
  WriteOutcome wrote = w.upsert(make_docs_json(1, 10));
  ASSERT_TRUE(wrote.error.ok());
  SearchOptions o;
  o.level = ReadLevel::kSession;
  o.session_tokens[wrote.shards[0].group] = wrote.shards[0].index;
  ASSERT_TRUE(w.search(R"({"size": 1})", o).failed.empty());
  // A token no replica has reached: no replica may answer.
  o.session_tokens[wrote.shards[0].group] = wrote.shards[0].index + 100;
  o.timeout = milliseconds(300);
  SearchOutcome out = w.search(R"({"size": 1})", o);
  ASSERT_EQ(out.failed.size(), 1u);
  EXPECT_TRUE(out.revisions.empty());
}

TEST(CoordinatorSearch, BadRequestsTouchNoShard) {
  World w(28);
  w.create(settings(ShardingStrategy::kHash, 2, 1));
  for (const char* bad : {"{", R"({"query": {"nope": {}}})", R"({"size": -1})", R"({"pit": 3})",
                          R"({"pit": {"id": "garbage"}})", R"({"cursor": "zzz"})", "[]"}) {
    SearchOutcome out = w.search(bad);
    EXPECT_EQ(out.error.code, ErrorCode::kBadRequest) << bad;
  }
  EXPECT_TRUE(w.logged("search").empty());
  EXPECT_EQ(w.search("{}", {}, "nosuch").error.code, ErrorCode::kNotFound);
}

TEST(CoordinatorSearch, ProbeShardsAsksOnlyTheNearestCentroids) {
  World w(29);
  cluster::RoutingData routing;
  routing.centroids = {{-2, -2, -2, -2}, {-1, 1, -1, 1}, {1, -1, 1, -1}, {2, 2, 2, 2}};
  w.create(settings(ShardingStrategy::kVector, 4, 1), routing);
  ASSERT_TRUE(w.upsert(make_docs_json(2, 120)).error.ok());
  w.log.clear();
  SearchOptions o;
  o.probe_shards = 2;
  const std::string q = R"({"knn": {"field": "v", "query_vector": [2, 2, 2, 1], "k": 5, "num_candidates": 20}})";
  SearchOutcome out = w.search(q, o);
  ASSERT_TRUE(out.error.ok());
  const std::vector<float> qv = {2, 2, 2, 1};
  std::set<GroupId> expected;
  for (uint32_t s : cluster::shards_for_knn(w.info(), qv, 2)) expected.insert(w.info().shards[s].group);
  std::set<GroupId> asked;
  for (const Logged& l : w.logged("search")) asked.insert(l.group);
  EXPECT_EQ(asked, expected);
  EXPECT_EQ(json::parse(out.body_json).at("_shards").at("total").as_int64(), 2);
  // Without probing, every shard.
  w.log.clear();
  ASSERT_TRUE(w.search(q).error.ok());
  EXPECT_EQ(w.logged("search").size(), 4u);
}

TEST(CoordinatorSearch, GetFindsTheDocumentOnItsShard) {
  World w(30);
  w.create(settings(ShardingStrategy::kHash, 4, 1));
  ASSERT_TRUE(w.upsert(make_docs_json(1, 20)).error.ok());
  w.log.clear();
  GetOutcome g = w.get("doc7");
  ASSERT_TRUE(g.error.ok()) << g.error.describe();
  EXPECT_NE(g.document_json.find("doc7"), std::string::npos);
  EXPECT_EQ(w.logged("get").size(), 1u);
  EXPECT_EQ(w.get("nosuch").error.code, ErrorCode::kNotFound);
  EXPECT_EQ(w.get("").error.code, ErrorCode::kBadRequest);
  // A shard that cannot answer makes "absent" unknown, not kNotFound.
  w.knobs[w.info().shards[cluster::shards_for_id(w.info(), "nosuch")[0]].replicas[0]].delay = seconds(5);
  GetOptions o;
  o.timeout = milliseconds(200);
  EXPECT_EQ(w.get("nosuch", o).error.code, ErrorCode::kDeadline);
}

// ---- Points in time --------------------------------------------------------------

TEST(CoordinatorPit, PagingUnderConcurrentWritesSeesEachDocumentOnce) {
  World w(31);
  w.create(settings(ShardingStrategy::kHash, 3, 2));
  ASSERT_TRUE(w.upsert(make_docs_json(1, 100)).error.ok());
  PitOutcome pit = w.open_pit();
  ASSERT_TRUE(pit.error.ok()) << pit.error.describe();
  EXPECT_EQ(pit.revisions.size(), 3u);
  std::multiset<std::string> seen;
  std::string request = R"({"size": 7, "sort": [{"price": "asc"}], "pit": {"id": ")" + pit.pit_id + R"("}})";
  for (int page = 0; page < 40; ++page) {
    SearchOptions o;
    o.level = page % 2 ? ReadLevel::kAny : ReadLevel::kLinearizable;
    SearchOutcome out = w.search(request, o);
    ASSERT_TRUE(out.error.ok()) << out.error.describe();
    ASSERT_TRUE(out.failed.empty());
    for (const std::string& id : hit_ids(out.body_json)) seen.insert(id);
    // Writes between pages: new documents, deletes, and updates that would
    // move documents across the sort order.
    ASSERT_TRUE(w.upsert(make_docs_json(100 + page, 5, 1000 + page * 5)).error.ok());
    ASSERT_TRUE(w.remove({"doc" + std::to_string(page)}).error.ok());
    ASSERT_TRUE(w.upsert(R"({"_id": "doc)" + std::to_string(99 - page) + R"(", "price": 0.5})").error.ok());
    json::value body = json::parse(out.body_json);
    EXPECT_EQ(body.at("pit_id").as_string(), pit.pit_id);
    if (!body.as_object().contains("next_cursor")) break;
    request = R"({"size": 7, "sort": [{"price": "asc"}], "cursor": ")" +
              std::string(body.at("next_cursor").as_string()) + R"("})";
  }
  EXPECT_EQ(seen.size(), 100u);
  for (int i = 0; i < 100; ++i) EXPECT_EQ(seen.count("doc" + std::to_string(i)), 1u) << i;
  // Closed: the revisions are gone (the writes moved past them).
  ClosePitOutcome closed = w.close_pit(pit.pit_id);
  ASSERT_TRUE(closed.error.ok()) << closed.error.describe();
  SearchOutcome after = w.search(R"({"pit": {"id": ")" + pit.pit_id + R"("}})");
  EXPECT_EQ(after.error.code, ErrorCode::kNotFound) << after.error.describe();
  // Closing twice is fine: nothing is pinned either way.
  EXPECT_TRUE(w.close_pit(pit.pit_id).error.ok());
  EXPECT_EQ(w.close_pit("not-a-pit").error.code, ErrorCode::kBadRequest);
}

TEST(CoordinatorPit, APitWhoseShardsMovedIsAConflict) {
  World w(32);
  w.create(settings(ShardingStrategy::kHash, 2, 1));
  ASSERT_TRUE(w.upsert(make_docs_json(1, 10)).error.ok());
  PitOutcome pit = w.open_pit();
  ASSERT_TRUE(pit.error.ok());
  // A new map puts shard 0 in a new group; the old groups say the map moved.
  cluster::ShardMap m = *w.map;
  m.version++;
  m.collections.at("docs").shards[0].group = m.next_group++;
  ASSERT_TRUE(cluster::check_shard_map(m).ok());
  w.publish(m);
  for (auto& [g, fg] : w.groups) fg.min_map_version = m.version;
  SearchOutcome out = w.search(R"({"pit": {"id": ")" + pit.pit_id + R"("}})");
  EXPECT_EQ(out.error.code, ErrorCode::kConflict) << out.error.describe();
  // A pit of another collection is refused outright.
  World other(33);
  other.create(settings(ShardingStrategy::kHash, 2, 1, "other"));
  EXPECT_EQ(other.search(R"({"pit": {"id": ")" + pit.pit_id + R"("}})", {}, "other").error.code,
            ErrorCode::kBadRequest);
}

TEST(CoordinatorPit, AFailedOpenUnpinsWhatItPinned) {
  World w(34);
  w.create(settings(ShardingStrategy::kHash, 3, 1));
  w.knobs[w.info().shards[1].replicas[0]].delay = seconds(5);
  PitOutcome pit = w.open_pit(milliseconds(300));
  EXPECT_EQ(pit.error.code, ErrorCode::kDeadline);
  w.knobs[w.info().shards[1].replicas[0]].delay = Duration::zero();
  w.sim.run_for(seconds(10));
  EXPECT_EQ(w.logged("close").size(), 2u);
  for (auto& [g, fg] : w.groups) EXPECT_EQ(fg.sm->collection().stats().open_points_in_time, g == w.info().shards[1].group ? 1u : 0u);
}

}  // namespace
}  // namespace shoal::coord::testing
