#include "scenarios/checkers/txn_atomicity.h"

#include <set>
#include <utility>

#include "scenarios/checkers/line_reader.h"

namespace shoal::check {
namespace {

using internal::str_cat;

const char* outcome_name(Txn::Outcome o) {
  switch (o) {
    case Txn::Outcome::kOk: return "ok";
    case Txn::Outcome::kFail: return "failed";
    case Txn::Outcome::kUnknown: return "unknown";
  }
  return "?";
}

// Where each final value sits: (key, value) -> how many times it is there.
std::map<std::pair<std::string, int64_t>, size_t> index_final(
    const std::map<std::string, std::vector<int64_t>>& final_lists, CheckResult& r) {
  std::map<std::pair<std::string, int64_t>, size_t> where;
  for (const auto& [key, list] : final_lists) {
    for (int64_t v : list) {
      if (++where[{key, v}] == 2) r.add({str_cat("duplicate: final ", key, " holds ", v, " twice"), {}});
    }
  }
  return where;
}

// Judges one txn's appends against the final state.
void judge_txn(size_t i, const Txn& t, const std::map<std::pair<std::string, int64_t>, size_t>& where,
               TxnAtomicityReport& report) {
  std::vector<std::string> present, missing;
  for (const TxnMop& m : t.mops) {
    if (m.kind != TxnMop::kAppend) continue;
    (where.contains({m.key, m.value}) ? present : missing).push_back(str_cat(m.key, "+", m.value));
  }
  if (present.empty() && missing.empty()) return;
  ++report.judged;
  CheckResult& r = report.result;
  switch (t.outcome) {
    case Txn::Outcome::kOk: ++report.ok; break;
    case Txn::Outcome::kFail: ++report.failed; break;
    case Txn::Outcome::kUnknown:
      ++report.unknown;
      if (!present.empty()) ++report.unknown_applied;
      break;
  }
  if (!present.empty() && !missing.empty()) {
    r.add({str_cat("half-applied: ", outcome_name(t.outcome), " T", i, " shows ", present.front(), " but not ",
                   missing.front(), " (", present.size(), " of ", present.size() + missing.size(), " appends applied)"),
           {i}});
  } else if (t.outcome == Txn::Outcome::kOk && !missing.empty()) {
    r.add({str_cat("lost: ok T", i, "'s append ", missing.front(), " is not in the final state"), {i}});
  } else if (t.outcome == Txn::Outcome::kFail && !present.empty()) {
    r.add({str_cat("aborted-visible: failed T", i, "'s append ", present.front(), " is in the final state"), {i}});
  }
}

}  // namespace

TxnAtomicityReport analyse_txn_atomicity(const std::vector<Txn>& history,
                                         const std::map<std::string, std::vector<int64_t>>& final_lists) {
  TxnAtomicityReport report;
  report.result.name = "txn-atomicity";
  const auto where = index_final(final_lists, report.result);
  std::set<std::pair<std::string, int64_t>> appended;
  for (size_t i = 0; i < history.size(); ++i) {
    judge_txn(i, history[i], where, report);
    for (const TxnMop& m : history[i].mops) {
      if (m.kind == TxnMop::kAppend) appended.insert({m.key, m.value});
    }
  }
  for (const auto& [kv, count] : where) {
    if (!appended.contains(kv)) {
      report.result.add({str_cat("garbage: final ", kv.first, " holds ", kv.second, ", which no txn appended"), {}});
    }
  }
  report.result.summarise("txn-atomicity", report.judged,
                          str_cat("txns with appends: ", report.ok, " ok, ", report.unknown, " unknown (",
                                  report.unknown_applied, " applied), ", report.failed, " failed"));
  return report;
}

CheckResult check_txn_atomicity(const std::vector<Txn>& history,
                                const std::map<std::string, std::vector<int64_t>>& final_lists) {
  return analyse_txn_atomicity(history, final_lists).result;
}

}  // namespace shoal::check
