// One typed scalar: the value of a document field, a term in a query, a sort
// key or a bucket key.
//
// A Value is missing or holds exactly one of the schema's field types. Values
// of one type are totally ordered (keywords by bytes, numbers numerically,
// false before true); values of different types order by type so that any
// list of Values sorts deterministically. Floats are never NaN and never
// negative zero (the constructors normalise -0.0 and parse_field_value
// rejects non-finite numbers), so equality and hashing agree.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include <boost/json/value.hpp>

#include "absl/status/statusor.h"
#include "engine/core/codec.h"
#include "engine/search/schema.h"

namespace shoal::search {

// Float field values are bounded so that squares and sums of billions of them
// stay finite; larger magnitudes are rejected when a document is parsed.
inline constexpr double kMaxFloatMagnitude = 1e120;
inline constexpr size_t kMaxKeywordBytes = 32766;  // Lucene's limit on one term.

class Value {
 public:
  Value() = default;  // missing
  static Value keyword(std::string s);
  static Value integer(int64_t v);
  static Value floating(double v);
  static Value date(int64_t epoch_ms);
  static Value boolean(bool v);

  bool missing() const { return kind_ == 0; }
  FieldType type() const { return static_cast<FieldType>(kind_); }  // REQUIRES: !missing()
  const std::string& as_keyword() const { return str_; }
  int64_t as_integer() const { return int_; }
  int64_t as_date() const { return int_; }
  double as_float() const { return float_; }
  bool as_boolean() const { return int_ != 0; }
  // Integer, date and boolean values as a double; floats as themselves.
  double as_number() const;

  // Three-way comparison: missing first, then by type, then by value.
  friend int compare(const Value& a, const Value& b);
  friend bool operator==(const Value& a, const Value& b) { return compare(a, b) == 0; }
  friend bool operator<(const Value& a, const Value& b) { return compare(a, b) < 0; }

  void encode(Writer& w) const;
  static bool decode(Reader& r, Value* out);

  // JSON rendering for responses: keywords as strings, dates as epoch ms.
  boost::json::value to_json() const;
  // A human form: keywords raw, dates ISO-8601, numbers shortest round-trip.
  std::string to_string() const;

 private:
  uint8_t kind_ = 0;
  int64_t int_ = 0;
  double float_ = 0;
  std::string str_;
};

// Converts a JSON value into a Value of the given field type, or explains why
// it cannot: "field \"price\" is float; got \"cheap\"". JSON null is missing.
// Integers accept integral numbers only; floats accept any finite number
// within kMaxFloatMagnitude; dates accept epoch milliseconds or ISO-8601
// strings; keywords accept strings only; booleans accept true/false only.
absl::StatusOr<Value> parse_field_value(const boost::json::value& v, FieldType type, std::string_view field);

}  // namespace shoal::search
