// DiskLog on the simulator's disk: segments, compaction, and what recovery
// does with torn tails, corruption and a full disk.
#include <gtest/gtest.h>

#include "engine/storage/hard_state_file.h"
#include "engine/storage/wal_format.h"
#include "tests/storage/storage_test_util.h"

namespace shoal {
namespace {

using storage_test::all_entries;
using storage_test::Completions;
using storage_test::DiskNode;
using storage_test::entries;
using storage_test::kDir;

class DiskLogTest : public ::testing::Test {
 protected:
  void start(DiskLogOptions options = {}) {
    options_ = options;
    sim_.add_process(1, "n1", storage_test::disk_node(options));
  }
  DiskNode& node() { return *sim_.process_as<DiskNode>(1); }
  DiskLog& log() { return *node().log; }
  void settle() { sim_.run_for(milliseconds(100)); }
  void restart() { storage_test::crash_and_restart(sim_, 1); }
  // Appends entries in batches and waits until every one is acknowledged.
  void append_acked(uint64_t first, uint64_t last, uint64_t term, size_t data_bytes = 0,
                    uint64_t batch = 1) {
    for (uint64_t i = first; i <= last; i += batch) {
      const uint64_t end = std::min(last, i + batch - 1);
      ASSERT_TRUE(
          log().append(entries(i, end, term, data_bytes), done_.make(static_cast<int>(end))).ok());
      settle();
      ASSERT_TRUE(done_.fired_ok(static_cast<int>(end)));
    }
  }
  std::string segment(uint64_t first_index) {
    return kDir + "wal/" + wal::segment_name(first_index);
  }

  sim::Simulation sim_{11};
  DiskLogOptions options_;
  Completions done_;
};

TEST_F(DiskLogTest, ReopenRecoversEveryAcknowledgedEntryAndTheHardState) {
  start();
  append_acked(1, 40, 1, 0, 7);
  ASSERT_TRUE(log().save_hard_state({3, 2}, done_.make(100)).ok());
  append_acked(41, 50, 3);
  ASSERT_TRUE(done_.fired_ok(100));
  restart();
  ASSERT_TRUE(node().log_status.ok()) << node().log_status;
  EXPECT_TRUE(node().log_report.torn_tails.empty());
  EXPECT_EQ(log().hard_state(), (HardState{3, 2}));
  std::vector<LogEntry> want = entries(1, 40, 1);
  for (LogEntry& e : entries(41, 50, 3)) want.push_back(e);
  EXPECT_EQ(all_entries(log()), want);
  EXPECT_EQ(node().log_report.entries, 50u);
}

TEST_F(DiskLogTest, SegmentsRollAtTheSizeLimitOnlyWhenTheNewestIsSynced) {
  start({.segment_bytes = 1024, .group_bytes = 512});
  append_acked(1, 60, 1, 100, 4);
  const auto files = log().segment_files();
  EXPECT_GT(files.size(), 4u);
  EXPECT_EQ(files.front(), segment(1));
  // A segment grows past the limit by at most one group before it rolls.
  for (const std::string& f : files) {
    EXPECT_LT(sim_.disk_state(1).files.at(f)->data.size(),
              1024u + 512u + 4 * (100 + wal::kEntryOverheadBytes))
        << f;
  }
  restart();
  ASSERT_TRUE(node().log_status.ok()) << node().log_status;
  EXPECT_EQ(node().log_report.segments, files.size());
  EXPECT_EQ(all_entries(log()), entries(1, 60, 1, 100));
}

TEST_F(DiskLogTest, CompactionRemovesOnlyWholeCoveredSegments) {
  start({.segment_bytes = 1024, .group_bytes = 512});
  append_acked(1, 60, 1, 100, 4);
  const auto before = log().segment_files();
  ASSERT_TRUE(log().compact(30, 1, done_.make(1000)).ok());
  settle();
  ASSERT_TRUE(done_.fired_ok(1000));
  const auto after = log().segment_files();
  EXPECT_LT(after.size(), before.size());
  for (const std::string& f : before) {
    const bool kept = std::find(after.begin(), after.end(), f) != after.end();
    EXPECT_EQ(sim_.disk_state(1).files.contains(f), kept) << f;
  }
  EXPECT_EQ(log().first_index(), 31u);
  // Files go whole, so a reopened log may start earlier; the owner compacts again.
  restart();
  ASSERT_TRUE(node().log_status.ok()) << node().log_status;
  EXPECT_LE(log().first_index(), 31u);
  EXPECT_GT(log().first_index(), 1u);
  ASSERT_TRUE(log().compact(30, 1, nullptr).ok());
  EXPECT_EQ(all_entries(log()), entries(31, 60, 1, 100));
}

TEST_F(DiskLogTest, CompactionPastTheLogStartsAFreshSegmentAtTheSnapshot) {
  start();
  append_acked(1, 10, 1);
  ASSERT_TRUE(log().compact(100, 7, nullptr).ok());
  append_acked(101, 103, 7);
  EXPECT_EQ(log().segment_files(), std::vector<std::string>{segment(101)});
  restart();
  ASSERT_TRUE(node().log_status.ok()) << node().log_status;
  EXPECT_EQ(log().first_index(), 101u);
  EXPECT_EQ(*log().term(100), 7u);
  EXPECT_EQ(all_entries(log()), entries(101, 103, 7));
}

TEST_F(DiskLogTest, TruncationAcrossSegmentsSurvivesReopen) {
  start({.segment_bytes = 1024, .group_bytes = 512});
  append_acked(1, 60, 1, 100, 4);
  ASSERT_TRUE(log().append(entries(20, 25, 2, 100), done_.make(1000)).ok());
  settle();
  ASSERT_TRUE(done_.fired_ok(1000));
  restart();
  ASSERT_TRUE(node().log_status.ok()) << node().log_status;
  std::vector<LogEntry> want = entries(1, 19, 1, 100);
  for (LogEntry& e : entries(20, 25, 2, 100)) want.push_back(e);
  EXPECT_EQ(all_entries(log()), want);
}

// ---- recovery: torn tails ------------------------------------------------------

class TornTailTest : public DiskLogTest {
 protected:
  // Ten acknowledged entries, then the node is down with `tail` planted after them.
  void plant_tail(const std::string& tail) {
    start();
    append_acked(1, 10, 1);
    sim_.crash(1);
    path_ = segment(1);
    clean_size_ = stored_bytes(path_).size();
    storage_test::set_stored_bytes(sim_, 1, path_, stored_bytes(path_) + tail);
    sim_.restart(1);
    ASSERT_TRUE(node().log_status.ok()) << node().log_status;
  }
  void expect_cut_and_usable(uint64_t dropped) {
    ASSERT_EQ(node().log_report.torn_tails.size(), 1u);
    const TornTail& t = node().log_report.torn_tails[0];
    EXPECT_EQ(t.file, path_);
    EXPECT_EQ(t.offset, clean_size_);
    EXPECT_EQ(t.bytes_dropped, dropped);
    EXPECT_EQ(all_entries(log()), entries(1, 10, 1));
    // The log goes on from the cut, and that survives another crash.
    append_acked(11, 12, 1);
    restart();
    ASSERT_TRUE(node().log_status.ok()) << node().log_status;
    EXPECT_TRUE(node().log_report.torn_tails.empty());
    EXPECT_EQ(all_entries(log()), entries(1, 12, 1));
  }
  std::string frame_of(const LogEntry& e) {
    std::string out;
    wal::append_entry(&out, e);
    return out;
  }
  std::string stored_bytes(const std::string& path) {
    return storage_test::stored_bytes(sim_, 1, path);
  }

  std::string path_;
  uint64_t clean_size_ = 0;
};

TEST_F(TornTailTest, HalfAFrameIsCut) {
  const std::string frame = frame_of(storage_test::entry(11, 1));
  plant_tail(frame.substr(0, frame.size() / 2));
  expect_cut_and_usable(frame.size() / 2);
}

TEST_F(TornTailTest, AHeaderCutShortIsCut) {
  plant_tail(frame_of(storage_test::entry(11, 1)).substr(0, 5));
  expect_cut_and_usable(5);
}

TEST_F(TornTailTest, AWholeLastFrameFailingItsChecksumIsCut) {
  std::string frame = frame_of(storage_test::entry(11, 1));
  frame.back() ^= 0x10;
  plant_tail(frame);
  expect_cut_and_usable(frame.size());
}

TEST_F(TornTailTest, GarbageAfterAPartialWriteIsCut) {
  std::string tail = frame_of(storage_test::entry(11, 1)).substr(0, 9);
  for (int i = 0; i < 16; ++i) tail.push_back(static_cast<char>(0xA5 ^ (i * 37)));
  plant_tail(tail);
  expect_cut_and_usable(tail.size());
}

TEST_F(TornTailTest, ZerosLeftByAnExtendedFileAreCut) {
  plant_tail(std::string(300, '\0'));
  expect_cut_and_usable(300);
}

TEST_F(DiskLogTest, ANewestSegmentWhoseHeaderNeverLandedIsRemoved) {
  start({.segment_bytes = 256, .group_bytes = 256});
  append_acked(1, 20, 1, 50, 2);
  const auto files = log().segment_files();
  ASSERT_GT(files.size(), 1u);
  sim_.crash(1);
  const std::string stray = segment(21);
  sim_.disk_state(1).files[stray] = std::make_shared<sim::SimFileState>();
  sim_.restart(1);
  ASSERT_TRUE(node().log_status.ok()) << node().log_status;
  ASSERT_EQ(node().log_report.torn_tails.size(), 1u);
  EXPECT_EQ(node().log_report.torn_tails[0].file, stray);
  EXPECT_FALSE(sim_.disk_state(1).files.contains(stray));
  EXPECT_EQ(all_entries(log()), entries(1, 20, 1, 50));
}

// ---- recovery: corruption ------------------------------------------------------

class CorruptionTest : public DiskLogTest {
 protected:
  // Where each frame of a segment starts, from its clean bytes.
  std::vector<uint64_t> frame_starts(const std::string& path) {
    const std::string& bytes = storage_test::stored_bytes(sim_, 1, path);
    uint64_t first = 0;
    wal::parse_segment_name(path.substr(path.rfind('/') + 1), &first);
    wal::SegmentScan scan = wal::scan_segment(bytes, first);
    EXPECT_EQ(scan.end, wal::SegmentScan::End::kClean);
    std::vector<uint64_t> starts{0};
    starts.insert(starts.end(), scan.entry_offsets.begin(), scan.entry_offsets.end());
    return starts;
  }
  void expect_corruption_at(const std::string& file, uint64_t offset) {
    ASSERT_EQ(node().log, nullptr);
    EXPECT_EQ(node().log_status.code(), absl::StatusCode::kDataLoss);
    ASSERT_TRUE(node().log_report.corruption.has_value());
    EXPECT_EQ(node().log_report.corruption->file, file);
    EXPECT_EQ(node().log_report.corruption->offset, offset);
    // The error an operator sees names both.
    EXPECT_NE(node().log_status.message().find(file), std::string::npos) << node().log_status;
    EXPECT_NE(node().log_status.message().find(absl::StrCat("offset ", offset)), std::string::npos)
        << node().log_status;
  }
};

TEST_F(CorruptionTest, AFlippedBitFollowedByValidRecordsIsNamedAndRefused) {
  start();
  append_acked(1, 20, 1);
  const std::string path = segment(1);
  const auto starts = frame_starts(path);
  sim_.crash(1);
  ASSERT_TRUE(sim_.flip_bit(1, path, starts[5] + 20, 3));  // inside entry 5's frame
  sim_.restart(1);
  expect_corruption_at(path, starts[5]);
}

TEST_F(CorruptionTest, AFlippedBitInTheLastFrameOfAnOlderSegmentIsCorruptionNotATornTail) {
  start({.segment_bytes = 512, .group_bytes = 512});
  append_acked(1, 30, 1, 60, 3);
  const auto files = log().segment_files();
  ASSERT_GT(files.size(), 2u);
  const auto starts = frame_starts(files[0]);
  sim_.crash(1);
  ASSERT_TRUE(sim_.flip_bit(1, files[0], starts.back() + 1, 0));
  sim_.restart(1);
  expect_corruption_at(files[0], starts.back());
}

TEST_F(CorruptionTest, AFlippedBitInASegmentHeaderIsNamed) {
  start({.segment_bytes = 512, .group_bytes = 512});
  append_acked(1, 30, 1, 60, 3);
  const auto files = log().segment_files();
  sim_.crash(1);
  ASSERT_TRUE(sim_.flip_bit(1, files.back(), 2, 7));
  sim_.restart(1);
  expect_corruption_at(files.back(), 0);
}

TEST_F(CorruptionTest, AMissingSegmentIsCorruption) {
  start({.segment_bytes = 512, .group_bytes = 512});
  append_acked(1, 30, 1, 60, 3);
  const auto files = log().segment_files();
  ASSERT_GT(files.size(), 2u);
  sim_.crash(1);
  sim_.disk_state(1).files.erase(files[1]);
  sim_.restart(1);
  expect_corruption_at(files[2], 0);
}

TEST_F(CorruptionTest, ACorruptHardStateFileIsNamed) {
  start();
  ASSERT_TRUE(log().save_hard_state({4, 1}, done_.make(0)).ok());
  settle();
  ASSERT_TRUE(done_.fired_ok(0));
  sim_.crash(1);
  ASSERT_TRUE(sim_.flip_bit(1, kDir + "hardstate", 6, 1));
  sim_.restart(1);
  expect_corruption_at(kDir + "hardstate", 0);
}

TEST_F(CorruptionTest, ATruncatedHardStateFileIsNamed) {
  start();
  ASSERT_TRUE(log().save_hard_state({4, 1}, done_.make(0)).ok());
  settle();
  sim_.crash(1);
  storage_test::set_stored_bytes(sim_, 1, kDir + "hardstate",
                                 encode_hard_state({4, 1}).substr(0, kHardStateFileBytes - 1));
  sim_.restart(1);
  expect_corruption_at(kDir + "hardstate", 0);
}

TEST_F(CorruptionTest, AnUnexpectedFileAmongSegmentsIsRefused) {
  start();
  append_acked(1, 3, 1);
  sim_.crash(1);
  sim_.disk_state(1).files[kDir + "wal/notes.txt"] = std::make_shared<sim::SimFileState>();
  sim_.restart(1);
  expect_corruption_at(kDir + "wal/notes.txt", 0);
}

TEST_F(DiskLogTest, ALeftoverHardStateTemporaryIsRemovedAndTheOldStateKept) {
  start();
  ASSERT_TRUE(log().save_hard_state({2, 1}, done_.make(0)).ok());
  settle();
  sim_.crash(1);
  auto tmp = std::make_shared<sim::SimFileState>();
  tmp->data = tmp->durable = encode_hard_state({3, 2}).substr(0, 7);
  sim_.disk_state(1).files[kDir + "hardstate.tmp"] = tmp;
  sim_.restart(1);
  ASSERT_TRUE(node().log_status.ok()) << node().log_status;
  EXPECT_EQ(log().hard_state(), (HardState{2, 1}));
  EXPECT_EQ(node().log_report.removed_files, std::vector<std::string>{kDir + "hardstate.tmp"});
}

TEST_F(DiskLogTest, BitsFlippedOnReadAreReadAgainNotReported) {
  start();
  append_acked(1, 30, 1, 200, 5);
  sim::DiskConfig flaky;
  flaky.read_corruption_probability = 0.3;
  sim_.set_disk(1, flaky);
  int recovered_after_rereads = 0;
  for (int i = 0; i < 20; ++i) {
    restart();
    // A medium that keeps flipping bits may make recovery give up
    // (Unavailable), but it must never be taken for damage at rest.
    if (!node().log_status.ok()) {
      EXPECT_EQ(node().log_status.code(), absl::StatusCode::kUnavailable) << node().log_status;
      continue;
    }
    EXPECT_TRUE(node().log_report.torn_tails.empty());
    EXPECT_EQ(all_entries(log()), entries(1, 30, 1, 200));
    if (node().log_report.rereads > 0) ++recovered_after_rereads;
  }
  EXPECT_GT(recovered_after_rereads, 0);
}

// ---- a full disk ------------------------------------------------------------------

TEST_F(DiskLogTest, AFullDiskFailsTheLogWithAnErrorAndLosesNothingAcknowledged) {
  start({.segment_bytes = 1024, .group_bytes = 512});
  append_acked(1, 10, 1, 100, 2);
  sim_.set_disk_full(1, true);
  ASSERT_TRUE(log().append(entries(11, 30, 1, 100), done_.make(1000)).ok());
  ASSERT_TRUE(log().save_hard_state({2, 1}, done_.make(1001)).ok());
  settle();
  ASSERT_EQ(done_.fired.size(), 7u);
  EXPECT_EQ(done_.fired[5].second.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(done_.fired[6].second.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(log().status().code(), absl::StatusCode::kResourceExhausted);
  // Failed for good: new mutations are refused at once.
  EXPECT_EQ(log().append(entries(31, 31, 1), nullptr).code(), absl::StatusCode::kResourceExhausted);
  sim_.set_disk_full(1, false);
  restart();
  ASSERT_TRUE(node().log_status.ok()) << node().log_status;
  const auto recovered = all_entries(log());
  ASSERT_GE(recovered.size(), 10u);
  EXPECT_EQ(std::vector<LogEntry>(recovered.begin(), recovered.begin() + 10),
            entries(1, 10, 1, 100));
  append_acked(log().last_index() + 1, log().last_index() + 2, 1);
}

TEST_F(DiskLogTest, AFullDiskWhenANewSegmentIsNeededIsAnError) {
  start({.segment_bytes = 200, .group_bytes = 200});
  append_acked(1, 4, 1, 100, 2);
  sim_.set_disk_full(1, true);
  ASSERT_TRUE(log().append(entries(5, 5, 1, 100), done_.make(1000)).ok());
  settle();
  ASSERT_FALSE(done_.fired_ok(1000));
  EXPECT_EQ(log().status().code(), absl::StatusCode::kResourceExhausted);
}

TEST_F(DiskLogTest, ACrashDropsPendingCompletionsWithoutCallingThem) {
  start();
  append_acked(1, 3, 1);
  ASSERT_TRUE(log().append(entries(4, 6, 1), done_.make(1000)).ok());
  const size_t fired = done_.fired.size();
  restart();
  settle();
  EXPECT_EQ(done_.fired.size(), fired);
  ASSERT_TRUE(node().log_status.ok()) << node().log_status;
  EXPECT_GE(log().last_index(), 3u);
}

}  // namespace
}  // namespace shoal
