// Time as the engine sees it.
//
// Engine code never reads a machine clock. A node's time comes from
// Env::clock(), which in the simulator is virtual (and may be offset or
// drifting per node) and in real mode is the steady clock. Both worlds use the
// same std::chrono types below, so durations are typed and unit-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace shoal {

// A clock *type* without now(): the value comes from Env::clock().now().
struct NodeClock {
  using rep = int64_t;
  using period = std::nano;
  using duration = std::chrono::nanoseconds;
  using time_point = std::chrono::time_point<NodeClock, duration>;
  static constexpr bool is_steady = true;
};

using Duration = std::chrono::nanoseconds;
using TimePoint = NodeClock::time_point;

using std::chrono::hours;
using std::chrono::microseconds;
using std::chrono::milliseconds;
using std::chrono::minutes;
using std::chrono::nanoseconds;
using std::chrono::seconds;

inline int64_t to_ms(Duration d) {
  return std::chrono::duration_cast<milliseconds>(d).count();
}
inline double to_seconds_f(Duration d) { return static_cast<double>(d.count()) / 1e9; }
inline int64_t to_ns(TimePoint t) { return t.time_since_epoch().count(); }
inline TimePoint from_ns(int64_t ns) { return TimePoint(Duration(ns)); }

// Parses "250ms", "1.5s", "2m", "1h", "100us", "10ns"; a bare number means
// seconds. nullopt when malformed or negative.
std::optional<Duration> parse_duration(std::string_view text);

// "12.345s" — used in traces and reports.
std::string format_time(TimePoint t);
std::string format_duration(Duration d);

}  // namespace shoal
