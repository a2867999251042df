// SnapshotStore: saving, chunked sending and installing, run against both
// twins; then what only files can do — survive crashes, and be damaged.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include "tests/storage/storage_test_util.h"

namespace shoal {
namespace {

using storage_test::Completions;
using storage_test::DiskNode;
using storage_test::kDir;
using storage_test::MemoryNode;

constexpr uint64_t kChunkBytes = 64;

std::string state_of(size_t bytes) {
  std::string s;
  for (size_t i = 0; i < bytes; ++i) s.push_back(static_cast<char>('A' + (i * 7) % 26));
  return s;
}

// Sends the sender's latest snapshot to the receiver chunk by chunk, the way
// Raft will; returns finish_install's status.
absl::Status transfer(SnapshotStore& from, SnapshotStore& to, StorageCallback done) {
  const SnapshotInfo& info = *from.latest();
  if (auto st = to.begin_install(info.meta.index, info.meta.term, info.chunk_count); !st.ok()) {
    return st;
  }
  for (uint64_t i = 0; i < info.chunk_count; ++i) {
    auto chunk = from.read_chunk(i);
    if (!chunk.ok()) return chunk.status();
    if (auto st = to.install_chunk(i, *chunk); !st.ok()) return st;
  }
  return to.finish_install(std::move(done));
}

enum class StoreKind { kMemory, kDisk };

class SnapshotContract : public ::testing::TestWithParam<StoreKind> {
 protected:
  void SetUp() override {
    for (NodeId id : {1, 2}) {
      if (GetParam() == StoreKind::kMemory) {
        sim_.add_process(id, "n",
                         [](Env& env) { return std::make_unique<MemoryNode>(env, kChunkBytes); });
      } else {
        sim_.add_process(id, "n", storage_test::disk_node({}, {.chunk_bytes = kChunkBytes}));
      }
    }
  }
  SnapshotStore& store(NodeId id) {
    if (GetParam() == StoreKind::kMemory) return sim_.process_as<MemoryNode>(id)->snapshots;
    return *sim_.process_as<DiskNode>(id)->snapshots;
  }
  void settle() { sim_.run_for(milliseconds(100)); }
  void save(NodeId id, uint64_t index, uint64_t term, size_t bytes) {
    const int tag = static_cast<int>(index);
    ASSERT_TRUE(
        store(id).save({index, term, "voters=1,2,3"}, state_of(bytes), done_.make(tag)).ok());
    settle();
    ASSERT_TRUE(done_.fired_ok(tag));
  }

  sim::Simulation sim_{5};
  Completions done_;
};

TEST_P(SnapshotContract, AFreshStoreHasNoSnapshot) {
  EXPECT_FALSE(store(1).latest().has_value());
  EXPECT_EQ(store(1).load().status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(store(1).read_chunk(0).status().code(), absl::StatusCode::kOutOfRange);
  EXPECT_TRUE(store(1).status().ok());
}

TEST_P(SnapshotContract, ASaveBecomesLatestWhenItCompletes) {
  ASSERT_TRUE(store(1).save({10, 2, "cfg"}, state_of(1000), done_.make(0)).ok());
  EXPECT_FALSE(store(1).latest().has_value());
  EXPECT_TRUE(done_.fired.empty());
  settle();
  ASSERT_TRUE(done_.fired_ok(0));
  const SnapshotInfo& info = *store(1).latest();
  EXPECT_EQ(info.meta, (SnapshotMeta{10, 2, "cfg"}));
  EXPECT_EQ(info.chunk_count, (info.image_bytes + kChunkBytes - 1) / kChunkBytes);
  auto loaded = store(1).load();
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_EQ(loaded->meta, info.meta);
  EXPECT_EQ(loaded->state, state_of(1000));
}

TEST_P(SnapshotContract, SavesAreOneAtATimeAndNeverGoBack) {
  ASSERT_TRUE(store(1).save({10, 2, ""}, "a", done_.make(0)).ok());
  EXPECT_EQ(store(1).save({11, 2, ""}, "b", nullptr).code(), absl::StatusCode::kUnavailable);
  settle();
  EXPECT_EQ(store(1).save({10, 2, ""}, "c", nullptr).code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(store(1).save({9, 2, ""}, "c", nullptr).code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(
      store(1).save({12, 2, std::string(kMaxSnapshotConfigBytes + 1, 'c')}, "", nullptr).code(),
      absl::StatusCode::kInvalidArgument);
}

TEST_P(SnapshotContract, ASnapshotTravelsInChunksAndIsVerifiedAtTheEnd) {
  save(1, 50, 4, 1000);
  ASSERT_TRUE(transfer(store(1), store(2), done_.make(1)).ok());
  EXPECT_FALSE(store(2).installing());
  settle();
  ASSERT_TRUE(done_.fired_ok(1));
  EXPECT_EQ(store(2).latest()->meta, store(1).latest()->meta);
  EXPECT_EQ(store(2).load()->state, state_of(1000));
  // The receiver can pass it on in the same chunks.
  for (uint64_t i = 0; i < store(1).latest()->chunk_count; ++i) {
    EXPECT_EQ(*store(2).read_chunk(i), *store(1).read_chunk(i)) << i;
  }
}

TEST_P(SnapshotContract, RepeatedChunksAreIgnoredAndFutureOnesRefused) {
  save(1, 50, 4, 300);
  const SnapshotInfo info = *store(1).latest();
  ASSERT_GT(info.chunk_count, 3u);
  ASSERT_TRUE(store(2).begin_install(50, 4, info.chunk_count).ok());
  ASSERT_TRUE(store(2).install_chunk(0, *store(1).read_chunk(0)).ok());
  ASSERT_TRUE(store(2).install_chunk(1, *store(1).read_chunk(1)).ok());
  EXPECT_TRUE(store(2).install_chunk(0, *store(1).read_chunk(0)).ok());
  EXPECT_EQ(store(2).install_chunk(3, *store(1).read_chunk(3)).code(),
            absl::StatusCode::kOutOfRange);
  EXPECT_EQ(store(2).next_install_chunk(), 2u);
  EXPECT_EQ(store(2).finish_install(nullptr).code(), absl::StatusCode::kFailedPrecondition);
  for (uint64_t i = 2; i < info.chunk_count; ++i) {
    ASSERT_TRUE(store(2).install_chunk(i, *store(1).read_chunk(i)).ok());
  }
  ASSERT_TRUE(store(2).finish_install(done_.make(0)).ok());
  settle();
  EXPECT_TRUE(done_.fired_ok(0));
  EXPECT_EQ(store(2).load()->state, state_of(300));
}

TEST_P(SnapshotContract, ChunksOfTheWrongSizeAreRefused) {
  ASSERT_TRUE(store(2).begin_install(5, 1, 3).ok());
  ASSERT_TRUE(store(2).install_chunk(0, std::string(10, 'a')).ok());
  EXPECT_EQ(store(2).install_chunk(1, std::string(11, 'a')).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(store(2).install_chunk(1, std::string(9, 'a')).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(store(2).install_chunk(1, "").code(), absl::StatusCode::kInvalidArgument);
  ASSERT_TRUE(store(2).install_chunk(1, std::string(10, 'a')).ok());
  EXPECT_EQ(store(2).install_chunk(2, std::string(11, 'a')).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(store(2).install_chunk(0, std::string(kMaxSnapshotChunkBytes + 1, 'a')).code(),
            absl::StatusCode::kOk);  // a repeat of chunk 0 is ignored, whatever it holds
}

TEST_P(SnapshotContract, ADamagedImageFailsVerificationAndChangesNothing) {
  save(1, 50, 4, 500);
  save(2, 10, 1, 10);
  const SnapshotInfo info = *store(1).latest();
  ASSERT_TRUE(store(2).begin_install(50, 4, info.chunk_count).ok());
  for (uint64_t i = 0; i < info.chunk_count; ++i) {
    std::string chunk = *store(1).read_chunk(i);
    if (i == 3) chunk[5] ^= 0x01;
    ASSERT_TRUE(store(2).install_chunk(i, chunk).ok());
  }
  EXPECT_EQ(store(2).finish_install(done_.make(99)).code(), absl::StatusCode::kDataLoss);
  EXPECT_FALSE(store(2).installing());
  settle();
  EXPECT_FALSE(done_.fired_ok(99));
  EXPECT_EQ(store(2).latest()->meta.index, 10u);
  EXPECT_TRUE(store(2).status().ok());
}

TEST_P(SnapshotContract, AnImageForAnotherIndexThanBegunIsRefused) {
  save(1, 50, 4, 200);
  const SnapshotInfo info = *store(1).latest();
  ASSERT_TRUE(store(2).begin_install(51, 4, info.chunk_count).ok());
  for (uint64_t i = 0; i < info.chunk_count; ++i) {
    ASSERT_TRUE(store(2).install_chunk(i, *store(1).read_chunk(i)).ok());
  }
  EXPECT_EQ(store(2).finish_install(nullptr).code(), absl::StatusCode::kDataLoss);
  EXPECT_FALSE(store(2).latest().has_value());
}

TEST_P(SnapshotContract, StaleInstallsAreRefusedAndANewerSnapshotWinsARace) {
  save(1, 50, 4, 200);
  save(2, 60, 5, 200);
  EXPECT_EQ(store(2).begin_install(50, 4, 1).code(), absl::StatusCode::kFailedPrecondition);
  // An install finishing while a newer local save is in flight loses.
  save(1, 70, 5, 100);
  ASSERT_TRUE(store(2).save({80, 6, ""}, "newer", done_.make(1)).ok());
  ASSERT_TRUE(transfer(store(1), store(2), done_.make(2)).ok());
  settle();
  EXPECT_TRUE(done_.fired_ok(1));
  ASSERT_EQ(done_.fired.back().first, 2);
  EXPECT_EQ(done_.fired.back().second.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(store(2).latest()->meta.index, 80u);
  EXPECT_EQ(store(2).load()->state, "newer");
}

TEST_P(SnapshotContract, BeginningAgainDropsTheUnfinishedInstall) {
  save(1, 50, 4, 300);
  const SnapshotInfo info = *store(1).latest();
  ASSERT_TRUE(store(2).begin_install(50, 4, info.chunk_count).ok());
  ASSERT_TRUE(store(2).install_chunk(0, *store(1).read_chunk(0)).ok());
  ASSERT_TRUE(transfer(store(1), store(2), done_.make(0)).ok());
  settle();
  EXPECT_TRUE(done_.fired_ok(0));
  EXPECT_EQ(store(2).load()->state, state_of(300));
}

INSTANTIATE_TEST_SUITE_P(BothTwins, SnapshotContract,
                         ::testing::Values(StoreKind::kMemory, StoreKind::kDisk),
                         [](const ::testing::TestParamInfo<StoreKind>& info) {
                           return info.param == StoreKind::kMemory ? "MemorySnapshotStore"
                                                                   : "DiskSnapshotStore";
                         });

// ---- files: crashes and damage -----------------------------------------------

class DiskSnapshotTest : public ::testing::Test {
 protected:
  DiskSnapshotTest() {
    sim_.add_process(1, "n1", storage_test::disk_node({}, {.chunk_bytes = kChunkBytes}));
  }
  DiskNode& node() { return *sim_.process_as<DiskNode>(1); }
  DiskSnapshotStore& store() { return *node().snapshots; }
  void settle() { sim_.run_for(milliseconds(100)); }
  void save(uint64_t index, size_t bytes) {
    const int tag = static_cast<int>(index);
    ASSERT_TRUE(store().save({index, 3, "cfg"}, state_of(bytes), done_.make(tag)).ok());
    settle();
    ASSERT_TRUE(done_.fired_ok(tag));
  }
  uint64_t chunk_offset(uint64_t chunk) { return chunk * (8 + kChunkBytes); }

  sim::Simulation sim_{9};
  Completions done_;
};

TEST_F(DiskSnapshotTest, ReopenVerifiesAndServesTheLatest) {
  save(40, 700);
  storage_test::crash_and_restart(sim_, 1);
  ASSERT_TRUE(node().snapshot_status.ok()) << node().snapshot_status;
  ASSERT_TRUE(store().latest().has_value());
  EXPECT_EQ(store().latest()->meta, (SnapshotMeta{40, 3, "cfg"}));
  EXPECT_EQ(store().load()->state, state_of(700));
}

TEST_F(DiskSnapshotTest, ACrashDuringASaveKeepsTheOldSnapshot) {
  save(40, 700);
  ASSERT_TRUE(store().save({50, 3, "cfg"}, state_of(900), done_.make(50)).ok());
  storage_test::crash_and_restart(sim_, 1);
  ASSERT_TRUE(node().snapshot_status.ok()) << node().snapshot_status;
  EXPECT_EQ(store().latest()->meta.index, 40u);
  EXPECT_EQ(store().load()->state, state_of(700));
  EXPECT_EQ(node().snapshot_report.removed_files,
            std::vector<std::string>{kDir + "snapshot.save.tmp"});
}

TEST_F(DiskSnapshotTest, ACrashDuringAnInstallKeepsTheOldSnapshot) {
  save(40, 700);
  ASSERT_TRUE(store().begin_install(60, 4, 3).ok());
  ASSERT_TRUE(store().install_chunk(0, std::string(kChunkBytes, 'z')).ok());
  storage_test::crash_and_restart(sim_, 1);
  ASSERT_TRUE(node().snapshot_status.ok()) << node().snapshot_status;
  EXPECT_EQ(store().latest()->meta.index, 40u);
  EXPECT_FALSE(store().installing());
  EXPECT_EQ(node().snapshot_report.removed_files,
            std::vector<std::string>{kDir + "snapshot.recv.tmp"});
}

TEST_F(DiskSnapshotTest, AFlippedBitInTheSnapshotIsNamedWhenOpening) {
  save(40, 700);
  sim_.crash(1);
  ASSERT_TRUE(sim_.flip_bit(1, kDir + "snapshot", chunk_offset(4) + 20, 5));
  sim_.restart(1);
  EXPECT_EQ(node().snapshots, nullptr);
  EXPECT_EQ(node().snapshot_status.code(), absl::StatusCode::kDataLoss);
  ASSERT_TRUE(node().snapshot_report.corruption.has_value());
  EXPECT_EQ(node().snapshot_report.corruption->file, kDir + "snapshot");
  EXPECT_EQ(node().snapshot_report.corruption->offset, chunk_offset(4));
}

TEST_F(DiskSnapshotTest, DamageFoundWhileSendingFailsTheStore) {
  save(40, 700);
  ASSERT_TRUE(sim_.flip_bit(1, kDir + "snapshot", chunk_offset(2) + 9, 0));
  EXPECT_TRUE(store().read_chunk(1).ok());
  const absl::Status st = store().read_chunk(2).status();
  EXPECT_EQ(st.code(), absl::StatusCode::kDataLoss);
  EXPECT_NE(st.message().find(absl::StrCat("offset ", chunk_offset(2))), std::string::npos) << st;
  EXPECT_EQ(store().status().code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(store().read_chunk(1).status().code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(store().load().status().code(), absl::StatusCode::kDataLoss);
}

TEST_F(DiskSnapshotTest, AFullDiskIsAnErrorForSavesAndInstallsNotAFailure) {
  save(40, 700);
  sim_.set_disk_full(1, true);
  EXPECT_EQ(store().save({50, 3, ""}, state_of(900), nullptr).code(),
            absl::StatusCode::kResourceExhausted);
  const absl::Status begun = store().begin_install(60, 4, 2);
  if (begun.ok()) {
    EXPECT_EQ(store().install_chunk(0, std::string(kChunkBytes, 'z')).code(),
              absl::StatusCode::kResourceExhausted);
    EXPECT_FALSE(store().installing());
  } else {
    EXPECT_EQ(begun.code(), absl::StatusCode::kResourceExhausted);
  }
  EXPECT_TRUE(store().status().ok());
  EXPECT_EQ(store().latest()->meta.index, 40u);
  sim_.set_disk_full(1, false);
  save(50, 900);
}

// Any state and configuration, cut into any chunk size, arrives whole: from
// the memory twin into files and back out again.
RC_GTEST_PROP(SnapshotProperty, AnyImageSurvivesChunkedTransferBetweenTwins,
              (const std::string& state, const std::string& config)) {
  const uint64_t chunk_bytes = *rc::gen::inRange<uint64_t>(1, 300);
  const uint64_t index = *rc::gen::inRange<uint64_t>(1, 1u << 30);
  sim::Simulation sim(index);
  sim.add_process(
      1, "mem", [chunk_bytes](Env& env) { return std::make_unique<MemoryNode>(env, chunk_bytes); });
  sim.add_process(2, "disk", storage_test::disk_node({}, {.chunk_bytes = chunk_bytes}));
  SnapshotStore& mem = sim.process_as<MemoryNode>(1)->snapshots;
  SnapshotStore& disk = *sim.process_as<DiskNode>(2)->snapshots;
  Completions done;
  RC_ASSERT(mem.save({index, 7, config}, state, done.make(0)).ok());
  sim.run_for(milliseconds(1));
  RC_ASSERT(transfer(mem, disk, done.make(1)).ok());
  sim.run_for(milliseconds(100));
  RC_ASSERT(done.fired_ok(1));
  storage_test::crash_and_restart(sim, 2);
  SnapshotStore& reopened = *sim.process_as<DiskNode>(2)->snapshots;
  auto loaded = reopened.load();
  RC_ASSERT(loaded.ok());
  RC_ASSERT(loaded->meta == (SnapshotMeta{index, 7, config}));
  RC_ASSERT(loaded->state == state);
  RC_ASSERT(reopened.latest()->chunk_count == mem.latest()->chunk_count);
}

}  // namespace
}  // namespace shoal
