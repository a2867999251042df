// Rendering scenario results for the terminal and as JSON.
#pragma once

#include <string>

#include <boost/json.hpp>

#include "scenarios/scenario.h"

namespace shoal::tools {

// The exit code a result earns: safety failures outrank liveness failures.
int exit_code_for(const scenarios::ScenarioResult& r);
// The one command that replays a run.
std::string replay_command(const scenarios::ScenarioResult& r);
std::string render_text(const scenarios::ScenarioResult& r, double wall_seconds);
boost::json::object render_json(const scenarios::ScenarioResult& r, double wall_seconds);

}  // namespace shoal::tools
