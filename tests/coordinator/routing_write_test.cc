#include <algorithm>
// Writes through the coordinator: routing per strategy, one command per shard
// per bulk, leader finding, overload, stale maps, and outcomes.
#include <gtest/gtest.h>

#include <map>
#include <set>

#include "tests/coordinator/coord_harness.h"
#include "engine/search/document.h"

namespace shoal::coord::testing {
namespace {

using cluster::ShardingStrategy;

cluster::RoutingData routing_for(ShardingStrategy s) {
  cluster::RoutingData r;
  if (s == ShardingStrategy::kRange) r.split_points = {search::Value::integer(5), search::Value::integer(10),
                                                       search::Value::integer(15)};
  if (s == ShardingStrategy::kVector) {
    r.centroids = {{-2, -2, -2, -2}, {-1, 1, -1, 1}, {1, -1, 1, -1}, {2, 2, 2, 2}};
  }
  return r;
}

// The shard each document of `docs` belongs on by `info`.
std::map<std::string, uint32_t> owners(const cluster::CollectionInfo& info, const std::string& docs) {
  auto parsed = search::parse_documents(docs, info.schema);
  EXPECT_TRUE(parsed.ok()) << parsed.status();
  std::map<std::string, uint32_t> out;
  for (const search::Document& d : *parsed) out[d.id] = cluster::route(info, d);
  return out;
}

uint32_t shard_of_group(const cluster::CollectionInfo& info, GroupId g) {
  for (const auto& s : info.shards) {
    if (s.group == g) return s.shard;
  }
  ADD_FAILURE() << "no shard holds group " << g;
  return 0;
}

class StrategyTest : public ::testing::TestWithParam<ShardingStrategy> {};

TEST_P(StrategyTest, EachDocumentLandsOnItsShardInOneCommandPerShard) {
  World w(1);
  w.create(settings(GetParam(), 4, 2), routing_for(GetParam()));
  const std::string docs = make_docs_json(7, 200);
  WriteOutcome out = w.upsert(docs);
  ASSERT_TRUE(out.error.ok()) << out.error.describe();
  EXPECT_EQ(out.outcome(), Outcome::kOk);
  const auto expected = owners(w.info(), docs);
  std::map<GroupId, int> commands;
  size_t documents = 0;
  for (const Logged& l : w.logged("upsert")) {
    ASSERT_EQ(l.answer, "ok");
    commands[l.group]++;
    for (const std::string& id : l.ids) {
      EXPECT_EQ(expected.at(id), shard_of_group(w.info(), l.group)) << id;
      documents++;
    }
  }
  EXPECT_EQ(documents, 200u);
  std::set<uint32_t> used;
  for (const auto& [id, s] : expected) used.insert(s);
  EXPECT_EQ(commands.size(), used.size());
  for (const auto& [g, n] : commands) EXPECT_EQ(n, 1) << "group " << g << " got several commands for one bulk";
  // Every document is findable, and each outcome names its shard's index.
  for (const auto& [id, s] : expected) EXPECT_EQ(out.document_outcome(id), Outcome::kOk);
  for (const ShardWrite& s : out.shards) EXPECT_EQ(s.index, w.groups[s.group].index);
  size_t live = 0;
  for (auto& [g, fg] : w.groups) live += fg.sm->live_documents();
  EXPECT_EQ(live, 200u);
}

INSTANTIATE_TEST_SUITE_P(Strategies, StrategyTest,
                         ::testing::Values(ShardingStrategy::kHash, ShardingStrategy::kRange,
                                           ShardingStrategy::kVector));

TEST(CoordinatorWrite, ABulkBeyondTheCommandBoundSplits) {
  CoordinatorOptions o;
  o.documents_per_command_max = 10;
  World w(2, 4, o);
  w.create(settings(ShardingStrategy::kHash, 2, 1));
  const std::string docs = make_docs_json(3, 95);
  WriteOutcome out = w.upsert(docs);
  ASSERT_TRUE(out.error.ok()) << out.error.describe();
  std::map<GroupId, size_t> docs_per_group, commands;
  for (const Logged& l : w.logged("upsert")) {
    EXPECT_LE(l.ids.size(), 10u);
    docs_per_group[l.group] += l.ids.size();
    commands[l.group]++;
  }
  for (const auto& [g, n] : docs_per_group) EXPECT_EQ(commands[g], (n + 9) / 10);
}

TEST(CoordinatorWrite, LaterDuplicatesWinWithinABulk) {
  World w(3);
  w.create(settings(ShardingStrategy::kRange, 4, 1), routing_for(ShardingStrategy::kRange));
  // The same id twice with different range keys: only the last is written.
  WriteOutcome out = w.upsert(R"([{"_id": "a", "n": 1}, {"_id": "a", "n": 19}])");
  ASSERT_TRUE(out.error.ok());
  ASSERT_EQ(out.shards.size(), 1u);
  EXPECT_EQ(out.shards[0].shard, 3u);
  GetOutcome g = w.get("a");
  ASSERT_TRUE(g.error.ok()) << g.error.describe();
  EXPECT_NE(g.document_json.find("19"), std::string::npos);
}

TEST(CoordinatorWrite, AnInvalidDocumentTouchesNoShard) {
  World w(4);
  w.create(settings(ShardingStrategy::kHash, 4, 1));
  for (const char* bad : {R"([{"_id": "a"}, {"_id": "b", "n": "nope"}])", R"({"n": 1})", "[", "[]", "3",
                          R"({"_id": "x", "v": [1, 2]})"}) {
    WriteOutcome out = w.upsert(bad);
    EXPECT_EQ(out.error.code, ErrorCode::kBadRequest) << bad;
    EXPECT_TRUE(out.shards.empty());
    EXPECT_EQ(out.outcome(), Outcome::kFail);
  }
  EXPECT_TRUE(w.log.empty());
  EXPECT_EQ(w.upsert("[]", seconds(1), WriteLevel::kQuorum, "nosuch").error.code, ErrorCode::kNotFound);
  EXPECT_EQ(w.remove({""}).error.code, ErrorCode::kBadRequest);
  EXPECT_EQ(w.remove({}).error.code, ErrorCode::kBadRequest);
}

TEST(CoordinatorWrite, FollowsANotLeaderHint) {
  World w(5);
  w.create(settings(ShardingStrategy::kHash, 1, 3));
  FakeGroup& g = w.group_of_shard(0);
  const auto& replicas = w.info().shards[0].replicas;
  g.leader = replicas[2];
  WriteOutcome out = w.upsert(make_docs_json(1, 5));
  ASSERT_TRUE(out.error.ok()) << out.error.describe();
  auto log = w.logged("upsert");
  ASSERT_EQ(log.size(), 2u);
  EXPECT_EQ(log[0].node, replicas[0]);
  EXPECT_EQ(log[0].answer, "not_leader");
  EXPECT_EQ(log[1].node, replicas[2]);
  EXPECT_EQ(log[1].answer, "ok");
  // The leader is remembered: the next write goes straight to it.
  w.log.clear();
  ASSERT_TRUE(w.upsert(make_docs_json(2, 5)).error.ok());
  ASSERT_EQ(w.logged("upsert").size(), 1u);
  EXPECT_EQ(w.logged("upsert")[0].node, replicas[2]);
}

TEST(CoordinatorWrite, WithoutAHintTriesTheNextReplica) {
  World w(6);
  w.create(settings(ShardingStrategy::kHash, 1, 3));
  FakeGroup& g = w.group_of_shard(0);
  g.leader = w.info().shards[0].replicas[1];
  g.hint_leader = false;
  ASSERT_TRUE(w.upsert(make_docs_json(1, 5)).error.ok());
  auto log = w.logged("upsert");
  ASSERT_EQ(log.size(), 2u);
  EXPECT_EQ(log[1].node, g.leader);
}

TEST(CoordinatorWrite, OverloadIsRetriedOnTheSameNode) {
  World w(7);
  w.create(settings(ShardingStrategy::kHash, 1, 3));
  const NodeId leader = w.group_of_shard(0).leader;
  w.knobs[leader].overloaded_left = 3;
  WriteOutcome out = w.upsert(make_docs_json(1, 5));
  ASSERT_TRUE(out.error.ok()) << out.error.describe();
  auto log = w.logged("upsert");
  // The coordinator may first ask a replica that is not the leader (the map
  // carries no hint yet); from the leader's first answer on, three
  // "overloaded" and then "ok" all come from the leader.
  auto first = std::find_if(log.begin(), log.end(), [leader](const Logged& l) { return l.node == leader; });
  ASSERT_NE(first, log.end());
  ASSERT_EQ(log.end() - first, 4);
  for (auto it = first; it != log.end(); ++it) {
    EXPECT_EQ(it->node, leader) << "overload moved the request away from the leader";
  }
  EXPECT_EQ(log.back().answer, "ok");
}

TEST(CoordinatorWrite, ARefusingGroupFailsAndNothingIsUnknown) {
  World w(8);
  w.create(settings(ShardingStrategy::kHash, 1, 2));
  FakeGroup& g = w.group_of_shard(0);
  g.leader = 77;  // no replica leads, and none can say who does
  g.hint_leader = false;
  WriteOutcome out = w.upsert(make_docs_json(1, 3), seconds(2));
  EXPECT_EQ(out.outcome(), Outcome::kFail);
  EXPECT_EQ(out.error.code, ErrorCode::kNotLeader);
  EXPECT_EQ(out.document_outcome("doc0"), Outcome::kFail);
  EXPECT_EQ(out.document_outcome("nosuch"), Outcome::kFail);
}

TEST(CoordinatorWrite, ATimeoutIsUnknownNeverFail) {
  World w(9);
  w.create(settings(ShardingStrategy::kHash, 4, 1));
  const NodeId slow = w.info().shards[1].replicas[0];
  w.knobs[slow].delay = seconds(3);
  const std::string docs = make_docs_json(5, 40);
  const TimePoint start = w.sim.now();
  WriteOutcome out = w.upsert(docs, milliseconds(300));
  EXPECT_LE(w.completed_at - start, milliseconds(300));
  EXPECT_EQ(out.outcome(), Outcome::kUnknown);
  EXPECT_EQ(out.error.code, ErrorCode::kDeadline);
  bool saw_slow = false;
  for (const ShardWrite& s : out.shards) {
    if (s.shard == 1) {
      saw_slow = true;
      EXPECT_EQ(s.outcome, Outcome::kUnknown);
      EXPECT_EQ(s.error.code, ErrorCode::kDeadline);
      for (const std::string& id : s.ids) EXPECT_EQ(out.document_outcome(id), Outcome::kUnknown);
    } else {
      EXPECT_EQ(s.outcome, Outcome::kOk);
    }
  }
  EXPECT_TRUE(saw_slow);
}

// A map v2 that moves hash slots between the collection's two shards.
cluster::ShardMap moved_slots(const World& w) {
  cluster::ShardMap m = *w.map;
  m.version++;
  auto& shards = m.collections.at("docs").shards;
  shards[0].slot_end = 1000;
  shards[1].slot_begin = 1000;
  EXPECT_TRUE(cluster::check_shard_map(m).ok()) << cluster::check_shard_map(m).describe();
  return m;
}

TEST(CoordinatorWrite, AStaleMapIsRefreshedAndTheDocumentsReRoutedByTheNewOne) {
  World w(10);
  w.create(settings(ShardingStrategy::kHash, 2, 1));
  const uint64_t old_version = w.map->version;
  w.publish(moved_slots(w));
  for (auto& [g, fg] : w.groups) fg.min_map_version = w.map->version;
  const std::string docs = make_docs_json(11, 100);
  const auto by_new = owners(w.info(), docs);
  const auto by_old = owners(w.map->collections.at("docs").shards.empty() ? w.info() : w.info(), docs);
  WriteOutcome out = w.upsert(docs);
  ASSERT_TRUE(out.error.ok()) << out.error.describe();
  EXPECT_GE(w.refreshes, 1u);
  int moved = 0;
  for (const Logged& l : w.logged("upsert")) {
    if (l.map_version == old_version) {
      EXPECT_EQ(l.answer, "stale_map") << "a command routed by the stale map was applied";
      continue;
    }
    EXPECT_EQ(l.map_version, w.map->version);
    EXPECT_EQ(l.answer, "ok");
    for (const std::string& id : l.ids) {
      EXPECT_EQ(by_new.at(id), shard_of_group(w.info(), l.group)) << id << " went by the old map";
      moved++;
    }
  }
  EXPECT_EQ(moved, 100);
  for (const ShardWrite& s : out.shards) EXPECT_EQ(s.map_version, w.map->version);
  (void)by_old;
}

TEST(CoordinatorWrite, AStaleMapWithNoNewerMapIsNeverUsedAgain) {
  World w(11);
  w.create(settings(ShardingStrategy::kHash, 2, 1));
  // The shards say the map is old, but no newer map exists anywhere.
  for (auto& [g, fg] : w.groups) fg.min_map_version = w.map->version + 5;
  WriteOutcome out = w.upsert(make_docs_json(1, 20), seconds(2));
  EXPECT_EQ(out.outcome(), Outcome::kFail);
  EXPECT_EQ(out.error.code, ErrorCode::kStaleMap);
  for (const Logged& l : w.logged("upsert")) EXPECT_EQ(l.answer, "stale_map");
  // Each shard's command was sent once by the map and never again by it.
  EXPECT_EQ(w.logged("upsert").size(), 2u);
}

TEST(CoordinatorWrite, ANodeThatDoesNotHostTheGroupMakesTheMapRefresh) {
  World w(12, 4);
  w.create(settings(ShardingStrategy::kHash, 1, 1));
  const GroupId g = w.info().shards[0].group;
  const NodeId old_node = w.info().shards[0].replicas[0];
  const NodeId new_node = old_node == 4 ? 3 : old_node + 1;
  // The group moved to another node; the coordinator's map does not know yet.
  cluster::ShardMap m = *w.map;
  m.version++;
  m.collections.at("docs").shards[0].replicas = {new_node};
  w.publish(m);
  w.hosted[old_node].erase(g);
  w.hosted[new_node].insert(g);
  w.groups[g].leader = new_node;
  WriteOutcome out = w.upsert(make_docs_json(1, 10));
  ASSERT_TRUE(out.error.ok()) << out.error.describe();
  auto log = w.logged("upsert");
  ASSERT_EQ(log.size(), 2u);
  EXPECT_EQ(log[0].answer, "not_found");
  EXPECT_EQ(log[1].node, new_node);
  EXPECT_EQ(log[1].map_version, w.map->version);
}

TEST(CoordinatorWrite, RemoveGoesToEveryShardAnIdMayLiveOn) {
  World w(13);
  w.create(settings(ShardingStrategy::kRange, 4, 1), routing_for(ShardingStrategy::kRange));
  ASSERT_TRUE(w.upsert(make_docs_json(1, 40)).error.ok());
  WriteOutcome out = w.remove({"doc1", "doc2", "nosuch"});
  ASSERT_TRUE(out.error.ok()) << out.error.describe();
  EXPECT_EQ(w.logged("delete").size(), 4u);
  uint64_t deleted = 0;
  for (const ShardWrite& s : out.shards) deleted += s.count;
  EXPECT_EQ(deleted, 2u);
  EXPECT_EQ(w.get("doc1").error.code, ErrorCode::kNotFound);
  EXPECT_TRUE(w.get("doc3").error.ok());
  // Under hash sharding a delete goes to the owner only.
  World h(14);
  h.create(settings(ShardingStrategy::kHash, 4, 1));
  ASSERT_TRUE(h.remove({"doc1"}).error.ok());
  EXPECT_EQ(h.logged("delete").size(), 1u);
}

TEST(CoordinatorWrite, TooManyOperationsAreOverloadedNotQueued) {
  CoordinatorOptions o;
  o.operations_in_flight_max = 1;
  World w(15, 4, o);
  w.create(settings(ShardingStrategy::kHash, 2, 1));
  int done = 0;
  Error second;
  w.coordinator().upsert("docs", make_docs_json(1, 5), WriteLevel::kQuorum, seconds(1),
                         [&](WriteOutcome) { done++; });
  w.coordinator().upsert("docs", make_docs_json(2, 5), WriteLevel::kQuorum, seconds(1), [&](WriteOutcome out) {
    second = out.error;
    done++;
  });
  EXPECT_EQ(done, 0) << "a callback ran inside the call";
  w.sim.run_for(seconds(2));
  EXPECT_EQ(done, 2);
  EXPECT_EQ(second.code, ErrorCode::kOverloaded);
  EXPECT_EQ(w.coordinator().operations_in_flight(), 0u);
}

}  // namespace
}  // namespace shoal::coord::testing
