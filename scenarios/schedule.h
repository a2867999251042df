// A run's choices as an explicit schedule: the nemesis's faults and, per
// client, the operations it issued with the think time before each.
//
// Every swarm run records one. Running a scenario with a schedule
// (`shoal sim run --schedule FILE`) replaces the seed's own choices with it:
// the faults happen as listed and each client issues exactly its list, then
// stops. Everything else (engine randomness, message latencies) still comes
// from the seed, so the recorded schedule of a seed replays that seed's run
// event for event, and a shrunk schedule replays a smaller run of its own.
//
// File format (JSON):
//   {"shoal_schedule": 1, "scenario": "chaos-kv", "seed": 7,
//    "params": {"nemesis.intensity": "high"}, "nodes": 5, "duration_ns": 20000000000,
//    "faults": [{"at_ns": 2300000000, "kind": "kill-one", "length_ns": 800000000, "salt": 12345}],
//    "clients": [[{"think_ns": 12000000, "f": "put", "key": "k1", "value": "c0-1"}, ...], ...]}
// "clients" may be absent: the clients then generate their operations from
// the seed. "nodes" and "duration_ns" are there when the run was given
// --nodes and --duration: like the parameters, they shaped the run, and a
// run of the schedule takes them from it.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "chaos/fault.h"
#include "scenarios/checkers/history.h"

namespace shoal::scenarios {

struct ScriptedOp {
  Duration think{0};  // after the previous operation completed (or the start)
  check::Op op;
  bool operator==(const ScriptedOp&) const = default;
};

struct RunSchedule {
  std::string scenario;
  uint64_t seed = 0;
  std::map<std::string, std::string> params;
  std::optional<int> nodes;          // --nodes, when given
  std::optional<Duration> duration;  // --duration, when given
  std::vector<chaos::Fault> faults;
  bool has_workload = false;
  std::vector<std::vector<ScriptedOp>> clients;

  size_t operation_count() const;
  bool operator==(const RunSchedule&) const = default;
};

std::string schedule_to_json(const RunSchedule& s);
// Errors name `source` and what is wrong, in one line.
absl::StatusOr<RunSchedule> parse_schedule(std::string_view text, std::string_view source);
absl::StatusOr<RunSchedule> read_schedule_file(const std::string& path);
// One line per fault, for the terminal.
std::string describe_faults(const std::vector<chaos::Fault>& faults);

}  // namespace shoal::scenarios
