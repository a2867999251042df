// The KV group's transaction commands (kv_txn.cc): intents hold keys against
// every other writer, reads are checked at prepare, a record is decided once
// and resolves its group's intents, resolves never contradict a record, late
// duplicates place nothing — and all of it survives the codec and snapshots.
#include <gtest/gtest.h>

#include <string>

#include "engine/shard/kv_command.h"
#include "engine/shard/kv_state_machine.h"
#include "engine/shard/kv_txn_codec.h"

namespace shoal::kv {
namespace {

// Applies through the byte forms, as Raft does, so the codec is exercised too.
class Group {
 public:
  Result apply(Write w) {
    auto r = decode_result(m_.apply(++index_, encode_command(Command{std::nullopt, std::move(w)})));
    EXPECT_TRUE(r.ok()) << r.status();
    EXPECT_TRUE(m_.check_invariants().ok()) << m_.check_invariants();
    return r.ok() ? *r : Result{};
  }
  Result read(Query q) const { return *decode_result(m_.query(encode_query(q))); }
  std::optional<std::string> value(const std::string& key) const {
    return m_.state().data().contains(key) ? std::optional(m_.state().data().at(key)) : std::nullopt;
  }
  KvStateMachine& machine() { return m_; }
  uint64_t index() const { return index_; }

 private:
  KvStateMachine m_;
  uint64_t index_ = 0;
};

TxnWrite put(std::string k, std::string v) { return TxnWrite{std::move(k), TxnWriteKind::kPut, std::move(v)}; }
TxnWrite append(std::string k, std::string v) { return TxnWrite{std::move(k), TxnWriteKind::kAppend, std::move(v)}; }
TxnRead read_of(std::string k, std::optional<std::string> v) {
  return TxnRead{std::move(k), v ? std::optional(txn_value_hash(*v)) : std::nullopt};
}

TEST(KvTxn, TwoGroupCommitAppliesBothHalvesOnlyWhenDecidedAndResolved) {
  Group a, b;
  a.apply(Put{"x", "1"});
  EXPECT_EQ(a.apply(TxnPrepare{"t1", 7, true, {read_of("x", "1")}, {append("x", " 2")}}).code, Code::kOk);
  EXPECT_EQ(b.apply(TxnPrepare{"t1", 7, false, {}, {put("y", "9")}}).code, Code::kOk);
  EXPECT_EQ(a.value("x"), "1");  // nothing applies before the decision
  EXPECT_EQ(b.value("y"), std::nullopt);
  EXPECT_EQ(a.read(TxnStatusQuery{"t1"}).value, "pending");
  const Result decided = a.apply(TxnDecide{"t1", true});
  EXPECT_EQ(decided.code, Code::kOk);
  EXPECT_EQ(decided.value, "committed");
  EXPECT_EQ(a.value("x"), "1 2");  // the record's group resolved its own intent in the same entry
  EXPECT_EQ(a.machine().state().txns().intent_count(), 0u);
  EXPECT_EQ(b.value("y"), std::nullopt);
  EXPECT_EQ(b.apply(TxnResolve{"t1", true}).code, Code::kOk);
  EXPECT_EQ(b.value("y"), "9");
  EXPECT_EQ(b.machine().state().txns().intent_count(), 0u);
  // Decided once: the other way is refused and names the status.
  const Result flip = a.apply(TxnDecide{"t1", false});
  EXPECT_EQ(flip.code, Code::kTxnDecided);
  EXPECT_EQ(flip.value, "committed");
  EXPECT_EQ(a.apply(TxnDecide{"t1", true}).code, Code::kOk);  // a retry of the same decision
}

TEST(KvTxn, AnIntentHoldsItsKeyAgainstOtherTxnsPlainWritesAndReadsOfWrites) {
  Group g;
  g.apply(Put{"r", "a"});
  ASSERT_EQ(g.apply(TxnPrepare{"t1", 3, false, {read_of("r", "a")}, {put("w", "v")}}).code, Code::kOk);
  const Result blocked = g.apply(TxnPrepare{"t2", 4, true, {}, {put("w", "other")}});
  ASSERT_EQ(blocked.code, Code::kTxnIntent);
  auto ref = decode_intent_ref(*blocked.value);
  ASSERT_TRUE(ref.ok());
  EXPECT_EQ(*ref, (IntentRef{"t1", 3}));
  EXPECT_EQ(g.machine().state().txns().record("t2"), nullptr);  // a refused prepare creates nothing
  EXPECT_EQ(g.apply(Put{"w", "plain"}).code, Code::kTxnIntent);
  EXPECT_EQ(g.apply(Append{"r", "!"}).code, Code::kTxnIntent);  // a read intent holds its key too
  EXPECT_EQ(g.read(Get{"w"}).code, Code::kTxnIntent);             // its value may be committed elsewhere
  EXPECT_EQ(g.read(Get{"r"}).value, "a");                         // a read intent changes no value
  EXPECT_EQ(g.apply(TxnCommitLocal{{}, {put("r", "z")}}).code, Code::kTxnIntent);
  EXPECT_EQ(g.apply(TxnResolve{"t1", false}).code, Code::kOk);
  EXPECT_EQ(g.value("w"), std::nullopt);  // aborted: no trace
  EXPECT_EQ(g.apply(Put{"w", "plain"}).code, Code::kOk);
}

TEST(KvTxn, APrepareWhoseReadNoLongerHoldsPlacesNothing) {
  Group g;
  g.apply(Put{"x", "1"});
  const Result stale = g.apply(TxnPrepare{"t1", 1, true, {read_of("x", "0"), read_of("y", std::nullopt)}, {put("z", "1")}});
  EXPECT_EQ(stale.code, Code::kTxnStale);
  EXPECT_EQ(g.machine().state().txns().intent_count(), 0u);
  EXPECT_EQ(g.machine().state().txns().record("t1"), nullptr);
  EXPECT_EQ(g.apply(TxnCommitLocal{{read_of("x", std::nullopt)}, {put("z", "1")}}).code, Code::kTxnStale);
  EXPECT_EQ(g.apply(TxnCommitLocal{{read_of("x", "1")}, {put("z", "1"), append("x", "1")}}).code, Code::kOk);
  EXPECT_EQ(g.value("x"), "11");
  EXPECT_EQ(g.value("z"), "1");
}

TEST(KvTxn, AnAbortBeforeThePrepareMakesThePrepareFail) {
  Group g;
  // Whoever met an intent of t1 found no record and aborted it: the
  // coordinator's late prepare must not bring the txn back.
  EXPECT_EQ(g.apply(TxnDecide{"t1", false}).value, "aborted");
  const Result late = g.apply(TxnPrepare{"t1", 1, true, {}, {put("k", "v")}});
  EXPECT_EQ(late.code, Code::kTxnDecided);
  EXPECT_EQ(late.value, "aborted");
  EXPECT_EQ(g.machine().state().txns().intent_count(), 0u);
  EXPECT_EQ(g.apply(TxnDecide{"t1", true}).code, Code::kTxnDecided);
  EXPECT_EQ(g.apply(TxnDecide{"t9", true}).code, Code::kNotFound);  // nothing to commit
}

TEST(KvTxn, AResolveNeverContradictsTheRecordItsGroupHolds) {
  Group g;
  ASSERT_EQ(g.apply(TxnPrepare{"t1", 1, true, {}, {put("k", "v")}}).code, Code::kOk);
  EXPECT_EQ(g.apply(TxnResolve{"t1", true}).code, Code::kError);  // pending: nothing to resolve to
  EXPECT_EQ(g.value("k"), std::nullopt);
  ASSERT_EQ(g.apply(TxnDecide{"t1", false}).code, Code::kOk);
  const Result contradicting = g.apply(TxnResolve{"t1", true});
  EXPECT_EQ(contradicting.code, Code::kTxnDecided);
  EXPECT_EQ(contradicting.value, "aborted");
  EXPECT_EQ(g.value("k"), std::nullopt);
}

TEST(KvTxn, ALateDuplicatePrepareAfterTheResolvePlacesNothing) {
  Group g;
  const TxnPrepare p{"t1", 2, false, {}, {append("k", "a")}};
  ASSERT_EQ(g.apply(p).code, Code::kOk);
  ASSERT_EQ(g.apply(TxnResolve{"t1", true}).code, Code::kOk);
  EXPECT_EQ(g.apply(p).code, Code::kOk);  // answered, not placed again
  EXPECT_EQ(g.machine().state().txns().intent_count(), 0u);
  EXPECT_EQ(g.apply(TxnResolve{"t1", true}).code, Code::kOk);
  EXPECT_EQ(g.value("k"), "a");  // applied once
}

TEST(KvTxn, ADecisionForgetsTheDecidedRecordsItNamesAndKeepsPendingOnes) {
  Group g;
  ASSERT_EQ(g.apply(TxnPrepare{"t1", 0, true, {}, {put("a", "1")}}).code, Code::kOk);
  ASSERT_EQ(g.apply(TxnDecide{"t1", true, {}}).code, Code::kOk);
  ASSERT_EQ(g.apply(TxnPrepare{"t2", 0, true, {}, {put("b", "1")}}).code, Code::kOk);
  ASSERT_EQ(g.apply(TxnPrepare{"t3", 0, true, {}, {put("c", "1")}}).code, Code::kOk);
  EXPECT_EQ(g.apply(TxnDecide{"t3", false, {"t1", "t2", "t3", "nobody"}}).code, Code::kOk);
  EXPECT_EQ(g.machine().state().txns().record("t1"), nullptr);  // decided: forgotten
  ASSERT_NE(g.machine().state().txns().record("t2"), nullptr);  // pending: kept
  ASSERT_NE(g.machine().state().txns().record("t3"), nullptr);  // the decision's own txn: kept
  EXPECT_EQ(g.read(TxnStatusQuery{"t1"}).code, Code::kNotFound);
  // A late intent of a forgotten txn is unrecorded: aborting it is right.
  EXPECT_EQ(g.apply(TxnDecide{"t1", false, {}}).value, "aborted");
  EXPECT_FALSE(check_command(Command{std::nullopt, TxnDecide{"t", true, std::vector<std::string>(kMaxTxnForget + 1, "x")}}).ok());
}

TEST(KvTxn, ACommittedWriteIsAWatchEvent) {
  Group g;
  ASSERT_EQ(g.apply(TxnPrepare{"t1", 0, true, {}, {put("k", "v")}}).code, Code::kOk);
  ASSERT_EQ(g.apply(TxnDecide{"t1", true}).code, Code::kOk);
  const Result events = g.read(Watch{"k", false, 0, 10, 0});
  ASSERT_EQ(events.events.size(), 1u);
  EXPECT_EQ(events.events[0].revision, g.index());
  EXPECT_EQ(events.events[0].value, "v");
}

TEST(KvTxn, SnapshotsCarryIntentsRecordsAndResolutions) {
  Group g;
  g.apply(TxnPrepare{"t1", 0, true, {read_of("a", std::nullopt)}, {put("b", "1")}});
  g.apply(TxnPrepare{"t2", 5, false, {}, {append("c", "x")}});
  g.apply(TxnResolve{"t3", false});
  const uint64_t before = g.machine().fingerprint();
  KvStateMachine copy;
  ASSERT_TRUE(copy.restore(g.machine().snapshot()).ok());
  EXPECT_EQ(copy.fingerprint(), before);
  EXPECT_EQ(copy.snapshot(), g.machine().snapshot());
  EXPECT_EQ(copy.state().txns().intent_count(), 3u);
  EXPECT_EQ(copy.state().txns().resolved("t3"), false);
  ASSERT_NE(copy.state().txns().record("t1"), nullptr);
  // The restored copy goes on exactly as the original.
  g.apply(TxnDecide{"t1", true});
  copy.apply(g.index(), encode_command(Command{std::nullopt, TxnDecide{"t1", true}}));
  EXPECT_EQ(copy.fingerprint(), g.machine().fingerprint());
  EXPECT_NE(copy.fingerprint(), before);
}

TEST(KvTxn, TheCodecRefusesMalformedTxnCommands) {
  auto refused = [](const Write& w) { return !check_command(Command{std::nullopt, w}).ok(); };
  EXPECT_TRUE(refused(TxnPrepare{"", 0, true, {}, {put("k", "v")}}));
  EXPECT_TRUE(refused(TxnPrepare{"t", 0, true, {}, {}}));
  EXPECT_TRUE(refused(TxnPrepare{"t", 0, true, {}, {put("k", "v"), put("k", "w")}}));
  EXPECT_TRUE(refused(TxnCommitLocal{{}, {TxnWrite{"k", TxnWriteKind::kDelete, "v"}}}));
  EXPECT_TRUE(refused(TxnCommitLocal{{}, {TxnWrite{"k", static_cast<TxnWriteKind>(9), ""}}}));
  EXPECT_TRUE(refused(TxnDecide{std::string(kMaxTxnIdBytes + 1, 't'), true}));
  const Command good{Session{4, 2}, TxnPrepare{"t", 3, false, {read_of("a", "1"), read_of("b", std::nullopt)},
                                               {put("c", "v"), append("d", "w"), TxnWrite{"e", TxnWriteKind::kDelete, ""}}}};
  const std::string bytes = encode_command(good);
  auto back = decode_command(bytes);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(*back, good);
  // Every truncation is an error, never a crash.
  for (size_t n = 0; n < bytes.size(); ++n) EXPECT_FALSE(decode_command(bytes.substr(0, n)).ok()) << n;
  EXPECT_FALSE(decode_intent_ref("I").ok());
  EXPECT_EQ(*decode_intent_ref(encode_intent_ref(IntentRef{"t", 2})), (IntentRef{"t", 2}));
  EXPECT_EQ(parse_txn_status("committed"), TxnStatus::kCommitted);
  EXPECT_EQ(parse_txn_status("maybe"), std::nullopt);
}

}  // namespace
}  // namespace shoal::kv
