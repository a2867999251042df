// RunGuard: the bounds of one simulated run, and the record of how a run that
// could not finish stopped.
//
// A simulated run is deterministic, so a seed that livelocks the engine,
// floods it with messages or grows its state without end does so on every
// replay, and hangs every sweep that reaches it. Every scenario run therefore
// has a guard with three bounds (RunBounds):
//   * events_max — events executed. Deterministic: one seed with one bound
//     stops at the same event on every machine.
//   * wall_time_max — the machine's time since the guard was made.
//   * memory_max_bytes — the process's resident memory, read from
//     /proc/self/statm every kBoundSampleEvents events.
// The last two are safety valves for the machine: on a slower or fuller
// machine they may stop a run at another event, but they never change what a
// run that completes does. Exceeding a bound stops the run (RunStop) with a
// kind of its own, which is neither a pass nor a checker's failure.
//
// While a guard lives it is the process's engine assertion handler
// (engine/core/assert.h): a failed SHOAL_ASSERT throws AssertionFailure, which
// unwinds to the Simulation executing the event; the Simulation records the
// stop here and runs no further event, keeping the state as it was so that
// what can still be judged is judged.
//
// A guard belongs to one run on one thread. Guards nest: each restores the
// handler it replaced when it is destroyed.
#pragma once

#include <chrono>
#include <cstdint>
#include <exception>
#include <optional>
#include <string>
#include <string_view>

#include "engine/core/assert.h"
#include "engine/core/time.h"

namespace shoal::sim {

// How often (in executed events) the guard reads the wall clock and the
// resident memory: often enough to stop a run within milliseconds of a
// bound, rarely enough that the reads cost nothing measurable.
inline constexpr uint64_t kBoundSampleEvents = 4096;

struct RunBounds {
  uint64_t events_max = 2'000'000;
  Duration wall_time_max = minutes(10);
  uint64_t memory_max_bytes = uint64_t{4} << 30;
};

// Why a run stopped before its end.
enum class StopKind : uint8_t {
  kAssertion,    // an engine assertion failed
  kEventsMax,    // RunBounds::events_max
  kWallTimeMax,  // RunBounds::wall_time_max
  kMemoryMax,    // RunBounds::memory_max_bytes
};

// "assertion", "events-max", "wall-time-max", "memory-max".
std::string_view stop_kind_name(StopKind kind);

struct RunStop {
  StopKind kind = StopKind::kAssertion;
  std::string message;  // one line: what stopped the run
  TimePoint at;         // virtual time of the event that stopped it
  uint64_t events = 0;  // events executed by then, that one included
  // kAssertion only: the expression that failed and where it is.
  std::string expression;
  std::string file;
  int line = 0;

  bool is_bound() const { return kind != StopKind::kAssertion; }
};

// What a failed SHOAL_ASSERT throws while a guard is installed.
class AssertionFailure final : public std::exception {
 public:
  AssertionFailure(const char* expression, const char* file, int line);
  const char* what() const noexcept override { return what_.c_str(); }
  const std::string& expression() const { return expression_; }
  const std::string& file() const { return file_; }
  int line() const { return line_; }

 private:
  std::string expression_;
  std::string file_;
  int line_;
  std::string what_;
};

class RunGuard {
 public:
  explicit RunGuard(RunBounds bounds = {});
  ~RunGuard();
  RunGuard(const RunGuard&) = delete;
  RunGuard& operator=(const RunGuard&) = delete;

  const RunBounds& bounds() const { return bounds_; }
  // Called by the Simulation before each event: records a stop and returns
  // false when `events` have run and the bound allows no more. A run that
  // needs exactly events_max events completes.
  bool allows_event(uint64_t events, TimePoint now);
  // Called by the Simulation after each event: records a stop and returns
  // true when the run has passed its wall-time or memory bound (sampled
  // every kBoundSampleEvents events).
  bool exceeded(uint64_t events, TimePoint now);
  // Records an assertion raised by the event that ran at `now`.
  void assertion(const AssertionFailure& failure, uint64_t events, TimePoint now);
  // Records an assertion raised outside any event (setting a run up, or
  // judging the state it left).
  void assertion_outside_events(const AssertionFailure& failure);
  // The first stop recorded; later ones are consequences of it.
  const std::optional<RunStop>& stop() const { return stop_; }

 private:
  void record_assertion(const AssertionFailure& failure, std::string_view where, uint64_t events, TimePoint now);
  void record(RunStop stop);

  RunBounds bounds_;
  std::chrono::steady_clock::time_point started_;
  uint64_t next_sample_events_ = kBoundSampleEvents;
  AssertionHandler previous_handler_;
  std::optional<RunStop> stop_;
};

// The process's resident memory in bytes (0 when /proc cannot tell).
uint64_t resident_memory_bytes();

}  // namespace shoal::sim
