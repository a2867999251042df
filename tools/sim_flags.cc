#include "tools/sim_flags.h"

#include <memory>

#include "absl/strings/str_cat.h"
#include "scenarios/schedule.h"
#include "sim/run_guard.h"
#include "tools/cli_util.h"

namespace shoal::tools {

void add_bound_flags(CLI::App& cmd, BoundFlags& flags, const std::string& which_run) {
  const sim::RunBounds defaults;
  cmd.add_option("--events-max", flags.events_max,
                 absl::StrCat("stop ", which_run, " after this many events, exit 6 (default: ",
                              scenarios::kEventsPerVirtualSecondMax,
                              " per virtual second of the run's duration, at least ", defaults.events_max, ")"));
  cmd.add_option("--wall-time-max", flags.wall_time_max,
                 absl::StrCat("stop ", which_run, " when it takes longer than this on the machine's clock, e.g. 90s, exit 6 "
                              "(default ",
                              to_seconds_f(defaults.wall_time_max), "s)"));
  cmd.add_option("--memory-max", flags.memory_max,
                 absl::StrCat("stop ", which_run, " when its process's resident memory passes this, e.g. 512MiB or 2GiB, "
                              "exit 6 (default ",
                              defaults.memory_max_bytes >> 30, "GiB)"));
}

void add_run_flags(CLI::App& cmd, RunFlags& flags, const std::string& seed_help) {
  cmd.add_option("--scenario", flags.scenario, "scenario name (see `shoal sim list`) or spec file")
      ->capture_default_str();
  cmd.add_option("--seed", flags.seed, seed_help)->capture_default_str()->transform(seed_validator());
  cmd.add_option("--nodes", flags.nodes, "cluster size (default: the scenario's)")->check(CLI::Range(1, 64));
  cmd.add_option("--duration", flags.duration, "virtual run time, e.g. 60s (default: the scenario's)");
  cmd.add_option("--param", flags.params, "a scenario parameter, name=value (repeatable)");
  add_bound_flags(cmd, flags.bounds, "the run");
}

std::string bounds_from(const BoundFlags& flags, scenarios::BoundsGiven* bounds) {
  if (!flags.events_max.empty()) {
    const auto n = parse_whole_number(flags.events_max);
    if (!n || *n == 0) return "--events-max: '" + flags.events_max + "' is not a whole number of events from 1";
    bounds->events_max = *n;
  }
  if (!flags.wall_time_max.empty()) {
    const auto d = parse_duration(flags.wall_time_max);
    if (!d || d->count() == 0) return "--wall-time-max: '" + flags.wall_time_max + "' is not a duration like 90s";
    bounds->wall_time_max = *d;
  }
  if (!flags.memory_max.empty()) {
    const auto b = parse_bytes(flags.memory_max);
    if (!b) return "--memory-max: '" + flags.memory_max + "' is not a size like 512MiB or 2GiB";
    bounds->memory_max_bytes = *b;
  }
  return "";
}

namespace {

// Reads --schedule into opts: the schedule's parameters, cluster size and
// duration shaped its run, so they come with it unless given, and must agree
// when given.
std::string schedule_from(const RunFlags& f, scenarios::ScenarioOptions* opts) {
  auto schedule = scenarios::read_schedule_file(f.schedule_file);
  if (!schedule.ok()) return "--schedule: " + std::string(schedule.status().message());
  if (schedule->scenario != f.scenario || schedule->seed != f.seed) {
    return "--schedule: " + f.schedule_file + " was recorded for --scenario " + schedule->scenario + " --seed " +
           std::to_string(schedule->seed);
  }
  if (f.params.empty()) opts->params = schedule->params;
  if (opts->params != schedule->params) return "--schedule: the --param values differ from the schedule's";
  if (!opts->nodes) opts->nodes = schedule->nodes;
  if (opts->nodes != schedule->nodes) return "--schedule: --nodes differs from the schedule's cluster size";
  if (!opts->duration) opts->duration = schedule->duration;
  if (opts->duration != schedule->duration) return "--schedule: --duration differs from the schedule's";
  opts->schedule = std::make_shared<scenarios::RunSchedule>(std::move(*schedule));
  opts->schedule_source = f.schedule_file;
  return "";
}

}  // namespace

std::string options_from(const RunFlags& f, scenarios::ScenarioOptions* opts) {
  opts->seed = f.seed;
  if (f.nodes != 0) opts->nodes = f.nodes;
  if (!f.duration.empty()) {
    auto d = parse_duration(f.duration);
    if (!d) return "--duration: '" + f.duration + "' is not a duration like 30s or 500ms";
    opts->duration = *d;
  }
  for (const std::string& p : f.params) {
    const auto eq = p.find('=');
    if (eq == std::string::npos || eq == 0) return "--param: '" + p + "' is not name=value";
    opts->params[p.substr(0, eq)] = p.substr(eq + 1);
  }
  if (std::string err = bounds_from(f.bounds, &opts->bounds); !err.empty()) return err;
  if (!f.schedule_file.empty()) return schedule_from(f, opts);
  return "";
}

}  // namespace shoal::tools
