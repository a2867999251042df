#include "scenarios/scenario.h"

#include <algorithm>
#include <charconv>
#include <stdexcept>

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
    return v;
  }();
  return all;
}

ScenarioResult run_scenario(const Scenario& s, const ScenarioOptions& opts) {
  ScenarioResult r = s.run(opts);
  r.scenario = s.name;
  r.seed = opts.seed;
  r.params = opts.params;
  return r;
}

const Scenario* find_scenario(const std::string& name) {
  for (const auto& s : catalogue()) {
    if (s.name == name) return &s;
  }
  return nullptr;
}

}  // namespace shoal::scenarios
