#include <algorithm>
#include <tuple>

#include "scenarios/checkers/txn_index.h"

namespace shoal::check::internal {
namespace {

// Each txn's appends to a key form one version, so ww edges link runs: the
// txn behind one run of the order precedes the txn behind the next.
void add_ww_edges(const TxnIndex& index, uint32_t key, DepGraph* graph) {
  const std::vector<uint32_t>& writers = index.keys[key].order_writers;
  for (size_t p = 1; p < writers.size(); ++p) {
    const uint32_t before = writers[p - 1];
    const uint32_t after = writers[p];
    if (before == after || !index.is_committed(before) || !index.is_committed(after)) continue;
    graph->add(before, after, DepKind::kWW, key);
  }
}

// A read of others' state ending at version v depends on v's txn (wr), and
// the txn that installed the version after v depends on the reader not
// having seen it (rw). An empty read saw the initial state, so the first
// version's txn comes after it.
void add_read_edges(const TxnIndex& index, uint32_t key, const ReadRef& r, DepGraph* graph) {
  const KeyVersions& k = index.keys[key];
  size_t next = 0;
  if (r.external_length > 0) {
    const size_t last = r.external_length - 1;
    if (index.is_committed(k.order_writers[last])) graph->add(k.order_writers[last], r.txn, DepKind::kWR, key);
    next = k.next_run[last];
  }
  if (next < k.order.size() && index.is_committed(k.order_writers[next])) {
    graph->add(r.txn, k.order_writers[next], DepKind::kRW, key);
  }
}

}  // namespace

void add_data_edges(const TxnIndex& index, DepGraph* graph) {
  for (uint32_t key = 0; key < index.keys.size(); ++key) {
    add_ww_edges(index, key, graph);
    for (const ReadRef& r : index.keys[key].reads) {
      if (r.consistent && r.in_order) add_read_edges(index, key, r, graph);
    }
  }
}

// Events sweep through time keeping a frontier: the completed txns not yet
// known to precede a later-completed one. A txn invoked now follows every
// txn of the frontier; when it completes, it replaces those in the
// frontier, since they reach what follows through it. Invocations sort
// before completions at the same instant: real-time order is strict.
void add_real_time_edges(const TxnIndex& index, DepGraph* graph) {
  const std::vector<Txn>& history = *index.history;
  struct Event {
    int64_t at_ns;
    bool completes;
    uint32_t txn;
  };
  std::vector<Event> events;
  for (uint32_t t = 0; t < index.judged; ++t) {
    if (!index.committed[t]) continue;
    events.push_back({history[t].invoke_ns, false, t});
    // An unknown txn's completion is unknown, so it precedes nothing.
    if (history[t].outcome == Txn::Outcome::kOk) events.push_back({history[t].complete_ns, true, t});
  }
  std::sort(events.begin(), events.end(), [](const Event& a, const Event& b) {
    return std::tie(a.at_ns, a.completes, a.txn) < std::tie(b.at_ns, b.completes, b.txn);
  });
  std::vector<uint32_t> frontier;
  std::vector<uint8_t> in_frontier(index.judged, 0);
  std::vector<std::vector<uint32_t>> predecessors(index.judged);
  for (const Event& e : events) {
    if (!e.completes) {
      std::erase_if(frontier, [&](uint32_t f) { return !in_frontier[f]; });
      for (uint32_t f : frontier) graph->add(f, e.txn, DepKind::kRealTime, kNoKey);
      predecessors[e.txn] = frontier;
      continue;
    }
    for (uint32_t p : predecessors[e.txn]) in_frontier[p] = 0;
    predecessors[e.txn].clear();
    frontier.push_back(e.txn);
    in_frontier[e.txn] = 1;
  }
}

}  // namespace shoal::check::internal
