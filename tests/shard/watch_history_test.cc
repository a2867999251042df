// WatchHistory::would_report against answer(): a watch parked with nothing
// to report, asking after each change with the revision it has looked
// through, is told it has something exactly when a fresh answer would
// report something — a change it covers, or kCompacted judged on its own
// after_revision.
#include "engine/shard/watch_history.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

namespace shoal::kv {
namespace {

Watch key(std::string k, uint64_t after) { return Watch{std::move(k), false, after, kMaxWatchEvents, 0}; }
Watch prefix(std::string p, uint64_t after) { return Watch{std::move(p), true, after, kMaxWatchEvents, 0}; }
WatchEvent put(uint64_t revision, std::string k) { return WatchEvent{revision, std::move(k), false, "v"}; }

// What a fresh answer reports: anything but an empty kOk.
bool reports(const Result& r) { return r.code != Code::kOk || !r.events.empty(); }

// A revision may hold several changes (a txn's keys in one group): an answer
// lists them together even past its limit, and says it is complete through
// that revision, so the next watch from there misses none of them.
TEST(WatchHistory, AnAnswerNeverSplitsARevision) {
  WatchHistory h;
  h.record(put(5, "a/1"));
  h.record(put(5, "a/2"));
  h.record(put(5, "b/1"));
  h.record(put(6, "a/3"));
  Watch w = prefix("a/", 0);
  w.limit = 1;
  const Result first = h.answer(w, 6);
  ASSERT_EQ(first.code, Code::kOk);
  ASSERT_EQ(first.events.size(), 2u);
  EXPECT_EQ(first.events[0].key, "a/1");
  EXPECT_EQ(first.events[1].key, "a/2");
  EXPECT_EQ(first.index, 5u);
  w.after_revision = first.index;
  const Result next = h.answer(w, 6);
  ASSERT_EQ(next.events.size(), 1u);
  EXPECT_EQ(next.events[0].key, "a/3");
  EXPECT_EQ(next.index, 6u);
}

// The oldest revision is dropped whole: a watch from just before it is told
// to reload, one from it on gets everything after it.
TEST(WatchHistory, CompactionDropsAWholeRevision) {
  WatchHistory h;
  h.record(put(1, "a"));
  h.record(put(1, "b"));
  // One event past the bound: the oldest revision goes, both its events.
  for (uint64_t r = 2; r <= kWatchHistoryEventsMax; ++r) h.record(put(r, "c"));
  EXPECT_EQ(h.compacted_through(), 1u);
  EXPECT_EQ(h.size(), kWatchHistoryEventsMax - 1);
  EXPECT_EQ(h.answer(prefix("", 0), kWatchHistoryEventsMax).code, Code::kCompacted);
  const Result from_one = h.answer(key("c", 1), kWatchHistoryEventsMax);
  ASSERT_EQ(from_one.code, Code::kOk);
  EXPECT_EQ(from_one.events.front().revision, 2u);
}

TEST(WatchHistory, WouldReportOnlyACoveredChangeAfterQuietThrough) {
  WatchHistory h;
  h.record(put(3, "a/1"));
  h.record(put(5, "b/1"));
  EXPECT_FALSE(h.would_report(key("a/2", 0), 5));
  EXPECT_FALSE(h.would_report(prefix("b/", 5), 5)) << "the change at 5 is not after 5";
  EXPECT_TRUE(h.would_report(prefix("b/", 4), 4));
  h.record(put(8, "a/2"));
  EXPECT_TRUE(h.would_report(key("a/2", 0), 5));
  EXPECT_TRUE(h.would_report(prefix("a/", 3), 5));
  EXPECT_TRUE(h.would_report(prefix("", 5), 5));
  EXPECT_FALSE(h.would_report(prefix("b/", 5), 8));
}

// A watch quiet through 20 whose own after_revision (5) was compacted: a
// fresh answer is kCompacted, so it has something to report, though nothing
// it covers changed after 20.
TEST(WatchHistory, WouldReportCompactionOfTheWatchsOwnRevision) {
  WatchHistory h;
  h.record(put(3, "a/1"));
  h.reset(10);
  EXPECT_EQ(h.answer(key("k", 5), 20).code, Code::kCompacted);
  EXPECT_TRUE(h.would_report(key("k", 5), 20));
  EXPECT_FALSE(h.would_report(key("k", 10), 20));
}

TEST(WatchHistory, WouldReportWhenTheOldestChangesAreDropped) {
  WatchHistory h;
  for (uint64_t r = 1; r <= kWatchHistoryEventsMax; ++r) h.record(put(r, "other"));
  EXPECT_FALSE(h.would_report(key("k", 0), kWatchHistoryEventsMax));
  h.record(put(kWatchHistoryEventsMax + 1, "other"));
  EXPECT_EQ(h.compacted_through(), 1u);
  EXPECT_TRUE(h.would_report(key("k", 0), kWatchHistoryEventsMax));
  EXPECT_FALSE(h.would_report(key("k", 1), kWatchHistoryEventsMax + 1));
}

// The replica's rule, over random histories with restores: park when the
// fresh answer is empty, quiet through its index; after each change or
// restore, would_report agrees with a fresh answer, and while it says no,
// the watch is quiet through the applied index.
RC_GTEST_PROP(WatchHistory, WouldReportAgreesWithAFreshAnswer, ()) {
  const std::vector<std::string> keys = {"a", "a/1", "a/2", "b/1", "b"};
  const Watch w{*rc::gen::elementOf(keys), *rc::gen::arbitrary<bool>(), *rc::gen::inRange<uint64_t>(0, 40),
                *rc::gen::inRange<uint32_t>(1, 4), 0};
  WatchHistory h;
  uint64_t applied = 0;
  std::optional<uint64_t> quiet_through;
  if (!reports(h.answer(w, applied))) quiet_through = w.after_revision;
  const int steps = *rc::gen::inRange(0, 60);
  for (int i = 0; i < steps; ++i) {
    const int kind = *rc::gen::inRange(0, 24);
    if (kind == 0) {
      applied += *rc::gen::inRange<uint64_t>(1, 15);
      h.reset(applied);
    } else if (kind == 1) {
      // A burst of changes no watch here covers, so the oldest are dropped
      // (compacted_through then lags the applied index, unlike a restore).
      const uint64_t burst = *rc::gen::inRange<uint64_t>(kWatchHistoryEventsMax / 2, kWatchHistoryEventsMax);
      for (uint64_t n = 0; n < burst; ++n) h.record(put(++applied, "z"));
    } else {
      applied += *rc::gen::inRange<uint64_t>(1, 3);
      h.record(put(applied, *rc::gen::elementOf(keys)));
    }
    const bool fresh = reports(h.answer(w, applied));
    if (!quiet_through) {
      // Not parked yet: it parks on the first empty answer.
      if (!fresh) quiet_through = std::max(applied, w.after_revision);
      continue;
    }
    RC_ASSERT(h.would_report(w, *quiet_through) == fresh);
    if (fresh) {
      RC_CLASSIFY(h.answer(w, applied).code == Code::kCompacted, "answered compacted");
      return;  // answered: the watch leaves the replica
    }
    quiet_through = std::max(*quiet_through, applied);
  }
}

}  // namespace
}  // namespace shoal::kv
