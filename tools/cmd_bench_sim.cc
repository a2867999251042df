// `shoal bench sim`: how fast the simulator runs whole scenarios.
// Reports simulated events per wall-second and time compression (simulated
// seconds per wall second). A benchmark, never a test: figures are printed.
#include <iostream>

#include "tools/cli_util.h"
#include "tools/command.h"
#include "tools/sim_output.h"

namespace shoal::tools {
namespace {

struct BenchFlags {
  std::string scenario = "all";
  int seeds = 20;
  bool json = false;
};

int bench(const BenchFlags& f) {
  std::vector<const scenarios::Scenario*> chosen;
  for (const auto& s : scenarios::catalogue()) {
    if (f.scenario == "all" || s.name == f.scenario) chosen.push_back(&s);
  }
  if (chosen.empty()) return usage_error("unknown scenario '" + f.scenario + "'");
  if (f.seeds < 1) return usage_error("--seeds must be at least 1");
  boost::json::array rows;
  for (const auto* s : chosen) {
    uint64_t events = 0, failed = 0;
    double virtual_s = 0, client_ops = 0;
    const double start = wall_seconds();
    for (int seed = 1; seed <= f.seeds; ++seed) {
      scenarios::ScenarioOptions opts;
      opts.seed = static_cast<uint64_t>(seed);
      const auto r = scenarios::run_scenario(*s, opts);
      events += r.stats.events;
      virtual_s += to_seconds_f(r.virtual_time);
      failed += r.passed() ? 0 : 1;
      for (const char* k : {"ops_ok", "ops_fail", "ops_unknown"}) {
        if (auto it = r.metrics.find(k); it != r.metrics.end()) client_ops += it->second;
      }
    }
    const double wall = wall_seconds() - start;
    std::printf("%-20s seeds %d  events %llu  wall %.3fs  events/s %.0f  simulated s per wall s %.0f"
                "  client ops/s %.0f%s\n",
                s->name.c_str(), f.seeds, static_cast<unsigned long long>(events), wall,
                static_cast<double>(events) / wall, virtual_s / wall, client_ops / wall,
                failed ? "  (some seeds FAILED)" : "");
    rows.push_back(boost::json::object{{"scenario", s->name}, {"seeds", f.seeds}, {"events", events},
                                       {"wall_seconds", wall},
                                       {"events_per_wall_second", static_cast<double>(events) / wall},
                                       {"time_compression", virtual_s / wall},
                                       {"client_ops_per_wall_second", client_ops / wall}, {"failed", failed}});
  }
  if (f.json) std::cout << boost::json::serialize(rows) << "\n";
  return kExitPass;
}

CommandRegistration reg("bench-sim", [](CLI::App& root) {
  CLI::App& b = group(root, "bench", "benchmarks (figures are printed, never asserted)");
  auto f = std::make_shared<BenchFlags>();
  CLI::App* s = b.add_subcommand("sim", "simulated events per wall-second and time compression");
  s->add_option("--scenario", f->scenario, "a scenario name, or all")->capture_default_str();
  s->add_option("--seeds", f->seeds, "seeds per scenario")->capture_default_str();
  s->add_flag("--json", f->json, "also print the figures as JSON");
  set_action(*s, [f] { return bench(*f); });
});

}  // namespace
}  // namespace shoal::tools
