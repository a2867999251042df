// Rendering scenario results for the terminal and as JSON.
#pragma once

#include <string>

#include <boost/json.hpp>

#include "reports/run_digest.h"
#include "reports/run_report.h"
#include "scenarios/scenario.h"
#include "sim/trace_tail.h"

namespace shoal::tools {

// The exit code a result earns: safety failures outrank liveness failures.
using reports::exit_code_for;
// What a report of the run needs beyond its result: this build's commit, the
// replay command, the wall time and the tail of the trace (none for nullptr).
reports::RunReportInfo run_report_info(const scenarios::ScenarioResult& r, double wall_seconds,
                                       const sim::TraceTail* tail);
// The result for a terminal. A run that stopped (an assertion or a bound)
// ends with the last events of `tail` before the stop, when there is one.
std::string render_text(const scenarios::ScenarioResult& r, double wall_seconds,
                        const sim::TraceTail* tail = nullptr);
// The result as result.json holds it (reports::run_result_json).
boost::json::object render_json(const scenarios::ScenarioResult& r, double wall_seconds);

}  // namespace shoal::tools
