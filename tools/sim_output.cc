#include "tools/sim_output.h"

#include <sstream>

#include "reports/run_result_json.h"
#include "scenarios/replay.h"

namespace shoal::tools {

reports::RunReportInfo run_report_info(const scenarios::ScenarioResult& r, double wall_seconds,
                                       const sim::TraceTail* tail) {
  reports::RunReportInfo info{SHOAL_COMMIT, scenarios::replay_command(r, scenarios::running_binary()), wall_seconds};
  if (tail != nullptr) {
    info.trace_tail = tail->lines();
    info.trace_lines_total = tail->total();
  }
  return info;
}

std::string render_text(const scenarios::ScenarioResult& r, double wall_seconds, const sim::TraceTail* tail) {
  std::ostringstream out;
  out << "scenario " << r.scenario << "  seed " << r.seed << "  nodes " << r.nodes << "  virtual "
      << format_duration(r.virtual_time) << "  events " << r.stats.events << "  wall "
      << wall_seconds << "s\n";
  if (r.stop) out << "  STOPPED " << sim::stop_kind_name(r.stop->kind) << ": " << r.stop->message << "\n";
  auto line = [&](const scenarios::CheckResult& c) {
    out << "  " << (c.ok ? "ok     " : "FAILED ") << c.name;
    if (!c.message.empty()) out << ": " << c.message;
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
  out << "  trace hash " << reports::trace_hash_hex(r.trace_hash) << "\n";
  if (r.stop && tail != nullptr && tail->total() > 0) {
    const auto shown = reports::trace_lines_shown(tail->lines());
    out << "  the last " << shown.size() << " events before the stop (the whole trace: --trace FILE):\n";
    for (const std::string& l : shown) out << "    " << l << "\n";
  }
  out << reports::verdict_text(r) << "\n";
  if (!r.passed()) out << "replay: " << scenarios::replay_command(r, scenarios::running_binary()) << "\n";
  return out.str();
}

boost::json::object render_json(const scenarios::ScenarioResult& r, double wall_seconds) {
  return reports::run_result_json(r, run_report_info(r, wall_seconds, nullptr));
}

}  // namespace shoal::tools
