// Values, dates and schemas: parsing, ordering, encoding and their errors.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <boost/json.hpp>

#include "engine/search/date.h"
#include "engine/search/schema.h"
#include "engine/search/value.h"

namespace shoal::search {
namespace {

namespace json = boost::json;

TEST(Value, OrdersWithinATypeAndByTypeAcrossTypes) {
  EXPECT_LT(Value::integer(-5), Value::integer(3));
  EXPECT_LT(Value::keyword("apple"), Value::keyword("banana"));
  EXPECT_LT(Value::floating(-0.5), Value::floating(0.25));
  EXPECT_LT(Value::boolean(false), Value::boolean(true));
  EXPECT_LT(Value(), Value::keyword(""));  // missing first
  EXPECT_LT(Value::keyword("z"), Value::integer(0));  // by type
  EXPECT_EQ(Value::floating(-0.0), Value::floating(0.0));
}

RC_GTEST_PROP(Value, EncodingRoundTrips, (int64_t i, double d, std::string s, bool b)) {
  RC_PRE(std::isfinite(d));
  for (const Value& v : {Value(), Value::integer(i), Value::floating(d), Value::keyword(s), Value::date(i),
                         Value::boolean(b)}) {
    Writer w;
    v.encode(w);
    std::string bytes = w.take();
    Reader r(bytes);
    Value back;
    RC_ASSERT(Value::decode(r, &back));
    RC_ASSERT(r.finished_ok());
    RC_ASSERT(back == v);
  }
}

RC_GTEST_PROP(Value, DecodingGarbageNeverCrashes, (std::string bytes)) {
  Reader r(bytes);
  Value v;
  Value::decode(r, &v);  // must return, whatever it says
}

TEST(Value, ParsesEachTypeStrictly) {
  EXPECT_EQ(*parse_field_value(json::value("red"), FieldType::kKeyword, "color"), Value::keyword("red"));
  EXPECT_EQ(*parse_field_value(json::value(7), FieldType::kInteger, "n"), Value::integer(7));
  EXPECT_EQ(*parse_field_value(json::value(7), FieldType::kFloat, "x"), Value::floating(7));
  EXPECT_EQ(*parse_field_value(json::value(true), FieldType::kBoolean, "b"), Value::boolean(true));
  EXPECT_EQ(*parse_field_value(json::value("1970-01-02"), FieldType::kDate, "t"), Value::date(86400000));
  EXPECT_TRUE(parse_field_value(json::value(nullptr), FieldType::kInteger, "n")->missing());

  auto wrong = parse_field_value(json::value("cheap"), FieldType::kFloat, "price");
  ASSERT_FALSE(wrong.ok());
  EXPECT_NE(wrong.status().message().find("field \"price\" is float"), std::string::npos);
  EXPECT_FALSE(parse_field_value(json::value(1.5), FieldType::kInteger, "n").ok());
  EXPECT_FALSE(parse_field_value(json::value(1), FieldType::kKeyword, "k").ok());
  EXPECT_FALSE(parse_field_value(json::value(1), FieldType::kBoolean, "b").ok());
  EXPECT_FALSE(parse_field_value(json::value(1e200), FieldType::kFloat, "x").ok());
  EXPECT_FALSE(parse_field_value(json::array{1, 2}, FieldType::kInteger, "n").ok());
  EXPECT_FALSE(parse_field_value(json::value("2024-13-01"), FieldType::kDate, "t").ok());
}

TEST(Date, ParsesAndFormatsIso8601) {
  EXPECT_EQ(*parse_date_ms("1970-01-01"), 0);
  EXPECT_EQ(*parse_date_ms("1970-01-01T00:00:01.5Z"), 1500);
  EXPECT_EQ(*parse_date_ms("1970-01-01T02:00:00+02:00"), 0);
  EXPECT_EQ(*parse_date_ms("1969-12-31T23:59:59.999Z"), -1);
  EXPECT_EQ(*parse_date_ms("2024-02-29T12:30"), *parse_date_ms("2024-02-29T12:30:00.000Z"));
  EXPECT_FALSE(parse_date_ms("2023-02-29").ok());
  EXPECT_FALSE(parse_date_ms("2024-01-01T25:00").ok());
  EXPECT_FALSE(parse_date_ms("yesterday").ok());
  EXPECT_EQ(format_date_ms(0), "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(format_date_ms(-1), "1969-12-31T23:59:59.999Z");
}

RC_GTEST_PROP(Date, FormatThenParseIsIdentity, ()) {
  const int64_t ms = *rc::gen::inRange<int64_t>(kMinDateMs, kMaxDateMs);
  RC_ASSERT(*parse_date_ms(format_date_ms(ms)) == ms);
}

TEST(Date, CalendarBucketsRespectUnitsAndZones) {
  const int64_t t = *parse_date_ms("2024-05-15T10:20:30Z");  // a Wednesday
  EXPECT_EQ(calendar_floor(t, CalendarUnit::kMonth, 0), *parse_date_ms("2024-05-01"));
  EXPECT_EQ(calendar_floor(t, CalendarUnit::kQuarter, 0), *parse_date_ms("2024-04-01"));
  EXPECT_EQ(calendar_floor(t, CalendarUnit::kYear, 0), *parse_date_ms("2024-01-01"));
  EXPECT_EQ(calendar_floor(t, CalendarUnit::kWeek, 0), *parse_date_ms("2024-05-13"));
  EXPECT_EQ(calendar_floor(t, CalendarUnit::kDay, 0), *parse_date_ms("2024-05-15"));
  // In +11:00 it is already 21:20 on the 15th; in -11:00 23:20 on the 14th.
  EXPECT_EQ(calendar_floor(t, CalendarUnit::kDay, 11 * kMsPerHour), *parse_date_ms("2024-05-15T00:00:00+11:00"));
  EXPECT_EQ(calendar_floor(t, CalendarUnit::kDay, -11 * kMsPerHour), *parse_date_ms("2024-05-14T00:00:00-11:00"));
  EXPECT_EQ(calendar_next(*parse_date_ms("2024-12-01"), CalendarUnit::kMonth, 0), *parse_date_ms("2025-01-01"));
  EXPECT_EQ(calendar_next(*parse_date_ms("2024-11-01"), CalendarUnit::kQuarter, 0), *parse_date_ms("2025-02-01"));
  EXPECT_EQ(*parse_time_zone_offset_ms("-05:30"), -(5 * kMsPerHour + 30 * kMsPerMinute));
  EXPECT_FALSE(parse_time_zone_offset_ms("Europe/Paris").ok());
  EXPECT_EQ(*parse_fixed_interval_ms("90m"), 90 * kMsPerMinute);
  EXPECT_FALSE(parse_fixed_interval_ms("1M").ok());
  EXPECT_FALSE(parse_calendar_unit("fortnight").ok());
}

RC_GTEST_PROP(Date, CalendarFloorIsTheStartOfItsBucket, ()) {
  const int64_t t = *rc::gen::inRange<int64_t>(*parse_date_ms("1900-01-01"), *parse_date_ms("2100-01-01"));
  const auto unit = static_cast<CalendarUnit>(*rc::gen::inRange(1, 8));
  const int64_t tz = *rc::gen::inRange<int64_t>(-14, 15) * kMsPerHour;
  const int64_t start = calendar_floor(t, unit, tz);
  const int64_t next = calendar_next(start, unit, tz);
  RC_ASSERT(start <= t);
  RC_ASSERT(t < next);
  RC_ASSERT(calendar_floor(start, unit, tz) == start);
  RC_ASSERT(calendar_floor(next, unit, tz) == next);
}

TEST(Schema, ParsesMappingsAndRejectsBadOnes) {
  auto s = Schema::from_json(R"({"properties": {
      "color": {"type": "keyword"}, "price": {"type": "float"}, "n": {"type": "integer"},
      "at": {"type": "date"}, "ok": {"type": "boolean"},
      "v": {"type": "dense_vector", "dims": 4, "similarity": "cosine",
            "index_options": {"type": "hnsw", "m": 8, "ef_construction": 32}}}})");
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->fields().size(), 5u);
  EXPECT_EQ(*s->field_index("price"), 1u);
  EXPECT_FALSE(s->field_index("v").has_value());
  EXPECT_EQ(s->vector()->dimension, 4u);
  EXPECT_EQ(s->vector()->metric, VectorMetric::kCosine);
  EXPECT_EQ(s->vector()->index.kind, VectorIndexKind::kHnsw);
  EXPECT_EQ(s->vector()->index.hnsw_m, 8u);

  Writer w;
  s->encode(w);
  std::string bytes = w.take();
  Reader r(bytes);
  EXPECT_EQ(*Schema::decode(r), *s);

  for (const char* bad : {
           R"({"properties": {"a": {"type": "text"}}})",
           R"({"properties": {"_id": {"type": "keyword"}}})",
           R"({"properties": {"v": {"type": "dense_vector", "dims": 0}}})",
           R"({"properties": {"v": {"type": "dense_vector", "dims": 4, "similarity": "hamming"}}})",
           R"({"properties": {"v": {"type": "dense_vector", "dims": 4, "index_options": {"type": "ivf", "nlist": 8, "nprobe": 9}}}})",
           R"({"properties": {"a": {"type": "keyword", "analyzer": "x"}}})",
           R"({"properties": {)",
       }) {
    EXPECT_FALSE(Schema::from_json(bad).ok()) << bad;
  }
}

}  // namespace
}  // namespace shoal::search
