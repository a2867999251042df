#include "reports/run_digest.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <regex>

namespace shoal::reports {

int exit_code_for(const scenarios::ScenarioResult& r) {
  if (r.stop) return r.stop->is_bound() ? 6 : 5;
  if (!r.safe()) return 1;
  if (!r.liveness.ok) return 3;
  return 0;
}

std::string verdict_text(const scenarios::ScenarioResult& r) {
  if (r.stop) {
    return r.stop->is_bound() ? "FAIL (bound: " + std::string(sim::stop_kind_name(r.stop->kind)) + ")"
                              : "FAIL (assertion)";
  }
  if (!r.safe()) return "FAIL (safety)";
  if (!r.liveness.ok) return "FAIL (liveness)";
  return "PASS";
}

std::vector<scenarios::CheckResult> all_checks(const scenarios::ScenarioResult& r) {
  std::vector<scenarios::CheckResult> checks = r.checks;
  checks.push_back(r.liveness);
  return checks;
}

OperationCounts count_operations(const check::History* history) {
  OperationCounts c;
  if (history == nullptr) return c;
  for (const check::Operation& o : history->operations()) {
    ++c.total;
    switch (o.outcome) {
      case check::Outcome::kOk:
        ++c.ok;
        break;
      case check::Outcome::kFail:
        ++c.fail;
        break;
      case check::Outcome::kUnknown:
        ++c.unknown;
        break;
      case check::Outcome::kPending:
        ++c.pending;
        break;
    }
  }
  return c;
}

std::map<std::string, size_t> count_faults_by_kind(const std::vector<scenarios::FaultWindow>& faults) {
  std::map<std::string, size_t> counts;
  for (const scenarios::FaultWindow& f : faults) ++counts[f.kind];
  return counts;
}

std::optional<FirstFailure> first_failure(const scenarios::ScenarioResult& r) {
  // Details write a moment as "at 12.500000s" (or "from", "of"); a duration
  // reads "within 2.000000s" or "after 2500ms", which this pattern leaves alone.
  static const std::regex moment(R"(\b(?:at|from|of) ([0-9]+(?:\.[0-9]+)?)s\b)");
  if (r.stop) return FirstFailure{std::string(sim::stop_kind_name(r.stop->kind)), to_seconds_f(r.stop->at.time_since_epoch())};
  for (const scenarios::CheckResult& c : all_checks(r)) {
    if (c.ok) continue;
    FirstFailure f{c.name, std::nullopt};
    std::smatch m;
    if (std::regex_search(c.message, m, moment)) f.at_seconds = std::stod(m[1].str());
    return f;
  }
  return std::nullopt;
}

std::vector<ReportFile> report_file_index(const scenarios::ScenarioResult& r, const RunReportInfo& info) {
  std::vector<ReportFile> files = {
      {"index.html", "this report as a page: plots of latency, throughput and roles over time"},
      {"summary.md", "this report as text"},
      {"result.json", "the result as data: checks, metrics, stats, faults, roles"},
  };
  if (r.history) files.push_back({"history.jsonl", "every client operation (Shoal JSON lines, for `shoal check`)"});
  if (!info.trace_tail.empty()) {
    files.push_back({kTraceTailFile, "the last " + std::to_string(info.trace_tail.size()) + " of " +
                                         std::to_string(info.trace_lines_total) +
                                         " simulated events, one per line (the whole trace: --trace FILE)"});
  }
  return files;
}

std::vector<std::string> trace_lines_shown(const std::vector<std::string>& trace_tail) {
  const size_t shown = std::min(trace_tail.size(), kTraceTailLinesShown);
  return {trace_tail.end() - static_cast<std::ptrdiff_t>(shown), trace_tail.end()};
}

std::string fixed(double v, int decimals) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
  return buf;
}

std::string figure(double v) { return fixed(v, v == std::floor(v) && std::abs(v) < 1e15 ? 0 : 3); }

}  // namespace shoal::reports
