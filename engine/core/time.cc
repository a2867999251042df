#include "engine/core/time.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>

namespace shoal {

std::string format_duration(Duration d) {
  char buf[48];
  int64_t ns = d.count();
  const char* sign = ns < 0 ? "-" : "";
  uint64_t abs_ns = ns < 0 ? static_cast<uint64_t>(-ns) : static_cast<uint64_t>(ns);
  std::snprintf(buf, sizeof buf, "%s%llu.%06llus", sign,
                static_cast<unsigned long long>(abs_ns / 1000000000ULL),
                static_cast<unsigned long long>((abs_ns % 1000000000ULL) / 1000ULL));
  return buf;
}

std::optional<Duration> parse_duration(std::string_view text) {
  if (text.empty()) return std::nullopt;
  const std::string owned(text);
  char* end = nullptr;
  const double value = std::strtod(owned.c_str(), &end);
  if (end == owned.c_str() || !std::isfinite(value) || value < 0) return std::nullopt;
  const std::string unit(end);
  double ns_per_unit;
  if (unit.empty() || unit == "s") ns_per_unit = 1e9;
  else if (unit == "ms") ns_per_unit = 1e6;
  else if (unit == "us") ns_per_unit = 1e3;
  else if (unit == "ns") ns_per_unit = 1;
  else if (unit == "m") ns_per_unit = 60e9;
  else if (unit == "h") ns_per_unit = 3600e9;
  else return std::nullopt;
  const double ns = value * ns_per_unit;
  if (ns > 1e18) return std::nullopt;
  return Duration(static_cast<int64_t>(std::llround(ns)));
}

std::string format_time(TimePoint t) { return format_duration(t.time_since_epoch()); }

}  // namespace shoal
