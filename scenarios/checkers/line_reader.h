// Internal to the checkers: splitting text into numbered lines, building
// "SOURCE:LINE: message" errors and concatenating message parts.
#pragma once

#include <cstdint>
#include <sstream>
#include <string>
#include <string_view>

#include "absl/status/status.h"

namespace shoal::check::internal {

// Yields the lines of a text (without the line terminator, "\r\n" too) and
// their 1-based numbers.
class LineReader {
 public:
  explicit LineReader(std::string_view text) : text_(text) {}
  // Returns false at the end of the text.
  bool next(std::string_view* line);
  uint32_t line_number() const { return line_number_; }

 private:
  std::string_view text_;
  size_t pos_ = 0;
  uint32_t line_number_ = 0;
};

// Concatenates anything streamable. (absl::StrCat is not used because this
// Abseil's string_view is not std::string_view.)
template <typename... Args>
std::string str_cat(const Args&... args) {
  std::ostringstream out;
  (out << ... << args);
  return out.str();
}

absl::Status line_error(std::string_view source, uint32_t line, std::string_view message);
std::string_view trim(std::string_view s);

}  // namespace shoal::check::internal
