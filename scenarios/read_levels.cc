// read-levels: four clients read at linearizable, lease, session and any
// while leaders are killed, followers are cut off and clocks drift (within
// the bound leases assume). Each level gets the checker of its promise:
//   linearizable, lease — the history of their reads with every write is
//                         linearizable;
//   session             — read-your-writes and monotonic reads per session;
//   any                 — reads return only values that were written (any
//                         replica, however stale: a restarted one may be far
//                         behind), and replicas converge once healed; the
//                         staleness is measured, not bounded.
#include <map>
#include <set>

#include "absl/strings/str_cat.h"
#include "scenarios/checkers/linearizability.h"
#include "scenarios/checkers/session_guarantees.h"
#include "scenarios/checkers/staleness.h"
#include "scenarios/kv_run.h"

namespace shoal::scenarios {
namespace {

constexpr Duration kStalenessMeasured = seconds(1);

// Any-level reads may be stale but never invent a value: a register read is
// absent or a value some put or CAS wrote; an append-key read is made of
// appended pieces only.
CheckResult any_reads_return_written_values(const KvRun& run) {
  std::map<std::string, std::set<std::string>> written;
  for (const auto& op : run.history().operations()) {
    if (!op.op.value) continue;
    if (op.op.type == check::OpType::kWrite || op.op.type == check::OpType::kCas ||
        op.op.type == check::OpType::kAppend) {
      written[op.op.key].insert(*op.op.value);
    }
  }
  CheckResult c{"any-reads-return-written-values", true, ""};
  size_t judged = 0;
  for (size_t i = 0; i < run.history().size(); ++i) {
    const check::Operation& op = run.history()[i];
    if (op.op.type != check::OpType::kRead || !op.ok() || run.read_level_of(i) != ReadLevel::kAny) continue;
    ++judged;
    if (!op.result.value) continue;
    const auto& values = written[op.op.key];
    bool explained = true;
    if (op.op.key.rfind("a", 0) == 0) {
      size_t start = 0;
      const std::string& v = *op.result.value;
      while (start < v.size() && explained) {
        const size_t end = v.find(';', start);
        explained = end != std::string::npos && values.count(v.substr(start, end - start + 1));
        start = end == std::string::npos ? v.size() : end + 1;
      }
    } else {
      explained = values.count(*op.result.value) > 0;
    }
    if (!explained) {
      c.ok = false;
      c.message = "read " + check::describe(op) + " returned a value nobody wrote";
      break;
    }
  }
  if (c.ok) c.message = std::to_string(judged) + " any-level reads";
  return c;
}

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
  lo.budget.steps_max = kLinearizabilitySteps;
  const check::History strong =
      filtered(run, [](ReadLevel l) { return l == ReadLevel::kLinearizable || l == ReadLevel::kLease; });
  const auto lin = check::check_linearizable(strong, lo);
  r.checks.insert(r.checks.begin(), CheckResult{"linearizable-and-lease-reads-linearizable",
                                                lin.verdict == check::Verdict::kLinearizable, lin.message});
  const check::History session = filtered(run, [](ReadLevel l) { return l == ReadLevel::kSession; });
  r.checks.insert(r.checks.begin() + 1, from("session-read-your-writes", check::check_read_your_writes(session)));
  r.checks.insert(r.checks.begin() + 2, from("session-monotonic-reads", check::check_monotonic_reads(session)));
  const check::History any = filtered(run, [](ReadLevel l) { return l == ReadLevel::kAny; });
  r.checks.insert(r.checks.begin() + 3, any_reads_return_written_values(run));
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
