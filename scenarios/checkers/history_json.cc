// Shoal's own history format: JSON lines, one operation per line (see
// history_io.h for the fields).
#include <sstream>

#include <boost/json.hpp>

#include "scenarios/checkers/history_io.h"
#include "scenarios/checkers/line_reader.h"

namespace shoal::check {
namespace {

namespace json = boost::json;
using internal::line_error;

constexpr int64_t kShoalHistoryVersion = 1;

json::value to_json(const Value& v) { return v ? json::value(*v) : json::value(nullptr); }

// Reads an optional string-or-null field; `*ok` turns false on any other type.
Value value_field(const json::object& o, std::string_view name, bool* ok) {
  const json::value* v = o.if_contains(name);
  if (v == nullptr || v->is_null()) return std::nullopt;
  if (!v->is_string()) {
    *ok = false;
    return std::nullopt;
  }
  return std::string(v->get_string());
}

std::optional<int64_t> int_field(const json::object& o, std::string_view name) {
  const json::value* v = o.if_contains(name);
  if (v == nullptr) return std::nullopt;
  if (v->is_int64()) return v->get_int64();
  if (v->is_uint64() && v->get_uint64() <= uint64_t(INT64_MAX)) return int64_t(v->get_uint64());
  return std::nullopt;
}

std::optional<std::string_view> string_field(const json::object& o, std::string_view name) {
  const json::value* v = o.if_contains(name);
  if (v == nullptr || !v->is_string()) return std::nullopt;
  return std::string_view(v->get_string());
}

// Fills `out` from one operation object; returns an error message or "".
std::string read_operation(const json::object& o, Operation* out) {
  std::optional<int64_t> process = int_field(o, "process");
  if (!process || *process < 0 || *process > int64_t(UINT32_MAX)) return "missing or bad \"process\"";
  out->process = uint32_t(*process);
  std::optional<std::string_view> f = string_field(o, "f");
  std::optional<OpType> type = f ? parse_op_type(*f) : std::nullopt;
  if (!type) return "missing or unknown \"f\"";
  out->op.type = *type;
  out->op.key = std::string(string_field(o, "key").value_or(""));
  bool ok = true;
  out->op.value = value_field(o, "value", &ok);
  out->op.expected = value_field(o, "expected", &ok);
  out->result.value = value_field(o, "result", &ok);
  if (!ok) return "a value must be a string or null";
  if ((*type == OpType::kWrite || *type == OpType::kAppend || *type == OpType::kCas) && !out->op.value) {
    return "\"value\" is required for " + std::string(to_string(*type));
  }
  if (const json::value* applied = o.if_contains("applied")) {
    if (!applied->is_bool()) return "\"applied\" must be true or false";
    out->result.applied = applied->get_bool();
  }
  std::optional<std::string_view> outcome_name = string_field(o, "outcome");
  std::optional<Outcome> outcome = outcome_name ? parse_outcome(*outcome_name) : std::nullopt;
  if (!outcome) return "missing or unknown \"outcome\"";
  out->outcome = *outcome;
  std::optional<int64_t> invoke = int_field(o, "invoke_ns");
  if (!invoke) return "missing or bad \"invoke_ns\"";
  out->invoke_ns = *invoke;
  const json::value* complete = o.if_contains("complete_ns");
  if (complete != nullptr && !complete->is_null()) {
    std::optional<int64_t> c = int_field(o, "complete_ns");
    if (!c) return "bad \"complete_ns\"";
    out->complete_ns = *c;
  }
  if (out->outcome == Outcome::kPending && out->complete_ns != kOpenEnd_ns)
    return "a pending operation has no complete_ns";
  if (out->outcome != Outcome::kPending && out->complete_ns == kOpenEnd_ns) return "\"complete_ns\" is required";
  if (out->complete_ns < out->invoke_ns) return "complete_ns is before invoke_ns";
  return "";
}

// The optional first line {"shoal_history":1,"initial":V}.
std::string read_header(const json::object& o, History* history) {
  std::optional<int64_t> version = int_field(o, "shoal_history");
  if (version != kShoalHistoryVersion) return "unsupported shoal_history version";
  bool ok = true;
  history->set_initial_value(value_field(o, "initial", &ok));
  return ok ? "" : "\"initial\" must be a string or null";
}

json::object operation_to_json(const Operation& op) {
  json::object o;
  o["process"] = op.process;
  o["f"] = to_string(op.op.type);
  o["key"] = op.op.key;
  if (op.op.type == OpType::kCas) o["expected"] = to_json(op.op.expected);
  if (op.op.value) o["value"] = *op.op.value;
  o["invoke_ns"] = op.invoke_ns;
  o["complete_ns"] = op.complete_ns == kOpenEnd_ns ? json::value(nullptr) : json::value(op.complete_ns);
  o["outcome"] = to_string(op.outcome);
  if (op.op.type == OpType::kRead && op.ok()) o["result"] = to_json(op.result.value);
  if (op.op.type == OpType::kCas && op.ok()) o["applied"] = op.result.applied;
  return o;
}

}  // namespace

absl::StatusOr<History> parse_shoal_history(std::string_view text, std::string_view source) {
  History history;
  bool first = true;
  absl::Status s = internal::for_each_line(text, source, [&](uint32_t number, std::string_view line) {
    boost::system::error_code ec;
    json::value v = json::parse(line, ec);
    if (ec) return line_error(source, number, "not JSON: " + ec.message());
    if (!v.is_object()) return line_error(source, number, "expected a JSON object");
    const json::object& o = v.get_object();
    const bool header = first && o.contains("shoal_history");
    first = false;
    Operation op;
    op.source_line = number;
    std::string error = header ? read_header(o, &history) : read_operation(o, &op);
    if (!error.empty()) return line_error(source, number, error);
    if (!header) history.add(std::move(op));
    return absl::OkStatus();
  });
  if (!s.ok()) return s;
  return history;
}

void write_shoal_history(const History& history, std::ostream& out) {
  json::object header;
  header["shoal_history"] = kShoalHistoryVersion;
  header["initial"] = to_json(history.initial_value());
  out << json::serialize(header) << "\n";
  for (const Operation& op : history.operations()) out << json::serialize(operation_to_json(op)) << "\n";
}

std::string to_shoal_json_lines(const History& history) {
  std::ostringstream out;
  write_shoal_history(history, out);
  return out.str();
}

}  // namespace shoal::check
