// Shrinking a failing run to a small schedule that still fails the same way.
//
// The seed's run is recorded as an explicit schedule (faults plus each
// client's operations, schedule.h); the shrinker then searches for a smaller
// schedule under which the same checker still fails:
//   1. faults: delta debugging (Zeller's ddmin) removes chunks of faults,
//      halving the chunk size down to single faults;
//   2. each remaining fault's length is halved while the failure holds
//      (RapidCheck-style shrinking of one value towards its minimum);
//   3. the workload: whole clients are dropped, each client's script is cut
//      to its shortest failing prefix, then ddmin removes chunks of
//      operations (not for liveness failures, which fewer operations fake).
// Every candidate is a full deterministic run of (scenario, seed, schedule),
// so the result replays with `shoal sim run --schedule FILE`. Each runs in a
// child process, so that nothing a candidate does can take the shrinker
// down. A run that stops is a failure named by its stop: an engine assertion
// by its expression and place ("assertion: x > y (engine/raft/raft.cc:12)"),
// a bound by its kind ("events-max"); a child that dies is "crash: signal N".
// When the seed's own run crashes, no workload was recorded; the faults are
// then shrunk with the clients choosing from the seed as they did.
#pragma once

#include <functional>
#include <string>

#include "scenarios/scenario.h"
#include "scenarios/schedule.h"

namespace shoal::scenarios {

struct ShrinkOptions {
  size_t runs_max = 400;  // candidate runs in all
  // Wall time a candidate may take unless the options bound it: past it the
  // run stops as "wall-time-max", and a child that hangs on is killed as
  // "timeout".
  int run_timeout_seconds = 60;
  std::function<void(const std::string&)> progress;  // one line per accepted step
};

struct ShrinkReport {
  std::string error;   // set when there was nothing to shrink, and why
  std::string target;  // the check whose failure is preserved
  RunSchedule original;
  RunSchedule shrunk;
  size_t runs = 0;
  std::string verdict;  // the target's detail in the shrunk schedule's run
  uint64_t trace_hash = 0;  // of the shrunk schedule's run
};

// opts.schedule must be empty: the seed's own run is the starting point.
ShrinkReport shrink_failure(const Scenario& scenario, ScenarioOptions opts, const ShrinkOptions& options);

}  // namespace shoal::scenarios
