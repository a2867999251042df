// Nemesis: carries out a schedule of faults on a simulated cluster.
//
// Overlapping faults compose: a link cut by two partitions heals only when
// both have ended, a node killed twice restarts when the later kill ends, and
// lossy-link bursts combine by taking the worst of each probability. stop()
// ends every fault at once — links healed, disks and clocks well again,
// every process running — and makes the rest of the schedule a no-op; it
// begins a run's liveness phase.
//
// Limits keep the schedule inside what the system promises to survive:
// permanent disk damage (bit flips at rest) hits at most `damage_budget`
// distinct nodes, and clock drift stays within the bound the engine is
// configured with. Breaking those is a different experiment.
#pragma once

#include <functional>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "chaos/fault.h"
#include "sim/simulation.h"

namespace shoal::chaos {

struct NemesisLimits {
  double clock_drift_max = 0.05;
  size_t damage_budget = 0;  // nodes whose disk may be damaged for good
  // The cluster's minimum election timeout: faults that race an election
  // (lease-edge) are timed by it.
  Duration election_timeout_min = milliseconds(300);
};

// A fault as it happened, for reports: [start, end) in virtual time.
struct AppliedFault {
  TimePoint start;
  TimePoint end;
  FaultKind kind;
  std::string detail;
};

class Nemesis {
 public:
  // `leader` answers the current leader (kNoNode when there is none).
  Nemesis(sim::Simulation& sim, std::vector<NodeId> nodes, std::function<NodeId()> leader, NemesisLimits limits);

  // Arms every fault of the schedule at its start time.
  void schedule(const std::vector<Fault>& faults);
  // Ends every fault now; later faults of the schedule do nothing.
  void stop();

  const std::vector<AppliedFault>& applied() const { return applied_; }
  // Nodes whose disk a fault damaged for good.
  const std::set<NodeId>& damaged() const { return damaged_; }

 private:
  using Link = std::pair<NodeId, NodeId>;

  void apply(const Fault& f);
  // Records the fault's window; `revert` runs when it ends (unless stopped).
  void window(const Fault& f, std::string detail, std::function<void()> revert);
  NodeId leader_or(Rng& pick);
  std::vector<NodeId> shuffled(Rng& pick) const;

  void cut_links(const std::vector<Link>& links);
  void heal_links(const std::vector<Link>& links);
  static std::vector<Link> cuts_between(const std::vector<std::vector<NodeId>>& groups);
  void take_down(NodeId node);
  void bring_up(NodeId node);
  void refresh_links();
  void corrupt_at_rest(NodeId node, Rng& pick, std::string* detail);
  // leader-flap: watches for new leaders until `until` and cuts each off.
  void flap_leaders(TimePoint until, uint64_t salt, uint64_t term_seen);
  // Drifts just inside the bound: `leader` slow, every other node fast.
  void set_edge_drifts(NodeId leader);
  void lease_edge_cycle(uint64_t generation, uint64_t salt, uint64_t step);
  void lease_edge_cut(uint64_t generation, uint64_t salt, uint64_t step, NodeId leader);
  // crash-mid-sync: keeps a trap set on one node after another until `until`.
  void trap_syncs(TimePoint until, uint64_t salt, uint64_t step);
  void set_drift(NodeId node, double drift);
  void clear_drift(NodeId node);

  sim::Simulation& sim_;
  std::vector<NodeId> nodes_;
  std::function<NodeId()> leader_;
  NodeId flapped_ = kNoNode;  // leader-flap: the leader it last cut off
  uint64_t trap_generation_ = 0;  // crash-mid-sync: the live chain of traps
  uint64_t lease_generation_ = 0;  // lease-edge: the live chain of cuts
  bool lease_window_open_ = false;  // lease-edge: a fault window asks for more cycles
  std::vector<Link> lease_links_;  // lease-edge: the cuts made now
  NemesisLimits limits_;
  sim::LinkConfig base_link_;
  bool stopped_ = false;

  std::map<Link, int> cuts_;           // directed link -> active faults cutting it
  std::map<NodeId, int> down_;         // node -> active faults holding it down
  std::map<NodeId, int> paused_;       // node -> active pauses
  std::map<uint64_t, sim::LinkConfig> bursts_;  // active lossy bursts by fault salt
  std::map<NodeId, double> drift_;     // node -> active drift
  std::set<NodeId> damaged_;
  std::vector<AppliedFault> applied_;
};

}  // namespace shoal::chaos
