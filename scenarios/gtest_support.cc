#include "scenarios/gtest_support.h"

#include "scenarios/replay.h"

namespace shoal::scenarios {

namespace {
constexpr int kFailuresReportedMax = 3;
}  // namespace

std::string describe_failure(const ScenarioResult& r) {
  std::string s = r.scenario + " seed " + std::to_string(r.seed) + " failed:\n";
  if (r.stop) s += "  stopped (" + std::string(sim::stop_kind_name(r.stop->kind)) + "): " + r.stop->message + "\n";
  for (const auto& c : r.checks) {
    if (!c.ok) s += "  " + c.name + ": " + c.message + "\n";
  }
  if (!r.liveness.ok) s += "  liveness: " + r.liveness.message + "\n";
  s += "  trace hash " + trace_hash_hex(r.trace_hash) + "\n";
  s += "  replay: " + replay_command(r, shoal_binary_of_this_build()) + "\n";
  return s;
}

std::string run_seeds(const std::string& scenario, uint64_t first, uint64_t last,
                      const std::map<std::string, std::string>& params) {
  const Scenario* s = find_scenario(scenario);
  if (s == nullptr) return "no scenario named '" + scenario + "'";
  std::string report;
  int failures = 0;
  if (first > last) return report;
  for (uint64_t seed = first; failures < kFailuresReportedMax; ++seed) {
    ScenarioOptions o;
    o.seed = seed;
    o.params = params;
    const ScenarioResult r = run_scenario(*s, o);
    if (!r.passed()) {
      ++failures;
      report += describe_failure(r);
    }
    if (seed == last) break;  // before ++seed, which would wrap at 2^64-1
  }
  return report;
}

}  // namespace shoal::scenarios
