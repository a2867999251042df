// Locks in KvStateMachine snapshots: a state holding locks (and sessions that
// remember lock answers) round-trips with an equal fingerprint; the lock
// section is refused when it is out of order or holds an impossible lock,
// even under a correct checksum; version-1 bytes, which have no lock section,
// still restore.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "engine/core/checksum.h"
#include "engine/core/codec.h"
#include "engine/shard/kv_command.h"
#include "engine/shard/kv_state.h"
#include "engine/shard/kv_state_machine.h"
#include "tests/shard/kv_lock_test_util.h"

namespace shoal::kv {
namespace {

using lock_test::acquire;
using lock_test::extend;
using lock_test::fenced;
using lock_test::in_session;
using lock_test::lock_info;
using lock_test::LockMachine;
using lock_test::plain;

constexpr uint8_t kVersionWithLocks = 2;
constexpr uint8_t kVersionWithSessions = 3;
constexpr uint8_t kVersionWithTxns = 4;  // what encode_snapshot writes
constexpr uint8_t kVersionWithoutLocks = 1;

// Snapshot bytes written field by field (the layout in kv_snapshot.cc) and
// sealed with a correct CRC32C, so what a restore refuses it refuses for the
// structure, not the checksum.
class SnapshotBytes {
 public:
  SnapshotBytes(uint8_t version, uint64_t applied_index) {
    w_.u32(0x564b4853);  // "SHKV"
    w_.u8(version);
    w_.varint(applied_index);
  }
  SnapshotBytes& data(const std::vector<std::pair<std::string, std::string>>& entries) {
    w_.varint(entries.size());
    for (const auto& [k, v] : entries) {
      w_.bytes(k);
      w_.bytes(v);
    }
    return *this;
  }
  SnapshotBytes& no_sessions() {
    w_.varint(0);
    return *this;
  }
  SnapshotBytes& locks(const std::vector<LockInfo>& locks) {
    w_.varint(locks.size());
    for (const LockInfo& l : locks) {
      w_.bytes(l.resource);
      w_.bytes(l.holder);
      w_.varint(l.token);
      w_.varint(l.ttl_ms);
      w_.varint(l.lease_index);
    }
    return *this;
  }
  // Version 3's user-session section, empty, with zero counts.
  SnapshotBytes& no_user_sessions() {
    for (int i = 0; i < 5; ++i) w_.varint(0);
    return *this;
  }
  // Version 4's txn section, empty: no intents, records or resolutions.
  SnapshotBytes& no_txns() {
    for (int i = 0; i < 3; ++i) w_.varint(0);
    return *this;
  }
  Writer& raw() { return w_; }
  std::string seal() {
    std::string out = w_.take();
    Writer t(&out);
    t.u32(crc32c(out));
    return out;
  }

 private:
  Writer w_;
};

// A machine with data, locks (one renewed), and sessions that remember a
// grant, a refusal naming a holder, and a fenced write's refusal.
LockMachine populated() {
  LockMachine m;
  m.at(1, plain(Put{"k", "v"}));
  m.at(2, in_session(5, 1, LockAcquire{"b", "alice", 1000}));
  m.at(3, in_session(6, 1, LockAcquire{"b", "bob", 500}));  // kLocked, remembered with alice's lock
  m.at(4, acquire("a", "carol", 20));
  m.at(6, extend("a", 4, 30));
  m.at(7, Command{Session{8, 1}, Put{"k", "w"}, Fence{"c", 2}});  // kFenced, remembered
  return m;
}

TEST(KvLockSnapshotTest, HandBuiltBytesMatchTheEncoder) {
  // The builder below must write what encode_snapshot writes, or the
  // refusals that follow would prove nothing.
  KvState state;
  state.set_applied_index(9);
  state.put("k", "v");
  state.set_lock(lock_info("a", "x", 3, 100, 5));
  state.set_lock(lock_info("b", "y", 7, 200, 9));
  const std::string by_hand = SnapshotBytes(kVersionWithTxns, 9)
                                  .data({{"k", "v"}})
                                  .no_sessions()
                                  .locks({lock_info("a", "x", 3, 100, 5), lock_info("b", "y", 7, 200, 9)})
                                  .no_user_sessions()
                                  .no_txns()
                                  .seal();
  EXPECT_EQ(encode_snapshot(state), by_hand);
  absl::StatusOr<KvState> back = decode_snapshot(by_hand, KvOptions{});
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->locks(), state.locks());
  EXPECT_EQ(back->fingerprint(), state.fingerprint());
}

TEST(KvLockSnapshotTest, LocksAndLockAnswersRoundTrip) {
  LockMachine original = populated();
  KvStateMachine copy;
  ASSERT_TRUE(copy.restore(original.machine().snapshot()).ok());
  EXPECT_EQ(copy.state().locks(), original.machine().state().locks());
  EXPECT_EQ(copy.state().sessions(), original.machine().state().sessions());
  EXPECT_EQ(copy.session_bytes(), original.machine().session_bytes());
  EXPECT_EQ(copy.fingerprint(), original.machine().fingerprint());
  EXPECT_EQ(copy.snapshot(), original.machine().snapshot());
  EXPECT_TRUE(copy.check_invariants().ok()) << copy.check_invariants();
  EXPECT_EQ(*copy.state().lock("a"), lock_info("a", "carol", 4, 30, 6));
  EXPECT_EQ(copy.session(6)->result.code, Code::kLocked);
  EXPECT_EQ(copy.session(6)->result.locks, (std::vector<LockInfo>{lock_info("b", "alice", 2, 1000, 2)}));

  // The restored machine goes on exactly as the original: the fence still
  // holds for alice's token, and a retried refusal is still remembered.
  for (KvStateMachine* m : {&copy, &original.machine()}) {
    EXPECT_EQ(decode_result(m->apply(8, encode_command(fenced("b", 2, Put{"k", "x"}))))->code, Code::kOk);
    EXPECT_EQ(decode_result(m->apply(9, encode_command(in_session(6, 1, LockAcquire{"b", "bob", 500}))))->index, 3u);
  }
  EXPECT_EQ(copy.fingerprint(), original.machine().fingerprint());
}

TEST(KvLockSnapshotTest, TheFingerprintAndBytesCoverEveryLockField) {
  const std::vector<LockInfo> variants = {
      lock_info("r", "h", 3, 100, 5), lock_info("s", "h", 3, 100, 5), lock_info("r", "g", 3, 100, 5),
      lock_info("r", "h", 4, 100, 5), lock_info("r", "h", 3, 101, 5), lock_info("r", "h", 3, 100, 6),
  };
  std::vector<uint64_t> fingerprints;
  std::vector<std::string> snapshots;
  for (const LockInfo& l : variants) {
    KvState state;
    state.set_applied_index(10);
    state.set_lock(l);
    EXPECT_TRUE(state.check_invariants(KvOptions{}).ok());
    fingerprints.push_back(state.fingerprint());
    snapshots.push_back(encode_snapshot(state));
  }
  KvState no_locks;
  no_locks.set_applied_index(10);
  fingerprints.push_back(no_locks.fingerprint());
  snapshots.push_back(encode_snapshot(no_locks));
  for (size_t i = 0; i < fingerprints.size(); ++i) {
    for (size_t j = i + 1; j < fingerprints.size(); ++j) {
      EXPECT_NE(fingerprints[i], fingerprints[j]) << i << " vs " << j;
      EXPECT_NE(snapshots[i], snapshots[j]) << i << " vs " << j;
    }
  }
}

void expect_rejected_and_unchanged(const std::string& bytes, const std::string& why) {
  LockMachine m = populated();
  const std::string before = m.machine().snapshot();
  const absl::Status status = m.machine().restore(bytes);
  EXPECT_EQ(status.code(), absl::StatusCode::kDataLoss) << why << ": " << status;
  EXPECT_EQ(m.machine().snapshot(), before) << why;
}

std::string with_lock_section(uint64_t applied_index, const std::vector<LockInfo>& locks) {
  return SnapshotBytes(kVersionWithLocks, applied_index).data({}).no_sessions().locks(locks).seal();
}

TEST(KvLockSnapshotTest, RestoreRefusesALockSectionOutOfOrder) {
  const LockInfo a = lock_info("a", "x", 1, 10, 1);
  const LockInfo b = lock_info("b", "y", 2, 10, 2);
  ASSERT_TRUE(KvStateMachine().restore(with_lock_section(5, {a, b})).ok()) << "the ordered section is good";
  expect_rejected_and_unchanged(with_lock_section(5, {b, a}), "locks out of order");
  expect_rejected_and_unchanged(with_lock_section(5, {a, a}), "one resource twice");
  expect_rejected_and_unchanged(with_lock_section(5, {a, lock_info("a", "y", 2, 10, 2)}),
                                "one resource twice with different holders");
}

TEST(KvLockSnapshotTest, RestoreRefusesImpossibleLocks) {
  const std::vector<std::pair<LockInfo, std::string>> impossible = {
      {lock_info("r", "x", 0, 10, 3), "token 0"},
      {lock_info("r", "x", 4, 10, 3), "renewed before it was granted"},
      {lock_info("r", "x", 3, 10, 6), "leased after the applied index"},
      {lock_info("", "x", 3, 10, 3), "empty resource"},
      {lock_info(std::string(kMaxResourceBytes + 1, 'r'), "x", 3, 10, 3), "resource too long"},
      {lock_info("r", "", 3, 10, 3), "empty holder"},
      {lock_info("r", std::string(kMaxHolderBytes + 1, 'h'), 3, 10, 3), "holder too long"},
      {lock_info("r", "x", 3, 0, 3), "ttl 0"},
      {lock_info("r", "x", 3, kMaxLockTtlMs + 1, 3), "ttl over the limit"},
  };
  for (const auto& [lock, why] : impossible) expect_rejected_and_unchanged(with_lock_section(5, {lock}), why);
  ASSERT_TRUE(KvStateMachine().restore(with_lock_section(5, {lock_info("r", "x", 3, 10, 5)})).ok())
      << "a lease renewed at the applied index itself is possible";
}

TEST(KvLockSnapshotTest, RestoreRefusesALockSectionCutShortOrFollowedByMore) {
  SnapshotBytes cut(kVersionWithLocks, 5);
  cut.data({}).no_sessions().raw().varint(2);
  cut.raw().bytes("r");
  expect_rejected_and_unchanged(cut.seal(), "the count promises more locks than follow");

  SnapshotBytes missing(kVersionWithLocks, 5);
  missing.data({}).no_sessions();
  expect_rejected_and_unchanged(missing.seal(), "a version-2 snapshot without its lock section");

  SnapshotBytes extra(kVersionWithLocks, 5);
  extra.data({}).no_sessions().locks({}).raw().u8(0);
  expect_rejected_and_unchanged(extra.seal(), "a byte after the lock section");
}

TEST(KvLockSnapshotTest, VersionOneBytesWithoutLocksStillRestore) {
  const std::string v1 = SnapshotBytes(kVersionWithoutLocks, 7).data({{"a", "1"}, {"b", ""}}).no_sessions().seal();
  KvStateMachine m;
  ASSERT_TRUE(m.restore(v1).ok());
  EXPECT_EQ(m.applied_index(), 7u);
  EXPECT_EQ(m.key_count(), 2u);
  EXPECT_TRUE(m.state().locks().empty());
  EXPECT_TRUE(m.check_invariants().ok());
  // It is written back as the current version, with empty later sections,
  // and that state is the one a version-3 snapshot of the same contents gives.
  const std::string v4 = SnapshotBytes(kVersionWithTxns, 7)
                             .data({{"a", "1"}, {"b", ""}})
                             .no_sessions()
                             .locks({})
                             .no_user_sessions()
                             .no_txns()
                             .seal();
  EXPECT_EQ(m.snapshot(), v4);
  const std::string v2 = SnapshotBytes(kVersionWithSessions, 7)
                             .data({{"a", "1"}, {"b", ""}})
                             .no_sessions()
                             .locks({})
                             .no_user_sessions()
                             .seal();
  KvStateMachine from_v2;
  ASSERT_TRUE(from_v2.restore(v2).ok());
  EXPECT_EQ(from_v2.fingerprint(), m.fingerprint());
  // The restored machine takes locks from then on.
  EXPECT_EQ(decode_result(m.apply(8, encode_command(acquire("r", "h"))))->code, Code::kOk);
}

// Results that list no locks and no events keep the byte form they had before
// locks and watches existed, so the session tables of version-1 snapshots
// (taken then) still decode.
TEST(KvLockSnapshotTest, VersionOneSessionResultsInTheOldFormStillRestore) {
  SnapshotBytes b(kVersionWithoutLocks, 3);
  b.data({{"k", "v"}});
  b.raw().varint(1);        // one session
  b.raw().u64(9);           // client 9
  b.raw().varint(1);        // sequence 1
  b.raw().bytes(std::string("R\x00\x00\x02\x00", 5));  // ok, no value, index 2, no message
  KvStateMachine m;
  ASSERT_TRUE(m.restore(b.seal()).ok());
  ASSERT_NE(m.session(9), nullptr);
  EXPECT_EQ(m.session(9)->result.index, 2u);
  EXPECT_EQ(encode_result(m.session(9)->result), std::string("R\x00\x00\x02\x00", 5));
}

TEST(KvLockSnapshotTest, VersionOneBytesCannotCarryALockSectionAndUnknownVersionsAreRefused) {
  expect_rejected_and_unchanged(
      SnapshotBytes(kVersionWithoutLocks, 5).data({}).no_sessions().locks({lock_info("r", "x", 3, 10, 3)}).seal(),
      "a lock section after version-1 bytes");
  expect_rejected_and_unchanged(SnapshotBytes(4, 5).data({}).no_sessions().locks({}).no_user_sessions().seal(),
                                "version 4");
  expect_rejected_and_unchanged(SnapshotBytes(0, 5).data({}).no_sessions().seal(), "version 0");
}

}  // namespace
}  // namespace shoal::kv
