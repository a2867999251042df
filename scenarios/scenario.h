// Scenarios: named, seeded runs of a simulated cluster with checkers.
//
// A scenario is a cluster shape, a workload, a fault schedule, checkers and
// pass criteria. Running one with a seed gives a ScenarioResult: the verdict
// of each checker (safety), whether the cluster served again after the faults
// stopped (liveness), and the trace hash that pins the run down. Everything
// is in virtual time; a run is reproduced exactly by (commit, scenario, seed).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "engine/core/time.h"
#include "scenarios/checkers/check_result.h"
#include "scenarios/checkers/history.h"
#include "sim/simulation.h"

namespace shoal::scenarios {

struct RunSchedule;  // scenarios/schedule.h

// The bounds a user gave for a run (`--events-max`, `--wall-time-max`,
// `--memory-max`); each one not given takes its default (run_bounds).
struct BoundsGiven {
  std::optional<uint64_t> events_max;
  std::optional<Duration> wall_time_max;
  std::optional<uint64_t> memory_max_bytes;
};

struct ScenarioOptions {
  uint64_t seed = 1;
  std::optional<int> nodes;          // default: the scenario's own
  std::optional<Duration> duration;  // default: the scenario's own
  sim::Tracer tracer;                // set to get a readable trace
  // Scenario parameters by name (`--param name=value`); each scenario documents
  // the ones it reads and rejects the ones it does not know.
  std::map<std::string, std::string> params;
  // Replaces the seed's own fault and workload choices (schedule.h); only
  // scenarios that record schedules accept one.
  std::shared_ptr<const RunSchedule> schedule;
  std::string schedule_source;  // where the schedule came from, for the replay command
  // Swarm scenarios: only plan the run — fill ScenarioResult::schedule with
  // the faults the seed would inject (no workload) and return without running.
  bool plan_only = false;
  // The run's bounds (sim/run_guard.h), as far as they were given.
  BoundsGiven bounds;
  // Set by run_scenario to the run's guard: a scenario hands it to its
  // Simulation (SimOptions::guard) and never sets it itself.
  sim::RunGuard* guard = nullptr;
};

// Reads the parameters a scenario knows, and rejects the rest, with
// std::invalid_argument naming the bad one.
class Params {
 public:
  explicit Params(const std::map<std::string, std::string>& given) : given_(given) {}
  Duration duration(const std::string& name, Duration fallback);
  int64_t integer(const std::string& name, int64_t fallback, int64_t min, int64_t max);
  // Throws when a given parameter was never asked for.
  void reject_unknown(const std::string& scenario) const;

 private:
  const std::map<std::string, std::string>& given_;
  std::vector<std::string> known_;
};

// One verdict of a run (scenarios/checkers/check_result.h): the message is
// one line saying what failed, where and when.
using CheckResult = check::CheckResult;

// A fault as the nemesis applied it: [start, end) in virtual time; an
// instant fault (a bit flip, a clock jump) has end == start.
struct FaultWindow {
  TimePoint start;
  TimePoint end;
  std::string kind;    // "partition", "kill", "clog", "disk-full", ... (chaos::kind_name)
  std::string detail;  // one line: which nodes, how hard
};

// One node's role over an interval. Roles are "leader", "candidate",
// "follower", "learner" and "down" (crashed or stopped by a storage failure).
struct RoleSpan {
  NodeId node = kNoNode;
  TimePoint start;
  TimePoint end;
  std::string role;
  uint64_t term = 0;
};

struct ScenarioResult {
  std::string scenario;
  uint64_t seed = 0;
  int nodes = 0;
  std::vector<CheckResult> checks;  // safety
  CheckResult liveness{"liveness", true, ""};
  uint64_t trace_hash = 0;
  sim::SimStats stats;
  Duration virtual_time{0};
  std::map<std::string, double> metrics;  // named figures for reports
  std::map<std::string, std::string> params;  // as given, for the replay command
  std::optional<int> nodes_given;              // --nodes, when given
  std::optional<Duration> duration_given;      // --duration, when given
  std::string schedule_source;                 // --schedule, when given
  // For reports: what the nemesis did, who led when, and the client history
  // (null for scenarios without clients).
  std::vector<FaultWindow> faults;
  std::vector<RoleSpan> roles;
  std::shared_ptr<const check::History> history;
  // The run's choices as an explicit schedule (swarm scenarios), for shrink.
  std::shared_ptr<const RunSchedule> schedule;
  // How the run was set up, one line each (swarm kinds, randomized knobs).
  std::vector<std::string> notes;
  // The bounds the run had, and, when it stopped before its end (an engine
  // assertion or a bound), how. A stopped run's checks judge the state and
  // history it left; its liveness is not judged.
  sim::RunBounds bounds;
  BoundsGiven bounds_given;  // for the replay command
  std::optional<sim::RunStop> stop;

  bool safe() const;
  bool passed() const { return safe() && liveness.ok && !stop; }
};

struct Scenario {
  std::string name;
  std::string description;  // one line, shown by `shoal sim list`
  int default_nodes = 3;
  Duration default_duration = seconds(30);
  std::function<ScenarioResult(const ScenarioOptions&)> run;
  // Swarm scenarios record their choices as a schedule and accept one back.
  // (After `run`: the older scenarios are initialised by position.)
  bool records_schedule = false;
};

// Every scenario, in catalogue order.
const std::vector<Scenario>& catalogue();
// Runs s under a guard with the bounds run_bounds gives, and stamps the
// result with the scenario, seed, parameters, bounds and stop. An engine
// assertion or a bound ends the run as result.stop, never as an exception.
// Throws std::invalid_argument on bad options (the message names the problem).
ScenarioResult run_scenario(const Scenario& s, const ScenarioOptions& opts);

// Healthy runs execute at most a few thousand events per virtual second; a
// run fifty thousand a second over its whole duration is in a livelock or a
// message storm, not busy.
inline constexpr uint64_t kEventsPerVirtualSecondMax = 50'000;
// The bounds of one run of s: those given in opts, else events_max scaled by
// kEventsPerVirtualSecondMax to the run's duration (never below
// sim::RunBounds's own), and sim::RunBounds's wall time and memory.
sim::RunBounds run_bounds(const Scenario& s, const ScenarioOptions& opts);
// A trace hash as every output writes it: 16 lower-case hex digits.
std::string trace_hash_hex(uint64_t trace_hash);
// nullptr when no scenario has that name.
const Scenario* find_scenario(const std::string& name);
// A catalogue name, or the path of a scenario spec file (*.json, spec.h);
// a loaded file's scenario is named by its path, so replay commands work.
// The error names the problem in one line.
absl::StatusOr<const Scenario*> load_scenario(const std::string& name_or_path);

// The scenario behind `shoal sim run` without --scenario.
inline constexpr const char* kDefaultScenario = "health-basic";

// Built by each scenario's file.
Scenario health_basic_scenario();
std::vector<Scenario> kv_scenarios();
std::vector<Scenario> replication_scenarios();
std::vector<Scenario> read_level_scenarios();
std::vector<Scenario> membership_scenarios();
std::vector<Scenario> spec_scenarios();
std::vector<Scenario> sharded_scenarios();
std::vector<Scenario> lock_scenarios();
std::vector<Scenario> watch_scenarios();
std::vector<Scenario> session_scenarios();
std::vector<Scenario> txn_scenarios();

}  // namespace shoal::scenarios
