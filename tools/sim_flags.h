// The flags that say which simulated run to do, shared by `shoal sim run`,
// `replay`, `shrink` and (for the bounds) `sweep`, and their translation
// into scenario options. Everything is kept as text until options_from
// checks it, so each mistake gets one line that names its flag.
#pragma once

#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "scenarios/scenario.h"

namespace shoal::tools {

// --events-max, --wall-time-max and --memory-max (sim/run_guard.h).
struct BoundFlags {
  std::string events_max;
  std::string wall_time_max;
  std::string memory_max;
};

struct RunFlags {
  std::string scenario = scenarios::kDefaultScenario;
  uint64_t seed = 1;
  int nodes = 0;
  std::string duration;
  std::vector<std::string> params;
  std::string schedule_file;  // --schedule: replay this schedule instead of the seed's choices
  BoundFlags bounds;
};

// Adds --scenario, --seed, --nodes, --duration, --param and the bound flags.
// `seed_help` says what the seed is to this command.
void add_run_flags(CLI::App& cmd, RunFlags& flags, const std::string& seed_help);
// Adds the bound flags, with their defaults in the help; `which_run` names
// the run they bound ("the run", "each seed's run").
void add_bound_flags(CLI::App& cmd, BoundFlags& flags, const std::string& which_run);

// The bounds the flags give; "" or what is wrong, in one line naming the flag.
std::string bounds_from(const BoundFlags& flags, scenarios::BoundsGiven* bounds);
// The scenario options the flags ask for (reading --schedule's file); "" or
// what is wrong, in one line naming the flag.
std::string options_from(const RunFlags& flags, scenarios::ScenarioOptions* opts);

}  // namespace shoal::tools
