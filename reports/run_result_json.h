// A run's result as the JSON object that result.json and
// `shoal sim run --json` print.
//
// The object holds: scenario, seed, commit, nodes, passed, exit_code, verdict,
// trace_hash (16 hex digits), virtual_seconds, wall_seconds, params, checks
// (every safety check, then liveness, each {name, ok, detail}), metrics,
// stats (the simulator's counters), history (operation counts by outcome, or
// null when the scenario has no clients), faults ([{start_s, end_s, kind,
// detail}]), roles ([{node, start_s, end_s, role, term}]), replay, and
// trace_file when a trace was written.
#pragma once

#include <boost/json.hpp>

#include "reports/run_report.h"
#include "scenarios/scenario.h"

namespace shoal::reports {

boost::json::object run_result_json(const scenarios::ScenarioResult& r, const RunReportInfo& info);

}  // namespace shoal::reports
