#include "scenarios/schedule.h"

#include <fstream>
#include <sstream>

#include <boost/json.hpp>

#include "absl/strings/str_cat.h"

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

// Field readers that say which field of which entry is wrong.
struct Fields {
  const json::object& o;
  std::string where;

  absl::StatusOr<int64_t> integer(const char* name) const {
    auto* v = o.if_contains(name);
    if (v == nullptr) return absl::InvalidArgumentError(absl::StrCat(where, ": missing \"", name, "\""));
    if (v->is_int64()) return v->as_int64();
    if (v->is_uint64() && v->as_uint64() <= static_cast<uint64_t>(INT64_MAX)) return static_cast<int64_t>(v->as_uint64());
    return absl::InvalidArgumentError(absl::StrCat(where, ": \"", name, "\" is not an integer"));
  }
  absl::StatusOr<uint64_t> u64(const char* name) const {
    auto* v = o.if_contains(name);
    if (v != nullptr && v->is_uint64()) return v->as_uint64();
    if (v != nullptr && v->is_int64() && v->as_int64() >= 0) return static_cast<uint64_t>(v->as_int64());
    return absl::InvalidArgumentError(absl::StrCat(where, ": \"", name, "\" is not a non-negative integer"));
  }
  absl::StatusOr<std::string> string(const char* name) const {
    auto* v = o.if_contains(name);
    if (v == nullptr || !v->is_string()) {
      return absl::InvalidArgumentError(absl::StrCat(where, ": \"", name, "\" is not a string"));
    }
    return std::string(v->as_string());
  }
  absl::StatusOr<check::Value> value(const char* name) const {
    auto* v = o.if_contains(name);
    if (v == nullptr || v->is_null()) return check::Value{};
    if (!v->is_string()) return absl::InvalidArgumentError(absl::StrCat(where, ": \"", name, "\" is not a string"));
    return check::Value{std::string(v->as_string())};
  }
};

absl::StatusOr<chaos::Fault> parse_fault(const json::value& v, const std::string& where) {
  if (!v.is_object()) return absl::InvalidArgumentError(where + ": not an object");
  Fields f{v.as_object(), where};
  chaos::Fault out;
  auto at = f.integer("at_ns");
  auto length = f.integer("length_ns");
  auto salt = f.u64("salt");
  auto kind = f.string("kind");
  for (const absl::Status& st : {at.status(), length.status(), salt.status(), kind.status()}) {
    if (!st.ok()) return st;
  }
  auto k = chaos::parse_kind(*kind);
  if (!k) return absl::InvalidArgumentError(absl::StrCat(where, ": unknown fault kind '", *kind, "'"));
  if (*at < 0 || *length < 0) return absl::InvalidArgumentError(where + ": negative time");
  out.at = Duration(*at);
  out.length = Duration(*length);
  out.kind = *k;
  out.salt = *salt;
  return out;
}

absl::StatusOr<ScriptedOp> parse_op(const json::value& v, const std::string& where) {
  if (!v.is_object()) return absl::InvalidArgumentError(where + ": not an object");
  Fields f{v.as_object(), where};
  auto think = f.integer("think_ns");
  auto name = f.string("f");
  auto key = f.string("key");
  auto value = f.value("value");
  auto expected = f.value("expected");
  for (const absl::Status& st : {think.status(), name.status(), key.status(), value.status(), expected.status()}) {
    if (!st.ok()) return st;
  }
  auto type = check::parse_op_type(*name);
  if (!type) return absl::InvalidArgumentError(absl::StrCat(where, ": unknown operation '", *name, "'"));
  if (*think < 0) return absl::InvalidArgumentError(where + ": negative think_ns");
  const bool needs_value = *type == check::OpType::kWrite || *type == check::OpType::kAppend ||
                           *type == check::OpType::kCas;
  if (needs_value && !*value) return absl::InvalidArgumentError(absl::StrCat(where, ": ", *name, " needs a value"));
  ScriptedOp s;
  s.think = Duration(*think);
  s.op.type = *type;
  s.op.key = *key;
  if (needs_value) s.op.value = *value;
  if (*type == check::OpType::kCas) s.op.expected = *expected;
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
  Fields top{o, src};
  auto scenario = top.string("scenario");
  auto seed = top.u64("seed");
  if (!scenario.ok()) return scenario.status();
  if (!seed.ok()) return seed.status();
  s.scenario = *scenario;
  s.seed = *seed;
  if (auto* p = o.if_contains("params")) {
    if (!p->is_object()) return absl::InvalidArgumentError(src + ": \"params\" is not an object");
    for (const auto& [k, val] : p->as_object()) {
      if (!val.is_string()) return absl::InvalidArgumentError(absl::StrCat(src, ": param ", std::string(k), " is not a string"));
      s.params[std::string(k)] = std::string(val.as_string());
    }
  }
  auto* faults = o.if_contains("faults");
  if (faults == nullptr || !faults->is_array()) return absl::InvalidArgumentError(src + ": \"faults\" is not an array");
  for (size_t i = 0; i < faults->as_array().size(); ++i) {
    auto f = parse_fault(faults->as_array()[i], absl::StrCat(src, ": fault ", i));
    if (!f.ok()) return f.status();
    s.faults.push_back(*f);
  }
  if (auto* clients = o.if_contains("clients")) {
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
