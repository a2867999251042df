// The report directory of one simulated run, for the engineer on call.
//
// write_run_report fills a directory with these files:
//   * result.json   — the machine-readable result (see run_result_json);
//   * summary.md    — a page to read in a terminal or a code review: the
//                     verdict, the checks, key metrics, faults by kind, the
//                     replay command and the other files;
//   * history.jsonl — the client history in Shoal JSON lines, when the
//                     scenario has clients (check::parse_shoal_history reads
//                     it back);
//   * trace-tail.txt — the last events of the run (RunReportInfo::trace_tail),
//                     when there is a trace; a run that stopped on an
//                     assertion or a bound ends with the events that led there;
//   * index.html    — one self-contained page (inline CSS and script, no
//                     network): the verdict at a glance, latency and
//                     throughput over time with the fault windows shaded, who
//                     held which role when, the first failure marked in time,
//                     and the tables of checks and metrics; for a stopped
//                     run, why it stopped and the last events before.
// The page embeds the data its script draws as JSON in
// <script type="application/json" id="data">. When the script has run it sets
// body's data-rendered to the number of plots it drew, and any script error
// lands in body's data-script-errors, so a headless browser can prove the page
// works. Histories of any size render: beyond kLatencyPointsMax completed
// operations the latency plot shows a deterministic sample and says so.
//
// Pure functions apart from the files written; errors are statuses.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "scenarios/scenario.h"

namespace shoal::reports {

// What the run's result does not know about itself.
struct RunReportInfo {
  std::string commit;          // git commit of the build (may be "unknown")
  std::string replay_command;  // the one command that replays the run
  double wall_seconds = 0;
  // The last lines of the trace (sim/trace_tail.h), oldest first, and how
  // many lines the whole trace had. The report writes them to
  // kTraceTailFile; a stopped run's summary and page show the last few.
  std::vector<std::string> trace_tail;
  uint64_t trace_lines_total = 0;
};

// The file of a report directory that holds the trace's tail.
inline constexpr const char* kTraceTailFile = "trace-tail.txt";
// Trace lines a stopped run's summary.md and page show before the stop.
inline constexpr size_t kTraceTailLinesShown = 20;

// Writes dir/result.json, dir/summary.md, dir/history.jsonl (when r.history
// is set) and dir/index.html, creating dir when needed. An error names the
// path that could not be created or written.
absl::Status write_run_report(const std::string& dir, const scenarios::ScenarioResult& r,
                              const RunReportInfo& info);

// The contents of index.html.
std::string render_run_report_html(const scenarios::ScenarioResult& r, const RunReportInfo& info);
// The contents of summary.md.
std::string render_run_summary_markdown(const scenarios::ScenarioResult& r, const RunReportInfo& info);

// Latency points drawn at most; a larger history is sampled (every failed or
// unknown operation first, then every k-th acknowledged one).
inline constexpr size_t kLatencyPointsMax = 20000;
// Throughput bars drawn at most; a longer run gets buckets wider than 1 s.
inline constexpr size_t kThroughputBucketsMax = 600;

}  // namespace shoal::reports
