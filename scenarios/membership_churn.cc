// membership-churn: an operator who does not wait. Five voters and two spare
// nodes; every few hundred milliseconds the operator asks the current leader
// for another change — add a spare as a learner, promote a learner, remove a
// voter (the leader too), hand leadership over — without waiting for the
// last one to finish, while partitions and kills come and go. The engine must
// refuse a change while another is uncommitted (one-at-a-time changes are
// safe only one at a time: two in flight can leave two configurations without
// a common majority), and every client's history is judged as in any KvRun.
#include <algorithm>

#include "absl/strings/str_cat.h"
#include "scenarios/kv_run.h"
#include "scenarios/kv_swarm.h"

namespace shoal::scenarios {
namespace {

constexpr uint64_t kOperatorStreamSalt = 0x6f706572;
constexpr uint64_t kNemesisStreamSalt = 0x6368726e;

struct OperatorStats {
  int asked = 0, accepted = 0, refused = 0;
};

// One operator request against whoever leads now; the answer is not waited for.
void operator_step(KvRun& run, Rng& rng, OperatorStats& stats) {
  RaftNode* l = run.raft(run.leader());
  if (l == nullptr) return;
  const Membership& m = l->membership();
  std::vector<NodeId> spares, learners, voters = m.voters;
  for (NodeId id : run.all_node_ids()) {
    if (!m.contains(id) && run.raft(id) != nullptr) spares.push_back(id);
  }
  learners = m.learners;
  std::vector<MembershipChange> options;
  for (NodeId s : spares) options.push_back({ChangeKind::kAddLearner, s});
  for (NodeId x : learners) options.push_back({ChangeKind::kPromote, x});
  if (voters.size() > 3) {
    for (NodeId v : voters) options.push_back({ChangeKind::kRemove, v});
  }
  ++stats.asked;
  if (options.empty() || rng.chance(0.2)) {
    // A leadership handover to any other voter.
    std::vector<NodeId> others;
    for (NodeId v : voters) {
      if (v != l->id()) others.push_back(v);
    }
    if (!others.empty()) (void)l->transfer_leadership(rng.pick(others));
    return;
  }
  const MembershipChange change = rng.pick(options);
  l->change_membership(change, [&stats](RaftResult r) { (r.ok() ? stats.accepted : stats.refused)++; });
}

ScenarioResult membership_churn(const ScenarioOptions& o) {
  KvRunConfig c;
  c.name = "membership-churn";
  c.nodes = o.nodes.value_or(5);
  c.duration = o.duration.value_or(seconds(30));
  if (c.nodes < 3) throw std::invalid_argument("membership-churn needs at least 3 nodes");
  if (c.duration < seconds(6)) throw std::invalid_argument("membership-churn needs at least 6s");
  Params p(o.params);
  const int spares = static_cast<int>(p.integer("spares", 2, 1, 8));
  p.reject_unknown(c.name);
  c.clients = 4;
  for (int i = 1; i <= spares; ++i) c.joiners.push_back(static_cast<NodeId>(c.nodes + i));
  KvRun run(o, c);
  for (NodeId j : c.joiners) run.start_joiner(j);

  auto stats = std::make_shared<OperatorStats>();
  auto rng = std::make_shared<Rng>(hash_combine(o.seed, kOperatorStreamSalt));
  const TimePoint stop_at = run.heal_at();
  run.sim().repeat(TimePoint(seconds(1)), "operator", [&run, rng, stats, stop_at]() -> std::optional<Duration> {
    if (run.sim().now() >= stop_at) return std::nullopt;
    operator_step(run, *rng, *stats);
    return rng->range(milliseconds(50), milliseconds(500));
  });

  // Partitions and kills among the initial voters meanwhile.
  const KvSwarm swarm(run, o.seed, kNemesisStreamSalt,
                      {chaos::FaultKind::kPartitionHalves, chaos::FaultKind::kIsolateLeader, chaos::FaultKind::kKillOne,
                       chaos::FaultKind::kLeaderMinority, chaos::FaultKind::kClogNode});
  ScenarioResult r = run.run(nullptr);
  swarm.report(r);
  r.metrics["operator_requests"] = stats->asked;
  r.metrics["membership_changes_accepted"] = stats->accepted;
  r.metrics["membership_changes_refused"] = stats->refused;
  // The operator must have been heard: a run where no change went through
  // judged nothing about membership.
  CheckResult exercised{"membership-changed", stats->accepted > 0,
                        absl::StrCat(stats->accepted, " of ", stats->asked, " requests accepted")};
  r.checks.insert(r.checks.begin(), exercised);
  return r;
}

}  // namespace

std::vector<Scenario> membership_scenarios() {
  return {{"membership-churn",
           "an operator adds, promotes, removes voters and hands leadership over without waiting, under partitions "
           "and kills: one change at a time, every history judged",
           5, seconds(30), membership_churn}};
}

}  // namespace shoal::scenarios
