#include "scenarios/checkers/txn_graph.h"

#include <algorithm>

namespace shoal::check::internal {
namespace {

inline constexpr uint32_t kNoComponent = UINT32_MAX;

const char* kind_name(DepKind kind) {
  switch (kind) {
    case DepKind::kWW:
      return "ww";
    case DepKind::kWR:
      return "wr";
    case DepKind::kRW:
      return "rw";
    case DepKind::kRealTime:
      return "rt";
  }
  return "?";
}

bool in_mask(DepMask mask, DepKind kind) { return (mask & mask_of(kind)) != 0; }

}  // namespace

void DepGraph::add(uint32_t from, uint32_t to, DepKind kind, uint32_t key) {
  if (from == to) return;
  out_[from].push_back({to, kind, key});
  ++edges_;
}

void DepGraph::seal() {
  for (std::vector<DepEdge>& edges : out_) {
    std::stable_sort(edges.begin(), edges.end(), [](const DepEdge& a, const DepEdge& b) { return a.kind < b.kind; });
  }
}

CycleFinder::CycleFinder(const DepGraph& graph)
    : graph_(graph),
      member_stamp_(graph.size(), 0),
      index_(graph.size(), 0),
      low_(graph.size(), 0),
      index_stamp_(graph.size(), 0),
      scc_of_(graph.size(), kNoComponent),
      on_stack_(graph.size(), 0),
      seen_stamp_(graph.size(), 0),
      reached_by_(graph.size()) {}

void CycleFinder::mark_members(const std::vector<uint32_t>& nodes) {
  ++members_;
  for (uint32_t v : nodes) member_stamp_[v] = members_;
}

std::vector<std::vector<uint32_t>> CycleFinder::components(const std::vector<uint32_t>& nodes, DepMask mask) {
  mark_members(nodes);
  ++tarjan_run_;
  next_index_ = 0;
  for (uint32_t v : nodes) scc_of_[v] = kNoComponent;
  std::vector<std::vector<uint32_t>> found;
  for (uint32_t v : nodes) {
    if (index_stamp_[v] != tarjan_run_) strong_connect(v, mask, &found);
  }
  return found;
}

// Tarjan's algorithm with an explicit call stack, so that a long chain of
// dependencies cannot overflow the native one.
void CycleFinder::strong_connect(uint32_t root, DepMask mask, std::vector<std::vector<uint32_t>>* found) {
  struct Frame {
    uint32_t node;
    size_t next_edge;
  };
  std::vector<Frame> calls;
  auto visit = [&](uint32_t v) {
    index_stamp_[v] = tarjan_run_;
    index_[v] = low_[v] = next_index_++;
    stack_.push_back(v);
    on_stack_[v] = 1;
    calls.push_back({v, 0});
  };
  visit(root);
  while (!calls.empty()) {
    const uint32_t v = calls.back().node;
    const std::vector<DepEdge>& edges = graph_.out(v);
    if (calls.back().next_edge < edges.size()) {
      const DepEdge& e = edges[calls.back().next_edge++];
      if (!in_mask(mask, e.kind) || !member(e.to)) continue;
      if (index_stamp_[e.to] != tarjan_run_) {
        visit(e.to);
      } else if (on_stack_[e.to]) {
        low_[v] = std::min(low_[v], index_[e.to]);
      }
      continue;
    }
    calls.pop_back();
    if (!calls.empty()) low_[calls.back().node] = std::min(low_[calls.back().node], low_[v]);
    if (low_[v] != index_[v]) continue;
    // v is the root of a component: everything above it on the stack.
    std::vector<uint32_t> component;
    uint32_t w = 0;
    do {
      w = stack_.back();
      stack_.pop_back();
      on_stack_[w] = 0;
      component.push_back(w);
    } while (w != v);
    if (component.size() < 2) continue;
    std::sort(component.begin(), component.end());
    for (uint32_t u : component) scc_of_[u] = uint32_t(found->size());
    found->push_back(std::move(component));
  }
}

std::optional<std::vector<CycleStep>> CycleFinder::path(uint32_t from, uint32_t to, DepMask mask) {
  ++bfs_run_;
  // When asked for a cycle, `from` stays unseen so that reaching it again
  // ends the search rather than being skipped.
  if (from != to) seen_stamp_[from] = bfs_run_;
  std::vector<uint32_t> queue{from};
  for (size_t head = 0; head < queue.size(); ++head) {
    const uint32_t u = queue[head];
    for (const DepEdge& e : graph_.out(u)) {
      if (!in_mask(mask, e.kind) || !member(e.to)) continue;
      if (e.to == to) {
        std::vector<CycleStep> steps{{u, e}};
        for (uint32_t at = u; at != from; at = reached_by_[at].from) steps.push_back(reached_by_[at]);
        std::reverse(steps.begin(), steps.end());
        return steps;
      }
      if (seen_stamp_[e.to] == bfs_run_) continue;
      seen_stamp_[e.to] = bfs_run_;
      reached_by_[e.to] = {u, e};
      queue.push_back(e.to);
    }
  }
  return std::nullopt;
}

std::optional<Cycle> CycleFinder::cycle_through(const CycleStep& edge, DepMask mask) {
  std::optional<std::vector<CycleStep>> back = path(edge.edge.to, edge.from, mask);
  if (!back) return std::nullopt;
  std::vector<CycleStep> steps{edge};
  steps.insert(steps.end(), back->begin(), back->end());
  steps = rotate_to_smallest(std::move(steps));
  return Cycle{classify_cycle(steps), std::move(steps)};
}

// A cycle over `mask` edges through an edge whose kind is in `closing`:
// any such edge inside a component of the masked graph closes one.
std::optional<Cycle> CycleFinder::cycle_of(const std::vector<uint32_t>& members, DepMask mask, DepMask closing) {
  for (const std::vector<uint32_t>& sub : components(members, mask)) {
    for (uint32_t u : sub) {
      for (const DepEdge& e : graph_.out(u)) {
        if (!in_mask(closing & mask, e.kind) || !member(e.to) || scc_of_[e.to] != scc_of_[u]) continue;
        return cycle_through({u, e}, mask);
      }
    }
  }
  return std::nullopt;
}

// A cycle of ww and wr edges closed by one rw edge. An rw edge between two
// transactions of one ww/wr component surely closes one; otherwise a bounded
// number of rw edges are tried with a search each.
std::optional<Cycle> CycleFinder::single_rw_cycle(const std::vector<uint32_t>& component) {
  const DepMask wwr = mask_of(DepKind::kWW) | mask_of(DepKind::kWR);
  components(component, wwr);
  std::vector<CycleStep> others;
  for (uint32_t u : component) {
    for (const DepEdge& e : graph_.out(u)) {
      if (e.kind != DepKind::kRW || !member(e.to)) continue;
      if (scc_of_[u] != kNoComponent && scc_of_[u] == scc_of_[e.to]) return cycle_through({u, e}, wwr);
      if (others.size() < kSingleRwEdgesTriedMax) others.push_back({u, e});
    }
  }
  for (const CycleStep& rw : others) {
    if (std::optional<Cycle> c = cycle_through(rw, wwr)) return c;
  }
  return std::nullopt;
}

std::vector<Cycle> CycleFinder::explain(const std::vector<uint32_t>& component) {
  const DepMask ww = mask_of(DepKind::kWW);
  const DepMask wwr = ww | mask_of(DepKind::kWR);
  std::vector<Cycle> found;
  if (std::optional<Cycle> c = cycle_of(component, ww, ww)) found.push_back(std::move(*c));
  if (std::optional<Cycle> c = cycle_of(component, wwr, mask_of(DepKind::kWR))) found.push_back(std::move(*c));
  if (std::optional<Cycle> c = single_rw_cycle(component)) found.push_back(std::move(*c));
  if (!found.empty()) return found;
  // No cycle of the specific kinds was found: any cycle of data edges (its
  // rw edges make it G2, or G-single when the bounded search above missed
  // it), and when there is none the component needs a real-time edge.
  if (std::optional<Cycle> c = cycle_of(component, kDataDeps, kDataDeps)) {
    found.push_back(std::move(*c));
  } else if (std::optional<Cycle> c = cycle_of(component, kAllDeps, kAllDeps)) {
    found.push_back(std::move(*c));
  }
  return found;
}

std::string classify_cycle(const std::vector<CycleStep>& steps) {
  size_t wr = 0;
  size_t rw = 0;
  bool real_time = false;
  for (const CycleStep& s : steps) {
    wr += s.edge.kind == DepKind::kWR;
    rw += s.edge.kind == DepKind::kRW;
    real_time = real_time || s.edge.kind == DepKind::kRealTime;
  }
  std::string kind = rw >= 2 ? "G2" : rw == 1 ? "G-single" : wr > 0 ? "G1c" : "G0";
  return real_time ? kind + "-realtime" : kind;
}

std::string describe_cycle(const std::vector<CycleStep>& steps, const std::vector<std::string>& key_names) {
  if (steps.empty()) return "";
  const size_t quoted = std::min(steps.size(), kCycleStepsQuotedMax);
  std::string text = "T" + std::to_string(steps.front().from);
  std::vector<uint32_t> keys;
  for (size_t i = 0; i < quoted; ++i) {
    const DepEdge& e = steps[i].edge;
    text += std::string(" -") + kind_name(e.kind) + "-> T" + std::to_string(e.to);
    if (e.key != kNoKey && std::find(keys.begin(), keys.end(), e.key) == keys.end()) keys.push_back(e.key);
  }
  if (quoted < steps.size()) {
    text += " ... " + std::to_string(steps.size() - quoted) + " more step(s) back to T" +
            std::to_string(steps.front().from);
  }
  if (keys.empty()) return text;
  text += keys.size() == 1 ? " on key " : " on keys ";
  for (size_t i = 0; i < keys.size(); ++i) text += (i ? "," : "") + key_names[keys[i]];
  return quoted < steps.size() ? text + ",..." : text;
}

std::vector<CycleStep> rotate_to_smallest(std::vector<CycleStep> steps) {
  auto smallest = std::min_element(steps.begin(), steps.end(),
                                   [](const CycleStep& a, const CycleStep& b) { return a.from < b.from; });
  std::rotate(steps.begin(), smallest, steps.end());
  return steps;
}

}  // namespace shoal::check::internal
