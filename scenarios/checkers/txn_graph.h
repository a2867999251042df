// Internal to the txn-serializable checker (txn_anomalies.h): the dependency
// graph over transactions, its cyclic components and the search for a short
// cycle of each anomaly kind inside one.
//
// Nodes are history indices; edges carry their kind and, for data edges, the
// key that produced them. The graph owns its edges; a CycleFinder borrows the
// graph and keeps scratch arrays sized to it, so one finder serves every
// component without clearing them (visits are stamped).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace shoal::check::internal {

// In order of preference: when two transactions are linked by edges of
// several kinds, a cycle is explained with the earliest.
enum class DepKind : uint8_t { kWW = 0, kWR = 1, kRW = 2, kRealTime = 3 };

using DepMask = uint8_t;
inline constexpr DepMask mask_of(DepKind k) { return DepMask(1u << uint8_t(k)); }
inline constexpr DepMask kDataDeps = mask_of(DepKind::kWW) | mask_of(DepKind::kWR) | mask_of(DepKind::kRW);
inline constexpr DepMask kAllDeps = kDataDeps | mask_of(DepKind::kRealTime);

inline constexpr uint32_t kNoKey = UINT32_MAX;

struct DepEdge {
  uint32_t to;
  DepKind kind;
  uint32_t key;  // kNoKey for a real-time edge
};

class DepGraph {
 public:
  explicit DepGraph(size_t nodes) : out_(nodes) {}

  // Adds from -> to; a transaction never depends on itself, so a self edge
  // is dropped.
  void add(uint32_t from, uint32_t to, DepKind kind, uint32_t key);
  // Orders every node's edges by kind, so searches meet preferred kinds
  // first. REQUIRES: called once, after the last add().
  void seal();

  size_t size() const { return out_.size(); }
  size_t edge_count() const { return edges_; }
  const std::vector<DepEdge>& out(uint32_t node) const { return out_[node]; }

 private:
  std::vector<std::vector<DepEdge>> out_;
  size_t edges_ = 0;
};

struct CycleStep {
  uint32_t from;
  DepEdge edge;
};

struct Cycle {
  std::string anomaly;           // "G0", "G-single-realtime", ...
  std::vector<CycleStep> steps;  // steps[i].edge.to == steps[i + 1].from, and the last returns to the first
};

// How many rw edges of a component are tried as the single rw edge of a
// G-single cycle before the search settles for any cycle.
inline constexpr size_t kSingleRwEdgesTriedMax = 32;
// How many steps of a cycle its one-line description quotes.
inline constexpr size_t kCycleStepsQuotedMax = 12;

class CycleFinder {
 public:
  explicit CycleFinder(const DepGraph& graph);

  // The strongly connected components of more than one node among `nodes`,
  // following only edges whose kind is in `mask`.
  std::vector<std::vector<uint32_t>> components(const std::vector<uint32_t>& nodes, DepMask mask);

  // Short cycles inside `component` (a result of components(..., kAllDeps)):
  // at most one per anomaly kind, G0, G1c and G-single searched first; when
  // none of those is found, any cycle of data edges, and failing that (only
  // when the graph has real-time edges) any cycle at all.
  std::vector<Cycle> explain(const std::vector<uint32_t>& component);

 private:
  void mark_members(const std::vector<uint32_t>& nodes);
  bool member(uint32_t node) const { return member_stamp_[node] == members_; }
  void strong_connect(uint32_t root, DepMask mask, std::vector<std::vector<uint32_t>>* found);
  // The shortest path from `from` to `to` among members over `mask`
  // edges, as steps; `from == to` asks for a cycle through `from`.
  std::optional<std::vector<CycleStep>> path(uint32_t from, uint32_t to, DepMask mask);
  std::optional<Cycle> cycle_through(const CycleStep& edge, DepMask mask);
  std::optional<Cycle> cycle_of(const std::vector<uint32_t>& members, DepMask mask, DepMask closing);
  std::optional<Cycle> single_rw_cycle(const std::vector<uint32_t>& component);

  const DepGraph& graph_;
  std::vector<uint32_t> member_stamp_;
  uint32_t members_ = 0;
  // Tarjan's state; index_ is valid for a node when index_stamp_ matches.
  std::vector<uint32_t> index_, low_, index_stamp_, scc_of_;
  std::vector<uint8_t> on_stack_;
  uint32_t tarjan_run_ = 0;
  uint32_t next_index_ = 0;
  std::vector<uint32_t> stack_;
  // Breadth-first search state.
  std::vector<uint32_t> seen_stamp_;
  std::vector<CycleStep> reached_by_;
  uint32_t bfs_run_ = 0;
};

// The anomaly a cycle shows: G0, G1c, G-single or G2 by its wr and rw edges,
// with "-realtime" when it needs a real-time edge.
std::string classify_cycle(const std::vector<CycleStep>& steps);

// "T3 -rw-> T7 -wr-> T3 on keys x,y", with `key_names` indexed by key id.
// A cycle longer than kCycleStepsQuotedMax is quoted up to the bound, with
// the count of steps left, and so are its keys.
std::string describe_cycle(const std::vector<CycleStep>& steps, const std::vector<std::string>& key_names);

// The cycle turned to start at its smallest transaction.
std::vector<CycleStep> rotate_to_smallest(std::vector<CycleStep> steps);

}  // namespace shoal::check::internal
