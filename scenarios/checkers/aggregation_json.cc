#include "scenarios/checkers/aggregation_json.h"

#include <charconv>
#include <cstdio>

#include <boost/json.hpp>

#include "scenarios/checkers/line_reader.h"

namespace shoal::check::internal {

namespace json = boost::json;

namespace {

bool same_number(const json::value& a, const json::value& b) {
  if (a.is_double() || b.is_double()) return a.to_number<double>() == b.to_number<double>();
  if (a.is_int64() && b.is_int64()) return a.get_int64() == b.get_int64();
  if (a.is_uint64() && b.is_uint64()) return a.get_uint64() == b.get_uint64();
  const json::value& s = a.is_int64() ? a : b;  // one int64, one uint64
  const json::value& u = a.is_int64() ? b : a;
  return s.get_int64() >= 0 && static_cast<uint64_t>(s.get_int64()) == u.get_uint64();
}

}  // namespace

bool same_json(const json::value& a, const json::value& b) {
  if (a.is_number() && b.is_number()) return same_number(a, b);
  if (a.kind() != b.kind()) return false;
  if (a.is_object()) {
    const json::object& x = a.get_object();
    const json::object& y = b.get_object();
    if (x.size() != y.size()) return false;
    for (const auto& m : x) {
      const json::value* other = y.if_contains(m.key());
      if (other == nullptr || !same_json(m.value(), *other)) return false;
    }
    return true;
  }
  if (a.is_array()) {
    const json::array& x = a.get_array();
    const json::array& y = b.get_array();
    if (x.size() != y.size()) return false;
    for (size_t i = 0; i < x.size(); ++i) {
      if (!same_json(x[i], y[i])) return false;
    }
    return true;
  }
  return a == b;
}

std::string show_json(const json::value& v) {
  if (!v.is_double()) return json::serialize(v);
  // The shortest form that reads back as the same double ("61.5", not "6.15E1").
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v.get_double());
  return ec == std::errc() ? std::string(buf, end) : json::serialize(v);
}

std::string json_label(const json::value& key) {
  if (key.is_string()) return std::string(key.get_string());
  return show_json(key);
}

std::string show(const json::value* v) { return v == nullptr ? std::string("(missing)") : show_json(*v); }

// The value as it reads after travelling as JSON text: Boost.JSON 1.81's
// parser may land a double one unit in the last place away from the one
// serialized, so an answer that came over the wire is compared both ways.
json::value through_text(const json::value& v) { return json::parse(json::serialize(v)); }

void compare_members(const json::object& expected, const json::object& got,
                     const std::function<bool(std::string_view)>& skip,
                     const std::function<void(const std::string&)>& fail) {
  for (const auto& m : expected) {
    if (skip && skip(m.key())) continue;
    const json::value* g = got.if_contains(m.key());
    if (g == nullptr || !(same_json(m.value(), *g) || same_json(through_text(m.value()), *g))) {
      fail(str_cat(std::string(m.key()), " expected ", show_json(m.value()), " got ", show(g)));
    }
  }
  for (const auto& m : got) {
    if (skip && skip(m.key())) continue;
    if (!expected.contains(m.key())) fail(str_cat(std::string(m.key()), " is not expected"));
  }
}

}  // namespace shoal::check::internal
