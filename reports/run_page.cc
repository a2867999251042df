// index.html: the run report as one self-contained page. The tables are
// written here, so they read without the script; the script
// (run_page_assets.cc) draws the three plots from the embedded data.
#include <sstream>

#include "reports/report_files.h"
#include "reports/run_digest.h"
#include "reports/run_page_assets.h"
#include "reports/run_page_data.h"
#include "reports/run_report.h"

namespace shoal::reports {
namespace {

// Fault windows the page lists one by one; the plots draw every one.
constexpr size_t kFaultRowsMax = 1000;

void write_banner(std::ostream& out, const scenarios::ScenarioResult& r, const RunReportInfo& info) {
  const std::string facts[] = {"<b>" + html_escape(r.scenario) + "</b>",
                               "seed " + std::to_string(r.seed),
                               std::to_string(r.nodes) + " nodes",
                               fixed(to_seconds_f(r.virtual_time), 3) + " s virtual",
                               fixed(info.wall_seconds, 2) + " s wall",
                               "commit " + html_escape(info.commit),
                               "trace " + trace_hash_hex(r.trace_hash),
                               "exit " + std::to_string(exit_code_for(r))};
  out << "<header class=\"verdict " << (r.passed() ? "pass" : "fail") << "\"><div class=\"big\">"
      << html_escape(verdict_text(r)) << "</div><div class=\"facts\">";
  for (const std::string& fact : facts) out << "<span>" << fact << "</span> ";
  out << "</div></header>\n";
  if (const auto f = first_failure(r)) {
    out << "<p class=\"first-failure\">First failing check: <b>" << html_escape(f->check) << "</b>";
    if (f->at_seconds) out << " at " << fixed(*f->at_seconds, 3) << " s (marked on the plots)";
    out << ".</p>\n";
  }
}

// Why a stopped run stopped, and the last events before it.
void write_stop(std::ostream& out, const scenarios::ScenarioResult& r, const RunReportInfo& info) {
  if (!r.stop) return;
  out << "<h2>Stopped: " << html_escape(std::string(sim::stop_kind_name(r.stop->kind))) << "</h2>\n<p class=\"stop\">"
      << html_escape(r.stop->message) << "</p>\n";
  if (info.trace_tail.empty()) return;
  out << "<pre class=\"replay\">";
  for (const std::string& line : trace_lines_shown(info.trace_tail)) out << html_escape(line) << "\n";
  out << "</pre>\n";
}

void write_checks(std::ostream& out, const scenarios::ScenarioResult& r, const RunReportInfo& info) {
  out << "<h2>Checks</h2>\n<table class=\"checks\"><tr><th>check</th><th>verdict</th><th>detail</th></tr>\n";
  for (const scenarios::CheckResult& c : all_checks(r)) {
    out << "<tr class=\"" << (c.ok ? "ok" : "failed") << "\"><td>" << html_escape(c.name) << "</td><td>"
        << (c.ok ? "ok" : "FAILED") << "</td><td>" << html_escape(c.message) << "</td></tr>\n";
  }
  out << "</table>\n<h2>Replay</h2>\n<pre class=\"replay\">" << html_escape(info.replay_command) << "</pre>\n";
  if (!r.notes.empty()) {
    // How the seed set the run up: the swarm's fault kinds and the knobs.
    out << "<h2>Setup</h2>\n<pre class=\"replay\">";
    for (const auto& n : r.notes) out << html_escape(n) << "\n";
    out << "</pre>\n";
  }
}

void write_plots(std::ostream& out) {
  const char* plots[][2] = {{"latency", "Latency of each client operation"},
                            {"throughput", "Throughput"},
                            {"roles", "Roles: who led when"}};
  for (const auto& [name, heading] : plots) {
    out << "<h2>" << heading << "</h2>\n<div class=\"legend\" data-legend=\"" << name << "\"></div>\n"
        << "<svg class=\"plot\" data-plot=\"" << name << "\" xmlns=\"http://www.w3.org/2000/svg\"></svg>\n";
  }
}

void write_row(std::ostream& out, const std::string& name, const std::string& value) {
  out << "<tr><td>" << html_escape(name) << "</td><td class=\"num\">" << html_escape(value) << "</td></tr>\n";
}

void write_metrics(std::ostream& out, const scenarios::ScenarioResult& r) {
  out << "<div class=\"side\"><div><h2>Metrics</h2>\n<table>";
  if (r.metrics.empty()) out << "<tr><td>none reported</td></tr>";
  for (const auto& [k, v] : r.metrics) write_row(out, k, figure(v));
  const OperationCounts ops = count_operations(r.history.get());
  out << "</table></div>\n<div><h2>Run</h2>\n<table>";
  if (r.history) {
    write_row(out, "client operations", std::to_string(ops.total));
    write_row(out, "ok / failed / unknown / pending", std::to_string(ops.ok) + " / " + std::to_string(ops.fail) +
                                                          " / " + std::to_string(ops.unknown) + " / " +
                                                          std::to_string(ops.pending));
  } else {
    write_row(out, "client operations", "none (no clients)");
  }
  write_row(out, "messages sent", std::to_string(r.stats.messages_sent));
  write_row(out, "messages delivered", std::to_string(r.stats.messages_delivered));
  write_row(out, "dropped by cuts / loss / down", std::to_string(r.stats.messages_dropped_cut) + " / " +
                                                     std::to_string(r.stats.messages_dropped_loss) + " / " +
                                                     std::to_string(r.stats.messages_dropped_down));
  write_row(out, "crashes / restarts", std::to_string(r.stats.crashes) + " / " + std::to_string(r.stats.restarts));
  write_row(out, "events", std::to_string(r.stats.events));
  for (const auto& [k, v] : r.params) write_row(out, "param " + k, v);
  out << "</table></div></div>\n";
}

void write_faults(std::ostream& out, const scenarios::ScenarioResult& r) {
  out << "<h2>Faults</h2>\n";
  if (r.faults.empty()) {
    out << "<p>None recorded.</p>\n";
    return;
  }
  out << "<p>" << r.faults.size() << " fault windows:";
  for (const auto& [kind, n] : count_faults_by_kind(r.faults)) out << " " << html_escape(kind) << " " << n << ";";
  out << "</p>\n<details><summary>every fault window</summary>\n<table><tr><th>start (s)</th><th>end (s)</th>"
         "<th>kind</th><th>detail</th></tr>\n";
  for (size_t i = 0; i < r.faults.size() && i < kFaultRowsMax; ++i) {
    const scenarios::FaultWindow& f = r.faults[i];
    out << "<tr><td class=\"num\">" << fixed(to_seconds_f(f.start.time_since_epoch()), 3) << "</td><td class=\"num\">"
        << fixed(to_seconds_f(f.end.time_since_epoch()), 3) << "</td><td>" << html_escape(f.kind) << "</td><td>"
        << html_escape(f.detail) << "</td></tr>\n";
  }
  out << "</table>";
  if (r.faults.size() > kFaultRowsMax) out << "<p>(the first " << kFaultRowsMax << " listed; result.json has all)</p>";
  out << "</details>\n";
}

void write_files(std::ostream& out, const scenarios::ScenarioResult& r, const RunReportInfo& info) {
  out << "<h2>Files</h2>\n<ul class=\"files\">";
  for (const ReportFile& f : report_file_index(r, info)) {
    out << "<li><a href=\"" << html_escape(f.name) << "\">" << html_escape(f.name) << "</a> — "
        << html_escape(f.what) << "</li>";
  }
  out << "</ul>\n";
}

}  // namespace

std::string render_run_report_html(const scenarios::ScenarioResult& r, const RunReportInfo& info) {
  std::ostringstream out;
  out << "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>" << html_escape(verdict_text(r))
      << " " << html_escape(r.scenario) << " seed " << r.seed << "</title>\n<style>" << kRunPageStyle
      << "</style></head>\n<body>\n";
  write_banner(out, r, info);
  write_stop(out, r, info);
  write_checks(out, r, info);
  write_plots(out);
  write_metrics(out, r);
  write_faults(out, r);
  write_files(out, r, info);
  out << "<script type=\"application/json\" id=\"data\">" << script_safe_json(run_page_data(r, info))
      << "</script>\n<script>" << kRunPageScript << "</script>\n</body></html>\n";
  return out.str();
}

}  // namespace shoal::reports
