#include "scenarios/checkers/history_io.h"

#include <fstream>
#include <sstream>

#include "scenarios/checkers/line_reader.h"

namespace shoal::check {

std::optional<HistoryFormat> parse_history_format(std::string_view name) {
  if (name == "shoal") return HistoryFormat::kShoal;
  if (name == "jepsen-log") return HistoryFormat::kJepsenLog;
  if (name == "jepsen-edn") return HistoryFormat::kJepsenEdn;
  return std::nullopt;
}

std::string_view to_string(HistoryFormat format) {
  switch (format) {
    case HistoryFormat::kShoal:
      return "shoal";
    case HistoryFormat::kJepsenLog:
      return "jepsen-log";
    case HistoryFormat::kJepsenEdn:
      return "jepsen-edn";
  }
  return "?";
}

namespace {

absl::StatusOr<History> parse_in_format(std::string_view text, HistoryFormat format, std::string_view source) {
  switch (format) {
    case HistoryFormat::kShoal:
      return parse_shoal_history(text, source);
    case HistoryFormat::kJepsenLog:
      return parse_jepsen_log(text, source);
    case HistoryFormat::kJepsenEdn:
      return parse_jepsen_edn(text, source);
  }
  return absl::InvalidArgumentError("unknown history format");
}

// A history with no operation gives every checker a vacuous pass, so it is
// refused; the message says whether the input had any lines at all.
absl::Status empty_history(std::string_view text, std::string_view source) {
  size_t lines = 0;
  (void)internal::for_each_line(text, source, [&](uint32_t, std::string_view) {
    ++lines;
    return absl::OkStatus();
  });
  const std::string why = lines == 0 ? "" : internal::str_cat(" (no client operation in ", lines, " line(s))");
  return absl::FailedPreconditionError(internal::str_cat(source, ": empty history: nothing to check", why));
}

}  // namespace

absl::StatusOr<History> parse_history(std::string_view text, HistoryFormat format, std::string_view source) {
  absl::StatusOr<History> history = parse_in_format(text, format, source);
  if (history.ok() && history->empty()) return empty_history(text, source);
  return history;
}

absl::StatusOr<History> read_history_file(const std::string& path, HistoryFormat format) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(internal::str_cat(path, ": cannot open"));
  in.seekg(0, std::ios::end);
  const std::streamoff size = in.tellg();
  if (size < 0) return absl::InvalidArgumentError(internal::str_cat(path, ": cannot read (is it a directory?)"));
  if (size_t(size) > kHistoryFileBytesMax)
    return absl::InvalidArgumentError(internal::str_cat(path, ": file too large"));
  in.seekg(0, std::ios::beg);
  std::string text(size_t(size), '\0');
  if (!in.read(text.data(), size)) return absl::InvalidArgumentError(internal::str_cat(path, ": cannot read"));
  return parse_history(text, format, path);
}

}  // namespace shoal::check
