// Internal to the txn-serializable checker (txn_anomalies.h): what the
// history says about each key, and the dependency edges drawn from it.
//
// A TxnIndex borrows the history it indexes; keys are numbered in the order
// they first appear. txn_anomalies.cc fills it (and judges the reads while
// doing so); txn_dependencies.cc turns it into graph edges.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "scenarios/checkers/txn_anomalies.h"
#include "scenarios/checkers/txn_graph.h"

namespace shoal::check::internal {

inline constexpr uint32_t kNoTxn = UINT32_MAX;

struct AppendRef {
  uint32_t txn;
  uint32_t mop;
  bool final;  // the txn's last append to this key
};

struct ReadRef {
  uint32_t txn;
  uint32_t mop;
  // How much of the list the txn saw from others: the list without the
  // txn's own earlier appends at its end.
  uint32_t external_length = 0;
  bool consistent = true;  // with the txn's own appends and earlier reads
  bool in_order = true;    // a prefix of the key's version order
};

struct KeyVersions {
  std::unordered_map<int64_t, AppendRef> appends;  // value -> its (first) append
  std::vector<ReadRef> reads;                      // ok reads, in history order
  // The version order: the longest read (empty when none was read), the txn
  // that appended each element (kNoTxn for garbage) and, for each position,
  // where the next txn's run of appends begins (order.size() when none).
  std::vector<int64_t> order;
  std::vector<uint32_t> order_writers;
  std::vector<uint32_t> next_run;
};

struct TxnIndex {
  const std::vector<Txn>* history = nullptr;
  size_t judged = 0;  // txns [0, judged) are indexed
  std::vector<std::string> key_names;
  std::vector<KeyVersions> keys;
  std::vector<uint8_t> committed;  // ok, or unknown with an observed append

  const std::vector<int64_t>& read_of(const ReadRef& r) const { return *(*history)[r.txn].mops[r.mop].read; }
  bool is_committed(uint32_t txn) const { return txn != kNoTxn && committed[txn]; }
};

// ww edges between consecutive runs of each version order, and a wr and an
// rw edge for each consistent, in-order read. REQUIRES: orders recovered.
void add_data_edges(const TxnIndex& index, DepGraph* graph);

// An edge from every committed txn to every committed txn invoked after it
// completed, thinned to a transitive reduction's worth: a txn that completed
// before another that also precedes T reaches T through it.
void add_real_time_edges(const TxnIndex& index, DepGraph* graph);

}  // namespace shoal::check::internal
