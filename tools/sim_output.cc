#include "tools/sim_output.h"

#include <cstdio>
#include <sstream>

#include "tools/command.h"

namespace shoal::tools {

int exit_code_for(const scenarios::ScenarioResult& r) {
  if (!r.safe()) return kExitCheckFailed;
  if (!r.liveness.ok) return kExitLiveness;
  return kExitPass;
}

std::string replay_command(const scenarios::ScenarioResult& r) {
  std::string c = "./tools/shoal sim run --scenario " + r.scenario + " --seed " + std::to_string(r.seed);
  if (r.nodes_given) c += " --nodes " + std::to_string(*r.nodes_given);
  if (r.duration_given) c += " --duration " + format_duration(*r.duration_given);
  for (const auto& [k, v] : r.params) c += " --param " + k + "=" + v;
  if (!r.schedule_source.empty()) c += " --schedule " + r.schedule_source;
  return c;
}

static std::string hex(uint64_t v) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(v));
  return buf;
}

std::string render_text(const scenarios::ScenarioResult& r, double wall_seconds) {
  std::ostringstream out;
  out << "scenario " << r.scenario << "  seed " << r.seed << "  nodes " << r.nodes << "  virtual "
      << format_duration(r.virtual_time) << "  events " << r.stats.events << "  wall "
      << wall_seconds << "s\n";
  auto line = [&](const scenarios::CheckResult& c) {
    out << "  " << (c.ok ? "ok     " : "FAILED ") << c.name;
    if (!c.detail.empty()) out << ": " << c.detail;
    out << "\n";
  };
  for (const auto& n : r.notes) out << "  " << n << "\n";
  for (const auto& c : r.checks) line(c);
  line(r.liveness);
  out << "  messages sent " << r.stats.messages_sent << ", delivered " << r.stats.messages_delivered
      << ", dropped by cuts " << r.stats.messages_dropped_cut << ", crashes " << r.stats.crashes
      << "\n";
  if (!r.metrics.empty()) {
    out << "  metrics:";
    for (const auto& [k, v] : r.metrics) out << " " << k << "=" << v;
    out << "\n";
  }
  out << "  trace hash " << hex(r.trace_hash) << "\n";
  out << (r.passed() ? "PASS" : !r.safe() ? "FAIL (safety)" : "FAIL (liveness)") << "\n";
  if (!r.passed()) out << "replay: " << replay_command(r) << "\n";
  return out.str();
}

boost::json::object render_json(const scenarios::ScenarioResult& r, double wall_seconds) {
  boost::json::object o;
  o["scenario"] = r.scenario;
  o["seed"] = r.seed;
  o["nodes"] = r.nodes;
  o["passed"] = r.passed();
  o["exit_code"] = exit_code_for(r);
  o["trace_hash"] = hex(r.trace_hash);
  o["virtual_seconds"] = to_seconds_f(r.virtual_time);
  o["wall_seconds"] = wall_seconds;
  o["events"] = r.stats.events;
  boost::json::array checks;
  auto add = [&](const scenarios::CheckResult& c) {
    checks.push_back(boost::json::object{{"name", c.name}, {"ok", c.ok}, {"detail", c.detail}});
  };
  for (const auto& c : r.checks) add(c);
  add(r.liveness);
  o["checks"] = std::move(checks);
  boost::json::object metrics;
  for (const auto& [k, v] : r.metrics) metrics[k] = v;
  o["metrics"] = std::move(metrics);
  o["replay"] = replay_command(r);
  return o;
}

}  // namespace shoal::tools
