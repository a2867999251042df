#include "scenarios/checkers/line_reader.h"


namespace shoal::check::internal {

bool LineReader::next(std::string_view* line) {
  if (pos_ >= text_.size()) return false;
  size_t end = text_.find('\n', pos_);
  if (end == std::string_view::npos) end = text_.size();
  std::string_view l = text_.substr(pos_, end - pos_);
  if (!l.empty() && l.back() == '\r') l.remove_suffix(1);
  pos_ = end + 1;
  ++line_number_;
  *line = l;
  return true;
}

absl::Status line_error(std::string_view source, uint32_t line, std::string_view message) {
  return absl::InvalidArgumentError(internal::str_cat(source, ":", line, ": ", message));
}

std::string_view trim(std::string_view s) {
  const char* ws = " \t\r\n";
  size_t b = s.find_first_not_of(ws);
  if (b == std::string_view::npos) return {};
  size_t e = s.find_last_not_of(ws);
  return s.substr(b, e - b + 1);
}

}  // namespace shoal::check::internal
