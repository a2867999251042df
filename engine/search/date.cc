#include "engine/search/date.h"

#include <chrono>
#include <cstdio>

#include "engine/search/str_cat.h"

namespace shoal::search {

namespace {

namespace chr = std::chrono;

// Days since 1970-01-01 for a civil date, by the standard proleptic Gregorian
// calendar of <chrono> (pure arithmetic; no clock is read).
int64_t days_from_civil(int y, unsigned m, unsigned d) {
  return chr::sys_days{chr::year{y} / chr::month{m} / chr::day{d}}.time_since_epoch().count();
}

chr::year_month_day civil_from_days(int64_t days) {
  return chr::year_month_day{chr::sys_days{chr::days{days}}};
}

// Reads exactly n digits at text[*pos], advancing *pos.
bool read_digits(std::string_view text, size_t* pos, size_t n, int* out) {
  if (*pos + n > text.size()) return false;
  int v = 0;
  for (size_t i = 0; i < n; ++i) {
    char c = text[*pos + i];
    if (c < '0' || c > '9') return false;
    v = v * 10 + (c - '0');
  }
  *pos += n;
  *out = v;
  return true;
}

bool expect(std::string_view text, size_t* pos, char c) {
  if (*pos >= text.size() || text[*pos] != c) return false;
  ++*pos;
  return true;
}

// Parses "Z", "+hh:mm", "+hhmm" or "+hh" at text[*pos] to the end.
bool read_offset(std::string_view text, size_t pos, int64_t* offset_ms) {
  if (pos == text.size()) {
    *offset_ms = 0;
    return true;
  }
  if (text[pos] == 'Z' && pos + 1 == text.size()) {
    *offset_ms = 0;
    return true;
  }
  if (text[pos] != '+' && text[pos] != '-') return false;
  const int sign = text[pos] == '-' ? -1 : 1;
  ++pos;
  int hh = 0, mm = 0;
  if (!read_digits(text, &pos, 2, &hh)) return false;
  if (pos < text.size()) {
    if (text[pos] == ':') ++pos;
    if (!read_digits(text, &pos, 2, &mm)) return false;
  }
  if (pos != text.size() || hh > 18 || mm > 59) return false;
  *offset_ms = sign * (hh * kMsPerHour + mm * kMsPerMinute);
  return true;
}

// The time-of-day part after 'T': hh:mm[:ss[.fff]].
bool read_time(std::string_view text, size_t* pos, int64_t* ms_of_day) {
  int hh = 0, mi = 0, ss = 0, frac = 0;
  if (!read_digits(text, pos, 2, &hh) || !expect(text, pos, ':') || !read_digits(text, pos, 2, &mi)) return false;
  if (*pos < text.size() && text[*pos] == ':') {
    ++*pos;
    if (!read_digits(text, pos, 2, &ss)) return false;
    if (*pos < text.size() && text[*pos] == '.') {
      ++*pos;
      // One to three fraction digits: milliseconds is the engine's resolution.
      size_t start = *pos;
      while (*pos < text.size() && *pos - start < 3 && text[*pos] >= '0' && text[*pos] <= '9') {
        frac = frac * 10 + (text[*pos] - '0');
        ++*pos;
      }
      if (*pos == start) return false;
      for (size_t n = *pos - start; n < 3; ++n) frac *= 10;
    }
  }
  if (hh > 23 || mi > 59 || ss > 59) return false;
  *ms_of_day = hh * kMsPerHour + mi * kMsPerMinute + ss * kMsPerSecond + frac;
  return true;
}

}  // namespace

absl::StatusOr<int64_t> parse_date_ms(std::string_view text) {
  auto bad = [&] {
    return absl::InvalidArgumentError(
        str_cat("\"", text, "\" is not an ISO-8601 date (e.g. 2024-03-01 or 2024-03-01T12:30:00Z)"));
  };
  size_t pos = 0;
  int y = 0, m = 0, d = 0;
  if (!read_digits(text, &pos, 4, &y) || !expect(text, &pos, '-') || !read_digits(text, &pos, 2, &m) ||
      !expect(text, &pos, '-') || !read_digits(text, &pos, 2, &d)) {
    return bad();
  }
  if (y < 1 || m < 1 || m > 12 || d < 1) return bad();
  const chr::year_month_day ymd{chr::year{y} / chr::month{static_cast<unsigned>(m)} / chr::day{static_cast<unsigned>(d)}};
  if (!ymd.ok()) return bad();
  int64_t ms_of_day = 0;
  if (pos < text.size() && (text[pos] == 'T' || text[pos] == ' ')) {
    ++pos;
    if (!read_time(text, &pos, &ms_of_day)) return bad();
  }
  int64_t offset = 0;
  if (!read_offset(text, pos, &offset)) return bad();
  int64_t ms = days_from_civil(y, m, d) * kMsPerDay + ms_of_day - offset;
  if (ms < kMinDateMs || ms > kMaxDateMs) {
    return absl::InvalidArgumentError(str_cat("date \"", text, "\" is outside years 0001..9999"));
  }
  return ms;
}

std::string format_date_ms(int64_t ms) {
  const int64_t days = floor_div(ms, kMsPerDay);
  int64_t rest = ms - days * kMsPerDay;
  const chr::year_month_day ymd = civil_from_days(days);
  char buf[40];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02d:%02d:%02d.%03dZ", static_cast<int>(ymd.year()),
                static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                static_cast<int>(rest / kMsPerHour), static_cast<int>(rest / kMsPerMinute % 60),
                static_cast<int>(rest / kMsPerSecond % 60), static_cast<int>(rest % 1000));
  return buf;
}

absl::StatusOr<int64_t> parse_time_zone_offset_ms(std::string_view text) {
  if (text == "UTC" || text == "Z" || text == "Etc/UTC" || text == "GMT") return 0;
  int64_t offset = 0;
  if (text.empty() || !read_offset(text, 0, &offset)) {
    return absl::InvalidArgumentError(str_cat(
        "time zone \"", text, "\" is not supported: use a fixed offset like +02:00 or UTC (named zones need a tz "
        "database)"));
  }
  return offset;
}

absl::StatusOr<int64_t> parse_fixed_interval_ms(std::string_view text) {
  size_t pos = 0;
  int64_t n = 0;
  while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9' && n < (int64_t{1} << 40)) {
    n = n * 10 + (text[pos++] - '0');
  }
  std::string_view unit = text.substr(pos);
  int64_t scale = 0;
  if (unit == "ms") scale = 1;
  else if (unit == "s") scale = kMsPerSecond;
  else if (unit == "m") scale = kMsPerMinute;
  else if (unit == "h") scale = kMsPerHour;
  else if (unit == "d") scale = kMsPerDay;
  if (pos == 0 || n <= 0 || scale == 0 || n > (kMaxDateMs - kMinDateMs) / scale) {
    return absl::InvalidArgumentError(
        str_cat("fixed_interval \"", text, "\" is not a positive count of ms, s, m, h or d"));
  }
  return n * scale;
}

absl::StatusOr<CalendarUnit> parse_calendar_unit(std::string_view t) {
  if (t == "minute" || t == "1m") return CalendarUnit::kMinute;
  if (t == "hour" || t == "1h") return CalendarUnit::kHour;
  if (t == "day" || t == "1d") return CalendarUnit::kDay;
  if (t == "week" || t == "1w") return CalendarUnit::kWeek;
  if (t == "month" || t == "1M") return CalendarUnit::kMonth;
  if (t == "quarter" || t == "1q") return CalendarUnit::kQuarter;
  if (t == "year" || t == "1y") return CalendarUnit::kYear;
  return absl::InvalidArgumentError(str_cat(
      "calendar_interval \"", t, "\" is not one of minute, hour, day, week, month, quarter, year"));
}

int64_t calendar_floor(int64_t ms, CalendarUnit unit, int64_t offset_ms) {
  // Work in the zone's wall time, then convert the bucket start back to UTC.
  const int64_t local = ms + offset_ms;
  int64_t start = 0;
  switch (unit) {
    case CalendarUnit::kMinute: start = floor_div(local, kMsPerMinute) * kMsPerMinute; break;
    case CalendarUnit::kHour: start = floor_div(local, kMsPerHour) * kMsPerHour; break;
    case CalendarUnit::kDay: start = floor_div(local, kMsPerDay) * kMsPerDay; break;
    case CalendarUnit::kWeek: {
      // 1970-01-01 was a Thursday: day 0 is weekday 3 counting from Monday.
      const int64_t days = floor_div(local, kMsPerDay);
      const int64_t weekday = ((days + 3) % 7 + 7) % 7;
      start = (days - weekday) * kMsPerDay;
      break;
    }
    case CalendarUnit::kMonth:
    case CalendarUnit::kQuarter:
    case CalendarUnit::kYear: {
      const chr::year_month_day ymd = civil_from_days(floor_div(local, kMsPerDay));
      unsigned month = static_cast<unsigned>(ymd.month());
      if (unit == CalendarUnit::kQuarter) month = (month - 1) / 3 * 3 + 1;
      if (unit == CalendarUnit::kYear) month = 1;
      start = days_from_civil(static_cast<int>(ymd.year()), month, 1) * kMsPerDay;
      break;
    }
  }
  return start - offset_ms;
}

int64_t calendar_next(int64_t bucket_start, CalendarUnit unit, int64_t offset_ms) {
  const int64_t local = bucket_start + offset_ms;
  switch (unit) {
    case CalendarUnit::kMinute: return bucket_start + kMsPerMinute;
    case CalendarUnit::kHour: return bucket_start + kMsPerHour;
    case CalendarUnit::kDay: return bucket_start + kMsPerDay;
    case CalendarUnit::kWeek: return bucket_start + 7 * kMsPerDay;
    case CalendarUnit::kMonth:
    case CalendarUnit::kQuarter:
    case CalendarUnit::kYear: {
      const chr::year_month_day ymd = civil_from_days(floor_div(local, kMsPerDay));
      const int step = unit == CalendarUnit::kMonth ? 1 : unit == CalendarUnit::kQuarter ? 3 : 12;
      int y = static_cast<int>(ymd.year());
      int m = static_cast<int>(static_cast<unsigned>(ymd.month())) - 1 + step;
      y += m / 12;
      m %= 12;
      return days_from_civil(y, static_cast<unsigned>(m + 1), 1) * kMsPerDay - offset_ms;
    }
  }
  return bucket_start;
}

}  // namespace shoal::search
