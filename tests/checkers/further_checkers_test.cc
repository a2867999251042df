// The checkers beside linearizability, each on histories known to be good
// and known to be bad, and none of them ever flagging a generated
// linearizable history.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include "engine/core/random.h"
#include "scenarios/checkers/convergence.h"
#include "scenarios/checkers/history_gen.h"
#include "scenarios/checkers/lost_writes.h"
#include "scenarios/checkers/session_guarantees.h"
#include "scenarios/checkers/staleness.h"

namespace shoal::check {
namespace {

// Builds histories one completed operation at a time.
class Recorder {
 public:
  size_t ok(uint32_t process, int64_t invoke_ns, int64_t complete_ns, Op op, Result result = {}) {
    size_t i = h.invoke(process, invoke_ns, std::move(op));
    h.complete(i, complete_ns, Outcome::kOk, std::move(result));
    return i;
  }
  size_t read(uint32_t process, int64_t invoke_ns, int64_t complete_ns, const std::string& key, Value seen) {
    return ok(process, invoke_ns, complete_ns, Op::read(key), Result{std::move(seen), true});
  }
  History h;
};

// --- read-your-writes ---

TEST(ReadYourWrites, ReadAfterOwnWriteSeesIt) {
  Recorder r;
  r.ok(1, 0, 10, Op::write("k", "v1"));
  r.read(1, 20, 30, "k", "v1");
  EXPECT_TRUE(check_read_your_writes(r.h).ok);
}

TEST(ReadYourWrites, ANewerWriteOfAnotherSessionMayHideOnesOwn) {
  Recorder r;
  r.ok(1, 0, 10, Op::write("k", "v1"));
  r.ok(2, 5, 25, Op::write("k", "v2"));  // overlaps v1: may come after it
  r.read(1, 20, 30, "k", "v2");
  EXPECT_TRUE(check_read_your_writes(r.h).ok);
}

TEST(ReadYourWrites, ReadOfAnOlderValueAfterOwnWriteIsAViolation) {
  Recorder r;
  r.ok(2, 0, 1, Op::write("k", "v0"));  // finished before v1 began
  const size_t own = r.ok(1, 2, 10, Op::write("k", "v1"));
  const size_t stale = r.read(1, 20, 30, "k", "v0");
  CheckResult result = check_read_your_writes(r.h);
  ASSERT_FALSE(result.ok);
  EXPECT_EQ(result.violation_count, 1u);
  EXPECT_EQ(result.violations[0].ops, (std::vector<size_t>{own, stale}));
}

TEST(ReadYourWrites, AbsentAfterOwnWriteIsAViolation) {
  Recorder r;
  r.ok(1, 0, 10, Op::write("k", "v1"));
  r.read(1, 20, 30, "k", std::nullopt);
  EXPECT_FALSE(check_read_your_writes(r.h).ok);
}

TEST(ReadYourWrites, AnotherSessionMayNotSeeTheWriteYet) {
  Recorder r;
  r.ok(1, 0, 10, Op::write("k", "v1"));
  r.read(2, 20, 30, "k", std::nullopt);
  EXPECT_TRUE(check_read_your_writes(r.h).ok);
}

TEST(ReadYourWrites, AnAppendMustStayVisibleToItsSession) {
  Recorder good;
  good.ok(1, 0, 10, Op::append("k", "[a]"));
  good.ok(2, 0, 10, Op::append("k", "[b]"));
  good.read(1, 20, 30, "k", "[b][a]");
  EXPECT_TRUE(check_read_your_writes(good.h).ok);
  Recorder bad;
  bad.ok(1, 0, 10, Op::append("k", "[a]"));
  bad.ok(2, 0, 10, Op::append("k", "[b]"));
  bad.read(1, 20, 30, "k", "[b]");
  EXPECT_FALSE(check_read_your_writes(bad.h).ok);
}

// --- monotonic reads ---

TEST(MonotonicReads, NewerThenNewerIsFine) {
  Recorder r;
  r.ok(2, 0, 1, Op::write("k", "v1"));
  r.ok(2, 2, 3, Op::write("k", "v2"));
  r.read(1, 4, 5, "k", "v1");
  r.read(1, 6, 7, "k", "v2");
  EXPECT_TRUE(check_monotonic_reads(r.h).ok);
}

TEST(MonotonicReads, GoingBackToAnOlderValueIsAViolation) {
  Recorder r;
  r.ok(2, 0, 1, Op::write("k", "v1"));
  r.ok(2, 2, 3, Op::write("k", "v2"));
  r.read(1, 4, 5, "k", "v2");
  r.read(1, 6, 7, "k", "v1");
  CheckResult result = check_monotonic_reads(r.h);
  EXPECT_FALSE(result.ok);
  EXPECT_EQ(result.violation_count, 1u);
}

TEST(MonotonicReads, ConcurrentWritesMayBeSeenInEitherOrder) {
  Recorder r;
  r.ok(2, 0, 10, Op::write("k", "v1"));
  r.ok(3, 0, 10, Op::write("k", "v2"));
  r.read(1, 1, 2, "k", "v2");
  r.read(1, 3, 4, "k", "v1");
  EXPECT_TRUE(check_monotonic_reads(r.h).ok);
}

TEST(MonotonicReads, LosingAnAppendSeenBeforeIsAViolation) {
  Recorder r;
  r.ok(2, 0, 1, Op::append("k", "[a]"));
  r.ok(2, 2, 3, Op::append("k", "[b]"));
  r.read(1, 4, 5, "k", "[a][b]");
  r.read(1, 6, 7, "k", "[a]");
  EXPECT_FALSE(check_monotonic_reads(r.h).ok);
}

TEST(MonotonicReads, ReadingFromTheInitialValueAfterAWriteIsAViolation) {
  Recorder r;
  r.ok(2, 0, 1, Op::write("k", "v1"));
  r.read(1, 4, 5, "k", "v1");
  r.read(1, 6, 7, "k", std::nullopt);
  EXPECT_FALSE(check_monotonic_reads(r.h).ok);
}

// --- no acknowledged write lost ---

TEST(NoLostWrites, FinalValueShowsTheLastWrite) {
  Recorder r;
  r.ok(1, 0, 1, Op::write("k", "v1"));
  r.ok(1, 2, 3, Op::write("k", "v2"));
  r.ok(1, 4, 5, Op::append("j", "[a]"));
  EXPECT_TRUE(check_no_lost_writes(r.h, {{"k", "v2"}, {"j", "[a]"}}).ok);
}

TEST(NoLostWrites, FinalValueOlderThanAnAcknowledgedWriteIsALoss) {
  Recorder r;
  r.ok(1, 0, 1, Op::write("k", "v1"));
  const size_t lost = r.ok(1, 2, 3, Op::write("k", "v2"));
  CheckResult result = check_no_lost_writes(r.h, {{"k", "v1"}});
  ASSERT_FALSE(result.ok);
  EXPECT_EQ(result.violations[0].ops, std::vector<size_t>{lost});
}

TEST(NoLostWrites, AWriteOfUnknownOutcomeMayBeTheLastOne) {
  Recorder r;
  r.ok(1, 0, 1, Op::write("k", "v1"));
  size_t maybe = r.h.invoke(2, 2, Op::write("k", "v3"));
  r.h.complete(maybe, 9, Outcome::kUnknown);
  EXPECT_TRUE(check_no_lost_writes(r.h, {{"k", "v3"}}).ok);
}

TEST(NoLostWrites, AMissingKeyOrAMissingAppendIsALoss) {
  Recorder r;
  r.ok(1, 0, 1, Op::append("k", "[a]"));
  r.ok(1, 2, 3, Op::append("k", "[b]"));
  EXPECT_FALSE(check_no_lost_writes(r.h, {{"k", "[b]"}}).ok);
  EXPECT_FALSE(check_no_lost_writes(r.h, {}).ok);
}

TEST(NoLostWrites, AFinalValueNobodyWroteIsAViolation) {
  Recorder r;
  r.ok(1, 0, 1, Op::write("k", "v1"));
  CheckResult result = check_no_lost_writes(r.h, {{"k", "v1"}, {"j", "ghost"}});
  EXPECT_FALSE(result.ok);
  EXPECT_EQ(result.violation_count, 1u);
}

// --- bounded staleness ---

TEST(BoundedStaleness, AReadMayMissAWriteYoungerThanTheBound) {
  Recorder r;
  r.ok(1, 0, 10, Op::write("k", "v1"));
  r.read(2, 50, 60, "k", std::nullopt);
  EXPECT_TRUE(check_bounded_staleness(r.h, Duration(100)).ok);
}

TEST(BoundedStaleness, AReadMissingAWriteOlderThanTheBoundIsAViolation) {
  Recorder r;
  r.ok(1, 0, 10, Op::write("k", "v1"));
  r.read(2, 200, 210, "k", std::nullopt);
  CheckResult result = check_bounded_staleness(r.h, Duration(100));
  EXPECT_FALSE(result.ok);
  EXPECT_TRUE(check_bounded_staleness(r.h, Duration(500)).ok);
}

TEST(BoundedStaleness, OnlySelectedReadsAreJudged) {
  Recorder r;
  r.ok(1, 0, 10, Op::write("k", "v1"));
  r.read(2, 200, 210, "k", std::nullopt);
  auto only_process_3 = [](const Operation& o) { return o.process == 3; };
  EXPECT_TRUE(check_bounded_staleness(r.h, Duration(100), only_process_3).ok);
}

// --- convergence ---

TEST(Convergence, EqualReplicasConverge) {
  std::vector<ReplicaState> replicas = {{"n1", {{"a", "1"}, {"b", "2"}}}, {"n2", {{"a", "1"}, {"b", "2"}}}};
  EXPECT_TRUE(check_convergence(replicas).ok);
}

TEST(Convergence, ADifferentValueOrAMissingKeyIsADivergence) {
  std::vector<ReplicaState> replicas = {
      {"n1", {{"a", "1"}, {"b", "2"}}}, {"n2", {{"a", "1"}, {"b", "3"}}}, {"n3", {{"a", "1"}}}};
  CheckResult result = check_convergence(replicas);
  ASSERT_FALSE(result.ok);
  EXPECT_EQ(result.violation_count, 1u);  // only key "b" differs
  EXPECT_NE(result.violations[0].what.find("n3=(missing)"), std::string::npos);
}

// --- soundness on generated linearizable histories ---

RC_GTEST_PROP(FurtherCheckers, NeverFlagALinearizableHistory, (uint64_t seed)) {
  Rng rng(seed);
  GeneratorOptions o;
  o.model = rng.chance(0.5) ? Model::kKv : Model::kCasRegister;
  o.processes = uint32_t(rng.range(1, 8));
  o.operations = size_t(rng.range(1, 200));
  o.keys = 3;
  o.unknown_probability = 0.05;
  KeyValues final_values;
  History h = generate_linearizable_history(o, rng, &final_values);
  RC_ASSERT(check_read_your_writes(h).ok);
  RC_ASSERT(check_monotonic_reads(h).ok);
  RC_ASSERT(check_bounded_staleness(h, Duration(0)).ok);
  RC_ASSERT(check_no_lost_writes(h, final_values).ok);
}

}  // namespace
}  // namespace shoal::check
