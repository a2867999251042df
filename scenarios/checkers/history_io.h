// Reading and writing histories.
//
// Three formats are understood:
//   * kShoal      — Shoal's own JSON lines, one operation per line, written by
//                   the simulator's client driver and by real-mode clients;
//   * kJepsenLog  — the `INFO jepsen.util - P :type :f value` lines of a Jepsen
//                   log (a single register: read, write, cas [A B]);
//   * kJepsenEdn  — one EDN map per line, e.g.
//                   {:process 9, :type :invoke, :f :append, :key "0", :value "x"}.
// Bad input is an error, never a crash: every parser returns a status whose
// message names the source and the line, "FILE:LINE: what is wrong", on one
// line (bytes of a binary file are shown escaped).
// Lines a Jepsen log uses for other things (nemesis, set-up noise) are skipped,
// but a log with no event line at all is not a Jepsen log.
//
// Shoal JSON lines: an optional header line {"shoal_history":1,"initial":V},
// then one object per operation:
//   {"process":1,"f":"cas","key":"k","expected":"1","value":"2",
//    "invoke_ns":10,"complete_ns":20,"outcome":"ok","applied":true}
//   {"process":2,"f":"read","key":"k","invoke_ns":12,"complete_ns":25,
//    "outcome":"ok","result":"2"}
// Values are JSON strings or null (absent); "complete_ns" is null while pending.
#pragma once

#include <optional>
#include <ostream>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "scenarios/checkers/history.h"

namespace shoal::check {

enum class HistoryFormat { kShoal, kJepsenLog, kJepsenEdn };

std::optional<HistoryFormat> parse_history_format(std::string_view name);  // "shoal", "jepsen-log", "jepsen-edn"
std::string_view to_string(HistoryFormat format);

// Parses `text`; `source` names it in error messages. A history with no
// operation is refused: blank text, or lines in the format that hold none (a
// header alone, nemesis events alone), is FailedPrecondition "SOURCE: empty
// history: nothing to check"; a text none of whose lines is in the format at
// all is InvalidArgument. The parse_* functions of one format accept an empty
// history (the Shoal format reads back an empty History it wrote).
absl::StatusOr<History> parse_history(std::string_view text, HistoryFormat format, std::string_view source);
absl::StatusOr<History> parse_shoal_history(std::string_view text, std::string_view source);
absl::StatusOr<History> parse_jepsen_log(std::string_view text, std::string_view source);
absl::StatusOr<History> parse_jepsen_edn(std::string_view text, std::string_view source);

// Reads and parses a file as parse_history does; a file that cannot be read is
// an error naming it.
absl::StatusOr<History> read_history_file(const std::string& path, HistoryFormat format);

// Writes Shoal JSON lines (header first); parse_shoal_history reads it back equal.
void write_shoal_history(const History& history, std::ostream& out);
std::string to_shoal_json_lines(const History& history);

// The largest file or line the readers accept: beyond it the input is rejected
// as malformed rather than read into memory.
inline constexpr size_t kHistoryFileBytesMax = size_t{1} << 30;
inline constexpr size_t kHistoryLineBytesMax = size_t{16} << 20;

}  // namespace shoal::check
