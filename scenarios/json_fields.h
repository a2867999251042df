// Reading one JSON object of a file format (scenario specs, schedules):
// typed fields, every error one line naming the source and the field, and
// fields nothing read rejected, so a typo is an error rather than a default.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json.hpp>

#include "absl/status/status.h"
#include "engine/core/time.h"

namespace shoal::scenarios {

// "WHERE: WHAT" as an InvalidArgument status.
absl::Status json_error(std::string_view where, const std::string& what);

#define SHOAL_RETURN_IF_ERROR(expr)                       \
  do {                                                    \
    if (absl::Status st_ = (expr); !st_.ok()) return st_; \
  } while (0)

// Each reader leaves `out` as it is when the field is absent (the default
// stands); require() names the fields that may not be absent.
class JsonFields {
 public:
  // `o` may be null: an absent object, every field absent.
  JsonFields(const boost::json::object* o, std::string where) : o_(o), where_(std::move(where)) {}

  absl::Status require(std::initializer_list<const char*> names) const;
  const boost::json::value* get(const char* name);
  absl::Status integer(const char* name, int64_t min, int64_t max, int64_t* out);
  absl::Status u64(const char* name, uint64_t* out);
  absl::Status duration(const char* name, Duration* out);  // "250ms"
  absl::Status string(const char* name, std::string* out);
  absl::Status optional_string(const char* name, std::optional<std::string>* out);  // null: none
  absl::Status boolean(const char* name, bool* out);
  absl::Status strings(const char* name, std::optional<std::vector<std::string>>* out);
  // Null when absent; sets *st when present but not an object.
  const boost::json::object* object(const char* name, absl::Status* st);
  // An error naming the first field no reader asked for.
  absl::Status unknown() const;
  const std::string& where() const { return where_; }

 private:
  absl::Status wrong(const char* name, const char* what) const;

  const boost::json::object* o_;
  std::string where_;
  std::vector<std::string_view> seen_;
};

}  // namespace shoal::scenarios
