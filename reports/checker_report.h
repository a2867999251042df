// The failing window of a linearizability check as a self-contained HTML page.
//
// The page draws the operations of the window as bars on a time axis, one row
// per client process: the operation no order can reach (usually the
// impossible read) in red, the others that cannot be ordered with it in
// amber, and the operations of the linearizable prefix that overlap the
// window in grey. An operation of unknown outcome is drawn open to the right
// edge. Below the plot a table lists the window and the end of the prefix.
// Everything (CSS, SVG) is inline, so the file can be mailed or attached to a
// bug as it is. Pure functions; no state.
#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "scenarios/checkers/history.h"
#include "scenarios/checkers/linearizability.h"

namespace shoal::reports {

// REQUIRES: result.failure is set (the verdict is kNotLinearizable).
std::string render_linearizability_window_html(const check::History& history,
                                               const check::LinearizabilityResult& result, const std::string& title);

// Writes the page to `dir`/`name`.linearizability.html, creating `dir` when
// needed, and returns the path written.
absl::StatusOr<std::string> write_linearizability_window_html(const std::string& dir, const std::string& name,
                                                              const check::History& history,
                                                              const check::LinearizabilityResult& result);

// How many operations of the prefix the table lists (the last ones).
inline constexpr size_t kReportPrefixRowsMax = 30;
// Operations drawn at most; beyond it the plot leaves the rest of the window
// out (the table still lists every one).
inline constexpr size_t kReportBarsMax = 400;

}  // namespace shoal::reports
