// txn-atomicity on histories known good and known bad: every violation kind
// is produced by a history built to have it, and a clean history passes.
#include <gtest/gtest.h>

#include "scenarios/checkers/txn_atomicity.h"

namespace shoal::check {
namespace {

Txn txn(Txn::Outcome outcome, std::vector<TxnMop> mops) {
  Txn t;
  t.outcome = outcome;
  t.mops = std::move(mops);
  return t;
}
TxnMop append(std::string key, int64_t v) { return TxnMop{TxnMop::kAppend, std::move(key), v, std::nullopt}; }
TxnMop read(std::string key, std::vector<int64_t> seen) { return TxnMop{TxnMop::kRead, std::move(key), 0, seen}; }

using Lists = std::map<std::string, std::vector<int64_t>>;

bool has(const CheckResult& r, const std::string& prefix) {
  for (const Violation& v : r.violations) {
    if (v.what.rfind(prefix, 0) == 0) return true;
  }
  return false;
}

TEST(TxnAtomicity, WholeTxnsPassWhateverTheirOutcome) {
  const std::vector<Txn> h{txn(Txn::Outcome::kOk, {append("x", 1), append("y", 1)}),
                           txn(Txn::Outcome::kUnknown, {append("x", 2), append("y", 2)}),  // applied whole
                           txn(Txn::Outcome::kUnknown, {append("x", 3), append("y", 3)}),  // not at all
                           txn(Txn::Outcome::kFail, {append("x", 4)}),
                           txn(Txn::Outcome::kOk, {read("x", {1, 2})})};
  const TxnAtomicityReport r = analyse_txn_atomicity(h, Lists{{"x", {1, 2}}, {"y", {1, 2}}});
  EXPECT_TRUE(r.result.ok) << r.result.message;
  EXPECT_EQ(r.judged, 4u);
  EXPECT_EQ(r.unknown_applied, 1u);
}

TEST(TxnAtomicity, AHalfAppliedTxnIsNamedWhateverItsOutcome) {
  for (Txn::Outcome o : {Txn::Outcome::kOk, Txn::Outcome::kUnknown, Txn::Outcome::kFail}) {
    const std::vector<Txn> h{txn(o, {append("x", 1), append("y", 1)})};
    const CheckResult r = check_txn_atomicity(h, Lists{{"x", {1}}, {"y", {}}});
    EXPECT_FALSE(r.ok);
    EXPECT_TRUE(has(r, "half-applied")) << r.message;
    ASSERT_FALSE(r.violations.empty());
    EXPECT_EQ(r.violations[0].ops, std::vector<size_t>{0});
  }
}

TEST(TxnAtomicity, LostAbortedVisibleGarbageAndDuplicatesAreNamed) {
  const std::vector<Txn> h{txn(Txn::Outcome::kOk, {append("x", 1)}), txn(Txn::Outcome::kFail, {append("y", 5)})};
  EXPECT_TRUE(has(check_txn_atomicity(h, Lists{{"x", {}}, {"y", {}}}), "lost"));
  EXPECT_TRUE(has(check_txn_atomicity(h, Lists{{"x", {1}}, {"y", {5}}}), "aborted-visible"));
  EXPECT_TRUE(has(check_txn_atomicity(h, Lists{{"x", {1, 9}}}), "garbage"));
  EXPECT_TRUE(has(check_txn_atomicity(h, Lists{{"x", {1, 1}}}), "duplicate"));
  EXPECT_TRUE(check_txn_atomicity(h, Lists{{"x", {1}}}).ok);
}

TEST(TxnAtomicity, AHistoryWithoutAppendsJudgesNothingAndSaysSo) {
  const TxnAtomicityReport r = analyse_txn_atomicity({txn(Txn::Outcome::kOk, {read("x", {})})}, Lists{});
  EXPECT_TRUE(r.result.ok);
  EXPECT_EQ(r.judged, 0u);
  EXPECT_NE(r.result.message.find("(0 txns with appends"), std::string::npos) << r.result.message;
}

}  // namespace
}  // namespace shoal::check
