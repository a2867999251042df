// What every view of a run (result.json, summary.md, index.html and the
// terminal) says about it, computed in one place so the views agree.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "reports/run_report.h"
#include "scenarios/scenario.h"

namespace shoal::reports {

// The exit code of `shoal sim run` for a result (tools/command.h names
// them): 5 when an engine assertion stopped the run, 6 when a bound did,
// else 1 when a safety check failed, else 3 when only liveness failed, else 0.
// A stopped run outranks its checks: they judged only what it reached.
int exit_code_for(const scenarios::ScenarioResult& r);
// "PASS", "FAIL (safety)", "FAIL (liveness)", "FAIL (assertion)" or
// "FAIL (bound: events-max)" (wall-time-max, memory-max).
std::string verdict_text(const scenarios::ScenarioResult& r);
// The trace hash as 16 lower-case hex digits (scenario.h).
using scenarios::trace_hash_hex;

// The safety checks in order, then liveness.
std::vector<scenarios::CheckResult> all_checks(const scenarios::ScenarioResult& r);

// The client history's operations by outcome; all zero for a null history.
// `pending` counts operations that never completed (no answer, no give-up).
struct OperationCounts {
  size_t total = 0;
  size_t ok = 0;
  size_t fail = 0;
  size_t unknown = 0;
  size_t pending = 0;
};
OperationCounts count_operations(const check::History* history);

// How many faults of each kind the nemesis applied.
std::map<std::string, size_t> count_faults_by_kind(const std::vector<scenarios::FaultWindow>& faults);

// The first failure: a stop (named by its kind, at the moment it happened),
// else the first failing check in report order, and when it failed in
// virtual seconds if its detail says: the first time written as "at T",
// "from T" or "of T" (T as format_time writes it, "12.500000s").
struct FirstFailure {
  std::string check;
  std::optional<double> at_seconds;
};
std::optional<FirstFailure> first_failure(const scenarios::ScenarioResult& r);

// The files of a report directory that this run has, each with what it is
// for, in the order a reader wants them.
struct ReportFile {
  std::string name;
  std::string what;
};
std::vector<ReportFile> report_file_index(const scenarios::ScenarioResult& r, const RunReportInfo& info);

// The last kTraceTailLinesShown lines of a trace tail, oldest first: what a
// stopped run's output, summary and page show of the events before the stop.
std::vector<std::string> trace_lines_shown(const std::vector<std::string>& trace_tail);

// `v` with `decimals` digits after the point, as every view prints times.
std::string fixed(double v, int decimals);
// A metric as every view prints it: whole numbers without a fraction, others
// to three decimals.
std::string figure(double v);

}  // namespace shoal::reports
