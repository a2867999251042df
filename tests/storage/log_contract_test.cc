// The LogStorage contract, run against both implementations: the in-memory
// twin must mean exactly what the disk log means, or Raft tests on it prove
// nothing about the real thing.
#include <gtest/gtest.h>

#include "tests/storage/storage_test_util.h"

namespace shoal {
namespace {

using storage_test::all_entries;
using storage_test::Completions;
using storage_test::entries;
using storage_test::entry;

enum class LogKind { kMemory, kDisk };

class LogContract : public ::testing::TestWithParam<LogKind> {
 protected:
  void SetUp() override {
    if (GetParam() == LogKind::kMemory) {
      sim_.add_process(1, "n1",
                       [](Env& env) { return std::make_unique<storage_test::MemoryNode>(env); });
    } else {
      sim_.add_process(1, "n1", storage_test::disk_node());
    }
  }
  LogStorage& log() {
    if (GetParam() == LogKind::kMemory) return sim_.process_as<storage_test::MemoryNode>(1)->log;
    return *sim_.process_as<storage_test::DiskNode>(1)->log;
  }
  void settle() { sim_.run_for(milliseconds(100)); }

  sim::Simulation sim_{7};
  Completions done_;
};

TEST_P(LogContract, AFreshLogIsEmptyWithBaseZero) {
  EXPECT_EQ(log().first_index(), 1u);
  EXPECT_EQ(log().last_index(), 0u);
  EXPECT_EQ(log().last_term(), 0u);
  EXPECT_EQ(log().hard_state(), HardState{});
  EXPECT_TRUE(log().status().ok());
  EXPECT_EQ(log().term(1).status().code(), absl::StatusCode::kOutOfRange);
}

TEST_P(LogContract, AppendIsVisibleAtOnceAndCompletesLaterNeverInsideTheCall) {
  ASSERT_TRUE(log().append(entries(1, 3, 1), done_.make(0)).ok());
  // Visible before durable: a leader may replicate what it has not synced.
  EXPECT_EQ(log().last_index(), 3u);
  EXPECT_EQ(*log().term(3), 1u);
  EXPECT_TRUE(done_.fired.empty());
  settle();
  ASSERT_EQ(done_.fired.size(), 1u);
  EXPECT_TRUE(done_.fired_ok(0));
  EXPECT_EQ(all_entries(log()), entries(1, 3, 1));
}

TEST_P(LogContract, CompletionsRunInIssueOrderAcrossKinds) {
  ASSERT_TRUE(log().save_hard_state({1, 2}, done_.make(0)).ok());
  ASSERT_TRUE(log().append(entries(1, 5, 1), done_.make(1)).ok());
  ASSERT_TRUE(log().truncate_after(3, done_.make(2)).ok());
  ASSERT_TRUE(log().save_hard_state({2, kNoNode}, done_.make(3)).ok());
  ASSERT_TRUE(log().append(entries(4, 6, 2), done_.make(4)).ok());
  ASSERT_TRUE(log().compact(2, 1, done_.make(5)).ok());
  ASSERT_TRUE(log().append({}, done_.make(6)).ok());
  settle();
  EXPECT_EQ(done_.order(), (std::vector<int>{0, 1, 2, 3, 4, 5, 6}));
  for (const auto& [id, st] : done_.fired) EXPECT_TRUE(st.ok()) << id << " " << st;
  EXPECT_EQ(log().first_index(), 3u);
  EXPECT_EQ(log().last_index(), 6u);
  EXPECT_EQ(log().hard_state(), (HardState{2, kNoNode}));
}

TEST_P(LogContract, AppendReplacesTheConflictingSuffix) {
  ASSERT_TRUE(log().append(entries(1, 5, 1), nullptr).ok());
  ASSERT_TRUE(log().append(entries(3, 4, 2), done_.make(0)).ok());
  EXPECT_EQ(log().last_index(), 4u);
  EXPECT_EQ(*log().term(2), 1u);
  EXPECT_EQ(*log().term(3), 2u);
  settle();
  EXPECT_TRUE(done_.fired_ok(0));
  std::vector<LogEntry> want = entries(1, 2, 1);
  for (LogEntry& e : entries(3, 4, 2)) want.push_back(e);
  EXPECT_EQ(all_entries(log()), want);
}

TEST_P(LogContract, TruncateAfterRemovesTheSuffix) {
  ASSERT_TRUE(log().append(entries(1, 5, 1), nullptr).ok());
  ASSERT_TRUE(log().truncate_after(2, done_.make(0)).ok());
  EXPECT_EQ(log().last_index(), 2u);
  ASSERT_TRUE(log().truncate_after(0, done_.make(1)).ok());
  EXPECT_EQ(log().last_index(), 0u);
  settle();
  EXPECT_EQ(done_.order(), (std::vector<int>{0, 1}));
  EXPECT_EQ(log().truncate_after(1, nullptr).code(), absl::StatusCode::kOutOfRange);
}

TEST_P(LogContract, CompactKeepsTheSuffixWhenTheLogHoldsTheSnapshotEntry) {
  ASSERT_TRUE(log().append(entries(1, 10, 3), nullptr).ok());
  ASSERT_TRUE(log().compact(6, 3, done_.make(0)).ok());
  EXPECT_EQ(log().first_index(), 7u);
  EXPECT_EQ(log().last_index(), 10u);
  EXPECT_EQ(*log().term(6), 3u);
  EXPECT_EQ(log().term(5).status().code(), absl::StatusCode::kOutOfRange);
  EXPECT_EQ(log().entries(5, 7, 100).status().code(), absl::StatusCode::kOutOfRange);
  settle();
  EXPECT_TRUE(done_.fired_ok(0));
  // Compacting to an older point than the base is a caller bug.
  EXPECT_EQ(log().compact(5, 3, nullptr).code(), absl::StatusCode::kOutOfRange);
}

TEST_P(LogContract, CompactDiscardsTheLogThatDisagreesWithTheSnapshot) {
  ASSERT_TRUE(log().append(entries(1, 10, 3), nullptr).ok());
  ASSERT_TRUE(log().compact(6, 4, done_.make(0)).ok());
  EXPECT_EQ(log().first_index(), 7u);
  EXPECT_EQ(log().last_index(), 6u);
  EXPECT_EQ(*log().term(6), 4u);
  ASSERT_TRUE(log().compact(20, 5, done_.make(1)).ok());
  EXPECT_EQ(log().first_index(), 21u);
  EXPECT_EQ(log().last_term(), 5u);
  ASSERT_TRUE(log().append(entries(21, 22, 5), done_.make(2)).ok());
  settle();
  EXPECT_EQ(done_.order(), (std::vector<int>{0, 1, 2}));
  EXPECT_EQ(all_entries(log()), entries(21, 22, 5));
}

TEST_P(LogContract, RejectedAppendsChangeNothingAndNeverComplete) {
  ASSERT_TRUE(log().append(entries(1, 3, 2), nullptr).ok());
  const auto before = all_entries(log());
  // A gap after the last entry.
  EXPECT_EQ(log().append(entries(5, 6, 2), done_.make(0)).code(), absl::StatusCode::kOutOfRange);
  // Indexes that are not consecutive.
  EXPECT_EQ(log().append({entry(4, 2), entry(6, 2)}, done_.make(1)).code(),
            absl::StatusCode::kInvalidArgument);
  // A term below the entry before it.
  EXPECT_EQ(log().append({entry(4, 1)}, done_.make(2)).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(log().append({entry(4, 3), entry(5, 2)}, done_.make(3)).code(),
            absl::StatusCode::kInvalidArgument);
  // Data larger than one message may carry.
  EXPECT_EQ(
      log().append({entry(4, 2, std::string(kMaxEntryDataBytes + 1, 'x'))}, done_.make(4)).code(),
      absl::StatusCode::kResourceExhausted);
  // Below the base, after compaction.
  ASSERT_TRUE(log().compact(2, 2, nullptr).ok());
  EXPECT_EQ(log().append({entry(2, 2)}, done_.make(5)).code(), absl::StatusCode::kOutOfRange);
  settle();
  EXPECT_TRUE(done_.fired.empty());
  EXPECT_EQ(all_entries(log()), std::vector<LogEntry>(before.begin() + 2, before.end()));
}

TEST_P(LogContract, HardStateNeverGoesBackAndAVoteNeverChanges) {
  ASSERT_TRUE(log().save_hard_state({5, kNoNode}, done_.make(0)).ok());
  ASSERT_TRUE(log().save_hard_state({5, 3}, done_.make(1)).ok());
  ASSERT_TRUE(log().save_hard_state({5, 3}, done_.make(2)).ok());
  EXPECT_EQ(log().save_hard_state({5, 4}, nullptr).code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(log().save_hard_state({5, kNoNode}, nullptr).code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(log().save_hard_state({4, 1}, nullptr).code(), absl::StatusCode::kFailedPrecondition);
  ASSERT_TRUE(log().save_hard_state({6, 4}, done_.make(3)).ok());
  EXPECT_EQ(log().hard_state(), (HardState{6, 4}));
  settle();
  EXPECT_EQ(done_.order(), (std::vector<int>{0, 1, 2, 3}));
}

TEST_P(LogContract, EntriesHonourTheByteBudgetButNeverReturnNothing) {
  ASSERT_TRUE(log().append(entries(1, 10, 1, 100), nullptr).ok());
  EXPECT_EQ(log().entries(3, 11, 0)->size(), 1u);
  EXPECT_EQ(log().entries(3, 11, 250)->size(), 2u);
  EXPECT_EQ(log().entries(3, 11, UINT64_MAX)->size(), 8u);
  EXPECT_TRUE(log().entries(4, 4, 0)->empty());
  EXPECT_EQ(log().entries(3, 12, 0).status().code(), absl::StatusCode::kOutOfRange);
  EXPECT_EQ(log().entries(0, 2, 0).status().code(), absl::StatusCode::kOutOfRange);
}

TEST_P(LogContract, PendingMutationsAreBounded) {
  for (size_t i = 0; i < kMaxPendingMutations; ++i) {
    ASSERT_TRUE(log().append({}, nullptr).ok()) << i;
  }
  EXPECT_EQ(log().append({}, nullptr).code(), absl::StatusCode::kResourceExhausted);
  settle();
  EXPECT_TRUE(log().append({}, nullptr).ok());
}

TEST_P(LogContract, ACompletionMayIssueTheNextMutation) {
  ASSERT_TRUE(log()
                  .append(entries(1, 1, 1),
                          [&](absl::Status st) {
                            ASSERT_TRUE(st.ok());
                            ASSERT_TRUE(log().append(entries(2, 2, 1), done_.make(1)).ok());
                          })
                  .ok());
  settle();
  EXPECT_TRUE(done_.fired_ok(1));
  EXPECT_EQ(log().last_index(), 2u);
}

INSTANTIATE_TEST_SUITE_P(BothTwins, LogContract,
                         ::testing::Values(LogKind::kMemory, LogKind::kDisk),
                         [](const ::testing::TestParamInfo<LogKind>& info) {
                           return info.param == LogKind::kMemory ? "MemoryLog" : "DiskLog";
                         });

TEST(MemoryLog, FailureCompletesPendingWithTheErrorAndRejectsNewMutations) {
  sim::Simulation sim(3);
  sim.add_process(1, "n1",
                  [](Env& env) { return std::make_unique<storage_test::MemoryNode>(env); });
  MemoryLog& log = sim.process_as<storage_test::MemoryNode>(1)->log;
  Completions done;
  ASSERT_TRUE(log.append(entries(1, 2, 1), done.make(0)).ok());
  log.fail(absl::ResourceExhaustedError("disk full"));
  EXPECT_TRUE(done.fired.empty());
  EXPECT_EQ(log.append(entries(3, 3, 1), nullptr).code(), absl::StatusCode::kResourceExhausted);
  sim.run_for(milliseconds(1));
  ASSERT_EQ(done.fired.size(), 1u);
  EXPECT_EQ(done.fired[0].second.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(log.status().code(), absl::StatusCode::kResourceExhausted);
}

}  // namespace
}  // namespace shoal
