// KvSwarm: a swarm nemesis for a KvRun scenario written in code (the data
// scenarios of specs/*.json have their own, with schedules and shrinking).
//
// From the seed it switches each of the scenario's fault kinds on or off and
// picks an intensity (chaos/swarm.h), schedules the faults from `start` to
// the end of the run's fault phase on the run's nodes, and stops them when
// the run heals (it takes KvRun::on_heal). report() adds what was applied,
// and the swarm's description, to the run's result.
#pragma once

#include <memory>
#include <vector>

#include "chaos/fault.h"
#include "chaos/nemesis.h"
#include "chaos/swarm.h"
#include "scenarios/kv_run.h"

namespace shoal::scenarios {

// The faults the coordination scenarios (locks, sessions) run under:
// partitions, a lone or minority leader, kills, paused nodes, clogged nodes,
// loss, and clock drift within the bound (never jumps: leases are judged by
// drift-bounded clocks).
inline const std::vector<chaos::FaultKind>& coordination_faults() {
  static const std::vector<chaos::FaultKind> kinds{
      chaos::FaultKind::kPartitionHalves, chaos::FaultKind::kIsolateLeader, chaos::FaultKind::kKillOne,
      chaos::FaultKind::kPause,           chaos::FaultKind::kClogNode,      chaos::FaultKind::kClockDrift,
      chaos::FaultKind::kLeaderMinority,  chaos::FaultKind::kLossBurst};
  return kinds;
}

class KvSwarm {
 public:
  // REQUIRES: `run` outlives this object, and nothing else sets run.on_heal.
  KvSwarm(KvRun& run, uint64_t seed, uint64_t salt, const std::vector<chaos::FaultKind>& kinds,
          Duration start = seconds(2));
  void report(ScenarioResult& r) const;

 private:
  chaos::SwarmConfig swarm_;
  std::unique_ptr<chaos::Nemesis> nemesis_;
};

}  // namespace shoal::scenarios
