// `txn-atomicity`: each transaction of a list-append history took effect
// whole or not at all, judged against the final state — the check Elle's
// graph cannot make alone, since a txn whose appends no read observed is in
// no cycle.
//
// The history is the one txn_anomalies.h judges (unique appended values per
// key); `final_lists` is every key's list as the store holds it at the end,
// with every txn resolved. Violations, as each one's `what` begins:
//   half-applied     a txn's appends are in the final state for some keys
//                    and missing for others (whatever its outcome)
//   lost             an ok txn's append is missing
//   aborted-visible  a failed txn's append is there (a rolled-back txn must
//                    leave no trace)
//   garbage          a final list holds a value no txn appended
//   duplicate        a final list holds a value twice (applied twice)
// A txn is judged when it appended something; the message says how many
// were, and how many of those were ok, unknown and failed, so a caller can
// require that something was judged. Pure; linear in the history and the
// final lists.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "scenarios/checkers/check_result.h"
#include "scenarios/checkers/txn_anomalies.h"

namespace shoal::check {

struct TxnAtomicityReport {
  CheckResult result;
  size_t judged = 0;              // txns with at least one append
  size_t ok = 0, unknown = 0, failed = 0;
  size_t unknown_applied = 0;     // unknown txns that took effect
};

TxnAtomicityReport analyse_txn_atomicity(const std::vector<Txn>& history,
                                         const std::map<std::string, std::vector<int64_t>>& final_lists);

// The verdict alone.
CheckResult check_txn_atomicity(const std::vector<Txn>& history,
                                const std::map<std::string, std::vector<int64_t>>& final_lists);

}  // namespace shoal::check
