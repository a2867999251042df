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

  bool safe() const;
  bool passed() const { return safe() && liveness.ok; }
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
// Runs s and stamps the result with the scenario, seed and parameters.
// Throws std::invalid_argument on bad options (the message names the problem).
ScenarioResult run_scenario(const Scenario& s, const ScenarioOptions& opts);
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
std::vector<Scenario> spec_scenarios();

}  // namespace shoal::scenarios
