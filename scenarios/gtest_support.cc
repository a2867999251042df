#include "scenarios/gtest_support.h"

namespace shoal::scenarios {

namespace {
constexpr int kFailuresReportedMax = 3;
}  // namespace

std::string run_seeds(const std::string& scenario, uint64_t first, uint64_t last,
                      const std::map<std::string, std::string>& params) {
  const Scenario* s = find_scenario(scenario);
  if (s == nullptr) return "no scenario named '" + scenario + "'";
  std::string report;
  int failures = 0;
  std::string param_args;
  for (const auto& [k, v] : params) param_args += " --param " + k + "=" + v;
  for (uint64_t seed = first; seed <= last && failures < kFailuresReportedMax; ++seed) {
    ScenarioOptions o;
    o.seed = seed;
    o.params = params;
    const ScenarioResult r = run_scenario(*s, o);
    if (r.passed()) continue;
    ++failures;
    report += scenario + " seed " + std::to_string(seed) + " failed:\n";
    if (r.stop) report += "  stopped (" + std::string(sim::stop_kind_name(r.stop->kind)) + "): " + r.stop->message + "\n";
    for (const auto& c : r.checks) {
      if (!c.ok) report += "  " + c.name + ": " + c.message + "\n";
    }
    if (!r.liveness.ok) report += "  liveness: " + r.liveness.message + "\n";
    report += "  replay: ./tools/shoal sim run --scenario " + scenario + " --seed " + std::to_string(seed) +
              param_args + "\n";
  }
  return report;
}

}  // namespace shoal::scenarios
