// Internal to the checkers: splitting text into numbered lines, building
// "SOURCE:LINE: message" errors and concatenating message parts.
#pragma once

#include <cstdint>
#include <functional>
#include <sstream>
#include <string>
#include <string_view>

#include "absl/status/status.h"

namespace shoal::check::internal {

// Calls `parse_line(number, line)` for every line of `text` that is not
// blank, with 1-based numbers and without the terminator ("\r\n" too), and
// stops at the first error it returns. A line longer than
// kHistoryLineBytesMax is an error naming `source` and the line.
using LineParser = std::function<absl::Status(uint32_t number, std::string_view line)>;
absl::Status for_each_line(std::string_view text, std::string_view source, const LineParser& parse_line);

// Concatenates anything streamable. (absl::StrCat is not used because this
// Abseil's string_view is not std::string_view.)
template <typename... Args>
std::string str_cat(const Args&... args) {
  std::ostringstream out;
  (out << ... << args);
  return out.str();
}

// "SOURCE:LINE: message", the message made printable (see printable()).
absl::Status line_error(std::string_view source, uint32_t line, std::string_view message);
std::string_view trim(std::string_view s);

// `s` with every byte that is not printable ASCII written as \xNN, so that a
// message quoting a binary file stays one readable line.
std::string printable(std::string_view s);
// The start of a line for a message: printable, at most kSnippetBytesMax
// bytes of it, and "..." when it was cut.
std::string snippet(std::string_view line);
inline constexpr size_t kSnippetBytesMax = 60;

}  // namespace shoal::check::internal
