// LeaseKeeper, the leader's timer for lock leases: a lease is due ttl after
// the keeper first saw it, never before; a renewal (a new lease index)
// starts the time again; reset() makes a new leader time every lease afresh;
// a due lease is proposed again only after kExpiryRetryInterval; leases that
// ended are forgotten; and one look proposes at most kMaxExpiriesPerLook.
#include "engine/shard/lease_keeper.h"

#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "engine/shard/kv_state.h"

namespace shoal::kv {
namespace {

// The lock expiries a look proposes (these tests hold no user sessions).
std::vector<LockExpire> lock_expiries(LeaseKeeper& keeper, const KvState& state, TimePoint now) {
  std::vector<LockExpire> out;
  for (const Write& w : keeper.due(state, now)) out.push_back(std::get<LockExpire>(w));
  return out;
}

const TimePoint kStart = from_ns(int64_t{5'000'000'000});

TimePoint at_ms(int64_t ms) { return kStart + milliseconds(ms); }

// A state whose applied index covers every lease below it.
KvState state_with(const std::vector<LockInfo>& locks, uint64_t applied_index = 100) {
  KvState state;
  state.set_applied_index(applied_index);
  for (const LockInfo& l : locks) state.set_lock(l);
  return state;
}

LockInfo lease(const std::string& resource, uint64_t token, uint64_t ttl_ms, uint64_t lease_index) {
  return LockInfo{resource, "holder", token, ttl_ms, lease_index};
}

TEST(LeaseKeeperTest, ALeaseIsDueTtlAfterFirstSightAndNotBefore) {
  LeaseKeeper keeper;
  const KvState state = state_with({lease("r", 5, 1000, 7)});
  EXPECT_TRUE(lock_expiries(keeper, state, at_ms(0)).empty()) << "first sight starts the time";
  EXPECT_EQ(keeper.watched(), 1u);
  EXPECT_TRUE(lock_expiries(keeper, state, at_ms(999)).empty());
  EXPECT_TRUE(lock_expiries(keeper, state, at_ms(1000) - nanoseconds(1)).empty());
  const std::vector<LockExpire> due = lock_expiries(keeper, state, at_ms(1000));
  ASSERT_EQ(due.size(), 1u);
  EXPECT_EQ(due[0], (LockExpire{"r", 5, 7, static_cast<uint64_t>(to_ms(at_ms(1000).time_since_epoch()))}));
}

TEST(LeaseKeeperTest, ALeaseFirstSeenLateIsTimedFromThen) {
  LeaseKeeper keeper;
  const KvState state = state_with({lease("r", 5, 1000, 7)});
  EXPECT_TRUE(lock_expiries(keeper, state, at_ms(60'000)).empty()) << "however old the lease, the keeper times it from now";
  EXPECT_TRUE(lock_expiries(keeper, state, at_ms(60'999)).empty());
  EXPECT_EQ(lock_expiries(keeper, state, at_ms(61'500)).size(), 1u) << "and after ttl it is due";
}

TEST(LeaseKeeperTest, ARenewalStartsTheTimeAgain) {
  LeaseKeeper keeper;
  EXPECT_TRUE(lock_expiries(keeper, state_with({lease("r", 5, 1000, 7)}), at_ms(0)).empty());
  // Renewed at index 9 (extend, or the holder's acquire-again): same token.
  const KvState renewed = state_with({lease("r", 5, 1000, 9)});
  EXPECT_TRUE(lock_expiries(keeper, renewed, at_ms(600)).empty());
  EXPECT_TRUE(lock_expiries(keeper, renewed, at_ms(1000)).empty()) << "the old lease's time no longer counts";
  EXPECT_TRUE(lock_expiries(keeper, renewed, at_ms(1599)).empty());
  const std::vector<LockExpire> due = lock_expiries(keeper, renewed, at_ms(1600));
  ASSERT_EQ(due.size(), 1u);
  EXPECT_EQ(due[0].token, 5u);
  EXPECT_EQ(due[0].lease_index, 9u) << "the expiry names the lease it timed";
}

TEST(LeaseKeeperTest, ARenewalAfterAProposalStartsAfresh) {
  LeaseKeeper keeper;
  const KvState state = state_with({lease("r", 5, 100, 7)});
  lock_expiries(keeper, state, at_ms(0));
  ASSERT_EQ(lock_expiries(keeper, state, at_ms(100)).size(), 1u);
  // The extension beat the expiry to the log; the new lease gets its full ttl.
  const KvState renewed = state_with({lease("r", 5, 300, 8)});
  EXPECT_TRUE(lock_expiries(keeper, renewed, at_ms(700)).empty());
  EXPECT_TRUE(lock_expiries(keeper, renewed, at_ms(999)).empty());
  ASSERT_EQ(lock_expiries(keeper, renewed, at_ms(1000)).size(), 1u);
}

TEST(LeaseKeeperTest, ResetMakesANewLeaderTimeEveryLeaseAfresh) {
  LeaseKeeper keeper;
  const KvState state = state_with({lease("a", 5, 1000, 5), lease("b", 6, 1000, 6)});
  lock_expiries(keeper, state, at_ms(0));
  EXPECT_EQ(keeper.watched(), 2u);
  keeper.reset();
  EXPECT_EQ(keeper.watched(), 0u);
  EXPECT_TRUE(lock_expiries(keeper, state, at_ms(1000)).empty()) << "first sight again";
  EXPECT_TRUE(lock_expiries(keeper, state, at_ms(1999)).empty());
  EXPECT_EQ(lock_expiries(keeper, state, at_ms(2000)).size(), 2u);
}

TEST(LeaseKeeperTest, ADueLeaseIsProposedAgainOnlyAfterTheRetryInterval) {
  LeaseKeeper keeper;
  const KvState state = state_with({lease("r", 5, 100, 7)});
  lock_expiries(keeper, state, at_ms(0));
  ASSERT_EQ(lock_expiries(keeper, state, at_ms(100)).size(), 1u);
  EXPECT_TRUE(lock_expiries(keeper, state, at_ms(100)).empty()) << "just proposed";
  EXPECT_TRUE(lock_expiries(keeper, state, at_ms(100) + kExpiryRetryInterval - nanoseconds(1)).empty());
  const std::vector<LockExpire> again = lock_expiries(keeper, state, at_ms(100) + kExpiryRetryInterval);
  ASSERT_EQ(again.size(), 1u) << "its proposal may have been lost";
  EXPECT_EQ(again[0].lease_index, 7u);
  EXPECT_TRUE(lock_expiries(keeper, state, at_ms(100) + kExpiryRetryInterval + milliseconds(1)).empty());
}

TEST(LeaseKeeperTest, EndedLeasesAreForgotten) {
  LeaseKeeper keeper;
  lock_expiries(keeper, state_with({lease("a", 5, 1000, 5), lease("b", 6, 1000, 6)}), at_ms(0));
  EXPECT_EQ(keeper.watched(), 2u);
  EXPECT_TRUE(lock_expiries(keeper, state_with({lease("b", 6, 1000, 6)}), at_ms(10)).empty());
  EXPECT_EQ(keeper.watched(), 1u) << "a's lock was released";
  EXPECT_TRUE(lock_expiries(keeper, state_with({}), at_ms(20)).empty());
  EXPECT_EQ(keeper.watched(), 0u);
}

TEST(LeaseKeeperTest, ANewHolderOfTheSameResourceIsTimedFromItsGrant) {
  LeaseKeeper keeper;
  lock_expiries(keeper, state_with({lease("r", 5, 1000, 5)}), at_ms(0));
  // Between two looks the lock was freed and granted again under token 20.
  const KvState regranted = state_with({lease("r", 20, 1000, 20)});
  EXPECT_TRUE(lock_expiries(keeper, regranted, at_ms(1500)).empty()) << "token 5's time is not token 20's";
  EXPECT_TRUE(lock_expiries(keeper, regranted, at_ms(2499)).empty());
  const std::vector<LockExpire> due = lock_expiries(keeper, regranted, at_ms(2500));
  ASSERT_EQ(due.size(), 1u);
  EXPECT_EQ(due[0].token, 20u);
}

TEST(LeaseKeeperTest, EachLeaseRunsOnItsOwnTtl) {
  LeaseKeeper keeper;
  const KvState state = state_with({lease("long", 3, 5000, 3), lease("short", 4, 10, 4)});
  lock_expiries(keeper, state, at_ms(0));
  const std::vector<LockExpire> due = lock_expiries(keeper, state, at_ms(10));
  ASSERT_EQ(due.size(), 1u);
  EXPECT_EQ(due[0].resource, "short");
  // The short lease's expiry applied; the long one runs its full ttl.
  const KvState after_expiry = state_with({lease("long", 3, 5000, 3)});
  EXPECT_TRUE(lock_expiries(keeper, after_expiry, at_ms(4999)).empty());
  const std::vector<LockExpire> later = lock_expiries(keeper, after_expiry, at_ms(5000));
  ASSERT_EQ(later.size(), 1u);
  EXPECT_EQ(later[0].resource, "long");
}

TEST(LeaseKeeperTest, OneLookProposesAtMostTheLimitAndTheRestNext) {
  LeaseKeeper keeper;
  const size_t count = kMaxExpiriesPerLook + 36;
  std::vector<LockInfo> locks;
  for (size_t i = 0; i < count; ++i) locks.push_back(lease(absl::StrCat("r", 1000 + i), i + 1, 1, i + 1));
  const KvState state = state_with(locks, count);
  EXPECT_TRUE(lock_expiries(keeper, state, at_ms(0)).empty());
  const std::vector<LockExpire> first = lock_expiries(keeper, state, at_ms(1));
  ASSERT_EQ(first.size(), kMaxExpiriesPerLook);
  const std::vector<LockExpire> second = lock_expiries(keeper, state, at_ms(1));
  ASSERT_EQ(second.size(), count - kMaxExpiriesPerLook) << "the rest wait a look, not a retry interval";
  std::set<std::string> proposed;
  for (const auto* batch : {&first, &second}) {
    for (const LockExpire& e : *batch) EXPECT_TRUE(proposed.insert(e.resource).second) << e.resource << " twice";
  }
  EXPECT_EQ(proposed.size(), count);
  EXPECT_TRUE(lock_expiries(keeper, state, at_ms(2)).empty()) << "all proposed within the retry interval";
}

TEST(LeaseKeeperTest, TheLongestLeaseIsTimedWithoutOverflow) {
  LeaseKeeper keeper;
  const KvState state = state_with({lease("r", 5, kMaxLockTtlMs, 5)});
  lock_expiries(keeper, state, at_ms(0));
  const int64_t ttl_ms = static_cast<int64_t>(kMaxLockTtlMs);
  EXPECT_TRUE(lock_expiries(keeper, state, at_ms(ttl_ms - 1)).empty());
  EXPECT_EQ(lock_expiries(keeper, state, at_ms(ttl_ms)).size(), 1u);
}

}  // namespace
}  // namespace shoal::kv
