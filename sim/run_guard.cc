#include "sim/run_guard.h"

#include <unistd.h>

#include <cstdio>

#include "absl/strings/str_cat.h"

namespace shoal::sim {
namespace {

[[noreturn]] void throw_assertion(const char* expression, const char* file, int line) {
  throw AssertionFailure(expression, file, line);
}

// "4 GiB", "1.5 MiB", "512 B": a byte count as the bounds are written.
std::string format_bytes(uint64_t bytes) {
  static const char* const kUnits[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  double v = static_cast<double>(bytes);
  size_t unit = 0;
  while (v >= 1024 && unit + 1 < std::size(kUnits)) {
    v /= 1024;
    ++unit;
  }
  char buf[32];
  std::snprintf(buf, sizeof buf, v == static_cast<double>(static_cast<uint64_t>(v)) ? "%.0f %s" : "%.1f %s", v,
                kUnits[unit]);
  return buf;
}

}  // namespace

std::string_view stop_kind_name(StopKind kind) {
  switch (kind) {
    case StopKind::kAssertion: return "assertion";
    case StopKind::kEventsMax: return "events-max";
    case StopKind::kWallTimeMax: return "wall-time-max";
    case StopKind::kMemoryMax: return "memory-max";
  }
  return "assertion";
}

AssertionFailure::AssertionFailure(const char* expression, const char* file, int line)
    : expression_(expression), file_(file), line_(line),
      what_(absl::StrCat("engine assertion failed: ", expression, " (", file, ":", line, ")")) {}

RunGuard::RunGuard(RunBounds bounds)
    : bounds_(bounds), started_(std::chrono::steady_clock::now()),
      previous_handler_(set_assertion_handler(&throw_assertion)) {}

RunGuard::~RunGuard() { set_assertion_handler(previous_handler_); }

bool RunGuard::allows_event(uint64_t events, TimePoint now) {
  if (stop_) return false;
  if (events < bounds_.events_max) return true;
  record({StopKind::kEventsMax,
          absl::StrCat("the run reached its bound of ", bounds_.events_max, " events (events-max) at ",
                       format_time(now)),
          now, events});
  return false;
}

bool RunGuard::exceeded(uint64_t events, TimePoint now) {
  if (stop_) return true;
  if (events < next_sample_events_) return false;
  next_sample_events_ = events + kBoundSampleEvents;
  const auto wall = std::chrono::steady_clock::now() - started_;
  if (wall > bounds_.wall_time_max) {
    record({StopKind::kWallTimeMax,
            absl::StrCat("the run took longer than its bound of ", format_duration(bounds_.wall_time_max),
                         " of wall time (wall-time-max); it had reached ", format_time(now), " after ", events,
                         " events"),
            now, events});
    return true;
  }
  const uint64_t resident = resident_memory_bytes();
  if (resident > bounds_.memory_max_bytes) {
    record({StopKind::kMemoryMax,
            absl::StrCat("resident memory of ", format_bytes(resident), " passed the bound of ",
                         format_bytes(bounds_.memory_max_bytes), " (memory-max) at ", format_time(now), " after ",
                         events, " events"),
            now, events});
    return true;
  }
  return false;
}

void RunGuard::assertion(const AssertionFailure& failure, uint64_t events, TimePoint now) {
  record_assertion(failure, absl::StrCat(" at ", format_time(now), ", event ", events), events, now);
}

void RunGuard::assertion_outside_events(const AssertionFailure& failure) {
  record_assertion(failure, ", outside any event (setting up or judging the run)", 0, TimePoint{});
}

void RunGuard::record_assertion(const AssertionFailure& failure, std::string_view where, uint64_t events,
                                TimePoint now) {
  RunStop s{StopKind::kAssertion, failure.what() + std::string(where), now, events};
  s.expression = failure.expression();
  s.file = failure.file();
  s.line = failure.line();
  record(std::move(s));
}

void RunGuard::record(RunStop stop) {
  if (!stop_) stop_ = std::move(stop);
}

uint64_t resident_memory_bytes() {
  // statm holds sizes in pages: total, resident, shared, ...
  std::FILE* f = std::fopen("/proc/self/statm", "r");
  if (f == nullptr) return 0;
  unsigned long long total = 0, resident = 0;
  const int n = std::fscanf(f, "%llu %llu", &total, &resident);
  std::fclose(f);
  if (n != 2) return 0;
  return resident * static_cast<uint64_t>(::sysconf(_SC_PAGESIZE));
}

}  // namespace shoal::sim
