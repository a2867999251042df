// Small helpers for reading request JSON with Boost.JSON and turning every
// shape mistake into an absl::Status that names the path of the bad member.
//
// Parsers in this folder take a `path` (e.g. "aggs.by_color.terms") so that an
// error reads "aggs.by_color.terms.size: expected a non-negative integer".
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include <boost/json.hpp>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace shoal::search {

// Limits on request JSON, checked before anything else looks at it.
inline constexpr size_t kMaxRequestBytes = 16u << 20;
inline constexpr unsigned kMaxJsonDepth = 64;

// Parses text into a JSON value, rejecting malformed input and oversized or
// overly deep documents with an InvalidArgument naming what was wrong.
absl::StatusOr<boost::json::value> parse_json(std::string_view text, std::string_view what);

absl::Status json_error(std::string_view path, std::string_view message);
std::string join_path(std::string_view path, std::string_view member);

absl::StatusOr<const boost::json::object*> as_object(const boost::json::value& v, std::string_view path);
absl::StatusOr<const boost::json::array*> as_array(const boost::json::value& v, std::string_view path);
absl::StatusOr<std::string> as_string(const boost::json::value& v, std::string_view path);
absl::StatusOr<bool> as_bool(const boost::json::value& v, std::string_view path);
// Any JSON number that is finite.
absl::StatusOr<double> as_double(const boost::json::value& v, std::string_view path);
// An integral JSON number (or a double with an integral value) within [lo, hi].
absl::StatusOr<int64_t> as_int(const boost::json::value& v, std::string_view path, int64_t lo, int64_t hi);

// For an object that must have exactly one member (e.g. {"term": {...}}).
absl::StatusOr<const boost::json::key_value_pair*> single_member(const boost::json::value& v,
                                                                 std::string_view path);

// Fails when obj has a member not listed in allowed, naming it; catches typos.
absl::Status check_members(const boost::json::object& obj, std::string_view path,
                           std::initializer_list<std::string_view> allowed);

// Short quoted rendering of a value for error messages.
std::string describe(const boost::json::value& v);

}  // namespace shoal::search
