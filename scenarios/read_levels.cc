// read-levels: four clients read at linearizable, lease, session and any
// while leaders are killed, followers are cut off and clocks drift (within
// the bound leases assume). Each level gets the checker of its promise:
//   linearizable, lease — the history of their reads with every write is
//                         linearizable;
//   session             — read-your-writes and monotonic reads per session;
//   any                 — reads lag by at most the longest fault (bounded
//                         staleness) and replicas converge once healed.
#include "absl/strings/str_cat.h"
#include "scenarios/checkers/linearizability.h"
#include "scenarios/checkers/session_guarantees.h"
#include "scenarios/checkers/staleness.h"
#include "scenarios/kv_run.h"

namespace shoal::scenarios {
namespace {

constexpr Duration kAnyStalenessBound = seconds(5);

// The operations of clients whose reads count, plus every write.
check::History filtered(const KvRun& run, const std::function<bool(ReadLevel)>& keep_reads_of) {
  check::History h;
  for (size_t i = 0; i < run.history().size(); ++i) {
    const check::Operation& op = run.history()[i];
    if (op.op.type == check::OpType::kRead && !keep_reads_of(run.read_level_of(i))) continue;
    h.add(op);
  }
  return h;
}

CheckResult from(const char* name, const check::CheckResult& c) {
  std::string detail = c.message;
  for (size_t i = 0; i < c.violations.size() && i < 2; ++i) detail += "; " + c.violations[i].what;
  return CheckResult{name, c.ok, detail};
}

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
  c.check_linearizable = false;  // judged per level below
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

  check::LinearizabilityOptions lo;
  lo.model = check::Model::kKv;
  const check::History strong =
      filtered(run, [](ReadLevel l) { return l == ReadLevel::kLinearizable || l == ReadLevel::kLease; });
  const auto lin = check::check_linearizable(strong, lo);
  r.checks.insert(r.checks.begin(), CheckResult{"linearizable-and-lease-reads-linearizable",
                                                lin.verdict != check::Verdict::kNotLinearizable, lin.message});
  const check::History session = filtered(run, [](ReadLevel l) { return l == ReadLevel::kSession; });
  r.checks.insert(r.checks.begin() + 1, from("session-read-your-writes", check::check_read_your_writes(session)));
  r.checks.insert(r.checks.begin() + 2, from("session-monotonic-reads", check::check_monotonic_reads(session)));
  const check::History any = filtered(run, [](ReadLevel l) { return l == ReadLevel::kAny; });
  r.checks.insert(r.checks.begin() + 3,
                  from("any-reads-bounded-staleness", check::check_bounded_staleness(any, kAnyStalenessBound)));
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
