// Internal to the aggregation oracle: comparing rendered aggregation JSON.
// Numbers compare by value (an integer that went through JSON text may come
// back as another integer kind), doubles exactly.
#pragma once

#include <functional>
#include <string>
#include <string_view>

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

namespace shoal::check::internal {

bool same_json(const boost::json::value& a, const boost::json::value& b);
// A bucket key as a label for messages and lookups ("red", "12.5").
std::string json_label(const boost::json::value& key);
// The value for a message; doubles in their shortest round-trip form.
std::string show_json(const boost::json::value& v);
// The same, "(missing)" for null.
std::string show(const boost::json::value* v);

// Reports (through `fail`) every member of `expected` that `got` lacks or
// holds differently, and every member of `got` that `expected` lacks;
// members for which `skip` is true are left out on both sides.
void compare_members(const boost::json::object& expected, const boost::json::object& got,
                     const std::function<bool(std::string_view)>& skip,
                     const std::function<void(const std::string&)>& fail);

}  // namespace shoal::check::internal
