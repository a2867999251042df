#include "scenarios/json_fields.h"

#include <algorithm>

namespace shoal::scenarios {
namespace json = boost::json;

absl::Status json_error(std::string_view where, const std::string& what) {
  return absl::InvalidArgumentError(std::string(where) + ": " + what);
}

absl::Status JsonFields::wrong(const char* name, const char* what) const {
  return json_error(where_, "\"" + std::string(name) + "\" " + what);
}

absl::Status JsonFields::require(std::initializer_list<const char*> names) const {
  for (const char* name : names) {
    if (o_ == nullptr || !o_->contains(name)) return wrong(name, "is missing");
  }
  return absl::OkStatus();
}

const json::value* JsonFields::get(const char* name) {
  seen_.push_back(name);
  return o_ ? o_->if_contains(name) : nullptr;
}

absl::Status JsonFields::integer(const char* name, int64_t min, int64_t max, int64_t* out) {
  const json::value* v = get(name);
  if (v == nullptr) return absl::OkStatus();
  if (!v->is_int64() || v->as_int64() < min || v->as_int64() > max) {
    return json_error(where_, "\"" + std::string(name) + "\" must be an integer in [" + std::to_string(min) +
                                  ", " + std::to_string(max) + "]");
  }
  *out = v->as_int64();
  return absl::OkStatus();
}

absl::Status JsonFields::u64(const char* name, uint64_t* out) {
  const json::value* v = get(name);
  if (v == nullptr) return absl::OkStatus();
  if (v->is_uint64()) {
    *out = v->as_uint64();
  } else if (v->is_int64() && v->as_int64() >= 0) {
    *out = static_cast<uint64_t>(v->as_int64());
  } else {
    return wrong(name, "must be a non-negative integer");
  }
  return absl::OkStatus();
}

absl::Status JsonFields::duration(const char* name, Duration* out) {
  const json::value* v = get(name);
  if (v == nullptr) return absl::OkStatus();
  std::optional<Duration> d;
  if (v->is_string()) d = parse_duration(std::string(v->as_string()));
  if (!d) return wrong(name, "must be a duration like \"250ms\"");
  *out = *d;
  return absl::OkStatus();
}

absl::Status JsonFields::string(const char* name, std::string* out) {
  const json::value* v = get(name);
  if (v == nullptr) return absl::OkStatus();
  if (!v->is_string()) return wrong(name, "must be a string");
  *out = std::string(v->as_string());
  return absl::OkStatus();
}

absl::Status JsonFields::optional_string(const char* name, std::optional<std::string>* out) {
  const json::value* v = get(name);
  if (v == nullptr) return absl::OkStatus();
  if (v->is_null()) {
    out->reset();
  } else if (v->is_string()) {
    *out = std::string(v->as_string());
  } else {
    return wrong(name, "must be a string or null");
  }
  return absl::OkStatus();
}

absl::Status JsonFields::boolean(const char* name, bool* out) {
  const json::value* v = get(name);
  if (v == nullptr) return absl::OkStatus();
  if (!v->is_bool()) return wrong(name, "must be true or false");
  *out = v->as_bool();
  return absl::OkStatus();
}

absl::Status JsonFields::strings(const char* name, std::optional<std::vector<std::string>>* out) {
  const json::value* v = get(name);
  if (v == nullptr) return absl::OkStatus();
  if (!v->is_array()) return wrong(name, "must be a list of strings");
  out->emplace();
  for (const json::value& item : v->as_array()) {
    if (!item.is_string()) return wrong(name, "must be a list of strings");
    (*out)->emplace_back(item.as_string());
  }
  return absl::OkStatus();
}

const json::object* JsonFields::object(const char* name, absl::Status* st) {
  const json::value* v = get(name);
  if (v == nullptr) return nullptr;
  if (!v->is_object()) *st = wrong(name, "must be an object");
  return v->if_object();
}

absl::Status JsonFields::unknown() const {
  if (o_ == nullptr) return absl::OkStatus();
  for (const auto& [k, v] : *o_) {
    if (std::find(seen_.begin(), seen_.end(), std::string_view(k)) == seen_.end()) {
      return json_error(where_, "unknown field \"" + std::string(k) + "\"");
    }
  }
  return absl::OkStatus();
}

}  // namespace shoal::scenarios
