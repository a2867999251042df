// The coordinator API: its codecs (round trips, garbage never crashes) and
// the client library end to end through serve_api.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <boost/json.hpp>

#include "engine/coordinator/api_codec.h"
#include "engine/coordinator/pit_token.h"
#include "tests/coordinator/coord_harness.h"

// The client library (shoal_client) is not linked into this test binary (its
// CMake target links shoal_coordinator and shoal_sim only), so its one source
// file is compiled here.
#include "engine/client/collection_client.cc"  // NOLINT(build/include)

namespace shoal::coord::testing {
namespace {

namespace json = boost::json;

template <typename T>
T round_trip_call(const T& in) {
  T out;
  EXPECT_TRUE(decode_call(encode_call(in), &out));
  return out;
}

TEST(CoordinatorApi, CallsRoundTrip) {
  UpsertCall u{"docs", R"([{"_id": "a"}])", WriteLevel::kAll, milliseconds(1234)};
  EXPECT_EQ(round_trip_call(u), u);
  DeleteCall d{"docs", {"a", "b", ""}, WriteLevel::kLeader, seconds(2)};
  EXPECT_EQ(round_trip_call(d), d);
  SearchCall s{"docs", "{}", ReadLevel::kSession, false, 3, seconds(1), {{4, 10}, {9, 2}}};
  EXPECT_EQ(round_trip_call(s), s);
  GetCall g{"docs", "x", ReadLevel::kAny, seconds(3), {{1, 1}}};
  EXPECT_EQ(round_trip_call(g), g);
  OpenPitCall o{"docs", seconds(4)};
  EXPECT_EQ(round_trip_call(o), o);
  ClosePitCall c{"id", seconds(5)};
  EXPECT_EQ(round_trip_call(c), c);
}

TEST(CoordinatorApi, RepliesRoundTrip) {
  WriteOutcome w;
  w.error = Error{ErrorCode::kOutcomeUnknown, "x", 3, 7};
  ShardWrite sw;
  sw.shard = 2;
  sw.group = 9;
  sw.map_version = 4;
  sw.outcome = Outcome::kUnknown;
  sw.accepted = true;
  sw.index = 77;
  sw.count = 5;
  sw.error = Error{ErrorCode::kDeadline, "late", 0, 0};
  sw.ids = {"a", "b"};
  w.shards = {sw, ShardWrite{}};
  WriteOutcome back;
  ASSERT_TRUE(decode_reply(encode_reply(w), &back));
  EXPECT_EQ(encode_reply(back), encode_reply(w));
  EXPECT_EQ(back.shards[0].ids, sw.ids);
  EXPECT_EQ(back.error.leader_hint, 3u);
  SearchReply s{"{}", {ShardFailure{1, 2, Error{ErrorCode::kDeadline, "d", 0, 0}}}, {{2, 5}}};
  SearchReply sb;
  ASSERT_TRUE(decode_reply(encode_reply(s), &sb));
  EXPECT_EQ(encode_reply(sb), encode_reply(s));
  // A reply of one kind never decodes as another.
  GetReply gr;
  EXPECT_FALSE(decode_reply(encode_reply(s), &gr));
  UpsertCall u;
  EXPECT_FALSE(decode_call(encode_call(DeleteCall{"docs", {"a"}, WriteLevel::kQuorum, seconds(1)}), &u));
}

TEST(CoordinatorApi, RejectsBadValues) {
  std::string bytes = encode_call(UpsertCall{"docs", "{}", WriteLevel::kQuorum, seconds(1)});
  UpsertCall u;
  EXPECT_FALSE(decode_call(bytes + "x", &u)) << "trailing bytes";
  EXPECT_FALSE(decode_call(bytes.substr(0, bytes.size() - 1), &u)) << "truncated";
  EXPECT_FALSE(decode_call(encode_call(UpsertCall{"docs", "{}", static_cast<WriteLevel>(9), seconds(1)}), &u));
  EXPECT_FALSE(decode_call(encode_call(UpsertCall{"docs", "{}", WriteLevel::kQuorum, Duration(0)}), &u));
  SearchCall s;
  EXPECT_FALSE(decode_call(encode_call(SearchCall{"d", "{}", static_cast<ReadLevel>(0)}), &s));
}

RC_GTEST_PROP(CoordinatorApiProperty, GarbageNeverCrashesAndNeverDecodesNonCanonically, (std::string bytes)) {
  UpsertCall u;
  DeleteCall d;
  SearchCall s;
  GetCall g;
  OpenPitCall o;
  ClosePitCall c;
  WriteOutcome w;
  SearchReply sr;
  GetReply gr;
  OpenPitReply pr;
  if (decode_call(bytes, &u)) RC_ASSERT(encode_call(u) == bytes);
  if (decode_call(bytes, &d)) RC_ASSERT(encode_call(d) == bytes);
  if (decode_call(bytes, &o)) RC_ASSERT(encode_call(o) == bytes);
  if (decode_call(bytes, &c)) RC_ASSERT(encode_call(c) == bytes);
  decode_call(bytes, &s);
  decode_call(bytes, &g);
  decode_reply(bytes, &w);
  decode_reply(bytes, &sr);
  decode_reply(bytes, &gr);
  decode_reply(bytes, &pr);
  auto pit = decode_pit_token(bytes);
  if (pit.ok()) RC_ASSERT(encode_pit_token(*pit) == bytes);
}

RC_GTEST_PROP(CoordinatorApiProperty, MutatedCallsNeverCrash, (uint8_t position, uint8_t value)) {
  std::string bytes = encode_call(SearchCall{"docs", R"({"size": 1})", ReadLevel::kAny, true, 2, seconds(1),
                                             {{1, 5}, {2, 6}}});
  bytes[position % bytes.size()] = static_cast<char>(value);
  SearchCall s;
  decode_call(bytes, &s);
  std::string token = encode_pit_token(PitToken{"docs", 3, {{0, 1, 5, 6}, {1, 2, 7, 8}}});
  token[position % token.size()] = static_cast<char>(value);
  decode_pit_token(token);
}

TEST(CoordinatorApi, PitTokensRoundTripAndRejectForgeries) {
  PitToken t{"docs", 3, {{0, 1, 5, 6}, {2, 9, 7, 8}}};
  auto back = decode_pit_token(encode_pit_token(t));
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, t);
  EXPECT_FALSE(decode_pit_token("").ok());
  EXPECT_FALSE(decode_pit_token("!!!").ok());
  EXPECT_FALSE(decode_pit_token(encode_pit_token(PitToken{"docs", 3, {}})).ok()) << "no shards";
  EXPECT_FALSE(decode_pit_token(encode_pit_token(PitToken{"docs", 3, {{2, 1, 0, 0}, {1, 2, 0, 0}}})).ok());
  EXPECT_FALSE(decode_pit_token(encode_pit_token(PitToken{"", 3, {{0, 1, 0, 0}}})).ok());
}

// ---- The client, through serve_api --------------------------------------------------

inline constexpr NodeId kClientNode = kClientIdBase + 1;

class ClientProcess final : public sim::Process {
 public:
  ClientProcess(Env& env, std::vector<NodeId> nodes, CollectionClientOptions options)
      : rpc_(env), client_(env, rpc_, std::move(nodes), options) {}
  CollectionClient& client() { return client_; }

 private:
  Rpc rpc_;
  CollectionClient client_;
};

struct ClientWorld : World {
  explicit ClientWorld(uint64_t seed, std::vector<NodeId> nodes = {kCoordNode}, CollectionClientOptions o = {})
      : World(seed) {
    sim.add_process(kClientNode, "client", [nodes, o](Env& env) {
      return std::make_unique<ClientProcess>(env, nodes, o);
    });
  }
  CollectionClient& client() { return sim.process_as<ClientProcess>(kClientNode)->client(); }
  template <typename Start>
  CollectionResult run(Start start) {
    bool done = false;
    CollectionResult out;
    start([&](const CollectionResult& r) {
      EXPECT_FALSE(done);
      out = r;
      done = true;
    });
    EXPECT_TRUE(wait(done));
    return out;
  }
};

TEST(CollectionClient, WritesSearchesAndReadsThroughACoordinator) {
  ClientWorld w(41);
  w.create(settings(cluster::ShardingStrategy::kHash, 3, 2));
  CollectionClient& c = w.client();
  CollectionResult up = w.run([&](auto done) { c.upsert("docs", make_docs_json(1, 30), done); });
  ASSERT_EQ(up.outcome, Outcome::kOk) << up.error.describe();
  EXPECT_EQ(up.write.shards.size(), 3u);
  EXPECT_EQ(c.session_tokens().size(), 3u);
  for (const ShardWrite& s : up.write.shards) EXPECT_EQ(c.session_tokens().at(s.group), s.index);

  c.set_levels(WriteLevel::kQuorum, ReadLevel::kSession);
  CollectionResult found = w.run([&](auto done) { c.search("docs", R"({"size": 100})", {}, done); });
  ASSERT_EQ(found.outcome, Outcome::kOk) << found.error.describe();
  EXPECT_EQ(json::parse(found.search.body_json).at("hits").at("total").at("value").as_int64(), 30);
  EXPECT_TRUE(found.search.failed.empty());
  EXPECT_EQ(found.search.revisions.size(), 3u);

  CollectionResult got = w.run([&](auto done) { c.get("docs", "doc3", done); });
  ASSERT_EQ(got.outcome, Outcome::kOk);
  EXPECT_NE(got.get.document_json.find("doc3"), std::string::npos);
  CollectionResult missing = w.run([&](auto done) { c.get("docs", "nosuch", done); });
  EXPECT_EQ(missing.outcome, Outcome::kFail);
  EXPECT_EQ(missing.error.code, ErrorCode::kNotFound);

  CollectionResult bad = w.run([&](auto done) { c.upsert("docs", "[{]", done); });
  EXPECT_EQ(bad.outcome, Outcome::kFail);
  EXPECT_EQ(bad.error.code, ErrorCode::kBadRequest);
  CollectionResult bad_search = w.run([&](auto done) { c.search("docs", "{", {}, done); });
  EXPECT_EQ(bad_search.error.code, ErrorCode::kBadRequest);

  CollectionResult pit = w.run([&](auto done) { c.open_pit("docs", done); });
  ASSERT_EQ(pit.outcome, Outcome::kOk) << pit.error.describe();
  CollectionResult paged = w.run([&](auto done) {
    c.search("docs", R"({"size": 5, "sort": ["_id"], "pit": {"id": ")" + pit.pit_id + R"("}})", {}, done);
  });
  ASSERT_EQ(paged.outcome, Outcome::kOk) << paged.error.describe();
  CollectionResult closed = w.run([&](auto done) { c.close_pit(pit.pit_id, done); });
  EXPECT_EQ(closed.outcome, Outcome::kOk) << closed.error.describe();

  CollectionResult removed = w.run([&](auto done) { c.remove("docs", {"doc3"}, done); });
  EXPECT_EQ(removed.outcome, Outcome::kOk);
}

TEST(CollectionClient, AMissingShardWithAllowPartialFalseIsAFailedRead) {
  ClientWorld w(42);
  w.create(settings(cluster::ShardingStrategy::kHash, 3, 1));
  w.knobs[w.info().shards[1].replicas[0]].delay = seconds(30);
  CollectionResult r = w.run([&](auto done) {
    w.client().search("docs", "{}", CollectionSearchParams{false, 0}, done);
  });
  EXPECT_EQ(r.outcome, Outcome::kFail);
  EXPECT_EQ(r.error.code, ErrorCode::kUnavailable);
  CollectionResult partial = w.run([&](auto done) { w.client().search("docs", "{}", {}, done); });
  EXPECT_EQ(partial.outcome, Outcome::kOk);
  ASSERT_EQ(partial.search.failed.size(), 1u);
  EXPECT_EQ(partial.search.failed[0].shard, 1u);
}

TEST(CollectionClient, AWriteWithoutAnAnswerIsUnknownAndADownNodeIsSkipped) {
  CollectionClientOptions o;
  o.operation_timeout = seconds(2);
  o.attempt_timeout = milliseconds(500);
  // Node 55 does not exist: the client moves on to the coordinator.
  ClientWorld w(43, {55, kCoordNode}, o);
  w.create(settings(cluster::ShardingStrategy::kHash, 2, 1));
  CollectionResult ok = w.run([&](auto done) { w.client().upsert("docs", make_docs_json(1, 4), done); });
  EXPECT_EQ(ok.outcome, Outcome::kOk) << ok.error.describe();
  EXPECT_GE(ok.attempts, 2);
  // Every shard slow: the coordinator answers with unknown shard writes.
  for (NodeId n = 1; n <= 4; ++n) w.knobs[n].delay = seconds(30);
  CollectionResult slow = w.run([&](auto done) { w.client().upsert("docs", make_docs_json(2, 4), done); });
  EXPECT_EQ(slow.outcome, Outcome::kUnknown) << slow.error.describe();
  // The coordinator itself gone: no answer at all, still unknown, never fail.
  w.sim.crash(kCoordNode);
  CollectionResult lost = w.run([&](auto done) { w.client().upsert("docs", make_docs_json(3, 4), done); });
  EXPECT_EQ(lost.outcome, Outcome::kUnknown);
  // A read without an answer had no effect: it fails.
  CollectionResult read = w.run([&](auto done) { w.client().get("docs", "doc1", done); });
  EXPECT_EQ(read.outcome, Outcome::kFail);
}

TEST(CollectionClient, MalformedCallsAreBadRequests) {
  ClientWorld w(44);
  w.create(settings(cluster::ShardingStrategy::kHash, 1, 1));
  Rpc& rpc = w.sim.process_as<CoordNode>(kCoordNode)->rpc();
  (void)rpc;
  // Call the coordinator's methods with garbage from the shard node 1's rpc.
  Rpc& caller = w.sim.process_as<FakeShardNode>(1)->rpc();
  std::vector<Reply> replies;
  for (MethodId m : {kCoordUpsertMethod, kCoordDeleteMethod, kCoordSearchMethod, kCoordGetMethod,
                     kCoordOpenPitMethod, kCoordClosePitMethod}) {
    caller.call(kCoordNode, m, "\x01garbage", seconds(1), [&](Reply r) { replies.push_back(r); });
  }
  w.sim.run_for(seconds(2));
  ASSERT_EQ(replies.size(), 6u);
  for (const Reply& r : replies) EXPECT_EQ(r.error.code, ErrorCode::kBadRequest);
}

}  // namespace
}  // namespace shoal::coord::testing
