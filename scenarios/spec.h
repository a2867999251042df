// Scenarios as data: a cluster shape, a workload, a nemesis, checkers and
// pass criteria in a JSON file.
//
//   {"name": "chaos-kv", "description": "one line for `shoal sim list`",
//    "nodes": 3, "duration": "30s", "quiet": "5s", "liveness_bound": "5s",
//    "workload": {"clients": 3, "keys": 3,
//                 "mix": {"read": 35, "read_appends": 5, "put": 25, "cas": 15, "append": 20, "delete": 0},
//                 "rate": [{"from": "0s", "think": ["5ms", "40ms"]}, {"from": "10s", "think": ["1ms", "5ms"]}],
//                 "write_levels": ["quorum"], "read_levels": ["linearizable"]},
//    "nemesis": {"kinds": ["all"], "intensity": "random", "start": "2s",
//                "buggify": true, "random_knobs": true},
//    "raft": {"election_timeout_min": "300ms"},
//    "checkers": [...]}
//
// Every field but "name" has a default. The run: a KvRun cluster; the nemesis
// picks its swarm from the seed (each allowed kind on or off, an intensity)
// and generates a fault schedule from `start` to `duration`; with
// random_knobs, Raft and client timeouts and batch sizes are drawn from the
// seed too ("raft" values win over drawn ones). Then every fault is healed and
// the liveness phases (kv_run.h: `quiet`, then `idle`, then a read tail after
// a leadership handover) must see writes and reads succeed within
// `liveness_bound`. Every client is judged by the checkers of its levels
// (kv_run.h); "checkers", when present, must name exactly those
// (required_checks), so that a spec cannot quietly switch one off. Rate
// phases may carry their own "mix" and may be "idle": true.
//
// Any field can be overridden with `--param path=value`, the path dotted
// (workload.clients=8, nemesis.kinds=kill-one,partition-halves,
// nemesis.intensity=high, raft.snapshot_threshold=100); lists are comma
// separated. The catalogue's swarm scenarios are such files
// (scenarios/specs/*.json), compiled in; `--scenario FILE.json` loads one.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "chaos/swarm.h"
#include "scenarios/kv_run.h"
#include "scenarios/scenario.h"

namespace shoal::scenarios {

struct ScenarioSpec {
  std::string name;
  std::string description;
  int nodes = 3;
  Duration duration = seconds(30);
  Duration quiet = seconds(5);
  Duration liveness_bound = seconds(5);
  int clients = 3;
  int keys = 3;
  int read_only_clients = 0;
  OperationMix mix;
  std::vector<RatePhase> rate = std::vector<RatePhase>(1);
  std::vector<WriteLevel> write_levels{WriteLevel::kQuorum};
  std::vector<ReadLevel> read_levels{ReadLevel::kLinearizable};
  std::vector<chaos::FaultKind> kinds = chaos::all_kinds();
  std::optional<chaos::Intensity> intensity;  // none: drawn per seed
  Duration nemesis_start = seconds(2);
  bool buggify = true;
  bool random_knobs = true;
  std::map<std::string, std::string> raft;  // fixed Raft options by name
  Duration idle = seconds(1);
  // The checks the spec lists, if it lists them: it must list exactly those
  // the workload's levels need (required_checks); they run either way.
  std::optional<std::vector<std::string>> checkers;
};

// Parses and validates a spec, applying `params` (dotted paths) first.
// Errors name `source` and the field, in one line.
absl::StatusOr<ScenarioSpec> parse_spec(std::string_view json, std::string_view source,
                                        const std::map<std::string, std::string>& params = {});
absl::StatusOr<std::string> read_spec_file(const std::string& path);

// Runs one seed of the spec (opts.params are already applied by parse_spec).
ScenarioResult run_spec(const ScenarioSpec& spec, const ScenarioOptions& opts);

// A catalogue entry for spec text: parses it with each run's params.
// Throws std::invalid_argument when the text itself is bad.
Scenario spec_scenario(std::string json, std::string source);

// The swarm scenarios compiled in from scenarios/specs/*.json.
std::vector<Scenario> spec_scenarios();
// The compiled-in spec files: (file name, text).
const std::vector<std::pair<std::string, std::string>>& embedded_specs();

}  // namespace shoal::scenarios
