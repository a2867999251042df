// The user-session commands of KvStateMachine: their bytes, their rules, the
// leader's expiry, and snapshots holding them.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include "engine/shard/kv_command.h"
#include "engine/shard/kv_state_machine.h"
#include "engine/shard/lease_keeper.h"

namespace shoal::kv {
namespace {

Result apply(KvStateMachine& m, uint64_t index, Write w) {
  auto r = decode_result(m.apply(index, encode_command(Command{std::nullopt, std::move(w), std::nullopt})));
  EXPECT_TRUE(r.ok());
  EXPECT_TRUE(m.check_invariants().ok()) << m.check_invariants();
  return *r;
}

Result ask(const KvStateMachine& m, Query q) { return *decode_result(m.query(encode_query(q))); }

TEST(KvUserSessionTest, EveryCommandAndQueryRoundTrips) {
  const std::vector<Write> writes = {
      SessionCreate{"s1", "alice", {{"a", "1"}, {"b", ""}}, 500}, SessionTouch{"s1"},
      SessionUpdate{"s1", {{"c", "x"}}, 0},                       SessionExtend{"s1", 9000},
      SessionDelete{"s1"},                                        SessionDeleteByUser{"alice"},
      SessionExpire{"s1", 7, 123456}};
  for (const Write& w : writes) {
    const Command c{Session{3, 4}, w, std::nullopt};
    auto back = decode_command(encode_command(c));
    ASSERT_TRUE(back.ok()) << describe(c) << ": " << back.status();
    EXPECT_EQ(*back, c);
  }
  for (const Query& q : {Query{SessionGet{"s1", 5}}, Query{SessionsByUser{"bob", 0}}, Query{SessionStatsQuery{9}}}) {
    auto back = decode_query(encode_query(q));
    ASSERT_TRUE(back.ok()) << back.status();
    EXPECT_EQ(*back, q);
  }
  Result r{Code::kOk, std::nullopt, 4, "", {}, {}, {SessionInfo{"s1", "alice", {{"a", "1"}}, 500, 2, 4}},
           SessionStats{1, 2, 3, 4, 1, {{1, 1}}}};
  auto back = decode_result(encode_result(r));
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(*back, r);
}

TEST(KvUserSessionTest, MalformedSessionCommandsAreRefused) {
  for (const Write& w : std::vector<Write>{
           SessionCreate{"", "u", {}, 5}, SessionCreate{"s", "", {}, 5}, SessionCreate{"s", "u", {}, 0},
           SessionCreate{"s", "u", {{"b", "1"}, {"a", "2"}}, 5}, SessionCreate{"s", "u", {}, kMaxSessionTtlMs + 1},
           SessionCreate{std::string(kMaxSessionNameBytes + 1, 'x'), "u", {}, 5}, SessionExtend{"s", 0},
           SessionExpire{"s", 0, 1}, SessionDeleteByUser{""}}) {
    const Command c{std::nullopt, w, std::nullopt};
    EXPECT_FALSE(check_command(c).ok()) << describe(c);
    EXPECT_FALSE(decode_command(encode_command(c)).ok()) << describe(c);
  }
  // A fence guards data writes only.
  EXPECT_FALSE(check_command(Command{std::nullopt, SessionTouch{"s"}, Fence{"r", 1}}).ok());
}

TEST(KvUserSessionTest, ALifeFromCreateToExpiry) {
  KvStateMachine m;
  Result created = apply(m, 1, SessionCreate{"s1", "alice", {{"a", "1"}}, 500});
  ASSERT_EQ(created.code, Code::kOk);
  ASSERT_EQ(created.sessions.size(), 1u);
  EXPECT_EQ(created.sessions[0].created_index, 1u);
  EXPECT_EQ(apply(m, 2, SessionCreate{"s1", "bob", {}, 500}).code, Code::kExists);
  Result touched = apply(m, 3, SessionTouch{"s1"});
  EXPECT_EQ(touched.sessions.at(0).lease_index, 3u);
  Result updated = apply(m, 4, SessionUpdate{"s1", {{"a", "2"}, {"b", "3"}}, 900});
  EXPECT_EQ(updated.sessions.at(0).data, (SessionData{{"a", "2"}, {"b", "3"}}));
  EXPECT_EQ(updated.sessions.at(0).ttl_ms, 900u);
  // An expiry of a lease already renewed does nothing.
  EXPECT_EQ(apply(m, 5, SessionExpire{"s1", 3, 100}).code, Code::kNotHolder);
  EXPECT_EQ(ask(m, SessionGet{"s1", 0}).code, Code::kOk);
  EXPECT_EQ(apply(m, 6, SessionExpire{"s1", 4, 100}).code, Code::kOk);
  // Ended is gone: nothing brings it back.
  EXPECT_EQ(ask(m, SessionGet{"s1", 0}).code, Code::kNotFound);
  EXPECT_EQ(ask(m, SessionGet{"s1", 0}).message, "no live session s1");
  EXPECT_EQ(apply(m, 7, SessionTouch{"s1"}).code, Code::kNotFound);
  EXPECT_EQ(apply(m, 8, SessionExtend{"s1", 100}).code, Code::kNotFound);
  EXPECT_EQ(apply(m, 9, SessionExpire{"s1", 4, 200}).code, Code::kNotHolder);
  const Result stats = ask(m, SessionStatsQuery{0});
  ASSERT_TRUE(stats.stats.has_value());
  EXPECT_EQ(stats.stats->active, 0u);
  EXPECT_EQ(stats.stats->created, 1u);
  EXPECT_EQ(stats.stats->expired, 1u);
}

TEST(KvUserSessionTest, ExpiryTimesNeverGoBackInLogOrder) {
  KvStateMachine m;
  apply(m, 1, SessionCreate{"a", "u", {}, 10});
  apply(m, 2, SessionCreate{"b", "u", {}, 10});
  EXPECT_EQ(apply(m, 3, SessionExpire{"a", 1, 500}).code, Code::kOk);
  EXPECT_EQ(apply(m, 4, SessionExpire{"b", 2, 499}).code, Code::kError);
  EXPECT_EQ(ask(m, SessionGet{"b", 0}).code, Code::kOk);
  EXPECT_EQ(apply(m, 5, SessionExpire{"b", 2, 500}).code, Code::kOk);
}

TEST(KvUserSessionTest, ByUserAndLogoutEverywhereTouchOnlyThatUser) {
  KvStateMachine m;
  apply(m, 1, SessionCreate{"a1", "alice", {}, 100});
  apply(m, 2, SessionCreate{"b1", "bob", {}, 100});
  apply(m, 3, SessionCreate{"a2", "alice", {}, 100});
  const Result alice = ask(m, SessionsByUser{"alice", 0});
  ASSERT_EQ(alice.sessions.size(), 2u);
  EXPECT_EQ(alice.sessions[0].id, "a1");
  EXPECT_EQ(alice.sessions[1].id, "a2");
  const Result out = apply(m, 4, SessionDeleteByUser{"alice"});
  EXPECT_EQ(out.sessions.size(), 2u);
  EXPECT_TRUE(ask(m, SessionsByUser{"alice", 0}).sessions.empty());
  EXPECT_EQ(ask(m, SessionsByUser{"bob", 0}).sessions.size(), 1u);
  const Result stats = ask(m, SessionStatsQuery{0});
  EXPECT_EQ(stats.stats->active, 1u);
  EXPECT_EQ(stats.stats->deleted, 2u);
  EXPECT_EQ(stats.stats->per_user, (std::vector<std::pair<uint64_t, uint64_t>>{{1, 1}}));
}

TEST(KvUserSessionTest, SnapshotsCarrySessionsAndCounts) {
  KvStateMachine m;
  apply(m, 1, SessionCreate{"a1", "alice", {{"k", "v"}}, 100});
  apply(m, 2, SessionCreate{"b1", "bob", {}, 100});
  apply(m, 3, SessionDelete{"b1"});
  KvStateMachine copy;
  ASSERT_TRUE(copy.restore(m.snapshot()).ok());
  EXPECT_EQ(copy.fingerprint(), m.fingerprint());
  EXPECT_EQ(copy.state().user_sessions(), m.state().user_sessions());
  EXPECT_EQ(copy.state().counters(), m.state().counters());
  EXPECT_TRUE(copy.check_invariants().ok());
}

TEST(KvUserSessionTest, TheLeaderExpiresASessionTtlAfterItSawItsLease) {
  KvStateMachine m;
  apply(m, 1, SessionCreate{"a", "u", {}, 300});
  LeaseKeeper keeper;
  const TimePoint t0(seconds(10));
  EXPECT_TRUE(keeper.due(m.state(), t0).empty());
  EXPECT_TRUE(keeper.due(m.state(), t0 + milliseconds(299)).empty());
  auto due = keeper.due(m.state(), t0 + milliseconds(300));
  ASSERT_EQ(due.size(), 1u);
  const auto& expire = std::get<SessionExpire>(due[0]);
  EXPECT_EQ(expire.lease_index, 1u);
  EXPECT_EQ(expire.leader_time_ms, 10'300u);
  // A touch meanwhile renews the lease: the stale expiry does nothing, and
  // the keeper times the new lease from when it sees it.
  apply(m, 2, SessionTouch{"a"});
  EXPECT_EQ(apply(m, 3, due[0]).code, Code::kNotHolder);
  EXPECT_TRUE(keeper.due(m.state(), t0 + milliseconds(400)).empty());
  EXPECT_EQ(keeper.due(m.state(), t0 + milliseconds(700)).size(), 1u);
}

RC_GTEST_PROP(KvUserSessionProperty, RandomBytesNeverCrashTheDecoders, (const std::string& tail)) {
  for (uint8_t tag = 10; tag <= 16; ++tag) {
    (void)decode_command(std::string("C\0", 2) + static_cast<char>(tag) + tail);
  }
  (void)decode_result("L" + tail);
  (void)decode_query(std::string("Q\x05", 2) + tail);
}

}  // namespace
}  // namespace shoal::kv
