#include "scenarios/scenario.h"

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <memory>
#include <stdexcept>

#include "scenarios/schedule.h"
#include "scenarios/spec.h"

namespace shoal::scenarios {

Duration Params::duration(const std::string& name, Duration fallback) {
  known_.push_back(name);
  auto it = given_.find(name);
  if (it == given_.end()) return fallback;
  auto d = parse_duration(it->second);
  if (!d) {
    throw std::invalid_argument("parameter " + name + "='" + it->second +
                                "' is not a duration like 250ms");
  }
  return *d;
}

int64_t Params::integer(const std::string& name, int64_t fallback, int64_t min, int64_t max) {
  known_.push_back(name);
  auto it = given_.find(name);
  if (it == given_.end()) return fallback;
  int64_t v = 0;
  const std::string& t = it->second;
  auto [p, ec] = std::from_chars(t.data(), t.data() + t.size(), v);
  if (ec != std::errc() || p != t.data() + t.size() || v < min || v > max) {
    throw std::invalid_argument("parameter " + name + "='" + t + "' must be an integer in [" +
                                std::to_string(min) + ", " + std::to_string(max) + "]");
  }
  return v;
}

void Params::reject_unknown(const std::string& scenario) const {
  for (const auto& [name, value] : given_) {
    if (std::find(known_.begin(), known_.end(), name) == known_.end()) {
      throw std::invalid_argument("scenario " + scenario + " has no parameter '" + name + "'");
    }
  }
}

bool ScenarioResult::safe() const {
  for (const auto& c : checks) {
    if (!c.ok) return false;
  }
  return true;
}

const std::vector<Scenario>& catalogue() {
  static const std::vector<Scenario> all = [] {
    std::vector<Scenario> v{health_basic_scenario()};
    for (auto& s : kv_scenarios()) v.push_back(std::move(s));
    for (auto& s : replication_scenarios()) v.push_back(std::move(s));
    for (auto& s : read_level_scenarios()) v.push_back(std::move(s));
    for (auto& s : membership_scenarios()) v.push_back(std::move(s));
    for (auto& s : spec_scenarios()) v.push_back(std::move(s));
    for (auto& s : sharded_scenarios()) v.push_back(std::move(s));
    for (auto& s : lock_scenarios()) v.push_back(std::move(s));
    for (auto& s : watch_scenarios()) v.push_back(std::move(s));
    for (auto& s : session_scenarios()) v.push_back(std::move(s));
    for (auto& s : txn_scenarios()) v.push_back(std::move(s));
    return v;
  }();
  return all;
}

sim::RunBounds run_bounds(const Scenario& s, const ScenarioOptions& opts) {
  sim::RunBounds b;
  // Durations stop at 1e9 s (parse_duration), so this stays far below 2^64.
  const auto seconds = static_cast<uint64_t>(to_seconds_f(opts.duration.value_or(s.default_duration)));
  b.events_max = std::max(b.events_max, seconds * kEventsPerVirtualSecondMax);
  b.events_max = opts.bounds.events_max.value_or(b.events_max);
  b.wall_time_max = opts.bounds.wall_time_max.value_or(b.wall_time_max);
  b.memory_max_bytes = opts.bounds.memory_max_bytes.value_or(b.memory_max_bytes);
  return b;
}

ScenarioResult run_scenario(const Scenario& s, const ScenarioOptions& opts) {
  if (opts.schedule && !s.records_schedule) {
    throw std::invalid_argument("scenario " + s.name + " does not take a schedule (only swarm scenarios do)");
  }
  const sim::RunBounds bounds = run_bounds(s, opts);
  sim::RunGuard guard(bounds);
  ScenarioOptions guarded = opts;
  guarded.guard = &guard;
  ScenarioResult r;
  try {
    r = s.run(guarded);
  } catch (const sim::AssertionFailure& failure) {
    // Raised outside any event: while a scenario set its cluster up, or
    // judged the state a stopped run left. The checks are lost with the
    // scenario's frame; the assertion is the verdict.
    guard.assertion_outside_events(failure);
  }
  if (r.schedule && (r.schedule->scenario != s.name || r.schedule->nodes != opts.nodes ||
                     r.schedule->duration != opts.duration)) {
    // The schedule replays this run only with the name, cluster size and
    // duration it ran under. (A copy: a long run's schedule is tens of MB.)
    auto stamped = std::make_shared<RunSchedule>(*r.schedule);
    stamped->scenario = s.name;
    stamped->nodes = opts.nodes;
    stamped->duration = opts.duration;
    r.schedule = std::move(stamped);
  }
  r.scenario = s.name;
  r.seed = opts.seed;
  r.params = opts.params;
  r.nodes_given = opts.nodes;
  r.duration_given = opts.duration;
  r.schedule_source = opts.schedule ? opts.schedule_source : "";
  r.bounds = bounds;
  r.bounds_given = opts.bounds;
  r.stop = guard.stop();
  if (r.stop) {
    // The run ended where it stopped, not where the scenario's own clock
    // (which moves on without events) got to; and it never reached the
    // phase that liveness judges.
    if (r.stop->at.time_since_epoch() > Duration(0)) r.virtual_time = r.stop->at.time_since_epoch();
    r.liveness = {"liveness", false,
                  "not judged: the run stopped at " + format_time(r.stop->at) + " (" +
                      std::string(sim::stop_kind_name(r.stop->kind)) + ")"};
  }
  return r;
}

std::string trace_hash_hex(uint64_t trace_hash) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(trace_hash));
  return buf;
}

const Scenario* find_scenario(const std::string& name) {
  for (const auto& s : catalogue()) {
    if (s.name == name) return &s;
  }
  return nullptr;
}

absl::StatusOr<const Scenario*> load_scenario(const std::string& name_or_path) {
  if (const Scenario* s = find_scenario(name_or_path)) return s;
  if (name_or_path.size() < 5 || name_or_path.substr(name_or_path.size() - 5) != ".json") {
    return absl::NotFoundError("unknown scenario '" + name_or_path + "' (see `shoal sim list`, or give a .json spec)");
  }
  // Loaded files stay for the life of the process, like the catalogue.
  static std::map<std::string, std::unique_ptr<Scenario>> loaded;
  if (auto it = loaded.find(name_or_path); it != loaded.end()) return it->second.get();
  auto text = read_spec_file(name_or_path);
  if (!text.ok()) return text.status();
  try {
    auto s = std::make_unique<Scenario>(spec_scenario(*text, name_or_path));
    s->name = name_or_path;
    return (loaded[name_or_path] = std::move(s)).get();
  } catch (const std::invalid_argument& e) {
    return absl::InvalidArgumentError(e.what());
  }
}

}  // namespace shoal::scenarios
