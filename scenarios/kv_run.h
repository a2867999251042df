// KvRun: the harness every replicated key-value scenario shares.
//
// It builds a simulated cluster of Nodes hosting replication group 0, runs
// client processes (KvClient) that issue a random mix of reads, puts,
// compare-and-sets and appends on a few keys, records every operation in a
// check::History (invoke / ok / fail / unknown, in virtual time), lets the
// scenario's nemesis act, then heals everything and judges:
//   * raft-invariants: election safety, state machine safety, leader
//     completeness, commit monotonicity (at every transition), log matching;
//   * linearizable: the history against the key-value model;
//   * no-acknowledged-write-lost: every acknowledged append is in the final state;
//   * convergence: after the quiet tail every replica holds the same state;
//   * liveness: once the faults stopped, a write succeeds within the bound.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "engine/client/kv_client.h"
#include "engine/raft/invariants.h"
#include "engine/server/node.h"
#include "scenarios/checkers/history.h"
#include "scenarios/scenario.h"
#include "scenarios/schedule.h"
#include "sim/simulation.h"

namespace shoal::scenarios {

// The linearizability search budget of a scenario run: generous for these
// histories (they check in well under 10k steps), bounded so a sweep never
// hangs on one seed.
inline constexpr uint64_t kLinearizabilitySteps = 5'000'000;

// The clients' operation mix, as relative weights. Reads of "k" keys see
// puts, CASes and deletes; appends go to "a" keys of their own, which
// nothing overwrites, so every acknowledged append must survive.
struct OperationMix {
  uint32_t read = 35;
  uint32_t read_appends = 5;
  uint32_t put = 25;
  uint32_t cas = 15;
  uint32_t append = 20;
  uint32_t del = 0;
  uint32_t total() const { return read + read_appends + put + cas + append + del; }
};

// From `from` on, clients think between think_min and think_max between
// operations (a rate that changes over the run).
struct RatePhase {
  Duration from{0};
  Duration think_min = milliseconds(5), think_max = milliseconds(40);
};

struct KvRunConfig {
  std::string name;
  int nodes = 3;
  Duration duration = seconds(30);  // workload and nemesis; the quiet tail follows
  Duration quiet = seconds(5);      // faults healed, workload still on
  int clients = 3;
  int keys = 3;
  OperationMix mix;
  std::vector<RatePhase> rate = std::vector<RatePhase>(1);  // sorted by `from`; the first from 0
  std::vector<WriteLevel> write_levels{WriteLevel::kQuorum};  // per client, round robin
  std::vector<ReadLevel> read_levels{ReadLevel::kLinearizable};  // per client, round robin
  RaftOptions raft;
  Duration client_attempt_timeout = milliseconds(500);
  sim::BuggifyConfig buggify;  // off unless a scenario turns it on
  Duration liveness_bound = seconds(5);
  bool check_linearizable = true;
  bool check_lost_writes = true;
  bool check_convergence = true;
  // When set, client i issues exactly scripts[i] (then stops) instead of
  // choosing operations from its seed.
  std::shared_ptr<const std::vector<std::vector<ScriptedOp>>> scripts;
  // Joiners: node ids started later (not initial voters); they wait to be added.
  std::vector<NodeId> joiners;
};

class KvRun;
using Nemesis = std::function<void(KvRun&)>;

class KvRun {
 public:
  KvRun(const ScenarioOptions& opts, KvRunConfig config);
  ~KvRun();

  sim::Simulation& sim() { return sim_; }
  Rng& rng() { return sim_.rng(); }
  const KvRunConfig& config() const { return config_; }
  const std::vector<NodeId>& node_ids() const { return nodes_; }
  std::vector<NodeId> all_node_ids() const;
  Node* node(NodeId id);
  RaftNode* raft(NodeId id);
  // The running, unpaused leader of the highest term; kNoNode when none.
  NodeId leader();
  // Starts a node id that was declared a joiner.
  void start_joiner(NodeId id);
  // Asks the current leader for a membership change, retrying until it is
  // accepted or `within` passes; `done(ok)` then runs.
  void change_membership(MembershipChange change, Duration within, std::function<void(bool)> done);

  // Scenario-specific results.
  void add_check(CheckResult c) { extra_checks_.push_back(std::move(c)); }
  void metric(const std::string& name, double v) { metrics_[name] = v; }
  const check::History& history() const { return history_; }
  // Called when the faults end and the liveness phase begins, before the
  // harness restarts and resumes every node (a nemesis stops here).
  std::function<void()> on_heal;
  // What each client issued, with its think times (the workload part of a schedule).
  const std::vector<std::vector<ScriptedOp>>& recorded_workload() const { return recorded_; }
  // Called on every completed client operation (for scenario checks).
  std::function<void(size_t op_index, const KvOpResult& result)> on_complete;
  // The write / read level of the client that ran operation `op_index`.
  WriteLevel write_level_of(size_t op_index) const;
  ReadLevel read_level_of(size_t op_index) const;

  // Runs the workload with the nemesis, the quiet tail, then judges.
  ScenarioResult run(const Nemesis& nemesis);

 private:
  friend class ClientProcess;
  class Observer;
  NodeConfig node_config(bool joiner);
  void judge(ScenarioResult& r);
  CheckResult check_appends_present();
  CheckResult check_convergence();
  CheckResult check_liveness();

  ScenarioOptions opts_;
  KvRunConfig config_;
  sim::Simulation sim_;
  RaftInvariants invariants_;
  std::unique_ptr<Observer> observer_;  // invariants plus the role timeline
  std::vector<std::vector<ScriptedOp>> recorded_;
  check::History history_;
  std::vector<NodeId> nodes_;    // initial voters
  std::vector<NodeId> clients_;
  bool workload_on_ = true;
  std::vector<uint64_t> writes_issued_;  // per key slot, by every client (kv_run.cc)
  std::vector<CheckResult> extra_checks_;
  std::map<std::string, double> metrics_;
};

}  // namespace shoal::scenarios
