// The simulator's safety valves: an engine assertion or a bound stops a run
// at the event where it happened, keeps its state, and changes nothing about
// the events before it; the trace's tail stays within its bound.
#include "sim/run_guard.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include "engine/core/assert.h"
#include "sim/simulation.h"
#include "sim/trace_tail.h"

namespace shoal::sim {
namespace {

// Ticks every 10 ms; asserts that it never reaches `ticks_max` ticks.
class Ticker final : public Process {
 public:
  Ticker(Env& env, int& ticks, int ticks_max) : env_(env), ticks_(ticks), ticks_max_(ticks_max) { arm(); }

 private:
  void arm() {
    env_.clock().after(milliseconds(10), [this] {
      ++ticks_;
      SHOAL_ASSERT(ticks_ < ticks_max_);
      arm();
    });
  }
  Env& env_;
  int& ticks_;
  int ticks_max_;
};

void add_tickers(Simulation& sim, int n, int& ticks, int ticks_max) {
  for (NodeId id = 1; id <= static_cast<NodeId>(n); ++id) {
    sim.add_process(id, "t" + std::to_string(id),
                    [&ticks, ticks_max](Env& env) { return std::make_unique<Ticker>(env, ticks, ticks_max); });
  }
}

TEST(RunGuard, AnEngineAssertionStopsTheRunAtItsEvent) {
  RunGuard guard;
  Simulation sim(1, SimOptions{.guard = &guard});
  int ticks = 0;
  add_tickers(sim, 1, ticks, 5);
  sim.run_until(TimePoint(seconds(10)));
  ASSERT_TRUE(sim.stopped());
  ASSERT_TRUE(guard.stop().has_value());
  const RunStop& stop = *guard.stop();
  EXPECT_EQ(stop.kind, StopKind::kAssertion);
  EXPECT_FALSE(stop.is_bound());
  EXPECT_EQ(stop.expression, "ticks_ < ticks_max_");
  EXPECT_EQ(stop.file, "tests/sim/run_guard_test.cc");
  EXPECT_GT(stop.line, 0);
  EXPECT_EQ(stop.at, TimePoint(milliseconds(50)));
  EXPECT_EQ(stop.events, sim.stats().events);
  EXPECT_NE(stop.message.find("engine assertion failed: ticks_ < ticks_max_ (tests/sim/run_guard_test.cc:"),
            std::string::npos)
      << stop.message;
  // No event runs after the stop, the state stays for judging, and the
  // clock still moves so that loops waiting on virtual time end.
  EXPECT_EQ(ticks, 5);
  EXPECT_NE(sim.process(1), nullptr);
  EXPECT_FALSE(sim.step());
  EXPECT_EQ(sim.now(), TimePoint(seconds(10)));
  EXPECT_EQ(ticks, 5);
}

TEST(RunGuard, AnAssertionInAProcessConstructorStopsTheRun) {
  RunGuard guard;
  Simulation sim(1, SimOptions{.guard = &guard});
  int ticks = 0;
  add_tickers(sim, 1, ticks, 1'000'000);
  sim.add_process(2, "bad", [](Env&) -> std::unique_ptr<Process> {
    const int replicas = 0;
    SHOAL_ASSERT(replicas > 0);
    return nullptr;
  });
  ASSERT_TRUE(guard.stop().has_value());
  EXPECT_EQ(guard.stop()->expression, "replicas > 0");
  // The ticker's timer is queued, but the run has stopped.
  EXPECT_FALSE(sim.step());
  EXPECT_EQ(ticks, 0);
}

TEST(RunGuard, TheHandlerIsTheGuardsOnlyWhileItLives) {
  const AssertionHandler before = set_assertion_handler(nullptr);
  set_assertion_handler(before);
  {
    RunGuard outer;
    const AssertionHandler outer_handler = set_assertion_handler(nullptr);
    set_assertion_handler(outer_handler);
    EXPECT_NE(outer_handler, before);
    { RunGuard inner; }
    EXPECT_EQ(set_assertion_handler(outer_handler), outer_handler);
    EXPECT_THROW(assertion_failed("x", "f.cc", 1), AssertionFailure);
  }
  EXPECT_EQ(set_assertion_handler(before), before);
}

TEST(RunGuard, EachBoundIsItsOwnKind) {
  for (StopKind kind : {StopKind::kEventsMax, StopKind::kWallTimeMax, StopKind::kMemoryMax}) {
    RunBounds b;
    if (kind == StopKind::kEventsMax) b.events_max = 100;
    if (kind == StopKind::kWallTimeMax) b.wall_time_max = nanoseconds(1);
    if (kind == StopKind::kMemoryMax) b.memory_max_bytes = 1;
    RunGuard guard(b);
    Simulation sim(1, SimOptions{.guard = &guard});
    int ticks = 0;
    add_tickers(sim, 3, ticks, 1'000'000'000);
    sim.run_until(TimePoint(seconds(1000)));
    ASSERT_TRUE(guard.stop().has_value()) << stop_kind_name(kind);
    EXPECT_EQ(guard.stop()->kind, kind);
    EXPECT_TRUE(guard.stop()->is_bound());
    EXPECT_NE(guard.stop()->message.find(stop_kind_name(kind)), std::string::npos) << guard.stop()->message;
    // The event bound stops at its event; the others at their first sample.
    EXPECT_EQ(sim.stats().events, kind == StopKind::kEventsMax ? 100u : kBoundSampleEvents);
  }
}

// A bound ends a run where it is, and the events before are exactly those of
// a run without one: same events, same hash.
RC_GTEST_PROP(RunGuard, AnEventBoundCutsARunWithoutChangingIt, (uint64_t seed)) {
  const uint64_t bound = *rc::gen::inRange<uint64_t>(1, 3000);
  RunBounds b;
  b.events_max = bound;
  RunGuard guard(b);
  Simulation bounded(seed, SimOptions{.guard = &guard});
  Simulation free(seed);
  int ticks_bounded = 0, ticks_free = 0;
  add_tickers(bounded, 4, ticks_bounded, 1'000'000'000);
  add_tickers(free, 4, ticks_free, 1'000'000'000);
  bounded.run_until(TimePoint(seconds(100)));
  RC_ASSERT(bounded.stats().events == bound);
  while (free.stats().events < bound) RC_ASSERT(free.step());
  RC_ASSERT(free.trace_hash() == bounded.trace_hash());
  RC_ASSERT(ticks_free == ticks_bounded);
}

TEST(RunGuard, BoundsNotReachedChangeNothing) {
  RunGuard guard;
  Simulation guarded(9, SimOptions{.guard = &guard});
  Simulation free(9);
  int a = 0, b = 0;
  add_tickers(guarded, 3, a, 1'000'000'000);
  add_tickers(free, 3, b, 1'000'000'000);
  guarded.run_until(TimePoint(seconds(30)));
  free.run_until(TimePoint(seconds(30)));
  EXPECT_FALSE(guarded.stopped());
  EXPECT_FALSE(guard.stop().has_value());
  EXPECT_EQ(guarded.trace_hash(), free.trace_hash());
  EXPECT_EQ(a, b);
}

TEST(RunGuard, ResidentMemoryIsRead) {
  EXPECT_GT(resident_memory_bytes(), uint64_t{1} << 20);
}

TEST(TraceTail, KeepsTheNewestLinesInOrderWithinItsBounds) {
  TraceTail tail(3);
  for (int i = 0; i < 7; ++i) tail.add("line " + std::to_string(i));
  EXPECT_EQ(tail.total(), 7u);
  EXPECT_EQ(tail.lines(), (std::vector<std::string>{"line 4", "line 5", "line 6"}));
  tail.add(std::string(10 * kTraceLineBytesMax, 'x'));
  EXPECT_EQ(tail.lines().back().size(), kTraceLineBytesMax);
  TraceTail few(5);
  few.add("only");
  EXPECT_EQ(few.lines(), std::vector<std::string>{"only"});
}

TEST(TraceTail, FormatsARecordAsTheTraceDoes) {
  const TraceRecord r{TimePoint(milliseconds(1500)), 7, "deliver", 2, "1->2 ch=3 23B"};
  EXPECT_EQ(format_trace_line(r), "1.500000s n2 deliver 1->2 ch=3 23B");
}

}  // namespace
}  // namespace shoal::sim
