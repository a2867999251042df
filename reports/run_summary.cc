// summary.md: the report as a page of Markdown, for a terminal or a review.
#include <sstream>

#include "reports/run_digest.h"
#include "reports/run_report.h"

namespace shoal::reports {
namespace {

// A table cell: no line breaks, and a '|' that does not end the cell.
std::string md_cell(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '|') {
      out += "\\|";
    } else if (c == '\n' || c == '\r') {
      out.push_back(' ');
    } else {
      out.push_back(c);
    }
  }
  return out;
}

void write_header(std::ostream& out, const scenarios::ScenarioResult& r, const RunReportInfo& info) {
  out << "# " << verdict_text(r) << " — " << r.scenario << ", seed " << r.seed << "\n\n";
  if (const auto f = first_failure(r)) {
    out << "First failing check: `" << f->check << "`";
    if (f->at_seconds) out << " at " << fixed(*f->at_seconds, 3) << " s (virtual)";
    out << ".\n\n";
  }
  out << "| run | |\n|---|---|\n"
      << "| scenario | " << md_cell(r.scenario) << " |\n"
      << "| seed | " << r.seed << " |\n"
      << "| nodes | " << r.nodes << " |\n"
      << "| commit | " << md_cell(info.commit) << " |\n"
      << "| virtual time | " << fixed(to_seconds_f(r.virtual_time), 3) << " s |\n"
      << "| wall time | " << fixed(info.wall_seconds, 3) << " s |\n"
      << "| trace hash | " << trace_hash_hex(r.trace_hash) << " |\n"
      << "| exit code | " << exit_code_for(r) << " |\n";
  for (const auto& [k, v] : r.params) out << "| param " << md_cell(k) << " | " << md_cell(v) << " |\n";
  out << "\n";
}

void write_checks(std::ostream& out, const scenarios::ScenarioResult& r) {
  out << "## Checks\n\n| check | verdict | detail |\n|---|---|---|\n";
  for (const scenarios::CheckResult& c : all_checks(r)) {
    out << "| " << md_cell(c.name) << " | " << (c.ok ? "ok" : "**FAILED**") << " | " << md_cell(c.message) << " |\n";
  }
  out << "\n";
}

void write_metrics(std::ostream& out, const scenarios::ScenarioResult& r) {
  const OperationCounts ops = count_operations(r.history.get());
  out << "## Key metrics\n\n| metric | value |\n|---|---|\n";
  for (const auto& [k, v] : r.metrics) out << "| " << md_cell(k) << " | " << figure(v) << " |\n";
  if (r.history) {
    out << "| client operations | " << ops.total << " (ok " << ops.ok << ", failed " << ops.fail << ", unknown "
        << ops.unknown << ", pending " << ops.pending << ") |\n";
  } else {
    out << "| client operations | none (no clients) |\n";
  }
  out << "| messages sent / delivered | " << r.stats.messages_sent << " / " << r.stats.messages_delivered << " |\n"
      << "| messages dropped (cut / loss / down) | " << r.stats.messages_dropped_cut << " / "
      << r.stats.messages_dropped_loss << " / " << r.stats.messages_dropped_down << " |\n"
      << "| crashes / restarts | " << r.stats.crashes << " / " << r.stats.restarts << " |\n"
      << "| events | " << r.stats.events << " |\n\n";
}

void write_faults(std::ostream& out, const scenarios::ScenarioResult& r) {
  out << "## Faults\n\n";
  if (r.faults.empty()) {
    out << "None recorded.\n\n";
    return;
  }
  out << r.faults.size() << " fault windows.\n\n| kind | count |\n|---|---|\n";
  for (const auto& [kind, n] : count_faults_by_kind(r.faults)) out << "| " << md_cell(kind) << " | " << n << " |\n";
  out << "\n";
}

}  // namespace

// Why a stopped run stopped, and the last events before it.
void write_stop(std::ostream& out, const scenarios::ScenarioResult& r, const RunReportInfo& info) {
  if (!r.stop) return;
  out << "## Stopped: " << sim::stop_kind_name(r.stop->kind) << "\n\n" << r.stop->message << "\n\n";
  if (info.trace_tail.empty()) return;
  const std::vector<std::string> shown = trace_lines_shown(info.trace_tail);
  out << "The last " << shown.size() << " events:\n\n```\n";
  for (const std::string& line : shown) out << line << "\n";
  out << "```\n\n";
}

std::string render_run_summary_markdown(const scenarios::ScenarioResult& r, const RunReportInfo& info) {
  std::ostringstream out;
  write_header(out, r, info);
  write_stop(out, r, info);
  write_checks(out, r);
  write_metrics(out, r);
  write_faults(out, r);
  out << "## Replay\n\n```\n" << info.replay_command << "\n```\n\n## Files\n\n";
  for (const ReportFile& f : report_file_index(r, info)) {
    out << "- [" << f.name << "](" << f.name << ") — " << f.what << "\n";
  }
  return out.str();
}

}  // namespace shoal::reports
