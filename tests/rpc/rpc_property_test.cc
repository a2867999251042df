// The rpc layer's promises under random faults: lost, duplicated, delayed
// and reordered messages, partitions, crashes and restarts, skewed clocks.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "tests/rpc/rpc_harness.h"

namespace shoal::testing {
namespace {

// A timer fires once the caller's clock advanced by at least its delay; on a
// drifting clock the conversion to virtual time rounds up by a nanosecond or
// so. Completions are judged against the deadline with this much slack.
constexpr Duration kClockRoundingSlack = microseconds(1);
constexpr Duration kWorkloadLength = seconds(3);
constexpr Duration kTimeoutMax = milliseconds(500);
constexpr int kLaterMsMax = 300;

struct IssuedCall {
  uint64_t tag = 0;
  NodeId from = kNoNode;
  NodeId to = kNoNode;
  MethodId method = 0;
  uint64_t caller_incarnation = 0;
  TimePoint issued_local;
  Duration timeout{0};
};

struct ChaosRun {
  std::vector<IssuedCall> issued;
  std::vector<Completion> completions;
  std::map<NodeId, uint64_t> final_incarnation;
  std::map<NodeId, RpcStats> final_stats;
  uint64_t trace_hash = 0;
  uint64_t messages_duplicated = 0;
  uint64_t messages_lost = 0;
};

std::string tag_text(uint64_t tag) { return "t" + std::to_string(tag); }

void schedule_calls(RpcWorld& w, int nodes, std::vector<IssuedCall>& issued) {
  Rng& rng = w.sim.rng();
  const int calls = static_cast<int>(rng.range(1, 150));
  const std::vector<MethodId> methods = {kEcho, kEcho, kLater, kLater, kConflict, kHold, kDrop, kUnserved};
  for (int i = 0; i < calls; ++i) {
    IssuedCall c;
    c.tag = static_cast<uint64_t>(i);
    c.from = static_cast<NodeId>(rng.range(1, nodes));
    c.to = static_cast<NodeId>(rng.range(1, nodes));
    c.method = rng.pick(methods);
    c.timeout = rng.range(milliseconds(10), kTimeoutMax);
    std::string payload = tag_text(c.tag);
    if (c.method == kLater) payload = std::to_string(rng.range(0, kLaterMsMax)) + ":" + payload;
    const Duration at = rng.range(Duration(0), kWorkloadLength);
    w.sim.after(at, "call", [&w, &issued, c, payload]() mutable {
      if (!w.sim.running(c.from)) return;  // a crashed process calls nobody
      c.caller_incarnation = w.sim.incarnation(c.from);
      c.issued_local = w.sim.env(c.from)->now();
      issued.push_back(c);
      w.call(c.from, c.to, c.method, payload, c.timeout, c.tag);
    });
  }
}

void schedule_faults(RpcWorld& w, int nodes) {
  Rng& rng = w.sim.rng();
  const int faults = static_cast<int>(rng.range(0, 6));
  for (int i = 0; i < faults; ++i) {
    const Duration at = rng.range(Duration(0), kWorkloadLength);
    const Duration length = rng.range(milliseconds(10), milliseconds(800));
    const NodeId victim = static_cast<NodeId>(rng.range(1, nodes));
    if (rng.chance(0.5)) {
      w.sim.after(at, "crash", [&w, victim] {
        if (w.sim.running(victim)) w.sim.crash(victim);
      });
      w.sim.after(at + length, "restart", [&w, victim] {
        if (!w.sim.running(victim)) w.sim.restart(victim);
      });
    } else {
      std::vector<NodeId> alone = {victim}, rest;
      for (NodeId id = 1; id <= static_cast<NodeId>(nodes); ++id) {
        if (id != victim) rest.push_back(id);
      }
      w.sim.after(at, "partition", [&w, alone, rest] { w.sim.partition({alone, rest}); });
      w.sim.after(at + length, "heal", [&w] { w.sim.heal_all_links(); });
    }
  }
}

sim::SimOptions chaos_options(uint64_t seed) {
  Rng rng(seed);
  sim::SimOptions o;
  o.link.latency_min = rng.range(Duration(0), milliseconds(5));
  o.link.latency_max = o.link.latency_min + rng.range(Duration(0), milliseconds(40));
  o.link.loss_probability = rng.real01() * 0.3;
  o.link.duplicate_probability = rng.real01() * 0.3;
  o.link.reorder_probability = rng.real01() * 0.3;
  return o;
}

ChaosRun run_chaos(uint64_t seed) {
  ChaosRun run;
  const int nodes = static_cast<int>(Rng(seed ^ 0x5eed).range(2, 4));
  RpcWorld w(seed, nodes, RpcOptions{}, chaos_options(seed));
  for (NodeId id = 1; id <= static_cast<NodeId>(nodes); ++id) {
    Rng& rng = w.sim.rng();
    const double drift = rng.chance(0.5) ? 0.0 : (rng.real01() - 0.5) * 0.02;
    w.sim.set_clock(id, sim::ClockConfig{rng.range(-seconds(100), seconds(100)), drift});
  }
  schedule_calls(w, nodes, run.issued);
  schedule_faults(w, nodes);
  // Past the last call's deadline and the last late reply: everything settled.
  w.sim.run_for(kWorkloadLength + seconds(2));
  for (NodeId id = 1; id <= static_cast<NodeId>(nodes); ++id) {
    run.final_incarnation[id] = w.sim.incarnation(id);
    if (w.sim.running(id)) run.final_stats[id] = w.rpc(id).stats();
  }
  run.completions = w.completions;
  run.trace_hash = w.sim.trace_hash();
  run.messages_duplicated = w.sim.stats().messages_duplicated;
  run.messages_lost = w.sim.stats().messages_dropped_loss + w.sim.stats().messages_dropped_cut;
  return run;
}

// What a completion may say, given the method that was called.
void check_reply(const IssuedCall& c, const Reply& r) {
  RC_ASSERT(r.from == c.to);
  const std::string tag = tag_text(c.tag);
  if (r.error.code == ErrorCode::kDeadline) return;  // allowed for every call
  switch (c.method) {
    case kEcho:
    case kLater:
      RC_ASSERT(r.ok());
      // The payload the server returned for this very request.
      RC_ASSERT(r.payload == echo_of(c.to, tag));
      break;
    case kConflict:
      RC_ASSERT(r.error.code == ErrorCode::kConflict);
      RC_ASSERT(r.error.message == tag);
      RC_ASSERT(r.payload.empty());
      break;
    case kDrop:
      RC_ASSERT(r.error.code == ErrorCode::kUnavailable);
      break;
    case kUnserved:
      RC_ASSERT(r.error.code == ErrorCode::kBadRequest);
      break;
    default:
      RC_FAIL("a held request was answered: " + r.error.describe());
  }
}

void check_run(const ChaosRun& run) {
  std::map<uint64_t, std::vector<const Completion*>> by_tag;
  for (const auto& c : run.completions) by_tag[c.tag].push_back(&c);
  for (const IssuedCall& c : run.issued) {
    const auto& done = by_tag[c.tag];
    // A caller that crashed since the call lost it with its memory; one
    // that did not must have heard exactly once.
    const bool caller_survived = run.final_incarnation.at(c.from) == c.caller_incarnation;
    RC_ASSERT(done.size() <= 1u);
    if (caller_survived) RC_ASSERT(done.size() == 1u);
    if (done.empty()) continue;
    const Completion& got = *done.front();
    RC_ASSERT(!got.inside_call);
    RC_ASSERT(got.local_at <= c.issued_local + c.timeout + kClockRoundingSlack);
    if (got.reply.error.code == ErrorCode::kDeadline) {
      RC_ASSERT(got.local_at >= c.issued_local + c.timeout - kClockRoundingSlack);
    }
    check_reply(c, got.reply);
  }
  RC_ASSERT(run.completions.size() <= run.issued.size());
  // Every surviving process's ledger adds up: nothing is still in flight.
  for (const auto& [id, s] : run.final_stats) {
    RC_ASSERT(s.calls == s.replies_ok + s.replies_error + s.deadlines + s.local_failures);
    RC_ASSERT(s.local_failures == 0u);
    RC_ASSERT(s.malformed_frames == 0u);
  }
}

RC_GTEST_PROP(RpcProperty, EveryCallCompletesOnceByItsDeadlineWithItsOwnReply, (uint64_t seed)) {
  const ChaosRun run = run_chaos(seed);
  check_run(run);
  RC_TAG(run.issued.size() > 50 ? "many calls" : "few calls");
  RC_CLASSIFY(run.messages_duplicated > 0, "duplicates");
}

// The same seed gives the same outcomes in the same order, and the same trace.
std::string summary(const ChaosRun& run) {
  std::ostringstream out;
  for (const auto& c : run.completions) {
    out << c.tag << ' ' << to_string(c.reply.error.code) << ' ' << c.reply.payload << ' '
        << to_ns(c.local_at) << '\n';
  }
  return out.str();
}

TEST(RpcDeterminism, SameSeedSameOutcomes) {
  for (uint64_t seed : {1u, 7u, 42u}) {
    const ChaosRun a = run_chaos(seed);
    const ChaosRun b = run_chaos(seed);
    ASSERT_FALSE(a.completions.empty()) << "seed " << seed;
    EXPECT_EQ(summary(a), summary(b)) << "seed " << seed;
    EXPECT_EQ(a.trace_hash, b.trace_hash) << "seed " << seed;
  }
  // ...and a different seed a different run, so the comparison is not vacuous.
  EXPECT_NE(summary(run_chaos(1)), summary(run_chaos(2)));
}

// The chaos above is not a tame one: over a handful of seeds it does lose and
// duplicate messages, crash callers and answer by every path.
TEST(RpcDeterminism, ChaosExercisesEveryOutcome) {
  std::map<ErrorCode, int> codes;
  uint64_t duplicated = 0, lost = 0, late = 0, duplicate_replies = 0;
  for (uint64_t seed = 1; seed <= 20; ++seed) {
    const ChaosRun run = run_chaos(seed);
    for (const auto& c : run.completions) codes[c.reply.error.code]++;
    duplicated += run.messages_duplicated;
    lost += run.messages_lost;
    for (const auto& [id, s] : run.final_stats) {
      late += s.late_replies;
      duplicate_replies += s.duplicate_replies;
    }
  }
  for (ErrorCode code : {ErrorCode::kNone, ErrorCode::kDeadline, ErrorCode::kConflict,
                         ErrorCode::kUnavailable, ErrorCode::kBadRequest}) {
    EXPECT_GT(codes[code], 0) << to_string(code);
  }
  EXPECT_GT(duplicated, 0u);
  EXPECT_GT(lost, 0u);
  EXPECT_GT(late, 0u);
  EXPECT_GT(duplicate_replies, 0u);
}

}  // namespace
}  // namespace shoal::testing
