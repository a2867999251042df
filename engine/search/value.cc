#include "engine/search/value.h"

#include <cmath>

#include <boost/json.hpp>

#include "engine/search/str_cat.h"
#include "engine/search/date.h"
#include "engine/search/json_util.h"

namespace shoal::search {

namespace json = boost::json;

Value Value::keyword(std::string s) {
  Value v;
  v.kind_ = static_cast<uint8_t>(FieldType::kKeyword);
  v.str_ = std::move(s);
  return v;
}

Value Value::integer(int64_t i) {
  Value v;
  v.kind_ = static_cast<uint8_t>(FieldType::kInteger);
  v.int_ = i;
  return v;
}

Value Value::floating(double d) {
  Value v;
  v.kind_ = static_cast<uint8_t>(FieldType::kFloat);
  // -0.0 == 0.0 but their bits differ; keep one representation so equality,
  // hashing and encoding agree.
  v.float_ = d == 0 ? 0.0 : d;
  return v;
}

Value Value::date(int64_t epoch_ms) {
  Value v;
  v.kind_ = static_cast<uint8_t>(FieldType::kDate);
  v.int_ = epoch_ms;
  return v;
}

Value Value::boolean(bool b) {
  Value v;
  v.kind_ = static_cast<uint8_t>(FieldType::kBoolean);
  v.int_ = b ? 1 : 0;
  return v;
}

double Value::as_number() const {
  return type() == FieldType::kFloat ? float_ : static_cast<double>(int_);
}

int compare(const Value& a, const Value& b) {
  if (a.kind_ != b.kind_) return a.kind_ < b.kind_ ? -1 : 1;
  if (a.missing()) return 0;
  switch (a.type()) {
    case FieldType::kKeyword: {
      int c = a.str_.compare(b.str_);
      return c < 0 ? -1 : c > 0 ? 1 : 0;
    }
    case FieldType::kFloat: return a.float_ < b.float_ ? -1 : a.float_ > b.float_ ? 1 : 0;
    default: return a.int_ < b.int_ ? -1 : a.int_ > b.int_ ? 1 : 0;
  }
}

void Value::encode(Writer& w) const {
  w.u8(kind_);
  if (missing()) return;
  switch (type()) {
    case FieldType::kKeyword: w.bytes(str_); break;
    case FieldType::kFloat: w.f64(float_); break;
    case FieldType::kBoolean: w.u8(static_cast<uint8_t>(int_)); break;
    default: w.i64(int_); break;
  }
}

bool Value::decode(Reader& r, Value* out) {
  const uint8_t kind = r.u8();
  if (!r.ok()) return false;
  switch (kind) {
    case 0: *out = Value(); return true;
    case static_cast<uint8_t>(FieldType::kKeyword): *out = keyword(r.bytes()); break;
    case static_cast<uint8_t>(FieldType::kInteger): *out = integer(r.i64()); break;
    case static_cast<uint8_t>(FieldType::kFloat): {
      double d = r.f64();
      if (!std::isfinite(d)) return false;
      *out = floating(d);
      break;
    }
    case static_cast<uint8_t>(FieldType::kDate): *out = date(r.i64()); break;
    case static_cast<uint8_t>(FieldType::kBoolean): {
      uint8_t b = r.u8();
      if (b > 1) return false;
      *out = boolean(b != 0);
      break;
    }
    default: return false;
  }
  return r.ok();
}

json::value Value::to_json() const {
  if (missing()) return nullptr;
  switch (type()) {
    case FieldType::kKeyword: return json::string(str_);
    case FieldType::kFloat: return float_;
    case FieldType::kBoolean: return int_ != 0;
    default: return int_;
  }
}

std::string Value::to_string() const {
  if (missing()) return "null";
  switch (type()) {
    case FieldType::kKeyword: return str_;
    case FieldType::kDate: return int_ >= kMinDateMs && int_ <= kMaxDateMs ? format_date_ms(int_) : str_cat(int_);
    case FieldType::kBoolean: return int_ ? "true" : "false";
    case FieldType::kFloat: return json::serialize(json::value(float_));
    default: return str_cat(int_);
  }
}

namespace {

absl::Status wrong_type(const json::value& v, FieldType type, std::string_view field) {
  return absl::InvalidArgumentError(str_cat("field \"", field, "\" is ", field_type_name(type), "; got ",
                                                 describe(v)));
}

absl::StatusOr<Value> parse_date_value(const json::value& v, std::string_view field) {
  if (const json::string* s = v.if_string()) {
    auto ms = parse_date_ms(std::string_view(s->data(), s->size()));
    if (!ms.ok()) return absl::InvalidArgumentError(str_cat("field \"", field, "\": ", to_std(ms.status().message())));
    return Value::date(*ms);
  }
  auto ms = as_int(v, field, kMinDateMs, kMaxDateMs);
  if (!ms.ok()) return wrong_type(v, FieldType::kDate, field);
  return Value::date(*ms);
}

}  // namespace

absl::StatusOr<Value> parse_field_value(const json::value& v, FieldType type, std::string_view field) {
  if (v.is_null()) return Value();
  if (v.is_array() || v.is_object()) {
    return absl::InvalidArgumentError(str_cat("field \"", field, "\" is ", field_type_name(type),
                                                   "; got ", describe(v), " (multi-valued fields are not supported)"));
  }
  switch (type) {
    case FieldType::kKeyword: {
      const json::string* s = v.if_string();
      if (s == nullptr) return wrong_type(v, type, field);
      if (s->size() > kMaxKeywordBytes) {
        return absl::InvalidArgumentError(str_cat("field \"", field, "\": keyword of ", s->size(),
                                                       " bytes exceeds the limit of ", kMaxKeywordBytes));
      }
      return Value::keyword(std::string(s->data(), s->size()));
    }
    case FieldType::kInteger: {
      if (!v.is_int64() && !v.is_uint64()) return wrong_type(v, type, field);
      auto i = as_int(v, field, INT64_MIN, INT64_MAX);
      if (!i.ok()) return i.status();
      return Value::integer(*i);
    }
    case FieldType::kFloat: {
      if (!v.is_number()) return wrong_type(v, type, field);
      auto d = as_double(v, field);
      if (!d.ok()) return d.status();
      if (std::fabs(*d) > kMaxFloatMagnitude) {
        return absl::InvalidArgumentError(str_cat("field \"", field, "\": ", *d,
                                                       " exceeds the supported magnitude ", kMaxFloatMagnitude));
      }
      return Value::floating(*d);
    }
    case FieldType::kDate: return parse_date_value(v, field);
    case FieldType::kBoolean: {
      if (!v.is_bool()) return wrong_type(v, type, field);
      return Value::boolean(v.get_bool());
    }
  }
  return wrong_type(v, type, field);
}

}  // namespace shoal::search
