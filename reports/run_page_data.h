// The data the run page's script draws, prepared in C++ so that what the page
// shows is decided (and tested) here and the script only draws it.
//
// The object holds `result` (run_result_json), `end_s` (the right edge of
// every time axis), `failure` ({check, at_s} or null), `ops` (the latency
// points) and `throughput` (the per-bucket counts); see the .cc for each.
#pragma once

#include <boost/json.hpp>

#include "reports/run_report.h"
#include "scenarios/scenario.h"

namespace shoal::reports {

boost::json::object run_page_data(const scenarios::ScenarioResult& r, const RunReportInfo& info);

// The object as JSON that can sit inside a <script> element: every '<' is
// written \u003c, so no "</script>" or "<!--" can end or confuse the element.
std::string script_safe_json(const boost::json::value& v);

}  // namespace shoal::reports
