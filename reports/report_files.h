// What every report writer needs: HTML escaping and writing files into a
// report directory with errors that name the path. Pure functions; errors are
// statuses, never exceptions.
#pragma once

#include <string>
#include <string_view>

#include "absl/status/status.h"

namespace shoal::reports {

// Escapes &, <, >, and " for HTML text and attribute values.
std::string html_escape(std::string_view s);

// Creates `dir` and its parents when needed; the error names `dir`.
absl::Status make_report_dir(const std::string& dir);

// Writes `text` to `path`, replacing the file; the error names `path`.
absl::Status write_report_file(const std::string& path, std::string_view text);

}  // namespace shoal::reports
