// The txn-serializable checker over list-append histories: each anomaly
// kind on a history built to show exactly that anomaly, serializable
// histories (with failed and unknown txns) passing, and properties over
// histories from a serial execution, whole and with one read broken.
#include "scenarios/checkers/txn_anomalies.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "engine/core/random.h"

namespace shoal::check {
namespace {

using Kinds = std::set<std::string>;

TxnMop append(const std::string& key, int64_t value) { return {TxnMop::kAppend, key, value, std::nullopt}; }
TxnMop read(const std::string& key, std::vector<int64_t> seen) { return {TxnMop::kRead, key, 0, std::move(seen)}; }

// Txns one after another in real time, 10 ns apart, unless placed.
class Txns {
 public:
  size_t ok(std::vector<TxnMop> mops) { return add(Txn::Outcome::kOk, std::move(mops)); }
  size_t fail(std::vector<TxnMop> mops) { return add(Txn::Outcome::kFail, std::move(mops)); }
  size_t unknown(std::vector<TxnMop> mops) { return add(Txn::Outcome::kUnknown, std::move(mops)); }
  size_t ok_at(int64_t invoke_ns, int64_t complete_ns, std::vector<TxnMop> mops) {
    const size_t i = ok(std::move(mops));
    history[i].invoke_ns = invoke_ns;
    history[i].complete_ns = complete_ns;
    return i;
  }
  std::vector<Txn> history;

 private:
  size_t add(Txn::Outcome outcome, std::vector<TxnMop> mops) {
    if (outcome != Txn::Outcome::kOk) {
      for (TxnMop& m : mops) m.read.reset();  // Only an ok txn returns what it read.
    }
    const int64_t at = int64_t(history.size()) * 10;
    history.push_back(Txn{history.size() % 3, at, at + 5, outcome, std::move(mops)});
    return history.size() - 1;
  }
};

Kinds kinds(const Txns& t, const ListAppendOptions& options = {}) { return list_append_anomalies(t.history, options); }

// The one violation of the given kind, or a failure naming what was found.
Violation only_violation(const Txns& t, const std::string& kind) {
  const CheckResult r = check_list_append(t.history);
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.violation_count, 1u) << r.message;
  if (r.violations.empty()) return {};
  EXPECT_EQ(r.violations[0].what.rfind(kind + ": ", 0), 0u) << r.violations[0].what;
  return r.violations[0];
}

TEST(TxnAnomalies, AnEmptyHistoryPassesAndSaysItJudgedNothing) {
  const CheckResult r = check_list_append({});
  EXPECT_TRUE(r.ok);
  EXPECT_EQ(r.name, "txn-serializable");
  EXPECT_EQ(r.message, "txn-serializable: ok, 0 txns judged (0 committed, 0 edge(s))");
}

TEST(TxnAnomalies, ASerialHistoryWithFailedAndUnknownTxnsPasses) {
  Txns t;
  t.ok({append("x", 1), read("x", {1}), read("y", {})});
  t.fail({append("x", 2), read("x", {})});      // never observed
  t.unknown({append("x", 3), append("y", 1)});  // observed: it committed
  t.unknown({append("y", 2)});                  // never observed: it did not
  t.ok({read("x", {1, 3}), append("x", 4), read("x", {1, 3, 4}), read("y", {1})});
  t.ok({read("x", {1, 3, 4}), read("y", {1})});
  const ListAppendReport r = analyse_list_append(t.history);
  EXPECT_TRUE(r.result.ok) << r.result.message;
  EXPECT_TRUE(r.anomalies.empty());
  EXPECT_EQ(r.txns_judged, 6u);
  EXPECT_EQ(r.txns_committed, 4u);
  EXPECT_GT(r.edges, 0u);
  EXPECT_TRUE(check_list_append(t.history, {.real_time = true}).ok);
}

TEST(TxnAnomalies, G0IsACycleOfWriteWriteEdges) {
  Txns t;
  const size_t t1 = t.ok({append("x", 1), append("y", 1)});
  const size_t t2 = t.unknown({append("x", 2), append("y", 2)});  // observed, so committed
  t.ok({read("x", {1, 2}), read("y", {2, 1})});
  EXPECT_EQ(kinds(t), Kinds{"G0"});
  const Violation v = only_violation(t, "G0");
  EXPECT_EQ(v.what, "G0: T0 -ww-> T1 -ww-> T0 on keys x,y");
  EXPECT_EQ(v.ops, (std::vector<size_t>{t1, t2}));
}

TEST(TxnAnomalies, G1aIsAReadOfAFailedAppend) {
  Txns t;
  const size_t failed = t.fail({append("x", 1)});
  const size_t reader = t.ok({read("x", {1})});
  EXPECT_EQ(kinds(t), Kinds{"G1a"});
  const Violation v = only_violation(t, "G1a");
  EXPECT_EQ(v.what, "G1a: T1 read x=[1]: 1 was appended by failed T0");
  EXPECT_EQ(v.ops, (std::vector<size_t>{failed, reader}));
}

TEST(TxnAnomalies, G1bIsAReadEndingAtAnIntermediateAppend) {
  Txns t;
  t.ok({append("x", 1), append("x", 2)});
  t.ok({read("x", {1})});
  t.ok({read("x", {1, 2})});
  EXPECT_EQ(kinds(t), Kinds{"G1b"});
  EXPECT_EQ(only_violation(t, "G1b").what, "G1b: T1 read x=[1] ending at 1, an intermediate append of T0");
}

TEST(TxnAnomalies, ATxnReadingItsOwnIntermediateStateIsNotG1b) {
  Txns t;
  t.ok({append("x", 1), read("x", {1}), append("x", 2), read("x", {1, 2})});
  t.ok({read("x", {1, 2})});
  EXPECT_TRUE(check_list_append(t.history).ok);
}

TEST(TxnAnomalies, G1cIsACycleOfWriteReadEdges) {
  Txns t;
  t.ok({append("x", 1), read("y", {1})});
  t.ok({append("y", 1), read("x", {1})});
  EXPECT_EQ(kinds(t), Kinds{"G1c"});
  EXPECT_EQ(only_violation(t, "G1c").what, "G1c: T0 -wr-> T1 -wr-> T0 on keys x,y");
}

TEST(TxnAnomalies, GSingleIsACycleWithOneAntiDependency) {
  Txns t;  // read skew: T1 sees T0's y but not its x
  t.ok({append("x", 1), append("y", 1)});
  t.ok({read("x", {}), read("y", {1})});
  t.ok({read("x", {1})});
  EXPECT_EQ(kinds(t), Kinds{"G-single"});
  const Violation v = only_violation(t, "G-single");
  EXPECT_EQ(v.what, "G-single: T0 -wr-> T1 -rw-> T0 on keys y,x");
  EXPECT_EQ(v.ops, (std::vector<size_t>{0, 1}));
}

TEST(TxnAnomalies, G2IsACycleWithTwoAntiDependencies) {
  Txns t;  // write skew: each misses the other's append
  t.ok({read("x", {}), read("y", {}), append("x", 1)});
  t.ok({read("x", {}), read("y", {}), append("y", 1)});
  t.ok({read("x", {1}), read("y", {1})});
  EXPECT_EQ(kinds(t), Kinds{"G2"});
  EXPECT_EQ(only_violation(t, "G2").what, "G2: T0 -rw-> T1 -rw-> T0 on keys y,x");
}

TEST(TxnAnomalies, OneComponentIsExplainedByACycleOfEachKindItHolds) {
  Txns t;
  t.ok({append("x", 1), append("y", 1), read("z", {1})});
  t.ok({append("x", 2), append("y", 2), append("z", 1), read("w", {})});
  t.ok({read("x", {1, 2}), read("y", {2, 1}), read("w", {1})});
  t.ok({append("w", 1)});
  const ListAppendReport r = analyse_list_append(t.history);
  EXPECT_EQ(r.cyclic_components, 1u);
  EXPECT_EQ(r.anomalies, (std::map<std::string, size_t>{{"G0", 1}, {"G1c", 1}}));
}

TEST(TxnAnomalies, InternalIsAReadThatMissesTheTxnsOwnAppends) {
  Txns missing;
  missing.ok({append("x", 1), read("x", {})});
  EXPECT_EQ(kinds(missing), Kinds{"internal"});
  EXPECT_EQ(only_violation(missing, "internal").what,
            "internal: T0 read x=[] without its own earlier appends [1] at the end");

  Txns out_of_order;
  out_of_order.ok({append("x", 1), append("x", 2), read("x", {2, 1})});
  EXPECT_EQ(kinds(out_of_order), Kinds{"internal"});

  // A second read that is not the first plus the appends since. Its longer
  // list also orders T0's append before T1's, which T1's first read missed:
  // that is a G-single cycle as well.
  Txns changed;
  changed.ok({append("x", 1)});
  changed.ok({read("x", {}), append("x", 2), read("x", {1, 2})});
  EXPECT_EQ(kinds(changed), (Kinds{"G-single", "internal"}));

  Txns future;  // a read showing an append the txn makes only later
  future.ok({read("x", {1}), append("x", 1)});
  EXPECT_EQ(kinds(future), Kinds{"internal"});
  EXPECT_EQ(only_violation(future, "internal").what, "internal: T0 read x=[1] showing its own later append 1");
}

TEST(TxnAnomalies, IncompatibleOrderIsTwoReadsNeitherAPrefixOfTheOther) {
  Txns t;
  t.ok({append("x", 1)});
  t.ok({append("x", 2)});
  t.ok({append("x", 3)});
  const size_t a = t.ok({read("x", {1, 2})});
  const size_t b = t.ok({read("x", {1, 3})});
  EXPECT_EQ(kinds(t), Kinds{"incompatible-order"});
  const Violation v = only_violation(t, "incompatible-order");
  EXPECT_EQ(v.what, "incompatible-order: key x: T3 read [1,2] but T4 read [1,3]");
  EXPECT_EQ(v.ops, (std::vector<size_t>{a, b}));
}

TEST(TxnAnomalies, GarbageIsAValueNoTxnAppended) {
  Txns t;
  t.ok({append("x", 1)});
  t.ok({read("x", {1, 7})});
  EXPECT_EQ(kinds(t), Kinds{"garbage"});
  EXPECT_EQ(only_violation(t, "garbage").what, "garbage: T1 read x=[1,7]: no txn appended 7");
}

TEST(TxnAnomalies, ADuplicateAppendMakesTheHistoryMalformed) {
  Txns t;
  t.ok({append("x", 1)});
  t.unknown({append("x", 1)});
  t.ok({append("y", 1)});  // the same value on another key is fine
  EXPECT_EQ(kinds(t), Kinds{"duplicate-append"});
  EXPECT_EQ(only_violation(t, "duplicate-append").what, "duplicate-append: T0 and T1 both append 1 to x");
}

TEST(TxnAnomalies, RealTimeEdgesAreOnlyAddedWhenAsked) {
  Txns t;  // T1 begins after T0 completed, yet misses T0's append.
  t.ok_at(0, 10, {append("x", 1)});
  t.ok_at(20, 30, {read("x", {})});
  t.ok_at(40, 50, {read("x", {1})});
  EXPECT_TRUE(check_list_append(t.history).ok);
  EXPECT_EQ(kinds(t, {.real_time = true}), Kinds{"G-single-realtime"});
  EXPECT_EQ(check_list_append(t.history, {.real_time = true}).violations[0].what,
            "G-single-realtime: T0 -rt-> T1 -rw-> T0 on key x");

  Txns overlapping;  // the same reads, but T1 began before T0 completed
  overlapping.ok_at(0, 25, {append("x", 1)});
  overlapping.ok_at(20, 30, {read("x", {})});
  overlapping.ok_at(40, 50, {read("x", {1})});
  EXPECT_TRUE(check_list_append(overlapping.history, {.real_time = true}).ok);
}

TEST(TxnAnomalies, TheMessageCountsTheAnomaliesByKind) {
  Txns t;
  t.ok({append("x", 1), read("y", {1})});
  t.ok({append("y", 1), read("x", {1})});
  t.ok({read("z", {9})});
  t.ok({read("w", {8})});
  const CheckResult r = check_list_append(t.history);
  EXPECT_EQ(r.message,
            "txn-serializable: 3 violation(s) (G1c x1, garbage x2) in 4 txns judged (4 committed, 2 edge(s)); "
            "first: garbage: T2 read z=[9]: no txn appended 9");
}

TEST(TxnAnomalies, ABoundOnTxnsIsNamedInTheMessage) {
  Txns t;
  t.ok({append("x", 1)});
  t.ok({read("x", {1})});
  t.ok({read("x", {5})});  // beyond the bound, so not judged
  const CheckResult r = check_list_append(t.history, {.txns_judged_max = 2});
  EXPECT_TRUE(r.ok);
  EXPECT_EQ(r.message,
            "txn-serializable: ok, 2 txns judged (2 committed, 1 edge(s)); only the first 2 of 3 txns were judged "
            "(the bound)");
}

TEST(TxnAnomalies, ABoundOnCyclesIsNamedAndTheVerdictStands) {
  Txns t;  // two G1c cycles, on separate keys
  t.ok({append("a", 1), read("b", {1})});
  t.ok({append("b", 1), read("a", {1})});
  t.ok({append("c", 1), read("d", {1})});
  t.ok({append("d", 1), read("c", {1})});
  EXPECT_EQ(analyse_list_append(t.history).anomalies.at("G1c"), 2u);
  const ListAppendReport one = analyse_list_append(t.history, {.cycles_reported_max = 1});
  EXPECT_FALSE(one.result.ok);
  EXPECT_EQ(one.anomalies.at("G1c"), 1u);
  EXPECT_EQ(one.cyclic_components_unexplained, 1u);
  EXPECT_NE(one.result.message.find("cycle search stopped at the bound of 1 cycles"), std::string::npos);
  const ListAppendReport none = analyse_list_append(t.history, {.cycles_reported_max = 0});
  EXPECT_FALSE(none.result.ok);
  EXPECT_TRUE(none.anomalies.empty());
  EXPECT_EQ(none.result.violations[0].what,
            "cycle-search-bounded: 2 cyclic component(s) of 4 txns not explained after 0 cycles");
}

TEST(TxnAnomalies, ACycleThroughEveryTxnOfALongHistoryIsFoundAndQuotedInShort) {
  constexpr size_t kTxns = 20'000;
  Txns t;  // each txn reads its predecessor's key, and the first the last's
  for (size_t i = 0; i < kTxns; ++i) {
    const std::string before = "k" + std::to_string((i + kTxns - 1) % kTxns);
    t.ok({append("k" + std::to_string(i), 1), read(before, {1})});
  }
  const Violation v = only_violation(t, "G1c");
  EXPECT_EQ(v.ops.size(), kTxns);
  EXPECT_EQ(v.what.rfind("G1c: T0 -wr-> T1 -wr-> T2", 0), 0u) << v.what;
  EXPECT_NE(v.what.find(" ... 19988 more step(s) back to T0 on keys k0,k1,"), std::string::npos) << v.what;
}

// Histories from a serial execution of random txns against a map of lists.
// Txn i takes effect at 100 * i, inside its [invoke, complete] interval,
// and the txns are then shuffled, so neither index order nor real-time
// order gives the serial order away.
std::vector<Txn> serial_history(Rng& rng, size_t txns, size_t key_count) {
  std::vector<std::string> keys;
  for (size_t k = 0; k < key_count; ++k) keys.push_back("k" + std::to_string(k));
  std::map<std::string, std::vector<int64_t>> state;
  int64_t next_value = 1;
  std::vector<Txn> history;
  for (size_t i = 0; i < txns; ++i) {
    Txn t;
    t.process = rng.below(6);
    const double outcome = rng.real01();
    t.outcome = outcome < 0.1 ? Txn::Outcome::kFail : outcome < 0.2 ? Txn::Outcome::kUnknown : Txn::Outcome::kOk;
    const bool applies = t.outcome == Txn::Outcome::kOk || (t.outcome == Txn::Outcome::kUnknown && rng.chance(0.5));
    const int64_t mops = rng.range(1, 5);
    std::map<std::string, std::vector<int64_t>> working;  // the keys this txn touched
    for (int64_t m = 0; m < mops; ++m) {
      const std::string& key = keys[rng.below(key_count)];
      if (!working.contains(key)) working[key] = state[key];
      if (rng.chance(0.5)) {
        t.mops.push_back(append(key, next_value));
        working[key].push_back(next_value++);
      } else {
        t.mops.push_back(read(key, working[key]));
        if (t.outcome != Txn::Outcome::kOk) t.mops.back().read.reset();
      }
    }
    if (applies) {
      for (auto& [key, list] : working) state[key] = std::move(list);
    }
    const int64_t at = int64_t(i) * 100;
    t.invoke_ns = at - rng.range(0, 150);
    t.complete_ns = at + rng.range(0, 150);
    history.push_back(std::move(t));
  }
  rng.shuffle(history);
  return history;
}

// Small enough that a property runs in milliseconds, with few enough keys
// that txns meet on them often.
std::vector<Txn> small_serial_history(Rng& rng) {
  const size_t txns = size_t(rng.range(1, 60));
  return serial_history(rng, txns, size_t(rng.range(1, 4)));
}

struct ReadAt {
  size_t txn;
  size_t mop;
};

std::vector<ReadAt> ok_reads(const std::vector<Txn>& h) {
  std::vector<ReadAt> reads;
  for (size_t t = 0; t < h.size(); ++t) {
    for (size_t m = 0; m < h[t].mops.size(); ++m) {
      if (h[t].mops[m].read.has_value()) reads.push_back({t, m});
    }
  }
  return reads;
}

std::vector<int64_t>& list_at(std::vector<Txn>& h, ReadAt r) { return *h[r.txn].mops[r.mop].read; }

RC_GTEST_PROP(TxnAnomalies, ASerialExecutionIsStrictlySerializable, (uint64_t seed)) {
  Rng rng(seed);
  const std::vector<Txn> h = small_serial_history(rng);
  const ListAppendReport plain = analyse_list_append(h);
  RC_ASSERT(plain.result.ok);
  RC_ASSERT(plain.txns_judged == h.size());
  const ListAppendReport strict = analyse_list_append(h, {.real_time = true});
  RC_ASSERT(strict.result.ok);
  RC_ASSERT(strict.edges >= plain.edges);
}

TEST(TxnAnomalies, ALongSerialExecutionIsStrictlySerializable) {
  Rng rng(7);
  const std::vector<Txn> h = serial_history(rng, 20'000, 400);
  const ListAppendReport r = analyse_list_append(h, {.real_time = true});
  EXPECT_TRUE(r.result.ok) << r.result.message;
  EXPECT_EQ(r.txns_judged, h.size());
  EXPECT_GT(r.edges, h.size());
}

// Swapping the first element of a read with a later one puts a different
// first version where another read of the key saw the true one.
RC_GTEST_PROP(TxnAnomalies, SwappingTwoElementsOfAReadIsAnIncompatibleOrder, (uint64_t seed)) {
  Rng rng(seed);
  std::vector<Txn> h = small_serial_history(rng);
  std::vector<ReadAt> candidates;
  const std::vector<ReadAt> reads = ok_reads(h);
  for (ReadAt r : reads) {
    if (list_at(h, r).size() < 2) continue;
    for (ReadAt other : reads) {
      const bool same = other.txn == r.txn && other.mop == r.mop;
      if (!same && h[other.txn].mops[other.mop].key == h[r.txn].mops[r.mop].key && !list_at(h, other).empty()) {
        candidates.push_back(r);
        break;
      }
    }
  }
  RC_PRE(!candidates.empty());
  std::vector<int64_t>& victim = list_at(h, rng.pick(candidates));
  std::swap(victim[0], victim[1 + rng.below(victim.size() - 1)]);
  const ListAppendReport r = analyse_list_append(h);
  RC_ASSERT(!r.result.ok);
  RC_ASSERT(r.anomalies.count("incompatible-order") == 1);
}

// A txn that read a key and then appended to it, its append seen by a
// longer read: dropping the last element it read (another txn's append)
// hides the version its own append came right after. That is G-single (or
// G1b when the dropped append's txn appended the element before it too, or
// internal when the txn read the key again).
RC_GTEST_PROP(TxnAnomalies, DroppingTheLastElementOfAReadThatOthersExtendIsFlagged, (uint64_t seed, bool real_time)) {
  Rng rng(seed);
  std::vector<Txn> h = small_serial_history(rng);
  std::map<std::string, size_t> longest;
  for (ReadAt r : ok_reads(h)) {
    size_t& n = longest[h[r.txn].mops[r.mop].key];
    n = std::max(n, list_at(h, r).size());
  }
  std::vector<ReadAt> candidates;
  for (ReadAt r : ok_reads(h)) {
    const std::vector<TxnMop>& mops = h[r.txn].mops;
    const std::vector<int64_t>& seen = list_at(h, r);
    if (seen.empty() || longest[mops[r.mop].key] <= seen.size()) continue;
    bool appended_before = false;
    bool appended_after = false;
    for (size_t m = 0; m < mops.size(); ++m) {
      if (mops[m].kind != TxnMop::kAppend || mops[m].key != mops[r.mop].key) continue;
      (m < r.mop ? appended_before : appended_after) = true;
    }
    if (!appended_before && appended_after) candidates.push_back(r);
  }
  RC_PRE(!candidates.empty());
  list_at(h, rng.pick(candidates)).pop_back();
  const ListAppendReport r = analyse_list_append(h, {.real_time = real_time});
  RC_ASSERT(!r.result.ok);
  for (const auto& [kind, count] : r.anomalies) {
    RC_ASSERT(kind == "G-single" || kind == "G1b" || kind == "internal");
  }
}

}  // namespace
}  // namespace shoal::check
