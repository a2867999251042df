// session-semantics on hand-built logs, good and bad, one per violation
// kind, and a property: reads computed by a simple model from a random
// command log pass, and flipping one read's `found` is flagged.
#include "scenarios/checkers/session_semantics.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <algorithm>

#include "engine/core/random.h"
#include "tests/checkers/violation_kinds.h"

namespace shoal::check {
namespace {

using EK = SessionEvent::Kind;
using RK = SessionRead::Kind;

SessionEvent ev(uint64_t index, EK kind, std::string id, std::string user = "", int64_t leader_time_ms = 0,
                bool applied = true) {
  return {index, kind, std::move(id), std::move(user), leader_time_ms, applied};
}
SessionEvent by_user(uint64_t index, std::string user) { return ev(index, EK::kDeleteByUser, "", std::move(user)); }

SessionRead get(uint64_t served_index, std::string id, bool found) {
  return {0, 0, 1, served_index, RK::kGet, std::move(id), found, {}, 0};
}
SessionRead exists(uint64_t served_index, std::string id, bool found) {
  return {0, 0, 1, served_index, RK::kExists, std::move(id), found, {}, 0};
}
SessionRead list(uint64_t served_index, std::string user, std::vector<std::string> ids) {
  return {0, 0, 1, served_index, RK::kByUser, std::move(user), false, std::move(ids), 0};
}
SessionRead count(uint64_t served_index, uint64_t n) { return {0, 0, 1, served_index, RK::kCount, "", false, {}, n}; }

// u1 owns s1 and s2, u2 owns s3; s2 expires, s3 is deleted and created
// again for u3, then u1 logs out everywhere. Indexes have gaps.
std::vector<SessionEvent> log() {
  return {ev(1, EK::kCreate, "s1", "u1"),
          ev(2, EK::kCreate, "s2", "u1"),
          ev(4, EK::kCreate, "s3", "u2"),
          ev(5, EK::kTouch, "s1"),
          ev(6, EK::kTouch, "s9", "", 0, false),  // refused: s9 does not exist
          ev(7, EK::kExpire, "s2", "", 100),
          ev(8, EK::kUpdate, "s2", "", 0, false),  // refused: expired
          ev(9, EK::kDelete, "s3"),
          ev(11, EK::kCreate, "s3", "u3"),
          ev(12, EK::kExtend, "s3"),
          by_user(14, "u1")};
}

TEST(SessionSemantics, AReplayedLogAndAgreeingReadsPass) {
  // Each read as the log stood at its index: s2 is live at 6, just before its expiry at 7.
  const std::vector<SessionRead> reads = {get(2, "s2", true), exists(6, "s2", true),  get(7, "s2", false),
                                          count(3, 2),        count(10, 1),           list(4, "u1", {"s2", "s1"}),
                                          list(9, "u2", {}),  list(13, "u3", {"s3"}), list(20, "u1", {}),
                                          count(20, 1),       exists(0, "s1", false)};
  const CheckResult r = check_session_semantics(log(), reads);
  EXPECT_TRUE(r.ok) << r.message;
  EXPECT_EQ(r.name, "session-semantics");
  EXPECT_EQ(r.message, "session-semantics: ok (11 events, 11 reads)");
}

TEST(SessionSemantics, NothingJudgedSaysSo) {
  EXPECT_EQ(check_session_semantics({}, {}).message, "session-semantics: ok (0 events, 0 reads)");
}

TEST(SessionSemantics, AStaleReadIsJudgedAtItsServedIndex) {
  // Completed long after s2 expired, but served at index 2 where s2 was live.
  SessionRead stale = get(2, "s2", true);
  stale.invoke_ns = 1'000'000;
  stale.complete_ns = 2'000'000;
  EXPECT_TRUE(check_session_semantics(log(), {stale}).ok);
}

TEST(SessionSemantics, ExpiringTwiceIsDoubleExpiry) {
  auto events = log();
  events.push_back(ev(15, EK::kExpire, "s2", "", 200));
  EXPECT_TRUE(only_kind(check_session_semantics(events, {}), "double-expiry"));
}

TEST(SessionSemantics, ExpiringADeletedSessionIsExpireAfterDelete) {
  auto events = log();
  events.push_back(ev(15, EK::kExpire, "s1", "", 200));  // s1 went with u1's logout at 14
  EXPECT_TRUE(only_kind(check_session_semantics(events, {}), "expire-after-delete"));
}

TEST(SessionSemantics, ExpiriesWithFallingLeaderTimeAreOutOfOrder) {
  auto events = log();
  events.push_back(ev(15, EK::kExpire, "s3", "", 99));  // the expiry at 7 carried 100
  const CheckResult r = check_session_semantics(events, {});
  EXPECT_TRUE(only_kind(r, "expiry-out-of-order")) << r.message;
  events.back().applied = false;  // refused expiries are not judged
  EXPECT_TRUE(check_session_semantics(events, {}).ok);
}

TEST(SessionSemantics, ChangingAnEndedSessionIsResurrection) {
  for (EK kind : {EK::kTouch, EK::kUpdate, EK::kExtend}) {
    auto events = log();
    events.push_back(ev(15, kind, "s2"));
    EXPECT_TRUE(only_kind(check_session_semantics(events, {}), "resurrection"));
  }
}

TEST(SessionSemantics, AReadFindingAnEndedSessionIsResurrection) {
  EXPECT_TRUE(only_kind(check_session_semantics(log(), {get(7, "s2", true)}), "resurrection"));
  EXPECT_TRUE(only_kind(check_session_semantics(log(), {exists(14, "s1", true)}), "resurrection"));
  EXPECT_TRUE(only_kind(check_session_semantics(log(), {list(8, "u1", {"s1", "s2"})}), "resurrection"));
}

TEST(SessionSemantics, ChangingANeverCreatedSessionIsAppliedToAbsent) {
  for (EK kind : {EK::kTouch, EK::kExpire}) {
    auto events = log();
    events.push_back(ev(15, kind, "s9", "", 500));
    EXPECT_TRUE(only_kind(check_session_semantics(events, {}), "applied-to-absent"));
  }
}

TEST(SessionSemantics, CreatingALiveIdIsCreateOfLive) {
  auto events = log();
  events.push_back(ev(15, EK::kCreate, "s3", "u4"));
  EXPECT_TRUE(only_kind(check_session_semantics(events, {}), "create-of-live"));
  events.back().applied = false;
  EXPECT_TRUE(check_session_semantics(events, {}).ok);
}

TEST(SessionSemantics, ReadsThatDisagreeWithTheModel) {
  const std::vector<std::vector<SessionRead>> bad = {
      {get(5, "s1", false)},
      {exists(3, "s9", true)},
      {count(5, 2)},
      {list(5, "u1", {"s1", "s1", "s2"})},
  };
  for (const auto& reads : bad) {
    const CheckResult r = check_session_semantics(log(), reads);
    EXPECT_TRUE(only_kind(r, "read-disagrees")) << r.message;
  }
}

TEST(SessionSemantics, AByUserListMissingALiveSessionIsIncomplete) {
  const CheckResult r = check_session_semantics(log(), {list(5, "u1", {"s2"})});
  EXPECT_TRUE(only_kind(r, "by-user-incomplete")) << r.message;
}

TEST(SessionSemantics, AByUserListWithAnotherUsersSessionIsForeign) {
  EXPECT_TRUE(only_kind(check_session_semantics(log(), {list(5, "u1", {"s1", "s2", "s3"})}), "by-user-foreign"));
  EXPECT_TRUE(only_kind(check_session_semantics(log(), {list(5, "u1", {"s1", "s2", "s9"})}), "by-user-foreign"));
  // s3 belonged to u2 until index 9; after it was created again it is u3's.
  EXPECT_TRUE(only_kind(check_session_semantics(log(), {list(12, "u2", {"s3"})}), "by-user-foreign"));
}

TEST(SessionSemantics, IndexesThatDoNotIncreaseAreBadHistory) {
  auto events = log();
  events[3].index = 4;
  const CheckResult r = check_session_semantics(events, {get(5, "s1", true)});
  EXPECT_TRUE(only_kind(r, "bad-history")) << r.message;
  EXPECT_NE(r.message.find("in 0 events, 0 reads"), std::string::npos) << r.message;
}

// --- the property ---

// A deliberately simple model, independent of the checker's: a list of
// sessions scanned linearly. It decides which commands apply, as a correct
// state machine would.
struct SimpleModel {
  struct Entry {
    std::string id, user;
  };
  std::vector<Entry> live;

  const Entry* find(const std::string& id) const {
    for (const Entry& e : live) {
      if (e.id == id) return &e;
    }
    return nullptr;
  }
  bool apply(const SessionEvent& e) {
    const bool present = find(e.id) != nullptr;
    switch (e.kind) {
      case EK::kCreate:
        if (!present) live.push_back({e.id, e.user});
        return !present;
      case EK::kDeleteByUser:
        std::erase_if(live, [&](const Entry& s) { return s.user == e.user; });
        return true;
      case EK::kDelete:
      case EK::kExpire:
        std::erase_if(live, [&](const Entry& s) { return s.id == e.id; });
        return present;
      default:
        return present;
    }
  }
  SessionRead read(Rng& rng, uint64_t served_index, const std::vector<std::string>& ids,
                   const std::vector<std::string>& users) const {
    SessionRead r{rng.below(3), 0, 1, served_index, RK(rng.below(4)), "", false, {}, live.size()};
    if (r.kind == RK::kGet || r.kind == RK::kExists) {
      r.id_or_user = rng.pick(ids);
      r.found = find(r.id_or_user) != nullptr;
    } else if (r.kind == RK::kByUser) {
      r.id_or_user = rng.pick(users);
      for (const Entry& e : live) {
        if (e.user == r.id_or_user) r.ids.push_back(e.id);
      }
      rng.shuffle(r.ids);
    }
    return r;
  }
};

RC_GTEST_PROP(SessionSemantics, ModelReadsPassAndOneFlippedReadIsFlagged, (uint64_t seed)) {
  Rng rng(seed);
  const std::vector<std::string> ids = {"s1", "s2", "s3", "s4"};
  const std::vector<std::string> users = {"u1", "u2"};
  SimpleModel model;
  std::vector<SessionEvent> events;
  std::vector<SessionRead> reads;
  uint64_t index = 0;
  int64_t leader_time_ms = 0;
  for (int64_t n = rng.range(5, 40); n > 0; --n) {
    index += uint64_t(rng.range(1, 3));
    leader_time_ms += rng.range(0, 50);
    const EK kind = EK(rng.below(7));
    SessionEvent e{index, kind, kind == EK::kDeleteByUser ? "" : rng.pick(ids), rng.pick(users), leader_time_ms};
    e.applied = model.apply(e);
    events.push_back(e);
    // Reads served here see this event and nothing later (the next index is above it).
    for (int64_t k = rng.range(0, 2); k > 0; --k) reads.push_back(model.read(rng, index, ids, users));
  }
  reads.push_back(model.read(rng, index + 5, ids, users));
  reads.push_back(SessionRead{0, 0, 1, index, RK::kGet, "s1", model.find("s1") != nullptr, {}, 0});
  rng.shuffle(reads);  // the checker orders reads by served_index itself
  const CheckResult good = check_session_semantics(events, reads);
  RC_ASSERT(good.ok);

  std::vector<size_t> found_reads;
  for (size_t i = 0; i < reads.size(); ++i) {
    if (reads[i].kind == RK::kGet || reads[i].kind == RK::kExists) found_reads.push_back(i);
  }
  SessionRead& flipped = reads[rng.pick(found_reads)];
  flipped.found = !flipped.found;
  const CheckResult bad = check_session_semantics(events, reads);
  RC_ASSERT(!bad.ok);
  RC_ASSERT(bad.violation_count == 1u);
  const std::string kind = *violation_kinds(bad).begin();
  RC_ASSERT(kind == "read-disagrees" || kind == "resurrection");
}

}  // namespace
}  // namespace shoal::check

namespace shoal::check {
namespace {

SessionRead stats(uint64_t served_index, uint64_t live, SessionRead::Counters c) {
  SessionRead r{0, 0, 1, served_index, SessionRead::Kind::kCount, "", false, {}, live};
  r.counters = std::move(c);
  return r;
}

TEST(SessionSemanticsStats, CountersThatMatchTheLogPass) {
  using EK = SessionEvent::Kind;
  const std::vector<SessionEvent> events{
      {1, EK::kCreate, "a", "u1", 0, true}, {2, EK::kCreate, "b", "u1", 0, true}, {3, EK::kCreate, "c", "u2", 0, true},
      {4, EK::kExpire, "a", "", 10, true},  {5, EK::kDelete, "c", "", 0, true},  {6, EK::kDelete, "c", "", 0, true}};
  const CheckResult r = check_session_semantics(
      events, {stats(3, 3, {3, 0, 0, 2, {{1, 1}, {2, 1}}}), stats(6, 1, {3, 1, 1, 1, {{1, 1}}})});
  EXPECT_TRUE(r.ok) << r.message;
}

TEST(SessionSemanticsStats, CountersThatDisagreeAreStatsDisagrees) {
  using EK = SessionEvent::Kind;
  const std::vector<SessionEvent> events{{1, EK::kCreate, "a", "u1", 0, true}, {2, EK::kExpire, "a", "", 10, true}};
  for (const SessionRead::Counters& bad : {SessionRead::Counters{1, 0, 0, 0, {}}, SessionRead::Counters{1, 1, 1, 0, {}},
                                           SessionRead::Counters{1, 1, 0, 1, {{1, 1}}}}) {
    const CheckResult r = check_session_semantics(events, {stats(2, 0, bad)});
    EXPECT_FALSE(r.ok);
    ASSERT_FALSE(r.violations.empty());
    EXPECT_EQ(r.violations[0].what.rfind("stats-disagrees", 0), 0u) << r.violations[0].what;
  }
}

}  // namespace
}  // namespace shoal::check
