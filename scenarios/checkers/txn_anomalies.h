// `txn-serializable`: a history of list-append transactions is serializable,
// judged the way Elle does (Kingsbury & Alvaro, "Elle: Inferring Isolation
// Anomalies from Experimental Observations"), and the anomalies found are
// named.
//
// The workload appends values to lists under keys and reads whole lists.
// Every value appended to a key is unique, so a read names the transaction
// behind each element, and the longest read of a key gives the key's version
// order (every read of a key must be a prefix of every longer one). Only the
// reads of ok txns count: a txn that failed or timed out returned nothing it
// can be held to, and an ok txn's read without a result is skipped. From the
// version orders the checker builds a dependency graph over the committed
// transactions (ok ones, and unknown ones whose appends some read observed):
// ww (T1 appended a version, T2 the next one), wr (T2 read a list whose last
// element T1 appended) and rw (T1 read a list ending at a version, T2 appended
// the next). A transaction's appends to a key count as one version: the
// graph is over the state each transaction installs. With
// ListAppendOptions::real_time it also adds rt edges (T1 completed before T2
// was invoked), which judges strict serializability instead.
//
// Anomaly kinds, as the keys of ListAppendReport::anomalies and the prefix of
// each violation's `what`:
//   G0                  a cycle of ww edges only (dirty write)
//   G1a                 an ok read saw a value appended only by a failed txn
//   G1b                 an ok read ended at a txn's intermediate append
//   G1c                 a cycle of ww and wr edges, at least one wr
//   G-single            a cycle with exactly one rw edge
//   G2                  a cycle with two or more rw edges
//   <kind>-realtime     a cycle of that kind that needs an rt edge
//   internal            a read that does not show the txn's own earlier
//                       appends at its end, in order (or shows a later one)
//   incompatible-order  two reads of a key neither of which is a prefix of
//                       the other
//   garbage             a read value that no txn appended
//   duplicate-append    the same value appended twice to a key: the history
//                       is malformed and versions cannot be told apart
// A cycle's violation lists its transactions (history indices) in `ops` and
// reads like "G-single: T3 -rw-> T7 -wr-> T3 on keys x,y", starting at its
// smallest index. Each cyclic component of the graph is explained by at most
// one cycle per kind, the more specific kinds searched first.
//
// Bounds: only the first `txns_judged_max` transactions are judged, and at
// most `cycles_reported_max` cycles are reported; the message says when
// either bound cut the work, and cyclic components left unexplained are
// still one violation ("cycle-search-bounded: ..."), so the verdict stands. Graph building is linear in the history
// (plus the elements read); the cycle search is linear per component plus a bounded number of breadth-first searches.
// Pure functions.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "scenarios/checkers/check_result.h"

namespace shoal::check {

// One micro-operation of a transaction: append `value` to the list at
// `key`, or read the list at `key` (`read` is set when the txn completed ok).
struct TxnMop {
  enum Kind { kAppend, kRead } kind = kRead;
  std::string key;
  int64_t value = 0;
  std::optional<std::vector<int64_t>> read;
};

struct Txn {
  size_t process = 0;
  int64_t invoke_ns = 0;
  int64_t complete_ns = 0;  // Meaningless when the outcome is unknown.
  enum class Outcome { kOk, kFail, kUnknown } outcome = Outcome::kOk;
  std::vector<TxnMop> mops;
};

inline constexpr size_t kListAppendTxnsJudgedMax = 1'000'000;
inline constexpr size_t kListAppendCyclesReportedMax = 32;

struct ListAppendOptions {
  // Adds real-time edges: the history must be strictly serializable.
  bool real_time = false;
  size_t txns_judged_max = kListAppendTxnsJudgedMax;
  size_t cycles_reported_max = kListAppendCyclesReportedMax;
};

struct ListAppendReport {
  CheckResult result;
  std::map<std::string, size_t> anomalies;  // kind -> how many were found
  size_t txns_judged = 0;
  size_t txns_committed = 0;  // the graph's nodes
  size_t edges = 0;
  size_t cyclic_components = 0;
  size_t cyclic_components_unexplained = 0;  // left when the cycle bound was reached
};

ListAppendReport analyse_list_append(const std::vector<Txn>& history, const ListAppendOptions& options = {});

// The verdict alone: analyse_list_append(...).result.
CheckResult check_list_append(const std::vector<Txn>& history, const ListAppendOptions& options = {});

// The anomaly kinds found, e.g. {"G-single", "garbage"}; empty when the
// history is serializable.
std::set<std::string> list_append_anomalies(const std::vector<Txn>& history, const ListAppendOptions& options = {});

}  // namespace shoal::check
