// The linearizability checker on small hand-made histories whose verdicts
// follow from the definitions, its failing window, and its budget.
#include "scenarios/checkers/linearizability.h"

#include <gtest/gtest.h>

#include "engine/core/random.h"
#include "scenarios/checkers/history_gen.h"
#include "scenarios/checkers/history_io.h"

namespace shoal::check {
namespace {

const std::string kEtcdDir = SHOAL_SOURCE_DIR "/../shared/data/histories/jepsen-etcd";

size_t done(History& h, uint32_t p, int64_t invoke_ns, int64_t complete_ns, Op op, Outcome outcome = Outcome::kOk,
            Result result = {}) {
  const size_t i = h.invoke(p, invoke_ns, std::move(op));
  h.complete(i, complete_ns, outcome, std::move(result));
  return i;
}

Result saw(Value v) { return Result{std::move(v), true}; }

LinearizabilityOptions kv() {
  LinearizabilityOptions o;
  o.model = Model::kKv;
  return o;
}

TEST(LinearizabilityRules, ClosedIntervalsLetAReadSeeAWriteInvokedAsItCompletes) {
  History touching;
  done(touching, 1, 0, 10, Op::read("k"), Outcome::kOk, saw("1"));
  done(touching, 2, 10, 20, Op::write("k", "1"));
  EXPECT_TRUE(check_linearizable(touching, kv()).ok);
  History apart;
  done(apart, 1, 0, 10, Op::read("k"), Outcome::kOk, saw("1"));
  done(apart, 2, 11, 20, Op::write("k", "1"));
  EXPECT_EQ(check_linearizable(apart, kv()).verdict, Verdict::kNotLinearizable);
}

TEST(LinearizabilityRules, AFailedOperationNeverTookEffect) {
  History h;
  done(h, 1, 0, 10, Op::write("k", "1"), Outcome::kFail);
  done(h, 2, 20, 30, Op::read("k"), Outcome::kOk, saw("1"));
  EXPECT_EQ(check_linearizable(h, kv()).verdict, Verdict::kNotLinearizable);
}

TEST(LinearizabilityRules, AnUnknownWriteMayTakeEffectLongAfterItWasInvoked) {
  History h;
  done(h, 1, 0, 10, Op::write("k", "1"), Outcome::kUnknown);
  done(h, 2, 20, 30, Op::read("k"), Outcome::kOk, saw(std::nullopt));
  done(h, 2, 40, 50, Op::read("k"), Outcome::kOk, saw("1"));
  EXPECT_TRUE(check_linearizable(h, kv()).ok);
}

TEST(LinearizabilityRules, AnUnknownWriteMayNeverTakeEffect) {
  History h;
  done(h, 1, 0, 10, Op::write("k", "1"), Outcome::kUnknown);
  done(h, 2, 20, 30, Op::read("k"), Outcome::kOk, saw(std::nullopt));
  EXPECT_TRUE(check_linearizable(h, kv()).ok);
}

TEST(LinearizabilityRules, ACasThatDidNotApplyObservedADifferentValue) {
  History h;
  done(h, 1, 0, 10, Op::write("k", "1"));
  done(h, 2, 20, 30, Op::cas("k", Value("1"), "2"), Outcome::kOk, Result{std::nullopt, false});
  EXPECT_EQ(check_linearizable(h, kv()).verdict, Verdict::kNotLinearizable);
  History fine;
  done(fine, 1, 0, 10, Op::write("k", "1"));
  done(fine, 2, 20, 30, Op::cas("k", Value("7"), "2"), Outcome::kOk, Result{std::nullopt, false});
  done(fine, 2, 40, 50, Op::read("k"), Outcome::kOk, saw("1"));
  EXPECT_TRUE(check_linearizable(fine, kv()).ok);
}

TEST(LinearizabilityRules, AppendsAndDeletesFollowTheKvModel) {
  History h;
  done(h, 1, 0, 10, Op::append("k", "a"));  // an absent key appends to ""
  done(h, 1, 20, 30, Op::append("k", "b"));
  done(h, 2, 40, 50, Op::read("k"), Outcome::kOk, saw("ab"));
  done(h, 1, 60, 70, Op::del("k"));
  done(h, 2, 80, 90, Op::read("k"), Outcome::kOk, saw(std::nullopt));
  EXPECT_TRUE(check_linearizable(h, kv()).ok);
  done(h, 2, 100, 110, Op::read("k"), Outcome::kOk, saw("ab"));
  EXPECT_FALSE(check_linearizable(h, kv()).ok);
}

TEST(LinearizabilityRules, TheInitialValueIsThatOfTheHistory) {
  History h;
  h.set_initial_value(std::string());
  done(h, 1, 0, 10, Op::read("k"), Outcome::kOk, saw(""));
  EXPECT_TRUE(check_linearizable(h, kv()).ok);
  h.set_initial_value(std::nullopt);
  EXPECT_FALSE(check_linearizable(h, kv()).ok);
}

TEST(LinearizabilityWindow, NamesTheStaleReadAndThePrefixBeforeIt) {
  History h;
  const size_t w1 = done(h, 1, 0, 10, Op::write("k", "1"));
  const size_t w2 = done(h, 1, 20, 30, Op::write("k", "2"));
  done(h, 3, 0, 5, Op::write("j", "x"));  // another key: not part of the window
  const size_t stale = done(h, 2, 40, 50, Op::read("k"), Outcome::kOk, saw("1"));
  LinearizabilityResult r = check_linearizable(h, kv());
  ASSERT_EQ(r.verdict, Verdict::kNotLinearizable);
  ASSERT_TRUE(r.failure.has_value());
  const FailingWindow& w = *r.failure;
  EXPECT_EQ(w.key, "k");
  EXPECT_EQ(w.blocking_op, stale);
  EXPECT_EQ(w.window, std::vector<size_t>{stale});
  EXPECT_EQ(w.prefix, (std::vector<size_t>{w1, w2}));
  EXPECT_EQ(w.state_after_prefix, Value("2"));
  EXPECT_TRUE(w.exact);
  EXPECT_EQ(r.failing_keys, std::vector<std::string>{"k"});
}

// Writes and reads of `key` that the search places one by one, then two
// overlapping writes whose values two later reads see in both orders: no
// check before the search proves that, so the key fails after some steps.
void key_failing_late(const std::string& key, History& h) {
  for (int64_t i = 0; i < 5; ++i) {
    done(h, 1, 20 * i, 20 * i + 5, Op::write(key, std::to_string(i)));
    done(h, 1, 20 * i + 10, 20 * i + 15, Op::read(key), Outcome::kOk, saw(std::to_string(i)));
  }
  done(h, 1, 100, 120, Op::write(key, "x"));
  done(h, 2, 110, 130, Op::write(key, "y"));
  done(h, 1, 140, 150, Op::read(key), Outcome::kOk, saw("y"));
  done(h, 1, 160, 170, Op::read(key), Outcome::kOk, saw("x"));
}

// Keys race in search steps: the key reported is the first to fail counting
// each key's own steps, not the first in key order or in time.
TEST(LinearizabilityKeys, ReportsTheFirstKeyToFailInSearchSteps) {
  History h;
  key_failing_late("a", h);
  // Key "b" fails at its first step, later in time.
  const size_t b = done(h, 3, 200, 210, Op::read("b"), Outcome::kOk, saw("never"));
  LinearizabilityResult r = check_linearizable(h, kv());
  ASSERT_TRUE(r.failure.has_value());
  EXPECT_EQ(r.failure->key, "b");
  EXPECT_EQ(r.failure->blocking_op, b);
  EXPECT_EQ(r.failing_keys, std::vector<std::string>{"b"});
  EXPECT_EQ(r.message.find("keys fail"), std::string::npos) << r.message;
}

TEST(LinearizabilityKeys, KeysFailingAtTheSameStepGoByKeyOrder) {
  History h;
  const size_t a = done(h, 1, 100, 110, Op::read("a"), Outcome::kOk, saw("never"));
  done(h, 2, 10, 20, Op::read("b"), Outcome::kOk, saw("never"));
  LinearizabilityResult r = check_linearizable(h, kv());
  ASSERT_TRUE(r.failure.has_value());
  EXPECT_EQ(r.failure->key, "a");
  EXPECT_EQ(r.failure->blocking_op, a);
}

TEST(LinearizabilityKeys, AllKeysNamesEveryFailingKeyAndReportsTheSameWindow) {
  History h;
  key_failing_late("a", h);
  done(h, 3, 200, 210, Op::read("b"), Outcome::kOk, saw("never"));
  done(h, 4, 0, 10, Op::write("c", "fine"));
  LinearizabilityOptions o = kv();
  o.all_keys = true;
  LinearizabilityResult all = check_linearizable(h, o);
  LinearizabilityResult first = check_linearizable(h, kv());
  EXPECT_EQ(all.failing_keys, (std::vector<std::string>{"a", "b"}));
  ASSERT_TRUE(all.failure.has_value());
  EXPECT_EQ(all.failure->key, "b");
  EXPECT_EQ(all.failure->blocking_op, first.failure->blocking_op);
  EXPECT_NE(all.message.find("2 keys fail: \"a\", \"b\""), std::string::npos) << all.message;
}

TEST(LinearizabilityModel, TheCasRegisterHasOneRegisterAndNoAppends) {
  History keyed;
  done(keyed, 1, 0, 1, Op::write("k", "1"));
  EXPECT_FALSE(validate_for_model(keyed, Model::kCasRegister).ok());
  EXPECT_TRUE(validate_for_model(keyed, Model::kKv).ok());
  History appending;
  done(appending, 1, 0, 1, Op::append("", "1"));
  EXPECT_FALSE(validate_for_model(appending, Model::kCasRegister).ok());
  LinearizabilityOptions o;
  o.model = Model::kCasRegister;
  EXPECT_THROW(check_linearizable(appending, o), std::invalid_argument);
}

// etcd_002 is linearizable but needs a few hundred thousand search steps.
History etcd_002() {
  absl::StatusOr<History> h = read_history_file(kEtcdDir + "/etcd_002.log", HistoryFormat::kJepsenLog);
  EXPECT_TRUE(h.ok()) << h.status();
  return h.ok() ? *h : History();
}

TEST(LinearizabilityBudget, RunningOutOfStepsIsAnExplicitUnknown) {
  LinearizabilityOptions o;
  o.model = Model::kCasRegister;
  o.budget.steps_max = 1000;
  LinearizabilityResult r = check_linearizable(etcd_002(), o);
  EXPECT_EQ(r.verdict, Verdict::kUnknown);
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.unknown_keys, std::vector<std::string>{""});
  EXPECT_EQ(r.message.rfind("unknown:", 0), 0u) << r.message;
  o.budget = LinearizabilityBudget{};
  EXPECT_EQ(check_linearizable(etcd_002(), o).verdict, Verdict::kLinearizable);
}

// The budget is per key, and a key out of budget leaves the verdict unknown
// only while no other key is shown to fail.
TEST(LinearizabilityBudget, AKeyShownToFailOutweighsAKeyOutOfBudget) {
  History h = etcd_002();
  LinearizabilityOptions o;
  o.budget.steps_max = 1000;
  LinearizabilityResult unknown = check_linearizable(h, o);
  EXPECT_EQ(unknown.verdict, Verdict::kUnknown);
  const size_t bad = done(h, 99, 0, 1, Op::read("z"), Outcome::kOk, saw("never"));
  LinearizabilityResult failed = check_linearizable(h, o);
  EXPECT_EQ(failed.verdict, Verdict::kNotLinearizable) << failed.message;
  ASSERT_TRUE(failed.failure.has_value());
  EXPECT_EQ(failed.failure->blocking_op, bad);
  EXPECT_TRUE(failed.unknown_keys.empty());
  o.all_keys = true;
  LinearizabilityResult all = check_linearizable(h, o);
  EXPECT_EQ(all.verdict, Verdict::kNotLinearizable);
  EXPECT_EQ(all.unknown_keys, std::vector<std::string>{""});
}

TEST(LinearizabilityBudget, RunningOutOfMemoIsAnExplicitUnknown) {
  LinearizabilityOptions o;
  o.model = Model::kCasRegister;
  o.budget.memo_bytes_max = 1;
  EXPECT_EQ(check_linearizable(etcd_002(), o).verdict, Verdict::kUnknown);
}

TEST(LinearizabilityBudget, RunningOutOfTimeIsAnExplicitUnknown) {
  // Fifty clients on one key: far beyond what the search can finish.
  GeneratorOptions g;
  g.processes = 50;
  g.keys = 1;
  g.operations = 2000;
  Rng rng(7);
  History hard = generate_linearizable_history(g, rng);
  LinearizabilityOptions o;
  o.budget.time_max = std::chrono::milliseconds(50);
  o.budget.steps_max = UINT64_MAX;
  EXPECT_EQ(check_linearizable(hard, o).verdict, Verdict::kUnknown);
}

}  // namespace
}  // namespace shoal::check
