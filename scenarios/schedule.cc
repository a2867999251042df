#include "scenarios/schedule.h"

#include <fstream>
#include <sstream>

#include <boost/json.hpp>

#include "absl/strings/str_cat.h"
#include "scenarios/json_fields.h"

namespace shoal::scenarios {
namespace json = boost::json;

size_t RunSchedule::operation_count() const {
  size_t n = 0;
  for (const auto& c : clients) n += c.size();
  return n;
}

namespace {

json::value value_json(const check::Value& v) { return v ? json::value(*v) : json::value(nullptr); }

json::object op_json(const ScriptedOp& s) {
  json::object o;
  o["think_ns"] = s.think.count();
  o["f"] = std::string(check::to_string(s.op.type));
  o["key"] = s.op.key;
  if (s.op.type == check::OpType::kCas) o["expected"] = value_json(s.op.expected);
  if (s.op.value) o["value"] = *s.op.value;
  return o;
}

absl::StatusOr<chaos::Fault> parse_fault(const json::value& v, const std::string& where) {
  if (!v.is_object()) return json_error(where, "not an object");
  JsonFields f(&v.as_object(), where);
  SHOAL_RETURN_IF_ERROR(f.require({"at_ns", "kind", "length_ns", "salt"}));
  int64_t at = 0, length = 0;
  std::string kind;
  chaos::Fault out;
  SHOAL_RETURN_IF_ERROR(f.integer("at_ns", 0, INT64_MAX, &at));
  SHOAL_RETURN_IF_ERROR(f.integer("length_ns", 0, INT64_MAX, &length));
  SHOAL_RETURN_IF_ERROR(f.u64("salt", &out.salt));
  SHOAL_RETURN_IF_ERROR(f.string("kind", &kind));
  SHOAL_RETURN_IF_ERROR(f.unknown());
  auto k = chaos::parse_kind(kind);
  if (!k) return json_error(where, "unknown fault kind '" + kind + "'");
  out.at = Duration(at);
  out.length = Duration(length);
  out.kind = *k;
  return out;
}

absl::StatusOr<ScriptedOp> parse_op(const json::value& v, const std::string& where) {
  if (!v.is_object()) return json_error(where, "not an object");
  JsonFields f(&v.as_object(), where);
  SHOAL_RETURN_IF_ERROR(f.require({"think_ns", "f", "key"}));
  int64_t think = 0;
  std::string name;
  ScriptedOp s;
  SHOAL_RETURN_IF_ERROR(f.integer("think_ns", 0, INT64_MAX, &think));
  SHOAL_RETURN_IF_ERROR(f.string("f", &name));
  SHOAL_RETURN_IF_ERROR(f.string("key", &s.op.key));
  SHOAL_RETURN_IF_ERROR(f.optional_string("value", &s.op.value));
  SHOAL_RETURN_IF_ERROR(f.optional_string("expected", &s.op.expected));
  SHOAL_RETURN_IF_ERROR(f.unknown());
  auto type = check::parse_op_type(name);
  if (!type) return json_error(where, "unknown operation '" + name + "'");
  const bool needs_value = *type == check::OpType::kWrite || *type == check::OpType::kAppend ||
                           *type == check::OpType::kCas;
  if (needs_value && !s.op.value) return json_error(where, name + " needs a value");
  if (!needs_value) s.op.value.reset();
  if (*type != check::OpType::kCas) s.op.expected.reset();
  s.think = Duration(think);
  s.op.type = *type;
  return s;
}

}  // namespace

std::string schedule_to_json(const RunSchedule& s) {
  json::object o;
  o["shoal_schedule"] = 1;
  o["scenario"] = s.scenario;
  o["seed"] = s.seed;
  json::object params;
  for (const auto& [k, v] : s.params) params[k] = v;
  o["params"] = std::move(params);
  if (s.nodes) o["nodes"] = *s.nodes;
  if (s.duration) o["duration_ns"] = s.duration->count();
  json::array faults;
  for (const chaos::Fault& f : s.faults) {
    faults.push_back(json::object{{"at_ns", f.at.count()},
                                  {"kind", std::string(chaos::kind_name(f.kind))},
                                  {"length_ns", f.length.count()},
                                  {"salt", f.salt}});
  }
  o["faults"] = std::move(faults);
  if (s.has_workload) {
    json::array clients;
    for (const auto& c : s.clients) {
      json::array ops;
      for (const ScriptedOp& op : c) ops.push_back(op_json(op));
      clients.push_back(std::move(ops));
    }
    o["clients"] = std::move(clients);
  }
  // One fault or client per line keeps the file diffable.
  std::string text = json::serialize(o);
  return text + "\n";
}

absl::StatusOr<RunSchedule> parse_schedule(std::string_view text, std::string_view source) {
  boost::system::error_code ec;
  json::value v = json::parse(text, ec);
  const std::string src(source);
  if (ec) return absl::InvalidArgumentError(absl::StrCat(src, ": not JSON: ", ec.message()));
  if (!v.is_object()) return absl::InvalidArgumentError(src + ": a schedule is a JSON object");
  const json::object& o = v.as_object();
  auto* version = o.if_contains("shoal_schedule");
  if (version == nullptr || !version->is_int64() || version->as_int64() != 1) {
    return absl::InvalidArgumentError(src + ": not a schedule (\"shoal_schedule\": 1 is missing)");
  }
  RunSchedule s;
  JsonFields top(&o, src);
  top.get("shoal_schedule");
  SHOAL_RETURN_IF_ERROR(top.require({"scenario", "seed", "faults"}));
  SHOAL_RETURN_IF_ERROR(top.string("scenario", &s.scenario));
  SHOAL_RETURN_IF_ERROR(top.u64("seed", &s.seed));
  absl::Status st;
  if (const json::object* params = top.object("params", &st)) {
    for (const auto& [k, val] : *params) {
      if (!val.is_string()) return json_error(src, "param " + std::string(k) + " is not a string");
      s.params[std::string(k)] = std::string(val.as_string());
    }
  }
  SHOAL_RETURN_IF_ERROR(st);
  if (top.get("nodes") != nullptr) {
    int64_t nodes = 0;
    SHOAL_RETURN_IF_ERROR(top.integer("nodes", 1, 64, &nodes));
    s.nodes = static_cast<int>(nodes);
  }
  if (top.get("duration_ns") != nullptr) {
    int64_t ns = 0;
    SHOAL_RETURN_IF_ERROR(top.integer("duration_ns", 1, INT64_MAX, &ns));
    s.duration = Duration(ns);
  }
  const json::value* faults = top.get("faults");
  if (faults == nullptr || !faults->is_array()) return absl::InvalidArgumentError(src + ": \"faults\" is not an array");
  for (size_t i = 0; i < faults->as_array().size(); ++i) {
    auto f = parse_fault(faults->as_array()[i], absl::StrCat(src, ": fault ", i));
    if (!f.ok()) return f.status();
    s.faults.push_back(*f);
  }
  if (const json::value* clients = top.get("clients")) {
    if (!clients->is_array()) return absl::InvalidArgumentError(src + ": \"clients\" is not an array");
    s.has_workload = true;
    for (size_t c = 0; c < clients->as_array().size(); ++c) {
      const json::value& list = clients->as_array()[c];
      if (!list.is_array()) return absl::InvalidArgumentError(absl::StrCat(src, ": client ", c, " is not an array"));
      s.clients.emplace_back();
      for (size_t i = 0; i < list.as_array().size(); ++i) {
        auto op = parse_op(list.as_array()[i], absl::StrCat(src, ": client ", c, " op ", i));
        if (!op.ok()) return op.status();
        s.clients.back().push_back(*op);
      }
    }
  }
  SHOAL_RETURN_IF_ERROR(top.unknown());
  return s;
}

absl::StatusOr<RunSchedule> read_schedule_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError("cannot read schedule file " + path);
  std::ostringstream text;
  text << in.rdbuf();
  return parse_schedule(text.str(), path);
}

std::string describe_faults(const std::vector<chaos::Fault>& faults) {
  std::string out;
  for (const chaos::Fault& f : faults) {
    absl::StrAppend(&out, "  at ", format_duration(f.at), "  ", chaos::kind_name(f.kind));
    if (f.length.count() > 0) absl::StrAppend(&out, " for ", format_duration(f.length));
    absl::StrAppend(&out, "  (salt ", f.salt, ")\n");
  }
  return out;
}

}  // namespace shoal::scenarios
