#include "scenarios/checkers/txn_anomalies.h"

#include <algorithm>

#include "scenarios/checkers/line_reader.h"
#include "scenarios/checkers/txn_graph.h"
#include "scenarios/checkers/txn_index.h"

namespace shoal::check {
namespace {

using internal::AppendRef;
using internal::CycleFinder;
using internal::DepGraph;
using internal::KeyVersions;
using internal::kNoTxn;
using internal::ReadRef;
using internal::TxnIndex;

// How many elements of a list a message quotes before it says how many more.
inline constexpr size_t kListQuotedMax = 8;

std::string list_text(const std::vector<int64_t>& list) {
  std::string text = "[";
  for (size_t i = 0; i < list.size() && i < kListQuotedMax; ++i) text += (i ? "," : "") + std::to_string(list[i]);
  if (list.size() > kListQuotedMax) text += internal::str_cat(",...+", list.size() - kListQuotedMax);
  return text + "]";
}

std::string txn_text(uint32_t txn) { return "T" + std::to_string(txn); }

bool is_prefix(const std::vector<int64_t>& shorter, const std::vector<int64_t>& longer) {
  return shorter.size() <= longer.size() && std::equal(shorter.begin(), shorter.end(), longer.begin());
}

// What one txn has done to one key so far, while its mops are walked.
struct TxnKeyState {
  uint32_t txn = kNoTxn;  // whose state this is; any other txn starts afresh
  std::vector<int64_t> appended;
  const std::vector<int64_t>* last_read = nullptr;
  size_t appended_at_last_read = 0;
};

class ListAppendAnalysis {
 public:
  ListAppendAnalysis(const std::vector<Txn>& history, const ListAppendOptions& options);
  ListAppendReport run();

 private:
  uint32_t key_id(const std::string& key);
  void index_txn(uint32_t txn);
  void index_appends(uint32_t txn, const std::vector<uint32_t>& keys);
  ReadRef judge_internal(uint32_t txn, uint32_t mop, uint32_t key);
  void judge_read_values(uint32_t key, const ReadRef& r);
  void recover_order(uint32_t key);
  void search_cycles(const DepGraph& graph);
  void flag(const std::string& kind, const std::string& what, std::vector<size_t> ops);
  std::string summary() const;

  const std::vector<Txn>& history_;
  const ListAppendOptions options_;
  TxnIndex index_;
  std::unordered_map<std::string, uint32_t> key_ids_;
  std::vector<TxnKeyState> txn_keys_;  // by key id
  std::vector<uint8_t> observed_;      // by txn: some ok read shows one of its appends
  bool cycle_bound_reached_ = false;
  ListAppendReport report_;
};

ListAppendAnalysis::ListAppendAnalysis(const std::vector<Txn>& history, const ListAppendOptions& options)
    : history_(history), options_(options) {
  index_.history = &history;
  index_.judged = std::min(history.size(), options.txns_judged_max);
  index_.committed.assign(index_.judged, 0);
  observed_.assign(index_.judged, 0);
  report_.txns_judged = index_.judged;
  report_.result.name = "txn-serializable";
}

uint32_t ListAppendAnalysis::key_id(const std::string& key) {
  auto [it, added] = key_ids_.try_emplace(key, uint32_t(index_.key_names.size()));
  if (added) {
    index_.key_names.push_back(key);
    index_.keys.emplace_back();
    txn_keys_.emplace_back();
  }
  return it->second;
}

void ListAppendAnalysis::flag(const std::string& kind, const std::string& what, std::vector<size_t> ops) {
  ++report_.anomalies[kind];
  report_.result.add({kind + ": " + what, std::move(ops)});
}

// Indexes every append of the txn before its reads are judged, so that a
// read showing one of the txn's own later appends can be recognised.
void ListAppendAnalysis::index_txn(uint32_t txn) {
  const Txn& t = history_[txn];
  std::vector<uint32_t> keys;
  keys.reserve(t.mops.size());
  for (const TxnMop& m : t.mops) keys.push_back(key_id(m.key));
  index_appends(txn, keys);
  if (t.outcome != Txn::Outcome::kOk) return;  // Only an ok txn's reads are results.
  for (uint32_t m = 0; m < t.mops.size(); ++m) {
    const TxnMop& mop = t.mops[m];
    if (mop.kind == TxnMop::kAppend) {
      TxnKeyState& state = txn_keys_[keys[m]];
      if (state.txn != txn) state = TxnKeyState{txn};
      state.appended.push_back(mop.value);
    } else if (mop.read.has_value()) {
      index_.keys[keys[m]].reads.push_back(judge_internal(txn, m, keys[m]));
    }
  }
}

void ListAppendAnalysis::index_appends(uint32_t txn, const std::vector<uint32_t>& keys) {
  const Txn& t = history_[txn];
  // Walking backwards, the first append met per key is the txn's final one.
  for (size_t m = t.mops.size(); m-- > 0;) {
    if (t.mops[m].kind != TxnMop::kAppend) continue;
    TxnKeyState& state = txn_keys_[keys[m]];
    const bool final = state.txn != txn;
    if (final) state = TxnKeyState{txn};
    auto [it, added] = index_.keys[keys[m]].appends.try_emplace(t.mops[m].value, AppendRef{txn, uint32_t(m), final});
    if (!added) {
      flag("duplicate-append",
           internal::str_cat(txn_text(it->second.txn), " and ", txn_text(txn), " both append ", t.mops[m].value, " to ",
                             t.mops[m].key),
           {it->second.txn, txn});
    }
  }
  // The forward walk over the reads starts from a clean state.
  for (uint32_t key : keys) txn_keys_[key] = TxnKeyState{};
}

// A txn's read shows what it saw of others followed by its own appends to
// the key so far, in order; after an earlier read of the key it shows that
// read followed by the appends made since. What it saw of others holds none
// of its own appends.
ReadRef ListAppendAnalysis::judge_internal(uint32_t txn, uint32_t mop, uint32_t key) {
  const TxnMop& m = history_[txn].mops[mop];
  const std::vector<int64_t>& read = *m.read;
  TxnKeyState& state = txn_keys_[key];
  if (state.txn != txn) state = TxnKeyState{txn};
  const std::vector<int64_t>& own = state.appended;
  ReadRef r{txn, mop};
  const bool shows_own = read.size() >= own.size() && std::equal(own.begin(), own.end(), read.end() - own.size());
  const std::vector<int64_t>* last_read = state.last_read;
  const size_t since = own.size() - state.appended_at_last_read;
  r.consistent =
      shows_own && (last_read == nullptr || (read.size() == last_read->size() + since && is_prefix(*last_read, read)));
  state.last_read = &read;
  state.appended_at_last_read = own.size();
  if (!r.consistent) {
    const std::string expected = !shows_own ? "its own earlier appends " + list_text(own) + " at the end"
                                            : internal::str_cat("its earlier read ", list_text(*last_read), " and its ",
                                                                since, " append(s) since");
    flag("internal", internal::str_cat(txn_text(txn), " read ", m.key, "=", list_text(read), " without ", expected),
         {txn});
    return r;
  }
  r.external_length = uint32_t(read.size() - own.size());
  const auto& appends = index_.keys[key].appends;
  for (uint32_t i = 0; i < r.external_length; ++i) {
    auto it = appends.find(read[i]);
    if (it == appends.end() || it->second.txn != txn) continue;
    r.consistent = false;
    flag("internal",
         internal::str_cat(txn_text(txn), " read ", m.key, "=", list_text(read), " showing its own later append ",
                           read[i]),
         {txn});
    break;
  }
  return r;
}

// Garbage and aborted reads are judged per element (once per read each); an
// intermediate read by the last element the txn saw of others.
void ListAppendAnalysis::judge_read_values(uint32_t key, const ReadRef& r) {
  const KeyVersions& k = index_.keys[key];
  const std::vector<int64_t>& read = index_.read_of(r);
  const std::string shown = index_.key_names[key] + "=" + list_text(read);
  bool garbage = false;
  bool aborted = false;
  for (int64_t v : read) {
    auto it = k.appends.find(v);
    if (it == k.appends.end()) {
      if (!garbage) {
        flag("garbage", internal::str_cat(txn_text(r.txn), " read ", shown, ": no txn appended ", v), {r.txn});
      }
      garbage = true;
      continue;
    }
    const AppendRef& a = it->second;
    observed_[a.txn] = 1;
    if (history_[a.txn].outcome == Txn::Outcome::kFail && !aborted) {
      flag("G1a",
           internal::str_cat(txn_text(r.txn), " read ", shown, ": ", v, " was appended by failed ", txn_text(a.txn)),
           {a.txn, r.txn});
      aborted = true;
    }
  }
  if (!r.consistent || r.external_length == 0) return;
  auto it = k.appends.find(read[r.external_length - 1]);
  if (it == k.appends.end() || it->second.final || it->second.txn == r.txn) return;
  flag("G1b",
       internal::str_cat(txn_text(r.txn), " read ", shown, " ending at ", read[r.external_length - 1],
                         ", an intermediate append of ", txn_text(it->second.txn)),
       {it->second.txn, r.txn});
}

// Every read of a key must be a prefix of every longer one; checking each
// read against the next longer suffices, since being a prefix is
// transitive. The longest read is the version order.
void ListAppendAnalysis::recover_order(uint32_t key) {
  KeyVersions& k = index_.keys[key];
  std::vector<const ReadRef*> by_length;
  for (const ReadRef& r : k.reads) by_length.push_back(&r);
  std::stable_sort(by_length.begin(), by_length.end(), [&](const ReadRef* a, const ReadRef* b) {
    return index_.read_of(*a).size() < index_.read_of(*b).size();
  });
  for (size_t i = 1; i < by_length.size(); ++i) {
    const std::vector<int64_t>& shorter = index_.read_of(*by_length[i - 1]);
    const std::vector<int64_t>& longer = index_.read_of(*by_length[i]);
    if (is_prefix(shorter, longer)) continue;
    flag("incompatible-order",
         internal::str_cat("key ", index_.key_names[key], ": ", txn_text(by_length[i - 1]->txn), " read ",
                           list_text(shorter), " but ", txn_text(by_length[i]->txn), " read ", list_text(longer)),
         {by_length[i - 1]->txn, by_length[i]->txn});
  }
  if (by_length.empty()) return;
  k.order = index_.read_of(*by_length.back());
  for (ReadRef& r : k.reads) r.in_order = is_prefix(index_.read_of(r), k.order);
  k.order_writers.resize(k.order.size());
  for (size_t p = 0; p < k.order.size(); ++p) {
    auto it = k.appends.find(k.order[p]);
    k.order_writers[p] = it == k.appends.end() ? kNoTxn : it->second.txn;
  }
  k.next_run.assign(k.order.size(), uint32_t(k.order.size()));
  for (size_t p = k.order.size(); p >= 2; --p) {
    const size_t at = p - 2;
    k.next_run[at] = k.order_writers[at + 1] != k.order_writers[at] ? uint32_t(at + 1) : k.next_run[at + 1];
  }
}

void ListAppendAnalysis::search_cycles(const DepGraph& graph) {
  std::vector<uint32_t> nodes;
  for (uint32_t t = 0; t < index_.judged; ++t) {
    if (index_.committed[t]) nodes.push_back(t);
  }
  CycleFinder finder(graph);
  size_t reported = 0;
  size_t unexplained_txns = 0;
  const std::vector<std::vector<uint32_t>> components = finder.components(nodes, internal::kAllDeps);
  report_.cyclic_components = components.size();
  for (const std::vector<uint32_t>& component : components) {
    if (reported >= options_.cycles_reported_max) {
      ++report_.cyclic_components_unexplained;
      unexplained_txns += component.size();
      continue;
    }
    for (const internal::Cycle& c : finder.explain(component)) {
      if (reported >= options_.cycles_reported_max) {
        cycle_bound_reached_ = true;
        break;
      }
      std::vector<size_t> ops;
      for (const internal::CycleStep& s : c.steps) ops.push_back(s.from);
      flag(c.anomaly, internal::describe_cycle(c.steps, index_.key_names), std::move(ops));
      ++reported;
    }
  }
  if (report_.cyclic_components_unexplained == 0) return;
  cycle_bound_reached_ = true;
  // The cycles are there even though they are not named: the verdict stands.
  report_.result.add(
      {internal::str_cat("cycle-search-bounded: ", report_.cyclic_components_unexplained, " cyclic component(s) of ",
                         unexplained_txns, " txns not explained after ", reported, " cycles"),
       {}});
}

std::string ListAppendAnalysis::summary() const {
  std::string text = "txn-serializable: ";
  const std::string judged = internal::str_cat(report_.txns_judged, " txns judged (", report_.txns_committed,
                                               " committed, ", report_.edges, " edge(s))");
  if (report_.result.ok) {
    text += "ok, " + judged;
  } else {
    text += internal::str_cat(report_.result.violation_count, " violation(s)");
    std::string kinds;
    for (const auto& [kind, count] : report_.anomalies)
      kinds += internal::str_cat(kinds.empty() ? "" : ", ", kind, " x", count);
    if (!kinds.empty()) text += " (" + kinds + ")";
    text += " in " + judged + "; first: " + report_.result.violations.front().what;
  }
  if (report_.txns_judged < history_.size()) {
    text += internal::str_cat("; only the first ", report_.txns_judged, " of ", history_.size(),
                              " txns were judged (the bound)");
  }
  if (cycle_bound_reached_) {
    text += internal::str_cat("; cycle search stopped at the bound of ", options_.cycles_reported_max, " cycles");
  }
  return text;
}

ListAppendReport ListAppendAnalysis::run() {
  for (uint32_t t = 0; t < index_.judged; ++t) index_txn(t);
  for (uint32_t key = 0; key < index_.keys.size(); ++key) {
    for (const ReadRef& r : index_.keys[key].reads) judge_read_values(key, r);
    recover_order(key);
  }
  for (uint32_t t = 0; t < index_.judged; ++t) {
    const Txn::Outcome outcome = history_[t].outcome;
    index_.committed[t] = outcome == Txn::Outcome::kOk || (outcome == Txn::Outcome::kUnknown && observed_[t]);
    report_.txns_committed += index_.committed[t];
  }
  DepGraph graph(index_.judged);
  internal::add_data_edges(index_, &graph);
  if (options_.real_time) internal::add_real_time_edges(index_, &graph);
  graph.seal();
  report_.edges = graph.edge_count();
  search_cycles(graph);
  report_.result.message = summary();
  return std::move(report_);
}

}  // namespace

ListAppendReport analyse_list_append(const std::vector<Txn>& history, const ListAppendOptions& options) {
  return ListAppendAnalysis(history, options).run();
}

CheckResult check_list_append(const std::vector<Txn>& history, const ListAppendOptions& options) {
  return analyse_list_append(history, options).result;
}

std::set<std::string> list_append_anomalies(const std::vector<Txn>& history, const ListAppendOptions& options) {
  std::set<std::string> kinds;
  for (const auto& [kind, count] : analyse_list_append(history, options).anomalies) kinds.insert(kind);
  return kinds;
}

}  // namespace shoal::check
