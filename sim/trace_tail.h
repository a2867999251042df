// TraceTail: the last lines of a run's readable trace, kept in memory.
//
// A whole trace grows with the run (a livelocked seed once wrote 0.5 GB in
// 25 s), so it goes to disk only when asked for (`--trace FILE`). What a
// failure's output and a report need is the end: the events that led to the
// assertion or the bound. The tail keeps the newest kTraceTailLinesMax lines,
// each cut at kTraceLineBytesMax, so it never holds more than about 2.5 MB.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "sim/simulation.h"

namespace shoal::sim {

inline constexpr size_t kTraceTailLinesMax = 10'000;
inline constexpr size_t kTraceLineBytesMax = 256;

// One trace record as a line: "12.345678s n2 deliver 1->2 ch=3 23B".
std::string format_trace_line(const TraceRecord& record);

class TraceTail {
 public:
  explicit TraceTail(size_t lines_max = kTraceTailLinesMax);
  // Keeps `line` (format_trace_line's), cut at kTraceLineBytesMax.
  void add(std::string line);
  // The lines kept, oldest first.
  std::vector<std::string> lines() const;
  // Every line ever added, kept or not.
  uint64_t total() const { return total_; }

 private:
  size_t lines_max_;
  std::vector<std::string> ring_;  // ring_[next_] is the oldest once full
  size_t next_ = 0;
  uint64_t total_ = 0;
};

}  // namespace shoal::sim
