// watch-delivery on hand-built histories, good and bad, one per violation
// kind, and a property: a watch that delivers exactly what it covers passes,
// and dropping, repeating or swapping one delivery is flagged.
#include "scenarios/checkers/watch_delivery.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include "engine/core/random.h"
#include "tests/checkers/violation_kinds.h"

namespace shoal::check {
namespace {

using Kind = KeyEvent::Kind;

KeyEvent put(uint64_t revision, std::string key, std::string value) {
  return {revision, std::move(key), Kind::kPut, std::move(value)};
}
KeyEvent del(uint64_t revision, std::string key) { return {revision, std::move(key), Kind::kDelete, std::nullopt}; }

// Revisions with gaps, as Raft log indexes give them.
std::vector<KeyEvent> history() {
  return {put(3, "a/1", "x"), put(5, "b/1", "y"), put(8, "a/2", "z"), del(9, "a/1"), put(12, "a/1", "w")};
}

DeliveredEvent delivered(const KeyEvent& e) { return {e.revision, e.key, e.kind, e.value, int64_t(e.revision) * 10}; }

// What a correct watch delivers: every covered event from its start through `observed_through`.
WatchLog exact(const std::vector<KeyEvent>& committed, WatchSpec spec, uint64_t observed_through) {
  WatchLog log{std::move(spec), {}};
  log.observed_through = observed_through;
  for (const KeyEvent& e : committed) {
    if (e.revision >= log.spec.start_revision && e.revision <= observed_through && watch_covers(log.spec, e.key)) {
      log.delivered.push_back(delivered(e));
    }
  }
  return log;
}

WatchSpec key(std::string k, uint64_t from = 0) { return {0, std::move(k), false, from}; }
WatchSpec prefix(std::string p, uint64_t from = 0) { return {0, std::move(p), true, from}; }

TEST(WatchDelivery, ExactDeliveriesPass) {
  const auto h = history();
  const CheckResult r = check_watch_delivery(
      h, {exact(h, key("a/1"), 12), exact(h, prefix("a/", 4), 12), exact(h, prefix(""), 12), exact(h, key("a/2"), 7)});
  EXPECT_TRUE(r.ok) << r.message;
  EXPECT_EQ(r.name, "watch-delivery");
  EXPECT_EQ(r.message, "watch-delivery: ok (4 watches, 11 delivered events)");
}

TEST(WatchDelivery, NothingJudgedSaysSo) {
  const CheckResult r = check_watch_delivery(history(), {});
  EXPECT_TRUE(r.ok);
  EXPECT_EQ(r.message, "watch-delivery: ok (0 watches, 0 delivered events)");
}

TEST(WatchDelivery, EventsPastObservedThroughAreNotOwed) {
  const auto h = history();
  WatchLog log = exact(h, prefix("a/"), 8);
  EXPECT_TRUE(check_watch_delivery(h, {log}).ok);
  log.delivered.push_back(delivered(h[3]));  // delivering later committed events is fine too
  EXPECT_TRUE(check_watch_delivery(h, {log}).ok);
}

TEST(WatchDelivery, SwappedDeliveriesAreOutOfOrder) {
  const auto h = history();
  WatchLog log = exact(h, prefix("a/"), 12);
  std::swap(log.delivered[1], log.delivered[2]);
  const CheckResult r = check_watch_delivery(h, {log});
  EXPECT_TRUE(only_kind(r, "out-of-order")) << r.message;
  EXPECT_EQ(r.violation_count, 1u);
}

TEST(WatchDelivery, ARepeatedDeliveryIsADuplicate) {
  const auto h = history();
  WatchLog log = exact(h, key("a/1"), 12);
  log.delivered.push_back(log.delivered.back());
  const CheckResult r = check_watch_delivery(h, {log});
  EXPECT_TRUE(only_kind(r, "duplicate")) << r.message;
}

TEST(WatchDelivery, AnEventAtAnUncommittedRevisionIsNotCommitted) {
  const auto h = history();
  WatchLog log = exact(h, key("a/1"), 12);
  log.delivered.insert(log.delivered.begin() + 1, DeliveredEvent{4, "a/1", Kind::kPut, "ghost", 40});
  const CheckResult r = check_watch_delivery(h, {log});
  EXPECT_TRUE(only_kind(r, "not-committed")) << r.message;
}

TEST(WatchDelivery, AnEventUnlikeTheCommittedOneIsWrongContent) {
  const auto h = history();
  for (auto mutate : {+[](DeliveredEvent& d) { d.value = "other"; }, +[](DeliveredEvent& d) { d.kind = Kind::kDelete; },
                      +[](DeliveredEvent& d) { d.key = "a/9"; }}) {
    WatchLog log = exact(h, prefix("a/"), 12);
    mutate(log.delivered[0]);
    const CheckResult r = check_watch_delivery(h, {log});
    EXPECT_TRUE(only_kind(r, "wrong-content")) << r.message;
  }
}

TEST(WatchDelivery, AnEventOnAKeyOutsideTheWatchIsNotWatched) {
  const auto h = history();
  WatchLog log = exact(h, prefix("a/"), 12);
  log.delivered.insert(log.delivered.begin() + 1, delivered(h[1]));  // b/1 at revision 5
  const CheckResult r = check_watch_delivery(h, {log});
  EXPECT_TRUE(only_kind(r, "not-watched")) << r.message;
}

TEST(WatchDelivery, AMissingEventIsAGapAndARunIsOneViolation) {
  const auto h = history();
  WatchLog log = exact(h, prefix("a/"), 12);
  log.delivered.erase(log.delivered.begin() + 1, log.delivered.begin() + 3);  // revisions 8 and 9
  const CheckResult r = check_watch_delivery(h, {log});
  EXPECT_TRUE(only_kind(r, "gap")) << r.message;
  EXPECT_EQ(r.violation_count, 1u);
  EXPECT_NE(r.violations[0].what.find("revisions 8..9"), std::string::npos) << r.violations[0].what;
}

TEST(WatchDelivery, AnEventBelowTheStartIsBeforeStart) {
  const auto h = history();
  WatchLog log = exact(h, prefix("a/", 4), 12);
  log.delivered.insert(log.delivered.begin(), delivered(h[0]));  // revision 3
  const CheckResult r = check_watch_delivery(h, {log});
  EXPECT_TRUE(only_kind(r, "before-start")) << r.message;
}

TEST(WatchDelivery, ACompactedErrorBelowTheCompactionPointIsAllowed) {
  const auto h = history();
  WatchLog log = exact(h, prefix("a/"), 3);  // delivered revision 3, then needed 4
  log.observed_through = 12;
  log.compacted_error = true;
  log.compacted_at = 5;  // no event of a/ lies in 4..4: the store compacts revisions, not keys
  EXPECT_TRUE(check_watch_delivery(h, {log}).ok);
  WatchLog fresh{prefix("a/", 2), {}, true, 7, 12};  // nothing delivered: needed 2 next
  EXPECT_TRUE(check_watch_delivery(h, {fresh}).ok);
}

TEST(WatchDelivery, ACompactedErrorAtOrPastTheResumePointIsBadCompacted) {
  const auto h = history();
  WatchLog log = exact(h, prefix("a/"), 8);  // delivered 3 and 8, then needed 9
  log.compacted_error = true;
  log.compacted_at = 9;
  const CheckResult r = check_watch_delivery(h, {log});
  EXPECT_TRUE(only_kind(r, "bad-compacted")) << r.message;
  WatchLog at_zero{prefix("a/"), {}, true, 0, 12};
  EXPECT_TRUE(only_kind(check_watch_delivery(h, {at_zero}), "bad-compacted"));
}

TEST(WatchDelivery, ACompactedWatchOwesEverythingBeforeItsLastDelivery) {
  const auto h = history();
  WatchLog log = exact(h, prefix("a/"), 9);
  log.delivered.erase(log.delivered.begin() + 1);  // skipped 8, delivered 9
  log.compacted_error = true;
  log.compacted_at = 12;
  const CheckResult r = check_watch_delivery(h, {log});
  EXPECT_TRUE(only_kind(r, "gap")) << r.message;
}

TEST(WatchDelivery, AHistoryWhoseRevisionsDoNotIncreaseIsBadHistory) {
  auto h = history();
  h[2].revision = 5;
  const CheckResult r = check_watch_delivery(h, {exact(history(), prefix(""), 12)});
  EXPECT_TRUE(only_kind(r, "bad-history")) << r.message;
  EXPECT_NE(r.message.find("in 0 watches"), std::string::npos) << r.message;
}

// --- the property ---

// A random history over a few keys with gaps between revisions, and a few
// watches delivering exactly what they cover; the first covers everything.
struct RandomCase {
  std::vector<KeyEvent> committed;
  std::vector<WatchLog> watches;
};

RandomCase random_case(Rng& rng) {
  const std::vector<std::string> keys = {"a/1", "a/2", "b/1", "b/2", "c"};
  const std::vector<std::string> prefixes = {"", "a/", "b/", "a/1", "c", "d"};
  RandomCase c;
  uint64_t revision = 0;
  for (int64_t n = rng.range(10, 60); n > 0; --n) {
    revision += uint64_t(rng.range(1, 4));
    if (rng.chance(0.25)) {
      c.committed.push_back(del(revision, rng.pick(keys)));
    } else {
      c.committed.push_back(put(revision, rng.pick(keys), "v" + std::to_string(revision)));
    }
  }
  c.watches.push_back(exact(c.committed, prefix(""), revision));
  for (int64_t n = rng.range(0, 4); n > 0; --n) {
    WatchSpec spec = rng.chance(0.5) ? prefix(rng.pick(prefixes)) : key(rng.pick(keys));
    spec.watcher = c.watches.size();
    spec.start_revision = uint64_t(rng.range(0, int64_t(revision)));
    const uint64_t through = rng.chance(0.5) ? revision : uint64_t(rng.range(0, int64_t(revision)));
    c.watches.push_back(exact(c.committed, spec, through));
  }
  return c;
}

RC_GTEST_PROP(WatchDelivery, ExactDeliveryPassesAndOneFaultIsFlagged, (uint64_t seed)) {
  Rng rng(seed);
  RandomCase c = random_case(rng);
  const CheckResult good = check_watch_delivery(c.committed, c.watches);
  RC_ASSERT(good.ok);
  std::vector<size_t> mutable_watches;
  for (size_t w = 0; w < c.watches.size(); ++w) {
    if (c.watches[w].delivered.size() >= 2) mutable_watches.push_back(w);
  }
  RC_ASSERT(!mutable_watches.empty());  // the first watch covers at least 10 events
  std::vector<DeliveredEvent>& d = c.watches[rng.pick(mutable_watches)].delivered;
  const size_t i = rng.below(d.size() - 1);
  std::string expected;
  switch (rng.below(3)) {
    case 0:
      d.erase(d.begin() + i);
      expected = "gap";
      break;
    case 1: {
      const DeliveredEvent again = d[i];
      d.insert(d.begin() + i + 1 + rng.below(d.size() - i), again);
      expected = "duplicate";
      break;
    }
    default:
      std::swap(d[i], d[i + 1]);
      expected = "out-of-order";
  }
  const CheckResult bad = check_watch_delivery(c.committed, c.watches);
  RC_ASSERT(only_kind(bad, expected));
  RC_ASSERT(bad.violation_count == 1u);
}

}  // namespace
}  // namespace shoal::check
