#include "reports/report_files.h"

#include <filesystem>
#include <fstream>

namespace shoal::reports {

std::string html_escape(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    switch (c) {
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '&':
        out += "&amp;";
        break;
      case '"':
        out += "&quot;";
        break;
      default:
        out.push_back(c);
    }
  }
  return out;
}

absl::Status make_report_dir(const std::string& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return absl::InvalidArgumentError(dir + ": cannot create the report directory: " + ec.message());
  return absl::OkStatus();
}

absl::Status write_report_file(const std::string& path, std::string_view text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(text.data(), static_cast<std::streamsize>(text.size()));
  if (!out.flush()) return absl::InvalidArgumentError(path + ": cannot write");
  return absl::OkStatus();
}

}  // namespace shoal::reports
