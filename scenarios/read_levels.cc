// read-levels: four clients read at linearizable, lease, session and any
// while leaders are killed, followers are cut off and clocks drift (within
// the bound leases assume). KvRun judges each level by the checker of its
// promise (linearizability for linearizable and lease reads, read-your-writes
// and monotonic reads for session reads, only-written-values and convergence
// for any reads); the staleness of any reads is measured, not bounded.
#include "absl/strings/str_cat.h"
#include "scenarios/checkers/staleness.h"
#include "scenarios/kv_run.h"

namespace shoal::scenarios {
namespace {

constexpr Duration kStalenessMeasured = seconds(1);

ScenarioResult read_levels(const ScenarioOptions& o) {
  KvRunConfig c;
  c.name = "read-levels";
  c.nodes = o.nodes.value_or(3);
  c.duration = o.duration.value_or(seconds(24));
  if (c.duration < seconds(12)) throw std::invalid_argument("read-levels needs at least 12s");
  Params p(o.params);
  p.reject_unknown(c.name);
  c.clients = 4;
  c.read_levels = {ReadLevel::kLinearizable, ReadLevel::kLease, ReadLevel::kSession, ReadLevel::kAny};
  KvRun run(o, c);
  // Clocks drift within the bound the lease is shortened by.
  for (NodeId n : run.node_ids()) {
    const double drift = (run.rng().real01() - 0.5) * 2 * c.raft.clock_drift_max * 0.8;
    run.sim().set_clock(n, sim::ClockConfig{Duration(run.rng().range(0, 1000000000)), drift});
  }
  for (Duration t = seconds(3); t + seconds(4) < c.duration; t += seconds(5)) {
    const bool kill = run.rng().chance(0.5);
    run.sim().at(TimePoint(t), kill ? "kill leader" : "isolate a follower", [&run, kill] {
      const NodeId l = run.leader();
      if (l == kNoNode) return;
      if (kill) {
        run.sim().crash(l);
        run.sim().after(seconds(2), "restart", [&run, l] { run.sim().restart(l); });
        return;
      }
      NodeId f = kNoNode;
      for (NodeId n : run.node_ids()) if (n != l) f = n;
      std::vector<NodeId> rest;
      for (NodeId n : run.node_ids()) if (n != f) rest.push_back(n);
      run.sim().partition({{f}, rest});
      run.sim().after(seconds(3), "heal", [&run] { run.sim().heal_all_links(); });
    });
  }
  ScenarioResult r = run.run(nullptr);
  // Each level is judged by KvRun; how stale the any-level reads were is
  // measured here (any promises no bound).
  const check::History any = run.history_of_reads_at(ReadLevel::kAny);
  const auto stale = check::check_bounded_staleness(any, kStalenessMeasured);
  r.metrics["any_reads_staler_than_1s"] = static_cast<double>(stale.violation_count);
  return r;
}

}  // namespace

std::vector<Scenario> read_level_scenarios() {
  return {{"read-levels",
           "reads at linearizable / lease / session / any through failovers, partitions and clock drift: "
           "each level's checker passes",
           3, seconds(24), read_levels}};
}

}  // namespace shoal::scenarios
