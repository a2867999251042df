// The lock rules of KvStateMachine (kv_locks.cc) one case at a time: a
// grant's token is its index; another holder is refused and told who holds
// the lock; the holder's acquire-again renews; release and extend by the
// right and wrong token; forced release; expiry of exactly the lease the
// leader timed; fenced writes applied only while their token holds the lock,
// and their session retries; and the lock reads. kv_lock_command_test.cc
// covers the encodings, kv_lock_snapshot_test.cc snapshots, and
// kv_lock_property_test.cc random histories against a model.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "engine/shard/kv_command.h"
#include "engine/shard/kv_state_machine.h"
#include "tests/shard/kv_lock_test_util.h"

namespace shoal::kv {
namespace {

using lock_test::acquire;
using lock_test::expire;
using lock_test::extend;
using lock_test::fenced;
using lock_test::fenced_in_session;
using lock_test::force_release;
using lock_test::in_session;
using lock_test::lock_info;
using lock_test::LockMachine;
using lock_test::plain;
using lock_test::release;
using lock_test::with_locks;

// ---- Lock rules -------------------------------------------------------------------

TEST(KvLockTest, AGrantsTokenIsItsLogIndex) {
  LockMachine m;
  const Result r = m.at(5, acquire("r", "alice", 1000));
  EXPECT_EQ(r, with_locks(Code::kOk, 5, "", {lock_info("r", "alice", 5, 1000, 5)}));
  ASSERT_NE(m.lock("r"), nullptr);
  EXPECT_EQ(*m.lock("r"), lock_info("r", "alice", 5, 1000, 5));
  // Tokens grow across resources: each is its grant's own index.
  EXPECT_EQ(m.at(8, acquire("s", "bob", 10)).locks.at(0).token, 8u);
}

TEST(KvLockTest, ASecondHolderIsRefusedAndToldWhoHoldsIt) {
  LockMachine m;
  m.at(1, acquire("r", "alice", 1000));
  const Result r = m.at(2, acquire("r", "bob", 500));
  EXPECT_EQ(r.code, Code::kLocked);
  EXPECT_EQ(r.index, 2u);
  EXPECT_EQ(r.locks, (std::vector<LockInfo>{lock_info("r", "alice", 1, 1000, 1)}));
  EXPECT_NE(r.message.find("alice"), std::string::npos) << r.message;
  EXPECT_EQ(*m.lock("r"), lock_info("r", "alice", 1, 1000, 1)) << "a refusal changes nothing";
}

TEST(KvLockTest, TheHoldersReacquireRenewsTheLeaseAndKeepsTheToken) {
  LockMachine m;
  m.at(1, acquire("r", "alice", 1000));
  const Result r = m.at(4, acquire("r", "alice", 2000));
  EXPECT_EQ(r, with_locks(Code::kOk, 4, "", {lock_info("r", "alice", 1, 2000, 4)}));
  EXPECT_EQ(*m.lock("r"), lock_info("r", "alice", 1, 2000, 4));
}

TEST(KvLockTest, ReleaseFreesOnlyForTheHoldingToken) {
  LockMachine m;
  m.at(3, acquire("r", "alice"));
  const Result wrong = m.at(4, release("r", 2));
  EXPECT_EQ(wrong.code, Code::kNotHolder);
  EXPECT_NE(wrong.message.find("token 3 does"), std::string::npos) << wrong.message;
  EXPECT_NE(m.lock("r"), nullptr);
  EXPECT_EQ(m.at(5, release("r", 3)), with_locks(Code::kOk, 5, "", {}));
  EXPECT_EQ(m.lock("r"), nullptr);
  const Result again = m.at(6, release("r", 3));
  EXPECT_EQ(again.code, Code::kNotHolder);
  EXPECT_NE(again.message.find("free"), std::string::npos) << again.message;
  // Once free, anyone gets it, under a new token.
  EXPECT_EQ(m.at(7, acquire("r", "bob")).locks.at(0).token, 7u);
}

TEST(KvLockTest, ExtendRenewsOnlyForTheHoldingToken) {
  LockMachine m;
  m.at(2, acquire("r", "alice", 1000));
  EXPECT_EQ(m.at(3, extend("r", 9, 5000)).code, Code::kNotHolder);
  EXPECT_EQ(*m.lock("r"), lock_info("r", "alice", 2, 1000, 2));
  const Result r = m.at(6, extend("r", 2, 5000));
  EXPECT_EQ(r, with_locks(Code::kOk, 6, "", {lock_info("r", "alice", 2, 5000, 6)}));
  EXPECT_EQ(*m.lock("r"), lock_info("r", "alice", 2, 5000, 6));
  EXPECT_EQ(m.at(7, extend("free", 2)).code, Code::kNotHolder);
  EXPECT_EQ(m.lock("free"), nullptr) << "an extend never grants";
}

TEST(KvLockTest, ForceReleaseFreesWhoeverHoldsIt) {
  LockMachine m;
  m.at(1, acquire("r", "alice"));
  EXPECT_EQ(m.at(2, force_release("r")), with_locks(Code::kOk, 2, "", {}));
  EXPECT_EQ(m.lock("r"), nullptr);
  EXPECT_EQ(m.at(3, force_release("r")).code, Code::kNotFound);
}

TEST(KvLockTest, ExpiryFreesOnlyTheLeaseItTimed) {
  LockMachine m;
  m.at(1, acquire("r", "alice"));
  EXPECT_EQ(m.at(2, expire("r", 9, 9)).code, Code::kNotHolder) << "another token";
  EXPECT_EQ(m.at(3, expire("r", 1, 2)).code, Code::kNotHolder) << "a lease index that never was";
  EXPECT_NE(m.lock("r"), nullptr);
  EXPECT_EQ(m.at(4, expire("r", 1, 1)), with_locks(Code::kOk, 4, "", {}));
  EXPECT_EQ(m.lock("r"), nullptr);
  EXPECT_EQ(m.at(5, expire("r", 1, 1)).code, Code::kNotHolder) << "already free";
}

TEST(KvLockTest, AnExpiryStaleAfterARenewalLosesAndTheLockStays) {
  LockMachine m;
  m.at(1, acquire("r", "alice"));
  m.at(2, extend("r", 1, 3000));
  // The leader timed the lease granted at 1; the extension at 2 won the race.
  const Result stale = m.at(3, expire("r", 1, 1));
  EXPECT_EQ(stale.code, Code::kNotHolder);
  EXPECT_FALSE(stale.message.empty());
  EXPECT_EQ(*m.lock("r"), lock_info("r", "alice", 1, 3000, 2));
  // A renewal by acquiring again starts a new lease just the same.
  m.at(4, acquire("r", "alice", 700));
  EXPECT_EQ(m.at(5, expire("r", 1, 2)).code, Code::kNotHolder);
  EXPECT_NE(m.lock("r"), nullptr);
  EXPECT_EQ(m.at(6, expire("r", 1, 4)).code, Code::kOk);
  EXPECT_EQ(m.lock("r"), nullptr);
}

TEST(KvLockTest, LocksOnDifferentResourcesAreIndependent) {
  LockMachine m;
  m.at(1, acquire("a", "alice"));
  m.at(2, acquire("b", "bob"));
  EXPECT_EQ(m.at(3, release("a", 2)).code, Code::kNotHolder) << "b's token does not hold a";
  EXPECT_EQ(m.at(4, release("b", 2)).code, Code::kOk);
  EXPECT_NE(m.lock("a"), nullptr);
  EXPECT_EQ(m.lock("b"), nullptr);
}

// ---- Fenced writes ------------------------------------------------------------------

TEST(KvLockTest, FencedWritesApplyWhileTheirTokenHoldsTheLock) {
  LockMachine m;
  m.at(1, acquire("r", "alice"));
  EXPECT_EQ(m.at(2, fenced("r", 1, Put{"k", "v"})), with_locks(Code::kOk, 2, "", {}));
  EXPECT_EQ(m.at(3, fenced("r", 1, Append{"k", "w"})), with_locks(Code::kOk, 3, "", {}));
  EXPECT_EQ(*m.value("k"), "vw");
  EXPECT_EQ(m.at(4, fenced("r", 1, Cas{"k", std::string("vw"), "x"})).code, Code::kOk);
  // Past the fence the write's own rules still apply.
  const Result failed = m.at(5, fenced("r", 1, Cas{"k", std::string("nope"), "y"}));
  EXPECT_EQ(failed.code, Code::kCasFailed);
  EXPECT_EQ(failed.value, std::optional<std::string>("x"));
  EXPECT_EQ(m.at(6, fenced("r", 1, Delete{"k"})).code, Code::kOk);
  EXPECT_EQ(m.value("k"), nullptr);
  EXPECT_EQ(m.at(7, fenced("r", 1, Delete{"k"})).code, Code::kNotFound);
  // A renewal keeps the token, and so the fence.
  m.at(8, extend("r", 1));
  EXPECT_EQ(m.at(9, fenced("r", 1, Put{"k", "after renewal"})).code, Code::kOk);
}

// Applies `fenced_write` at `index` to `m` and checks it was refused and
// changed nothing but the applied index: `m` then has the fingerprint of a
// machine that skipped that index instead.
void expect_fenced(LockMachine& m, uint64_t index, const Command& fenced_write, const std::string& why) {
  KvStateMachine skipped;
  ASSERT_TRUE(skipped.restore(m.machine().snapshot()).ok());
  skipped.skip(index);
  const Result r = m.at(index, fenced_write);
  EXPECT_EQ(r.code, Code::kFenced) << why << ": " << describe(r);
  EXPECT_EQ(r.index, index) << why;
  EXPECT_FALSE(r.message.empty()) << why;
  EXPECT_EQ(m.machine().fingerprint(), skipped.fingerprint()) << why;
}

std::vector<Write> every_data_write() {
  return {Put{"k", "v"}, Append{"k", "w"}, Cas{"k", std::nullopt, "v"}, Delete{"k"}};
}

TEST(KvLockTest, FencedWritesAreRefusedWhenTheLockIsFree) {
  LockMachine m;
  m.at(1, plain(Put{"k", "old"}));
  uint64_t index = 1;
  for (const Write& w : every_data_write()) expect_fenced(m, ++index, fenced("r", 1, w), describe(plain(w)));
  EXPECT_EQ(*m.value("k"), "old");
}

TEST(KvLockTest, FencedWritesAreRefusedWhenAnotherTokenHoldsTheLock) {
  LockMachine m;
  m.at(1, acquire("r", "alice"));
  m.at(2, release("r", 1));
  m.at(3, acquire("r", "bob"));
  uint64_t index = 3;
  for (const Write& w : every_data_write()) expect_fenced(m, ++index, fenced("r", 1, w), "alice's old token");
  // A token that holds another resource's lock does not pass this fence.
  const uint64_t carols_token = ++index;
  m.at(carols_token, acquire("s", "carol"));
  expect_fenced(m, ++index, fenced("r", carols_token, Put{"k", "v"}), "carol's token of s");
  EXPECT_EQ(m.at(++index, fenced("r", 3, Put{"k", "bob"})).code, Code::kOk) << "bob's token";
}

TEST(KvLockTest, FencedWritesAreRefusedAfterTheLeaseEnds) {
  LockMachine expired;
  expired.at(1, acquire("r", "alice"));
  expired.at(2, expire("r", 1, 1));
  expect_fenced(expired, 3, fenced("r", 1, Put{"k", "v"}), "after expiry");

  LockMachine released;
  released.at(1, acquire("r", "alice"));
  released.at(2, release("r", 1));
  expect_fenced(released, 3, fenced("r", 1, Append{"k", "v"}), "after release");

  LockMachine forced;
  forced.at(1, acquire("r", "alice"));
  forced.at(2, force_release("r"));
  expect_fenced(forced, 3, fenced("r", 1, Delete{"k"}), "after force release");
}

TEST(KvLockTest, ARetriedFencedWriteGetsTheRememberedAnswerAfterTheLockMovedOn) {
  LockMachine m;
  m.at(1, acquire("r", "alice"));
  const Result first = m.at(2, fenced_in_session(7, 1, "r", 1, Append{"log", "a"}));
  EXPECT_EQ(first.code, Code::kOk);
  m.at(3, expire("r", 1, 1));
  m.at(4, acquire("r", "bob"));
  // The first answer was lost; the retry must neither append again nor be fenced now.
  EXPECT_EQ(m.at(5, fenced_in_session(7, 1, "r", 1, Append{"log", "a"})), first);
  EXPECT_EQ(*m.value("log"), "a");
  // The client's next write under the old token is judged afresh: refused.
  const Result next = m.at(6, fenced_in_session(7, 2, "r", 1, Append{"log", "b"}));
  EXPECT_EQ(next.code, Code::kFenced);
  EXPECT_EQ(m.machine().session(7)->result, next) << "a refusal is remembered like any answer";
  EXPECT_EQ(*m.value("log"), "a");
}

TEST(KvLockTest, ARetriedRefusalStaysRefusedEvenOnceItsTokenHoldsTheLock) {
  LockMachine m;
  // Token 4 holds nothing when the write applies...
  const Result first = m.at(2, fenced_in_session(7, 1, "r", 4, Put{"k", "v"}));
  EXPECT_EQ(first.code, Code::kFenced);
  // ...and does once the acquire at index 4 is granted; the retry is still
  // answered from the session, so the write applies never rather than late.
  EXPECT_EQ(m.at(4, acquire("r", "alice")).locks.at(0).token, 4u);
  EXPECT_EQ(m.at(5, fenced_in_session(7, 1, "r", 4, Put{"k", "v"})), first);
  EXPECT_EQ(m.value("k"), nullptr);
}

TEST(KvLockTest, ARetriedLockCommandGetsTheRememberedAnswer) {
  LockMachine m;
  const Result granted = m.at(1, in_session(3, 1, LockAcquire{"r", "alice", 100}));
  EXPECT_EQ(granted.code, Code::kOk);
  m.at(2, release("r", 1));
  EXPECT_EQ(m.at(3, in_session(3, 1, LockAcquire{"r", "alice", 100})), granted);
  EXPECT_EQ(m.lock("r"), nullptr) << "the retry did not grant again";
  EXPECT_EQ(m.at(4, in_session(4, 1, LockAcquire{"r", "bob", 100})).code, Code::kOk);
  const Result refused = m.at(5, in_session(3, 2, LockAcquire{"r", "alice", 100}));
  EXPECT_EQ(refused.code, Code::kLocked);
  m.at(6, release("r", 4));
  // The lock is free now, but the retry is answered as the first try was.
  EXPECT_EQ(m.at(7, in_session(3, 2, LockAcquire{"r", "alice", 100})), refused);
  EXPECT_EQ(m.lock("r"), nullptr);
  EXPECT_EQ(m.at(8, in_session(3, 1, LockAcquire{"r", "alice", 100})).code, Code::kStaleSequence);
  EXPECT_EQ(m.lock("r"), nullptr);
}

TEST(KvLockTest, AFenceOnALockCommandIsAnErrorAndChangesNothing) {
  LockMachine m;
  m.at(1, acquire("r", "alice"));
  Command bad = release("r", 1);
  bad.fence = Fence{"r", 1};
  EXPECT_EQ(m.at(2, bad).code, Code::kError);
  EXPECT_NE(m.lock("r"), nullptr);
  // The same command handed in memory is refused alike.
  const Result direct = m.machine().apply_command(3, bad);
  EXPECT_EQ(direct.code, Code::kError);
  EXPECT_NE(m.lock("r"), nullptr);
  EXPECT_EQ(m.machine().applied_index(), 3u);
}

TEST(KvLockTest, LockChangesMoveTheFingerprintAndEqualTablesAgree) {
  LockMachine a;
  LockMachine b;
  a.at(1, acquire("r", "alice"));
  b.at(1, acquire("r", "alice"));
  a.at(2, acquire("s", "bob"));
  b.machine().skip(2);
  EXPECT_NE(a.machine().fingerprint(), b.machine().fingerprint());
  a.at(3, release("s", 2));
  b.machine().skip(3);
  EXPECT_EQ(a.machine().fingerprint(), b.machine().fingerprint());
  EXPECT_EQ(a.machine().snapshot(), b.machine().snapshot());
  a.at(4, extend("r", 1));
  b.machine().skip(4);
  EXPECT_NE(a.machine().fingerprint(), b.machine().fingerprint()) << "a renewal changes the state";
}

// ---- Lock reads -----------------------------------------------------------------------

TEST(KvLockTest, LockStatusReadsOneLock) {
  LockMachine m;
  m.at(3, acquire("r", "alice", 40));
  EXPECT_EQ(m.read(LockStatus{"r", 0}), with_locks(Code::kOk, 3, "", {lock_info("r", "alice", 3, 40, 3)}));
  EXPECT_EQ(m.read(LockStatus{"free", 0}), with_locks(Code::kNotFound, 3, "", {}));
  EXPECT_EQ(m.read(LockStatus{"r", 3}).code, Code::kOk) << "exactly the applied index is enough";
  const Result behind = m.read(LockStatus{"r", 4});
  EXPECT_EQ(behind.code, Code::kBehind);
  EXPECT_EQ(behind.index, 3u);
  EXPECT_TRUE(behind.locks.empty());
  EXPECT_EQ(m.machine().read(LockStatus{"", 0}).code, Code::kError);
}

TEST(KvLockTest, ActiveLocksListsInResourceOrderFromTheCursor) {
  LockMachine m;
  m.at(1, acquire("c", "x"));
  m.at(2, acquire("a", "y"));
  m.at(3, acquire("b", "z"));
  m.at(4, release("b", 3));
  m.at(5, acquire("d", "x"));
  auto resources = [](const Result& r) {
    std::vector<std::string> out;
    for (const LockInfo& l : r.locks) out.push_back(l.resource);
    return out;
  };
  const Result all = m.read(ActiveLocks{"", 0});
  EXPECT_EQ(all.code, Code::kOk);
  EXPECT_EQ(all.index, 5u);
  EXPECT_EQ(resources(all), (std::vector<std::string>{"a", "c", "d"}));
  EXPECT_EQ(all.locks[0], lock_info("a", "y", 2, 1000, 2));
  EXPECT_EQ(resources(m.read(ActiveLocks{"a", 0})), (std::vector<std::string>{"c", "d"})) << "after is exclusive";
  EXPECT_EQ(resources(m.read(ActiveLocks{"b", 0})), (std::vector<std::string>{"c", "d"})) << "a cursor held by none";
  EXPECT_EQ(m.read(ActiveLocks{"d", 0}), with_locks(Code::kOk, 5, "", {}));
  EXPECT_EQ(m.read(ActiveLocks{"", 6}).code, Code::kBehind);
  EXPECT_EQ(LockMachine().read(ActiveLocks{"", 0}), with_locks(Code::kOk, 0, "", {}));
}

TEST(KvLockTest, ActiveLocksAnswersAtMostTheListingLimit) {
  LockMachine m;
  uint64_t index = 0;
  for (size_t i = 0; i <= kMaxLocksListed; ++i) {
    // Names of equal length, so that resource order is the order of creation.
    m.machine().apply_command(++index, acquire(absl::StrCat("r", 10000 + i), "h"));
  }
  ASSERT_TRUE(m.machine().check_invariants().ok());
  const Result first_page = m.read(ActiveLocks{"", 0});
  ASSERT_EQ(first_page.locks.size(), kMaxLocksListed);
  const Result second_page = m.read(ActiveLocks{first_page.locks.back().resource, 0});
  ASSERT_EQ(second_page.locks.size(), 1u);
  EXPECT_EQ(second_page.locks[0].token, index);
}

}  // namespace
}  // namespace shoal::kv
