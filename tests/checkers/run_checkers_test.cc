// The checkers a simulated run adds to the history checkers — only written
// values, replies against the log, serving again, every kind served and
// availability — each on inputs known to be good and known to be bad.
#include <gtest/gtest.h>

#include "scenarios/checkers/liveness.h"
#include "scenarios/checkers/reply_audit.h"
#include "scenarios/checkers/written_values.h"

namespace shoal::check {
namespace {

size_t add(History& h, uint32_t process, int64_t invoke_ns, int64_t complete_ns, Op op, Outcome outcome,
           Result result = {}) {
  const size_t i = h.invoke(process, invoke_ns, std::move(op));
  h.complete(i, complete_ns, outcome, std::move(result));
  return i;
}

size_t read(History& h, int64_t at, const std::string& key, Value seen) {
  return add(h, 9, at, at + 1, Op::read(key), Outcome::kOk, Result{std::move(seen), true});
}

// --- only written values ---

TEST(WrittenValues, StaleReadsOfWrittenValuesAndAbsentPass) {
  History h;
  add(h, 1, 0, 10, Op::write("k", "v1"), Outcome::kOk);
  add(h, 1, 20, 30, Op::write("k", "v2"), Outcome::kUnknown);
  add(h, 2, 0, 10, Op::append("a", "x;"), Outcome::kOk);
  add(h, 2, 20, 30, Op::append("a", "y;"), Outcome::kOk);
  read(h, 100, "k", "v1");   // stale: fine
  read(h, 100, "k", "v2");   // a write of unknown outcome may have applied
  read(h, 100, "k", std::nullopt);
  read(h, 100, "a", "x;");
  read(h, 100, "a", "y;x;");  // any order, any subset
  EXPECT_TRUE(check_reads_return_written_values(h).ok) << check_reads_return_written_values(h).message;
}

TEST(WrittenValues, AValueNobodyWroteIsAViolation) {
  History h;
  add(h, 1, 0, 10, Op::write("k", "v1"), Outcome::kOk);
  add(h, 1, 20, 30, Op::write("k", "v9"), Outcome::kFail);  // certainly never applied
  const size_t bad = read(h, 100, "k", "v9");
  CheckResult r = check_reads_return_written_values(h);
  ASSERT_FALSE(r.ok);
  EXPECT_EQ(r.violations[0].ops, std::vector<size_t>{bad});
}

TEST(WrittenValues, AnAppendValueWithAPieceNobodyAppendedIsAViolation) {
  History h;
  add(h, 2, 0, 10, Op::append("a", "x;"), Outcome::kOk);
  read(h, 100, "a", "x;z;");
  EXPECT_FALSE(check_reads_return_written_values(h).ok);
}

TEST(WrittenValues, OnlySelectedReadsAreJudged) {
  History h;
  read(h, 100, "k", "invented");
  EXPECT_TRUE(check_reads_return_written_values(h, [](const Operation&) { return false; }).ok);
  EXPECT_FALSE(check_reads_return_written_values(h).ok);
}

// --- replies match the log ---

struct Log {
  std::map<uint64_t, LogRecord> entries;
  std::function<const LogRecord*(uint64_t)> at() const {
    return [this](uint64_t i) {
      auto it = entries.find(i);
      return it == entries.end() ? nullptr : &it->second;
    };
  }
};

TEST(ReplyAudit, RepliesThatMatchTheLogPass) {
  History h;
  add(h, 1, 0, 10, Op::cas("k", "a", "b"), Outcome::kOk, Result{std::nullopt, false});
  Log log;
  log.entries[5] = LogRecord{7, "cas_failed @5"};
  const ReplyAudit a = check_replies_match_log(h, {{0, 5, 7, "cas_failed @5", false}}, log.at());
  EXPECT_TRUE(a.check.ok) << a.check.message;
  EXPECT_EQ(a.claims, 1u);
}

TEST(ReplyAudit, AnInventedResultIsAViolationAtEveryLevel) {
  History h;
  add(h, 1, 0, 10, Op::cas("k", "x", "y"), Outcome::kOk);
  Log log;
  log.entries[5] = LogRecord{7, "cas_failed @5"};
  for (bool may_be_lost : {false, true}) {
    const ReplyAudit a = check_replies_match_log(h, {{0, 5, 7, "ok @5", may_be_lost}}, log.at());
    EXPECT_FALSE(a.check.ok);
    EXPECT_NE(a.check.violations[0].what.find("gave \"cas_failed @5\""), std::string::npos);
  }
}

TEST(ReplyAudit, ALostWriteFailsUnlessItsLevelAllowsLossWhichIsCounted) {
  History h;
  add(h, 1, 0, 10, Op::write("k", "v"), Outcome::kOk);
  Log log;
  log.entries[5] = LogRecord{8, "ok @5"};  // another client's entry took the index
  const ReplyAudit strict = check_replies_match_log(h, {{0, 5, 7, "ok @5", false}}, log.at());
  EXPECT_FALSE(strict.check.ok);
  const ReplyAudit never = check_replies_match_log(h, {{0, 6, 7, "ok @6", false}}, log.at());
  EXPECT_FALSE(never.check.ok);  // nothing committed at 6
  const ReplyAudit allowed = check_replies_match_log(h, {{0, 5, 7, std::nullopt, true}}, log.at());
  EXPECT_TRUE(allowed.check.ok);
  EXPECT_EQ(allowed.lost, 1u);
}

// --- serving again, every kind served, availability ---

ServiceKind writes_of(const History& h) {
  return {"writes", [&h](size_t i) { return h[i].op.type != OpType::kRead; }, [&h](size_t i) { return h[i].ok(); }};
}

TEST(Liveness, ServesAgainWhenAnOperationInvokedAfterTheHealSucceedsWithinTheBound) {
  History h;
  add(h, 1, 900, 1'200, Op::write("k", "old"), Outcome::kOk);  // in flight at the heal: does not count
  add(h, 1, 1'300, 1'400, Op::write("k", "v"), Outcome::kOk);
  EXPECT_TRUE(check_serves_again(h, {writes_of(h)}, 1'000, Duration(500)).ok);
  EXPECT_FALSE(check_serves_again(h, {writes_of(h)}, 1'000, Duration(300)).ok);
}

TEST(Liveness, OnlyFailuresAfterTheHealIsALivenessFailure) {
  History h;
  add(h, 1, 1'100, 1'200, Op::write("k", "v"), Outcome::kFail);
  add(h, 1, 1'300, 1'400, Op::write("k", "v"), Outcome::kUnknown);
  const CheckResult r = check_serves_again(h, {writes_of(h)}, 1'000, seconds(5));
  ASSERT_FALSE(r.ok);
  EXPECT_NE(r.violations[0].what.find("writes: none succeeded"), std::string::npos);
}

TEST(Liveness, AKindNobodyIssuedIsNotJudgedButNothingIssuedAtAllIsVacuous) {
  History h;
  add(h, 1, 0, 10, Op::write("k", "v"), Outcome::kOk);
  ServiceKind reads{"reads", [&h](size_t i) { return h[i].op.type == OpType::kRead; }, [](size_t) { return true; }};
  EXPECT_TRUE(check_every_kind_served(h, {writes_of(h), reads}).ok);
  History empty;
  EXPECT_FALSE(check_every_kind_served(empty, {writes_of(empty)}).ok);
}

TEST(Liveness, AKindWhoseOperationsAllFailedWasNotServed) {
  History h;
  add(h, 1, 0, 10, Op::write("k", "v"), Outcome::kFail);
  add(h, 1, 20, 30, Op::write("k", "v"), Outcome::kUnknown);
  const CheckResult r = check_every_kind_served(h, {writes_of(h)});
  ASSERT_FALSE(r.ok);
  EXPECT_NE(r.violations[0].what.find("none of 2 succeeded"), std::string::npos);
}

TEST(Liveness, AvailabilityCountsTheSlotsWithASuccess) {
  History h;
  add(h, 1, 0, 500, Op::write("k", "v"), Outcome::kOk);       // slot 0
  add(h, 1, 600, 2'500, Op::write("k", "v"), Outcome::kOk);   // slot 2
  add(h, 1, 2'600, 3'500, Op::write("k", "v"), Outcome::kFail);  // slot 3: failed
  EXPECT_DOUBLE_EQ(availability(h, writes_of(h), 0, 4'000, Duration(1'000)), 0.5);
  EXPECT_DOUBLE_EQ(availability(h, writes_of(h), 0, 500, Duration(1'000)), 1.0);
}

}  // namespace
}  // namespace shoal::check
