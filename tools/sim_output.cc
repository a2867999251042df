#include "tools/sim_output.h"

#include <sstream>

#include "reports/run_result_json.h"

namespace shoal::tools {

std::string replay_command(const scenarios::ScenarioResult& r, const scenarios::ScenarioOptions& opts) {
  std::string command = "./tools/shoal sim run --scenario " + r.scenario + " --seed " + std::to_string(r.seed) +
                        " --nodes " + std::to_string(r.nodes);
  if (opts.duration) command += " --duration " + format_duration(*opts.duration);
  for (const auto& [k, v] : r.params) command += " --param " + k + "=" + v;
  return command;
}

reports::RunReportInfo run_report_info(const scenarios::ScenarioResult& r, const scenarios::ScenarioOptions& opts,
                                       double wall_seconds, std::string trace_file) {
  return {SHOAL_COMMIT, replay_command(r, opts), wall_seconds, std::move(trace_file)};
}

std::string render_text(const scenarios::ScenarioResult& r, const scenarios::ScenarioOptions& opts,
                        double wall_seconds) {
  std::ostringstream out;
  out << "scenario " << r.scenario << "  seed " << r.seed << "  nodes " << r.nodes << "  virtual "
      << format_duration(r.virtual_time) << "  events " << r.stats.events << "  wall "
      << wall_seconds << "s\n";
  auto line = [&](const scenarios::CheckResult& c) {
    out << "  " << (c.ok ? "ok     " : "FAILED ") << c.name;
    if (!c.detail.empty()) out << ": " << c.detail;
    out << "\n";
  };
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
  out << "  trace hash " << reports::trace_hash_hex(r.trace_hash) << "\n";
  out << reports::verdict_text(r) << "\n";
  if (!r.passed()) out << "replay: " << replay_command(r, opts) << "\n";
  return out.str();
}

boost::json::object render_json(const scenarios::ScenarioResult& r, const scenarios::ScenarioOptions& opts,
                                double wall_seconds) {
  return reports::run_result_json(r, run_report_info(r, opts, wall_seconds, ""));
}

}  // namespace shoal::tools
