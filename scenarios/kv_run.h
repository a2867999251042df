// KvRun: the harness every replicated key-value scenario shares.
//
// It builds a simulated cluster of Nodes hosting replication group 0, runs
// client processes (KvClient) that issue a random mix of reads, puts,
// compare-and-sets and appends on a few keys at their client's write and read
// levels, records every operation in a check::History (invoke / ok / fail /
// unknown, in virtual time), lets the scenario's nemesis act, then heals
// everything and runs the liveness phases:
//   quiet      faults healed, the workload goes on: writes must serve again;
//   idle       no client sends anything for `idle` (a cluster at rest);
//   read tail  the leader hands leadership to another voter, so the new term
//              holds only its no-op, and clients only read: reads at every
//              level must serve again.
// Then replicas settle and every client's history is judged by the checker
// of its level, all from scenarios/checkers/ (no level goes unjudged, and no
// scenario can switch a safety check off):
//   * raft-invariants at every transition, and log matching;
//   * linearizable: every write with the linearizable and lease reads (a
//     leader-level write the leader accepted counts as of unknown outcome);
//   * read-your-writes and monotonic-reads: session reads;
//   * only-written-values: any-level reads;
//   * replies-match-log: every write's reported result is what applying its
//     log entry gave; leader-level writes may be lost (counted), never
//     reported with an invented result;
//   * all-level-held-by-every-voter: all-level acknowledgements;
//   * no-lost-writes: every acknowledged write of every kind shows in the
//     final state read back from every replica;
//   * convergence: after the settle every replica holds the same state;
//   * every-kind-served: each level the workload used completed operations
//     (a checker that judged nothing cannot pass a run);
//   * liveness (serves-again): after the faults, and after the failover of
//     the read tail, within the bound.
// Availability over the fault phase is measured (metrics), not bounded.
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
#include "scenarios/checkers/liveness.h"
#include "scenarios/checkers/reply_audit.h"
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
// operations (a rate that changes over the run), choosing from this phase's
// mix (the run's mix when it has none); an idle phase issues nothing.
struct RatePhase {
  Duration from{0};
  Duration think_min = milliseconds(5), think_max = milliseconds(40);
  std::optional<OperationMix> mix;
  bool idle = false;
};

struct KvRunConfig {
  std::string name;
  int nodes = 3;
  Duration duration = seconds(30);  // workload and nemesis; the liveness phases follow
  Duration quiet = seconds(5);      // faults healed, workload still on; REQUIRES >= liveness_bound
  Duration idle = seconds(1);       // then nothing is sent; then the read tail (liveness_bound long)
  int clients = 3;
  // The last `read_only_clients` clients only read, at their read level: a
  // reader is never stuck behind a write of its own, so it keeps asking
  // whatever node it talks to (a deposed leader, say) while writers move on.
  int read_only_clients = 0;
  int keys = 3;
  OperationMix mix;
  std::vector<RatePhase> rate = std::vector<RatePhase>(1);  // sorted by `from`; the first from 0
  std::vector<WriteLevel> write_levels{WriteLevel::kQuorum};  // per client, round robin
  std::vector<ReadLevel> read_levels{ReadLevel::kLinearizable};  // per client, round robin
  RaftOptions raft;
  uint64_t snapshot_chunk_bytes = kDefaultSnapshotChunkBytes;
  Duration client_attempt_timeout = milliseconds(500);
  sim::BuggifyConfig buggify;  // off unless a scenario turns it on
  Duration liveness_bound = seconds(5);
  // When set, client i issues exactly scripts[i] (then stops) instead of
  // choosing operations from its seed.
  std::shared_ptr<const std::vector<std::vector<ScriptedOp>>> scripts;
  // Joiners: node ids started later (not initial voters); they wait to be added.
  std::vector<NodeId> joiners;
  // Keys under these prefixes are written by the scenario's own clients and
  // judged by its own checks: no-lost-writes leaves them out (they are in no
  // KV client's history); convergence still compares them. Empty: none.
  std::vector<std::string> scenario_key_prefixes;
  // More KV groups every node hosts beside group 0 (ids, none 0), with the
  // same Raft settings and voters, for the scenario's own clients: the
  // run's checks judge group 0 only; the scenario judges these.
  std::vector<uint32_t> extra_kv_groups;
};

// The checks KvRun::judge runs for a workload at these levels, by name.
std::vector<std::string> required_checks(const std::vector<WriteLevel>& write_levels,
                                         const std::vector<ReadLevel>& read_levels);

// Refuses a configuration under which a check could not judge anything or
// could not be passed (a quiet phase shorter than the liveness bound, no
// clients, an empty mix), naming the problem; throws std::invalid_argument.
void validate(const KvRunConfig& config);

class KvRun;
using Nemesis = std::function<void(KvRun&)>;

// What the harness knows of one operation beyond the history: who issued it,
// at which levels, and what its reply said.
struct OpRecord {
  uint64_t session = 0;          // the client's session id
  WriteLevel write_level = WriteLevel::kQuorum;
  ReadLevel read_level = ReadLevel::kLinearizable;
  OpOutcome outcome = OpOutcome::kFail;  // kFail too while it is in flight
  uint64_t index = 0;            // writes answered kOk or kAccepted: the log index
  std::string result;            // kOk writes: kv::describe of the result
};

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
  // The live, undamaged replica of `group` that applied the most (nullptr
  // when none): where a scenario reads its final state from.
  const Replica* most_applied(GroupId group);
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
  // Called as each log index is first applied anywhere, after the run's
  // reference state machine applied it: the entry's command (null for a
  // no-op, a configuration entry or undecodable bytes), what applying it
  // gave, and the reference state after it (for scenario checks).
  std::function<void(uint64_t index, const kv::Command* command, const kv::Result& result,
                     const kv::KvStateMachine& reference)>
      on_committed;
  // Called on every completed client operation (for scenario checks).
  std::function<void(size_t op_index, const KvOpResult& result)> on_complete;
  // The write / read level of the client that ran operation `op_index`.
  WriteLevel write_level_of(size_t op_index) const { return records_[op_index].write_level; }
  ReadLevel read_level_of(size_t op_index) const { return records_[op_index].read_level; }
  const OpRecord& record(size_t op_index) const { return records_[op_index]; }
  // Every write, with the reads made at `level`: what that level's checkers judge.
  check::History history_of_reads_at(ReadLevel level) const;
  // When the faults stop (the quiet phase begins) and when the read tail's
  // failover happens.
  TimePoint heal_at() const { return TimePoint(config_.duration); }
  TimePoint read_tail_at() const { return heal_at() + config_.quiet + config_.idle; }

  // Runs the workload with the nemesis, the quiet tail, then judges.
  ScenarioResult run(const Nemesis& nemesis);

 private:
  friend class ClientProcess;
  class Observer;
  // What a client does at time t: the workload's phase.
  enum class Phase { kWorkload, kIdle, kReadTail, kStopped };
  Phase phase_at(TimePoint t) const;
  const RatePhase& rate_at(TimePoint t) const;
  // The first moment after t at which the phase or the rate phase changes.
  TimePoint next_phase_change(TimePoint t) const;
  NodeConfig node_config(bool joiner);
  void hand_over_leadership();
  void on_client_done(size_t op_index, const KvOpResult& r);
  // The first application of each log index, anywhere, fed to a reference
  // state machine: what each committed entry is and what applying it gave.
  void on_first_apply(const LogEntry& entry);
  // Judges an all-level acknowledgement at the instant the leader gives it.
  void on_ack(const RaftNode& leader, uint64_t index, Ack ack);
  bool replicas_agree();
  void judge(ScenarioResult& r);
  void judge_levels(ScenarioResult& r);
  void judge_final_state(ScenarioResult& r);
  void judge_liveness(ScenarioResult& r);
  check::History judged_history(const std::function<bool(size_t)>& keep) const;
  // The history for linearizability: leader-level writes the leader accepted
  // are resolved by the committed log — one whose entry committed took
  // effect by its first application (with the result applying it gave), one
  // whose index holds another entry never took effect.
  check::History resolved_history(const std::function<bool(size_t)>& keep) const;
  std::vector<check::ServiceKind> service_kinds() const;

  ScenarioOptions opts_;
  KvRunConfig config_;
  sim::Simulation sim_;
  RaftInvariants invariants_;
  RaftInvariantsByGroup extra_invariants_;  // of config.extra_kv_groups
  std::unique_ptr<Observer> observer_;  // invariants plus the role timeline
  std::vector<std::vector<ScriptedOp>> recorded_;
  check::History history_;
  std::vector<OpRecord> records_;  // parallel to history_
  kv::KvStateMachine reference_;   // the committed log, applied once
  // The committed log as first applied anywhere, by log index - 1.
  struct AppliedEntry {
    check::LogRecord record;        // whose command, and what applying it gave
    std::optional<kv::Code> code;   // that result's code (none for a no-op)
    int64_t first_applied_ns = 0;   // when it was first applied
  };
  std::vector<AppliedEntry> applied_log_;
  size_t in_flight_ = 0;  // client operations invoked and not yet complete
  CheckResult reference_check_{"reference-replay", true, ""};
  CheckResult all_level_check_{"all-level-held-by-every-voter", true, "", {}};
  std::map<NodeId, TimePoint> leading_since_;  // when each current leader took office
  std::vector<NodeId> nodes_;    // initial voters
  std::vector<NodeId> clients_;
  std::vector<uint64_t> writes_issued_;  // per key slot, by every client (kv_run.cc)
  std::vector<CheckResult> extra_checks_;
  std::map<std::string, double> metrics_;
};

}  // namespace shoal::scenarios
