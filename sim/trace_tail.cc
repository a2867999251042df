#include "sim/trace_tail.h"

#include <algorithm>

#include "absl/strings/str_cat.h"

namespace shoal::sim {

std::string format_trace_line(const TraceRecord& record) {
  return absl::StrCat(format_time(record.at), " n", record.node, " ", record.kind, " ", record.text);
}

TraceTail::TraceTail(size_t lines_max) : lines_max_(std::max<size_t>(lines_max, 1)) { ring_.reserve(lines_max_); }

void TraceTail::add(std::string line) {
  if (line.size() > kTraceLineBytesMax) line.resize(kTraceLineBytesMax);
  ++total_;
  if (ring_.size() < lines_max_) {
    ring_.push_back(std::move(line));
    return;
  }
  ring_[next_] = std::move(line);
  next_ = (next_ + 1) % lines_max_;
}

std::vector<std::string> TraceTail::lines() const {
  std::vector<std::string> out;
  out.reserve(ring_.size());
  for (size_t i = 0; i < ring_.size(); ++i) out.push_back(ring_[(next_ + i) % ring_.size()]);
  return out;
}

}  // namespace shoal::sim
