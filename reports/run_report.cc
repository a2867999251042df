#include "reports/run_report.h"

#include <filesystem>

#include "reports/report_files.h"
#include "reports/run_result_json.h"
#include "scenarios/checkers/history_io.h"

namespace shoal::reports {

absl::Status write_run_report(const std::string& dir, const scenarios::ScenarioResult& r,
                              const RunReportInfo& info) {
  if (absl::Status s = make_report_dir(dir); !s.ok()) return s;
  auto path = [&dir](const char* name) { return (std::filesystem::path(dir) / name).string(); };
  const std::string result_json = boost::json::serialize(run_result_json(r, info)) + "\n";
  if (absl::Status s = write_report_file(path("result.json"), result_json); !s.ok()) return s;
  // A directory used again must not keep the history or trace of an earlier run.
  auto remove_stale = [&path](const char* name) {
    std::error_code ec;
    std::filesystem::remove(path(name), ec);
    return ec ? absl::InvalidArgumentError(path(name) + ": cannot remove: " + ec.message()) : absl::OkStatus();
  };
  if (r.history) {
    const std::string lines = check::to_shoal_json_lines(*r.history);
    if (absl::Status s = write_report_file(path("history.jsonl"), lines); !s.ok()) return s;
  } else if (absl::Status s = remove_stale("history.jsonl"); !s.ok()) {
    return s;
  }
  if (!info.trace_tail.empty()) {
    std::string tail;
    for (const std::string& line : info.trace_tail) tail += line + "\n";
    if (absl::Status s = write_report_file(path(kTraceTailFile), tail); !s.ok()) return s;
  } else if (absl::Status s = remove_stale(kTraceTailFile); !s.ok()) {
    return s;
  }
  const std::string summary = render_run_summary_markdown(r, info);
  if (absl::Status s = write_report_file(path("summary.md"), summary); !s.ok()) return s;
  return write_report_file(path("index.html"), render_run_report_html(r, info));
}

}  // namespace shoal::reports
