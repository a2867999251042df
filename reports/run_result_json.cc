#include "reports/run_result_json.h"

#include "reports/run_digest.h"

namespace shoal::reports {
namespace {

double seconds_of(TimePoint t) { return to_seconds_f(t.time_since_epoch()); }

boost::json::object stats_json(const sim::SimStats& s) {
  return {{"events", s.events},
          {"messages_sent", s.messages_sent},
          {"messages_delivered", s.messages_delivered},
          {"messages_dropped_cut", s.messages_dropped_cut},
          {"messages_dropped_loss", s.messages_dropped_loss},
          {"messages_dropped_down", s.messages_dropped_down},
          {"messages_dropped_no_handler", s.messages_dropped_no_handler},
          {"messages_duplicated", s.messages_duplicated},
          {"timers_fired", s.timers_fired},
          {"syncs_completed", s.syncs_completed},
          {"crashes", s.crashes},
          {"restarts", s.restarts}};
}

boost::json::value history_json(const check::History* history) {
  if (history == nullptr) return nullptr;
  const OperationCounts c = count_operations(history);
  return boost::json::object{
      {"operations", c.total}, {"ok", c.ok}, {"fail", c.fail}, {"unknown", c.unknown}, {"pending", c.pending}};
}

boost::json::array faults_json(const std::vector<scenarios::FaultWindow>& faults) {
  boost::json::array out;
  for (const scenarios::FaultWindow& f : faults) {
    out.push_back(boost::json::object{
        {"start_s", seconds_of(f.start)}, {"end_s", seconds_of(f.end)}, {"kind", f.kind}, {"detail", f.detail}});
  }
  return out;
}

boost::json::array roles_json(const std::vector<scenarios::RoleSpan>& roles) {
  boost::json::array out;
  for (const scenarios::RoleSpan& s : roles) {
    out.push_back(boost::json::object{{"node", s.node},
                                      {"start_s", seconds_of(s.start)},
                                      {"end_s", seconds_of(s.end)},
                                      {"role", s.role},
                                      {"term", s.term}});
  }
  return out;
}

boost::json::value stop_json(const std::optional<sim::RunStop>& stop) {
  if (!stop) return nullptr;
  boost::json::object o{{"kind", std::string(sim::stop_kind_name(stop->kind))},
                        {"message", stop->message},
                        {"at_s", seconds_of(stop->at)},
                        {"events", stop->events}};
  if (!stop->is_bound()) {
    o["expression"] = stop->expression;
    o["file"] = stop->file;
    o["line"] = stop->line;
  }
  return o;
}

}  // namespace

boost::json::object run_result_json(const scenarios::ScenarioResult& r, const RunReportInfo& info) {
  boost::json::object o;
  o["scenario"] = r.scenario;
  o["seed"] = r.seed;
  o["commit"] = info.commit;
  o["nodes"] = r.nodes;
  o["passed"] = r.passed();
  o["exit_code"] = exit_code_for(r);
  o["verdict"] = verdict_text(r);
  o["trace_hash"] = trace_hash_hex(r.trace_hash);
  o["virtual_seconds"] = to_seconds_f(r.virtual_time);
  o["wall_seconds"] = info.wall_seconds;
  boost::json::object params;
  for (const auto& [k, v] : r.params) params[k] = v;
  o["params"] = std::move(params);
  boost::json::array notes;
  for (const auto& n : r.notes) notes.emplace_back(n);
  o["setup"] = std::move(notes);
  boost::json::array checks;
  for (const scenarios::CheckResult& c : all_checks(r)) {
    checks.push_back(boost::json::object{{"name", c.name}, {"ok", c.ok}, {"detail", c.message}});
  }
  o["checks"] = std::move(checks);
  boost::json::object metrics;
  for (const auto& [k, v] : r.metrics) metrics[k] = v;
  o["metrics"] = std::move(metrics);
  o["stats"] = stats_json(r.stats);
  o["history"] = history_json(r.history.get());
  o["faults"] = faults_json(r.faults);
  o["roles"] = roles_json(r.roles);
  o["bounds"] = boost::json::object{{"events_max", r.bounds.events_max},
                                    {"wall_time_max_s", to_seconds_f(r.bounds.wall_time_max)},
                                    {"memory_max_bytes", r.bounds.memory_max_bytes}};
  o["stop"] = stop_json(r.stop);
  o["replay"] = info.replay_command;
  if (!info.trace_tail.empty()) o["trace_tail_file"] = kTraceTailFile;
  return o;
}

}  // namespace shoal::reports
