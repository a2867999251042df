// replication-levels: three clients write at the levels all, quorum and
// leader while the leader is killed twice. KvRun judges each level's promise
// (all: every voter held the entry at acknowledgement; quorum and all: never
// lost, linearizable; leader: may be lost on failover, the loss measured, but
// never reported with an invented result). Here replication lag is sampled:
// below 1 s whenever no fault is active.
#include <algorithm>
#include <deque>

#include "absl/strings/str_cat.h"
#include "scenarios/kv_run.h"

namespace shoal::scenarios {
namespace {

constexpr Duration kLagBound = seconds(1);
constexpr Duration kSample = milliseconds(50);

// Samples how far behind each follower is, in time: how long ago the oldest
// entry it lacks was appended by the leader.
struct LagSampler {
  std::deque<std::pair<TimePoint, uint64_t>> appended;  // (time, leader's last index)
  double max_healthy_ms = 0;
  std::string violation;
};

ScenarioResult replication_levels(const ScenarioOptions& o) {
  KvRunConfig c;
  c.name = "replication-levels";
  c.nodes = o.nodes.value_or(3);
  c.duration = o.duration.value_or(seconds(24));
  if (c.duration < seconds(20)) throw std::invalid_argument("replication-levels needs at least 20s");
  Params p(o.params);
  p.reject_unknown(c.name);
  c.clients = 3;
  c.write_levels = {WriteLevel::kAll, WriteLevel::kQuorum, WriteLevel::kLeader};
  KvRun run(o, c);

  // Faults: the leader is killed at 8 s and 15 s and restarted 3 s later.
  auto faulty_until = std::make_shared<TimePoint>(TimePoint{});
  for (Duration t : {seconds(8), seconds(15)}) {
    run.sim().at(TimePoint(t), "kill leader", [&run, faulty_until] {
      const NodeId l = run.leader();
      if (l == kNoNode) return;
      run.sim().crash(l);
      *faulty_until = run.sim().now() + seconds(3) + seconds(2);
      run.sim().after(seconds(3), "restart", [&run, l] { run.sim().restart(l); });
    });
  }
  auto lag = std::make_shared<LagSampler>();
  run.sim().repeat(TimePoint(kSample), "lag sample", [&run, lag, faulty_until]() -> std::optional<Duration> {
    const NodeId ln = run.leader();
    RaftNode* l = run.raft(ln);
    const TimePoint now = run.sim().now();
    if (l != nullptr) {
      lag->appended.emplace_back(now, l->last_index());
      while (lag->appended.size() > 400) lag->appended.pop_front();
      if (now > *faulty_until && now > TimePoint(seconds(2))) {
        for (NodeId v : l->membership().voters) {
          if (v == ln) continue;
          RaftNode* f = run.raft(v);
          const uint64_t have = f ? f->log().last_index() : 0;
          // The oldest sample at which the leader already had more than `have`.
          for (const auto& [t, idx] : lag->appended) {
            if (idx > have) {
              const double ms = to_seconds_f(now - t) * 1000;
              lag->max_healthy_ms = std::max(lag->max_healthy_ms, ms);
              if (now - t > kLagBound && lag->violation.empty()) {
                lag->violation = absl::StrCat("follower ", v, " lagged ", ms, "ms at ", format_time(now));
              }
              break;
            }
          }
        }
      }
    }
    return kSample;
  });

  ScenarioResult r = run.run(nullptr);
  CheckResult lag_check{"lag-below-1s-when-healthy", lag->violation.empty(), lag->violation};
  r.checks.insert(r.checks.begin(), lag_check);
  r.metrics["replication_lag_max_healthy_ms"] = lag->max_healthy_ms;
  return r;
}

}  // namespace

std::vector<Scenario> replication_scenarios() {
  return {{"replication-levels",
           "writes at all / quorum / leader through two failovers: each level's promise, loss and lag measured", 3,
           seconds(24), replication_levels}};
}

}  // namespace shoal::scenarios
