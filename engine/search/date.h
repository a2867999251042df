// Dates as the query engine sees them: milliseconds since the Unix epoch, in
// UTC, parsed from and printed as ISO-8601, and rounded to calendar units in a
// fixed time-zone offset for date_histogram.
//
// Nothing here reads a clock: "now" does not exist in a query (a date math
// expression like "now-1d" must be resolved by the client or carried as a
// field of a replicated command). Only fixed offsets ("+05:30", "UTC") are
// supported as time zones, since named zones need the tz database on disk.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace shoal::search {

// Dates are limited to years 0001..9999, as ISO-8601 without extensions.
inline constexpr int64_t kMinDateMs = -62135596800000;  // 0001-01-01T00:00:00Z
inline constexpr int64_t kMaxDateMs = 253402300799999;  // 9999-12-31T23:59:59.999Z
inline constexpr int64_t kMsPerSecond = 1000;
inline constexpr int64_t kMsPerMinute = 60 * kMsPerSecond;
inline constexpr int64_t kMsPerHour = 60 * kMsPerMinute;
inline constexpr int64_t kMsPerDay = 24 * kMsPerHour;

// Accepts "2024-03-01", "2024-03-01T12:30", "2024-03-01T12:30:45",
// "2024-03-01T12:30:45.123", each optionally followed by "Z" or "+hh:mm" /
// "-hh:mm" / "+hhmm". Without a zone the time is UTC.
absl::StatusOr<int64_t> parse_date_ms(std::string_view text);

// "2024-03-01T12:30:45.123Z". REQUIRES: kMinDateMs <= ms <= kMaxDateMs.
std::string format_date_ms(int64_t ms);

// "UTC", "Z", "+02:00", "-0530", "+05" → offset in milliseconds east of UTC.
absl::StatusOr<int64_t> parse_time_zone_offset_ms(std::string_view text);

// "500ms", "30s", "5m", "1h", "2d" → milliseconds (fixed_interval units).
absl::StatusOr<int64_t> parse_fixed_interval_ms(std::string_view text);

enum class CalendarUnit : uint8_t { kMinute = 1, kHour, kDay, kWeek, kMonth, kQuarter, kYear };
// "minute"/"1m", "hour"/"1h", "day"/"1d", "week"/"1w", "month"/"1M",
// "quarter"/"1q", "year"/"1y".
absl::StatusOr<CalendarUnit> parse_calendar_unit(std::string_view text);

// The start of the calendar bucket holding ms, as seen in a zone offset_ms east
// of UTC (weeks start on Monday, as in ISO-8601). Returned in UTC epoch ms.
int64_t calendar_floor(int64_t ms, CalendarUnit unit, int64_t offset_ms);
// The start of the bucket after the one starting at bucket_start.
int64_t calendar_next(int64_t bucket_start, CalendarUnit unit, int64_t offset_ms);

// Floor division that rounds toward negative infinity (bucket keys of
// negative values must not round toward zero).
inline int64_t floor_div(int64_t a, int64_t b) {
  int64_t q = a / b;
  return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}

}  // namespace shoal::search
