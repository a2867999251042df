// The Jepsen log format: lines `INFO  jepsen.util - P<TAB>:TYPE<TAB>:F<TAB>VALUE`
// recorded by Jepsen's register tests (a single compare-and-set register).
#include <charconv>
#include <vector>

#include "scenarios/checkers/history_io.h"
#include "scenarios/checkers/jepsen_events.h"
#include "scenarios/checkers/line_reader.h"

namespace shoal::check {
namespace {

using internal::line_error;
using internal::trim;

constexpr std::string_view kEventMarker = "jepsen.util - ";

// Splits off the next whitespace-separated token of `s`.
std::string_view next_token(std::string_view* s) {
  *s = trim(*s);
  size_t end = s->find_first_of(" \t");
  if (end == std::string_view::npos) end = s->size();
  std::string_view token = s->substr(0, end);
  s->remove_prefix(end);
  return token;
}

std::optional<int64_t> parse_int(std::string_view s) {
  int64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
  return v;
}

// One register value: `nil` or a single token such as `3`.
std::optional<Value> parse_atom(std::string_view s) {
  if (s.empty() || s.find_first_of(" \t[]") != std::string_view::npos) return std::nullopt;
  if (s == "nil") return Value(std::nullopt);
  return Value(std::string(s));
}

// `[A B]`: the expected and the new value of a compare-and-set.
std::optional<std::pair<Value, Value>> parse_pair(std::string_view s) {
  if (s.size() < 2 || s.front() != '[' || s.back() != ']') return std::nullopt;
  std::string_view inner = s.substr(1, s.size() - 2);
  std::optional<Value> a = parse_atom(next_token(&inner));
  std::optional<Value> b = parse_atom(next_token(&inner));
  if (!a || !b || !trim(inner).empty()) return std::nullopt;
  return std::make_pair(*a, *b);
}

struct LogEvent {
  int64_t process = 0;
  std::string_view type;   // "invoke", "ok", "fail", "info"
  std::string_view f;      // "read", "write", "cas"
  std::string_view value;  // the rest of the line
};

enum class LineKind {
  kNoise,         // not an event line (set-up and other log lines)
  kOtherProcess,  // an event of a process named by a keyword, e.g. :nemesis
  kClientEvent,   // an event of a client process, filled into *event
};

// Client events are parsed; the lines of any other kind are skipped.
LineKind split_event(std::string_view line, LogEvent* event) {
  size_t at = line.find(kEventMarker);
  if (at == std::string_view::npos) return LineKind::kNoise;
  std::string_view rest = line.substr(at + kEventMarker.size());
  const std::string_view process_token = next_token(&rest);
  std::optional<int64_t> process = parse_int(process_token);
  if (!process) return process_token.starts_with(':') ? LineKind::kOtherProcess : LineKind::kNoise;
  event->process = *process;
  event->type = next_token(&rest);
  event->f = next_token(&rest);
  event->value = trim(rest);
  return LineKind::kClientEvent;
}

class LogParser {
 public:
  explicit LogParser(std::string_view source) : source_(source), builder_(source) {}

  absl::Status event(uint32_t line, const LogEvent& e) {
    std::optional<OpType> type;
    if (e.f == ":read") type = OpType::kRead;
    if (e.f == ":write") type = OpType::kWrite;
    if (e.f == ":cas") type = OpType::kCas;
    if (!type) return line_error(source_, line, internal::str_cat("unknown function '", e.f, "'"));
    if (e.type == ":invoke") return invoke(line, e, *type);
    if (e.type == ":ok") return ok(line, e, *type);
    // A failed operation definitely did not happen; an :info one may have.
    if (e.type == ":fail") return builder_.complete(line, e.process, Outcome::kFail, *type, {});
    if (e.type == ":info") return builder_.complete(line, e.process, Outcome::kUnknown, *type, {});
    return line_error(source_, line, internal::str_cat("unknown event type '", e.type, "'"));
  }

  History take() { return builder_.take(); }

 private:
  absl::Status invoke(uint32_t line, const LogEvent& e, OpType type) {
    switch (type) {
      case OpType::kRead:
        return builder_.invoke(line, e.process, Op::read());
      case OpType::kWrite: {
        std::optional<Value> v = parse_atom(e.value);
        if (!v || !*v) return bad_value(line, e, "a value to write");
        return builder_.invoke(line, e.process, Op::write("", **v));
      }
      default: {
        auto pair = parse_pair(e.value);
        if (!pair || !pair->second) return bad_value(line, e, "[EXPECTED NEW]");
        return builder_.invoke(line, e.process, Op::cas("", pair->first, *pair->second));
      }
    }
  }

  absl::Status ok(uint32_t line, const LogEvent& e, OpType type) {
    Result result;
    if (type == OpType::kRead) {
      std::optional<Value> v = parse_atom(e.value);
      if (!v) return bad_value(line, e, "the value read or nil");
      result.value = *v;
    }
    return builder_.complete(line, e.process, Outcome::kOk, type, std::move(result));
  }

  absl::Status bad_value(uint32_t line, const LogEvent& e, std::string_view wanted) {
    return line_error(source_, line,
                      internal::str_cat("expected ", wanted, " after ", e.type, " ", e.f, ", got '", e.value, "'"));
  }

  std::string source_;
  internal::JepsenEventBuilder builder_;
};

}  // namespace

absl::StatusOr<History> parse_jepsen_log(std::string_view text, std::string_view source) {
  LogParser parser(source);
  bool any_event = false;
  std::optional<std::pair<uint32_t, std::string_view>> first_line;
  absl::Status s = internal::for_each_line(text, source, [&](uint32_t number, std::string_view line) {
    if (!first_line) first_line.emplace(number, line);
    LogEvent e;
    const LineKind kind = split_event(line, &e);
    any_event = any_event || kind != LineKind::kNoise;
    return kind == LineKind::kClientEvent ? parser.event(number, e) : absl::OkStatus();
  });
  if (!s.ok()) return s;
  // Noise lines are skipped, so a file of nothing but noise (a binary file,
  // say) would pass as an empty history without this check.
  if (first_line && !any_event) {
    return absl::InvalidArgumentError(internal::str_cat(source, ": no line is a Jepsen log event '... ", kEventMarker,
                                                        "P :type :f value'; line ", first_line->first, " is '",
                                                        internal::snippet(first_line->second), "'"));
  }
  return parser.take();
}

}  // namespace shoal::check
