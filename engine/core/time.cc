#include "engine/core/time.h"

#include <cstdio>

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

std::string format_time(TimePoint t) { return format_duration(t.time_since_epoch()); }

}  // namespace shoal
