// KvStateMachine snapshots and fingerprints: deterministic bytes, a faithful
// round trip (sessions included), and refusal of damaged or inconsistent
// snapshots — even ones whose checksum is right — without touching the state.
#include <gtest/gtest.h>

#include <string>

#include "engine/core/checksum.h"
#include "engine/core/codec.h"
#include "engine/shard/kv_command.h"
#include "engine/shard/kv_state_machine.h"

namespace shoal::kv {
namespace {

void apply(KvStateMachine& m, uint64_t index, const Command& c) {
  ASSERT_TRUE(decode_result(m.apply(index, encode_command(c))).ok());
}

Command in_session(uint64_t client, uint64_t seq, Write w) {
  return Command{Session{client, seq}, std::move(w)};
}
Command plain(Write w) { return Command{std::nullopt, std::move(w)}; }

// A snapshot built field by field (the layout in kv_snapshot.cc) and sealed
// with a correct checksum, to reach the structural checks behind it.
struct SnapshotBuilder {
  Writer w;
  SnapshotBuilder(uint64_t applied_index, uint64_t key_count) {
    w.u32(0x564b4853);
    w.u8(1);
    w.varint(applied_index);
    w.varint(key_count);
  }
  void key(const std::string& k, const std::string& v) {
    w.bytes(k);
    w.bytes(v);
  }
  void session(uint64_t client, uint64_t seq, const Result& r) {
    w.u64(client);
    w.varint(seq);
    w.bytes(encode_result(r));
  }
  std::string seal() {
    std::string out = w.take();
    Writer t(&out);
    t.u32(crc32c(out));
    return out;
  }
};

KvStateMachine populated() {
  KvStateMachine m;
  apply(m, 1, plain(Put{"b", "2"}));
  apply(m, 2, in_session(9, 1, Cas{"a", std::nullopt, "1"}));
  apply(m, 3, in_session(4, 1, Cas{"a", std::nullopt, "x"}));  // fails, remembers "1"
  apply(m, 5, plain(Put{"c", ""}));
  return m;
}

TEST(KvSnapshotTest, EqualStatesGiveEqualBytesWhateverTheWriteOrder) {
  KvStateMachine forward;
  KvStateMachine backward;
  apply(forward, 1, plain(Put{"a", "1"}));
  apply(forward, 2, plain(Put{"b", "2"}));
  apply(forward, 3, plain(Put{"c", "3"}));
  apply(backward, 1, plain(Put{"c", "3"}));
  apply(backward, 2, plain(Put{"b", "x"}));
  apply(backward, 3, plain(Cas{"a", std::nullopt, "1"}));
  EXPECT_NE(forward.snapshot(), backward.snapshot());
  EXPECT_NE(forward.fingerprint(), backward.fingerprint());
  apply(forward, 4, plain(Put{"b", "x"}));
  apply(backward, 4, plain(Put{"b", "x"}));
  EXPECT_EQ(forward.snapshot(), backward.snapshot());
  EXPECT_EQ(forward.fingerprint(), backward.fingerprint());
}

TEST(KvSnapshotTest, RestoreBringsBackDataSessionsAndTheAppliedIndex) {
  KvStateMachine original = populated();
  KvStateMachine copy;
  ASSERT_TRUE(copy.restore(original.snapshot()).ok());
  EXPECT_EQ(copy.applied_index(), 5u);
  EXPECT_EQ(copy.state().data(), original.state().data());
  EXPECT_EQ(copy.state().sessions(), original.state().sessions());
  EXPECT_EQ(copy.session_bytes(), original.session_bytes());
  EXPECT_EQ(copy.fingerprint(), original.fingerprint());
  EXPECT_EQ(copy.snapshot(), original.snapshot());
  EXPECT_TRUE(copy.check_invariants().ok()) << copy.check_invariants();
  // The restored session still recognises a retry.
  const auto r =
      decode_result(copy.apply(6, encode_command(in_session(4, 1, Cas{"a", std::nullopt, "x"}))));
  EXPECT_EQ(*r, (Result{Code::kCasFailed, std::string("1"), 3, {}}));
}

TEST(KvSnapshotTest, RestoreReplacesRatherThanMerges) {
  KvStateMachine m;
  apply(m, 1, plain(Put{"only-here", "v"}));
  KvStateMachine empty;
  ASSERT_TRUE(m.restore(empty.snapshot()).ok());
  EXPECT_EQ(m.key_count(), 0u);
  EXPECT_EQ(m.applied_index(), 0u);
  EXPECT_EQ(m.fingerprint(), empty.fingerprint());
}

TEST(KvSnapshotTest, FingerprintCoversEveryPartOfTheState) {
  KvStateMachine base;
  apply(base, 1, plain(Put{"k", ""}));
  KvStateMachine other_value;
  apply(other_value, 1, plain(Put{"k", "v"}));
  KvStateMachine other_index;
  apply(other_index, 2, plain(Put{"k", ""}));
  KvStateMachine with_session;
  apply(with_session, 1, in_session(3, 1, Put{"k", ""}));
  KvStateMachine other_key;
  apply(other_key, 1, plain(Put{"j", ""}));
  for (const KvStateMachine* m : {&other_value, &other_index, &with_session, &other_key}) {
    EXPECT_NE(m->fingerprint(), base.fingerprint());
    EXPECT_NE(m->snapshot(), base.snapshot());
  }
}

void expect_rejected_and_unchanged(const std::string& bytes, const std::string& why,
                                   KvOptions options = {}) {
  KvStateMachine m(options);
  apply(m, 1, in_session(1, 1, Put{"keep", "me"}));
  const std::string before = m.snapshot();
  const absl::Status status = m.restore(bytes);
  EXPECT_EQ(status.code(), absl::StatusCode::kDataLoss) << why << ": " << status;
  EXPECT_EQ(m.snapshot(), before) << why;
}

TEST(KvSnapshotTest, RestoreRefusesDamagedBytes) {
  const std::string good = populated().snapshot();
  expect_rejected_and_unchanged("", "empty");
  expect_rejected_and_unchanged(good.substr(0, good.size() - 1), "cut short");
  expect_rejected_and_unchanged(good + "x", "extra byte");
  std::string flipped = good;
  flipped[good.size() / 2] ^= 0x10;
  expect_rejected_and_unchanged(flipped, "flipped bit");
}

TEST(KvSnapshotTest, RestoreRefusesInconsistentSnapshotsWithGoodChecksums) {
  const Result ok_at_2{Code::kOk, std::nullopt, 2, {}};
  {
    SnapshotBuilder b(3, 2);
    b.key("b", "1");
    b.key("a", "1");
    b.w.varint(0);
    expect_rejected_and_unchanged(b.seal(), "keys out of order");
  }
  {
    SnapshotBuilder b(3, 2);
    b.key("a", "1");
    b.key("a", "2");
    b.w.varint(0);
    expect_rejected_and_unchanged(b.seal(), "duplicate key");
  }
  {
    SnapshotBuilder b(3, 1);
    b.key("", "1");
    b.w.varint(0);
    expect_rejected_and_unchanged(b.seal(), "empty key");
  }
  {
    SnapshotBuilder b(3, 0);
    b.w.varint(2);
    b.session(1, 1, ok_at_2);
    b.session(2, 1, ok_at_2);
    expect_rejected_and_unchanged(b.seal(), "two sessions applied at one index");
  }
  {
    SnapshotBuilder b(1, 0);
    b.w.varint(1);
    b.session(1, 1, ok_at_2);
    expect_rejected_and_unchanged(b.seal(), "a session applied after the applied index");
  }
  {
    SnapshotBuilder b(3, 0);
    b.w.varint(1);
    b.session(1, 0, ok_at_2);
    expect_rejected_and_unchanged(b.seal(), "sequence 0");
  }
  {
    SnapshotBuilder b(3, 0);
    b.w.varint(2);
    b.session(2, 1, ok_at_2);
    b.session(1, 1, Result{Code::kOk, std::nullopt, 3, {}});
    expect_rejected_and_unchanged(b.seal(), "sessions out of order");
  }
  {
    SnapshotBuilder b(3, 0);
    b.w.varint(2);
    b.session(1, 1, ok_at_2);
    b.session(2, 1, Result{Code::kOk, std::nullopt, 3, {}});
    const std::string two_sessions = b.seal();
    expect_rejected_and_unchanged(two_sessions, "more sessions than this machine keeps",
                                  KvOptions{.max_sessions = 1});
    KvStateMachine roomy;
    EXPECT_TRUE(roomy.restore(two_sessions).ok()) << "the same bytes are fine within the limits";
  }
}

}  // namespace
}  // namespace shoal::kv
