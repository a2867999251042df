// KvStateMachine, one behaviour at a time: each command and each result code,
// reads with a minimum applied index, malformed input, and every rule of the
// exactly-once session table including its eviction.
#include "engine/shard/kv_state_machine.h"

#include <gtest/gtest.h>

#include <string>

#include "engine/shard/kv_command.h"
#include "tests/shard/kv_test_util.h"

namespace shoal::kv {
namespace {

Result apply(KvStateMachine& m, uint64_t index, const Command& c) {
  absl::StatusOr<Result> r = decode_result(m.apply(index, encode_command(c)));
  EXPECT_TRUE(r.ok()) << r.status();
  EXPECT_TRUE(m.check_invariants().ok()) << m.check_invariants();
  return r.value();
}

Result get(const KvStateMachine& m, const std::string& key, uint64_t min_applied_index = 0) {
  absl::StatusOr<Result> r = decode_result(m.query(encode_query(Get{key, min_applied_index})));
  EXPECT_TRUE(r.ok()) << r.status();
  return r.value();
}

Command in_session(uint64_t client, uint64_t seq, Write w) {
  return Command{Session{client, seq}, std::move(w)};
}
Command plain(Write w) { return Command{std::nullopt, std::move(w)}; }

const Result kOkAt5{Code::kOk, std::nullopt, 5, {}};

// ---- Commands and results ---------------------------------------------------------

TEST(KvStateMachineTest, PutIsReadBackWithTheAppliedIndex) {
  KvStateMachine m;
  EXPECT_EQ(apply(m, 5, plain(Put{"k", "v1"})), kOkAt5);
  EXPECT_EQ(get(m, "k"), (Result{Code::kOk, std::string("v1"), 5, {}}));
  EXPECT_EQ(apply(m, 9, plain(Put{"k", ""})).index, 9u);
  EXPECT_EQ(get(m, "k"), (Result{Code::kOk, std::string(""), 9, {}})) << "empty is a value, not absence";
  EXPECT_EQ(m.applied_index(), 9u);
  EXPECT_EQ(m.key_count(), 1u);
}

TEST(KvStateMachineTest, GetOfAnAbsentKeyIsNotFound) {
  KvStateMachine m;
  EXPECT_EQ(get(m, "k"), (Result{Code::kNotFound, std::nullopt, 0, {}}));
}

TEST(KvStateMachineTest, DeleteRemovesAndSaysWhenThereWasNothing) {
  KvStateMachine m;
  apply(m, 1, plain(Put{"k", "v"}));
  EXPECT_EQ(apply(m, 2, plain(Delete{"k"})), (Result{Code::kOk, std::nullopt, 2, {}}));
  EXPECT_EQ(get(m, "k").code, Code::kNotFound);
  EXPECT_EQ(apply(m, 3, plain(Delete{"k"})), (Result{Code::kNotFound, std::nullopt, 3, {}}));
  EXPECT_EQ(m.key_count(), 0u);
}

TEST(KvStateMachineTest, CasExpectingAbsenceOnlyCreates) {
  KvStateMachine m;
  EXPECT_EQ(apply(m, 1, plain(Cas{"k", std::nullopt, "first"})).code, Code::kOk);
  EXPECT_EQ(apply(m, 2, plain(Cas{"k", std::nullopt, "second"})),
            (Result{Code::kCasFailed, std::string("first"), 2, {}}));
  EXPECT_EQ(get(m, "k").value, "first");
}

TEST(KvStateMachineTest, CasSwapsOnlyOnAMatchAndOtherwiseReturnsTheCurrentValue) {
  KvStateMachine m;
  EXPECT_EQ(apply(m, 1, plain(Cas{"k", std::string(""), "v"})),
            (Result{Code::kCasFailed, std::nullopt, 1, {}}))
      << "expecting \"\" does not match an absent key";
  apply(m, 2, plain(Put{"k", "old"}));
  EXPECT_EQ(apply(m, 3, plain(Cas{"k", std::string("other"), "new"})),
            (Result{Code::kCasFailed, std::string("old"), 3, {}}));
  EXPECT_EQ(get(m, "k").value, "old");
  EXPECT_EQ(apply(m, 4, plain(Cas{"k", std::string("old"), "new"})),
            (Result{Code::kOk, std::nullopt, 4, {}}));
  EXPECT_EQ(get(m, "k").value, "new");
}

TEST(KvStateMachineTest, AppendCreatesThenExtends) {
  KvStateMachine m;
  EXPECT_EQ(apply(m, 1, plain(Append{"k", "ab"})).code, Code::kOk);
  EXPECT_EQ(apply(m, 2, plain(Append{"k", "cd"})).code, Code::kOk);
  EXPECT_EQ(get(m, "k").value, "abcd");
}

TEST(KvStateMachineTest, AppendPastTheValueLimitIsAnErrorAndChangesNothing) {
  KvStateMachine m;
  apply(m, 1, plain(Put{"k", std::string(kMaxValueBytes - 1, 'v')}));
  const uint64_t before = m.fingerprint();
  EXPECT_EQ(apply(m, 2, plain(Append{"k", "x"})).code, Code::kOk) << "exactly at the limit is allowed";
  EXPECT_NE(m.fingerprint(), before);
  const Result over = apply(m, 3, plain(Append{"k", "y"}));
  EXPECT_EQ(over.code, Code::kError);
  EXPECT_EQ(over.index, 3u);
  EXPECT_NE(over.message.find("limit"), std::string::npos) << over.message;
  EXPECT_EQ(get(m, "k").value->size(), kMaxValueBytes);
}

TEST(KvStateMachineTest, ReadsBelowARequiredIndexAnswerBehind) {
  KvStateMachine m;
  apply(m, 4, plain(Put{"k", "v"}));
  EXPECT_EQ(get(m, "k", 4), (Result{Code::kOk, std::string("v"), 4, {}}));
  const Result behind = get(m, "k", 5);
  EXPECT_EQ(behind.code, Code::kBehind);
  EXPECT_EQ(behind.index, 4u) << "a behind answer says how far the replica is";
  EXPECT_FALSE(behind.value.has_value());
  apply(m, 5, plain(Put{"other", "v"}));
  EXPECT_EQ(get(m, "k", 5).code, Code::kOk);
}

TEST(KvStateMachineTest, MalformedCommandsAreErrorsThatOnlyAdvanceTheIndex) {
  KvStateMachine m;
  apply(m, 1, plain(Put{"k", "v"}));
  const std::string before = m.snapshot();
  const std::string too_long_key = encode_command(plain(Put{std::string(kMaxKeyBytes + 1, 'k'), "v"}));
  uint64_t index = 1;
  for (const std::string& bad : {std::string(), std::string("garbage"), encode_query(Get{"k", 0}),
                                 too_long_key, encode_command(plain(Put{"k", "v"})) + "!"}) {
    ++index;
    absl::StatusOr<Result> r = decode_result(m.apply(index, bad));
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->code, Code::kError);
    EXPECT_EQ(r->index, index);
    EXPECT_FALSE(r->message.empty());
  }
  EXPECT_EQ(m.applied_index(), index);
  EXPECT_EQ(get(m, "k").value, "v");
  EXPECT_EQ(m.key_count(), 1u);
  // Structured callers get the same checks as bytes do.
  EXPECT_EQ(m.apply_command(++index, plain(Delete{""})).code, Code::kError);
  EXPECT_EQ(m.key_count(), 1u);
}

TEST(KvStateMachineTest, MalformedQueriesAreErrors) {
  KvStateMachine m;
  apply(m, 3, plain(Put{"k", "v"}));
  for (const std::string& bad : {std::string(), std::string("Q"), encode_command(plain(Put{"k", "v"})),
                                 encode_query(Get{"", 0})}) {
    absl::StatusOr<Result> r = decode_result(m.query(bad));
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->code, Code::kError);
    EXPECT_EQ(r->index, 3u);
  }
}

// ---- Sessions ----------------------------------------------------------------------

TEST(KvSessionTest, ARetryGetsTheFirstAnswerAndAppliesNothing) {
  KvStateMachine m;
  const Command append = in_session(7, 1, Append{"k", "x"});
  const Result first = apply(m, 10, append);
  EXPECT_EQ(first, (Result{Code::kOk, std::nullopt, 10, {}}));
  const KvState before = m.state();
  EXPECT_EQ(apply(m, 11, append), first) << "same result, same index: the client's token does not move";
  EXPECT_EQ(apply(m, 12, append), first);
  EXPECT_EQ(get(m, "k").value, "x") << "the append applied once";
  EXPECT_EQ(m.state().data(), before.data());
  EXPECT_EQ(m.state().sessions(), before.sessions());
}

TEST(KvSessionTest, ARetryGetsTheRememberedAnswerEvenIfTheStateMovedOn) {
  KvStateMachine m;
  const Command cas = in_session(7, 1, Cas{"k", std::nullopt, "mine"});
  EXPECT_EQ(apply(m, 1, cas).code, Code::kOk);
  apply(m, 2, plain(Put{"k", "theirs"}));
  EXPECT_EQ(apply(m, 3, cas), (Result{Code::kOk, std::nullopt, 1, {}}))
      << "a retried CAS must not report failure against a value written after it applied";
}

TEST(KvSessionTest, AnOlderSequenceIsStaleAndNotApplied) {
  KvStateMachine m;
  apply(m, 1, in_session(7, 1, Put{"k", "one"}));
  apply(m, 2, in_session(7, 2, Put{"k", "two"}));
  const Result stale = apply(m, 3, in_session(7, 1, Put{"k", "one"}));
  EXPECT_EQ(stale.code, Code::kStaleSequence);
  EXPECT_EQ(stale.index, 3u);
  EXPECT_NE(stale.message.find("stale sequence"), std::string::npos) << stale.message;
  EXPECT_EQ(get(m, "k").value, "two");
  EXPECT_EQ(m.session(7)->sequence, 2u);
}

TEST(KvSessionTest, SequencesMayHaveGaps) {
  KvStateMachine m;
  apply(m, 1, in_session(7, 1, Append{"k", "a"}));
  EXPECT_EQ(apply(m, 2, in_session(7, 5, Append{"k", "b"})).code, Code::kOk);
  EXPECT_EQ(apply(m, 3, in_session(7, 4, Append{"k", "c"})).code, Code::kStaleSequence);
  EXPECT_EQ(get(m, "k").value, "ab");
}

TEST(KvSessionTest, AClientWithoutASessionMustStartAtSequenceOne) {
  KvStateMachine m;
  const Result expired = apply(m, 1, in_session(7, 2, Put{"k", "v"}));
  EXPECT_EQ(expired.code, Code::kSessionExpired);
  EXPECT_NE(expired.message.find("session expired"), std::string::npos) << expired.message;
  EXPECT_EQ(m.key_count(), 0u);
  EXPECT_EQ(m.session_count(), 0u);
  EXPECT_EQ(apply(m, 2, in_session(7, 1, Put{"k", "v"})).code, Code::kOk);
  EXPECT_EQ(m.session_count(), 1u);
}

TEST(KvSessionTest, ErrorResultsAreRememberedAndConsumeTheirSequence) {
  KvStateMachine m;
  apply(m, 1, plain(Put{"k", std::string(kMaxValueBytes, 'v')}));
  const Command too_big = in_session(7, 1, Append{"k", "x"});
  const Result first = apply(m, 2, too_big);
  EXPECT_EQ(first.code, Code::kError);
  EXPECT_EQ(apply(m, 3, too_big), first);
  EXPECT_EQ(apply(m, 4, in_session(7, 2, Delete{"k"})).code, Code::kOk);
}

TEST(KvSessionTest, SessionlessWritesApplyEveryTime) {
  KvStateMachine m;
  apply(m, 1, plain(Append{"k", "x"}));
  apply(m, 2, plain(Append{"k", "x"}));
  EXPECT_EQ(get(m, "k").value, "xx");
  EXPECT_EQ(m.session_count(), 0u);
}

TEST(KvSessionTest, TheLeastRecentlyAppliedSessionIsEvictedFirst) {
  KvStateMachine m(KvOptions{.max_sessions = 2});
  apply(m, 1, in_session(1, 1, Put{"a", "1"}));
  apply(m, 2, in_session(2, 1, Put{"b", "1"}));
  apply(m, 3, in_session(1, 2, Put{"a", "2"}));  // client 1 is now the most recent
  apply(m, 4, in_session(3, 1, Put{"c", "1"}));  // evicts client 2
  EXPECT_EQ(m.session_count(), 2u);
  EXPECT_NE(m.session(1), nullptr);
  EXPECT_EQ(m.session(2), nullptr);
  EXPECT_NE(m.session(3), nullptr);
  // Client 2's next write cannot be told from a retry any more: refused, not applied.
  EXPECT_EQ(apply(m, 5, in_session(2, 2, Put{"b", "2"})).code, Code::kSessionExpired);
  EXPECT_EQ(get(m, "b").value, "1");
}

TEST(KvSessionTest, RetriesAndRefusalsDoNotRefreshRecency) {
  KvStateMachine m(KvOptions{.max_sessions = 2});
  apply(m, 1, in_session(1, 1, Put{"a", "1"}));
  apply(m, 2, in_session(2, 1, Put{"b", "1"}));
  apply(m, 3, in_session(1, 1, Put{"a", "1"}));  // a retry: changes nothing
  EXPECT_EQ(apply(m, 4, in_session(9, 3, Put{"z", "1"})).code, Code::kSessionExpired);
  apply(m, 5, in_session(3, 1, Put{"c", "1"}));
  EXPECT_EQ(m.session(1), nullptr) << "client 1's last write applied at index 1, the oldest";
  EXPECT_NE(m.session(2), nullptr);
}

TEST(KvSessionTest, RememberedResultBytesAreBoundedToo) {
  KvStateMachine m(KvOptions{.max_sessions = 100, .max_session_bytes = 2 * kMaxSessionCostBytes});
  const std::string big(kMaxValueBytes, 'v');
  apply(m, 1, plain(Put{"k", big}));
  // Each failed CAS remembers the whole current value for its client.
  for (uint64_t client = 1; client <= 3; ++client) {
    const Result r = apply(m, 1 + client, in_session(client, 1, Cas{"k", std::nullopt, "x"}));
    EXPECT_EQ(r.code, Code::kCasFailed);
    EXPECT_EQ(r.value, big);
  }
  EXPECT_EQ(m.session_count(), 2u);
  EXPECT_EQ(m.session(1), nullptr);
  EXPECT_LE(m.session_bytes(), m.options().max_session_bytes);
}

// The documented limit of a bounded table: once a session is evicted, the
// duplicate of its *first* write is indistinguishable from a new session.
TEST(KvSessionTest, AFirstWriteDuplicatedAfterEvictionAppliesAgain) {
  KvStateMachine m(KvOptions{.max_sessions = 1});
  const Command first = in_session(1, 1, Append{"k", "x"});
  apply(m, 1, first);
  apply(m, 2, in_session(2, 1, Put{"other", "v"}));
  EXPECT_EQ(m.session(1), nullptr);
  EXPECT_EQ(apply(m, 3, first).code, Code::kOk);
  EXPECT_EQ(get(m, "k").value, "xx");
}

}  // namespace
}  // namespace shoal::kv
