#include "scenarios/checkers/line_reader.h"

#include "scenarios/checkers/history_io.h"

namespace shoal::check::internal {

absl::Status for_each_line(std::string_view text, std::string_view source, const LineParser& parse_line) {
  uint32_t number = 0;
  for (size_t pos = 0; pos < text.size();) {
    size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(pos, end - pos);
    pos = end + 1;
    ++number;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.size() > kHistoryLineBytesMax) return line_error(source, number, "line too long");
    if (trim(line).empty()) continue;
    if (absl::Status s = parse_line(number, line); !s.ok()) return s;
  }
  return absl::OkStatus();
}

absl::Status line_error(std::string_view source, uint32_t line, std::string_view message) {
  return absl::InvalidArgumentError(internal::str_cat(source, ":", line, ": ", printable(message)));
}

std::string printable(std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte >= 0x20 && byte < 0x7f) {
      out.push_back(c);
      continue;
    }
    out += "\\x";
    out.push_back(kHex[byte >> 4]);
    out.push_back(kHex[byte & 0xf]);
  }
  return out;
}

std::string snippet(std::string_view line) {
  if (line.size() <= kSnippetBytesMax) return printable(line);
  return printable(line.substr(0, kSnippetBytesMax)) + "...";
}

std::string_view trim(std::string_view s) {
  const char* ws = " \t\r\n";
  size_t b = s.find_first_not_of(ws);
  if (b == std::string_view::npos) return {};
  size_t e = s.find_last_not_of(ws);
  return s.substr(b, e - b + 1);
}

}  // namespace shoal::check::internal
