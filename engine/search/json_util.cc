#include "engine/search/json_util.h"

#include <cmath>

#include "engine/search/str_cat.h"

namespace shoal::search {

namespace json = boost::json;

absl::StatusOr<json::value> parse_json(std::string_view text, std::string_view what) {
  if (text.size() > kMaxRequestBytes) {
    return absl::InvalidArgumentError(str_cat(what, ": ", text.size(), " bytes exceeds the limit of ",
                                                   kMaxRequestBytes));
  }
  json::parse_options options;
  options.max_depth = kMaxJsonDepth;
  boost::system::error_code ec;
  json::value v = json::parse(json::string_view(text.data(), text.size()), ec, json::storage_ptr(), options);
  if (ec) return absl::InvalidArgumentError(str_cat(what, ": malformed JSON: ", ec.message()));
  return v;
}

absl::Status json_error(std::string_view path, std::string_view message) {
  return absl::InvalidArgumentError(str_cat(path.empty() ? "request" : path, ": ", message));
}

std::string join_path(std::string_view path, std::string_view member) {
  return path.empty() ? std::string(member) : str_cat(path, ".", member);
}

std::string describe(const json::value& v) {
  std::string s = json::serialize(v);
  constexpr size_t kMaxShown = 60;
  if (s.size() > kMaxShown) s = s.substr(0, kMaxShown) + "...";
  return s;
}

absl::StatusOr<const json::object*> as_object(const json::value& v, std::string_view path) {
  if (const json::object* o = v.if_object()) return o;
  return json_error(path, str_cat("expected an object, got ", describe(v)));
}

absl::StatusOr<const json::array*> as_array(const json::value& v, std::string_view path) {
  if (const json::array* a = v.if_array()) return a;
  return json_error(path, str_cat("expected an array, got ", describe(v)));
}

absl::StatusOr<std::string> as_string(const json::value& v, std::string_view path) {
  if (const json::string* s = v.if_string()) return std::string(s->data(), s->size());
  return json_error(path, str_cat("expected a string, got ", describe(v)));
}

absl::StatusOr<bool> as_bool(const json::value& v, std::string_view path) {
  if (const bool* b = v.if_bool()) return *b;
  return json_error(path, str_cat("expected true or false, got ", describe(v)));
}

absl::StatusOr<double> as_double(const json::value& v, std::string_view path) {
  double d;
  if (v.is_int64()) {
    d = static_cast<double>(v.get_int64());
  } else if (v.is_uint64()) {
    d = static_cast<double>(v.get_uint64());
  } else if (v.is_double()) {
    d = v.get_double();
  } else {
    return json_error(path, str_cat("expected a number, got ", describe(v)));
  }
  if (!std::isfinite(d)) return json_error(path, "expected a finite number");
  return d;
}

absl::StatusOr<int64_t> as_int(const json::value& v, std::string_view path, int64_t lo, int64_t hi) {
  int64_t i;
  if (v.is_int64()) {
    i = v.get_int64();
  } else if (v.is_uint64()) {
    if (v.get_uint64() > static_cast<uint64_t>(INT64_MAX)) {
      return json_error(path, str_cat("integer ", describe(v), " is out of range"));
    }
    i = static_cast<int64_t>(v.get_uint64());
  } else if (v.is_double() && std::isfinite(v.get_double()) && std::trunc(v.get_double()) == v.get_double() &&
             std::fabs(v.get_double()) < 9.2e18) {
    i = static_cast<int64_t>(v.get_double());
  } else {
    return json_error(path, str_cat("expected an integer, got ", describe(v)));
  }
  if (i < lo || i > hi) {
    return json_error(path, str_cat("value ", i, " is outside [", lo, ", ", hi, "]"));
  }
  return i;
}

absl::StatusOr<const json::key_value_pair*> single_member(const json::value& v, std::string_view path) {
  auto obj = as_object(v, path);
  if (!obj.ok()) return obj.status();
  if ((*obj)->size() != 1) {
    return json_error(path, str_cat("expected an object with exactly one member, got ", (*obj)->size()));
  }
  return &*(*obj)->begin();
}

absl::Status check_members(const json::object& obj, std::string_view path,
                           std::initializer_list<std::string_view> allowed) {
  for (const auto& kv : obj) {
    std::string_view key(kv.key().data(), kv.key().size());
    bool known = false;
    for (std::string_view a : allowed) known = known || a == key;
    if (!known) return json_error(path, str_cat("unknown parameter \"", key, "\""));
  }
  return absl::OkStatus();
}

}  // namespace shoal::search
