// The proof before searching that a requirement cannot be met: it names the
// read whose every producer was certainly overwritten, and nothing that
// some order explains. (That it never changes a verdict or a window is the
// SearchReductions property, which compares against the plain search.)
#include "scenarios/checkers/overwritten_reads.h"

#include <gtest/gtest.h>

#include <vector>

namespace shoal::check::internal {
namespace {

size_t done(History& h, uint32_t p, int64_t invoke_ns, int64_t complete_ns, Op op, Outcome outcome = Outcome::kOk,
            Value read = std::nullopt) {
  const size_t i = h.invoke(p, invoke_ns, std::move(op));
  h.complete(i, complete_ns, outcome, Result{std::move(read), true});
  return i;
}

// The operation overwritten_requirement names, as a history index, or -1.
int64_t overwritten(const History& h) {
  std::vector<size_t> ops;
  for (size_t i = 0; i < h.size(); ++i) ops.push_back(i);
  ValueTable values;
  std::vector<ModelOp> model_ops;
  bool has_appends = false;
  for (size_t i : ops) {
    model_ops.push_back(intern_op(values, h[i]));
    has_appends = has_appends || h[i].op.type == OpType::kAppend;
  }
  const uint32_t initial = values.intern(h.initial_value());
  const uint32_t found = overwritten_requirement({h, ops, model_ops, values, initial, has_appends});
  return found == UINT32_MAX ? -1 : int64_t(ops[found]);
}

TEST(OverwrittenReads, AReadOfAValueAKnownWriteReplacedIsNamed) {
  History h;
  done(h, 1, 0, 10, Op::write("k", "old"));
  done(h, 1, 20, 30, Op::write("k", "new"));
  const size_t stale = done(h, 2, 40, 50, Op::read("k"), Outcome::kOk, "old");
  EXPECT_EQ(overwritten(h), int64_t(stale));
}

TEST(OverwrittenReads, AProducerThatMayComeLaterKeepsTheReadPossible) {
  History overlapping;  // "old" may take effect after "new" began
  done(overlapping, 1, 0, 25, Op::write("k", "old"));
  done(overlapping, 2, 20, 30, Op::write("k", "new"));
  done(overlapping, 3, 40, 50, Op::read("k"), Outcome::kOk, "old");
  EXPECT_EQ(overwritten(overlapping), -1);
  History unknown;  // "old" may take effect at any time after its invocation
  done(unknown, 1, 0, 10, Op::write("k", "old"), Outcome::kUnknown);
  done(unknown, 1, 20, 30, Op::write("k", "new"));
  done(unknown, 2, 40, 50, Op::read("k"), Outcome::kOk, "old");
  EXPECT_EQ(overwritten(unknown), -1);
}

TEST(OverwrittenReads, AWriteThatOverlapsTheReadDoesNotCount) {
  History h;
  done(h, 1, 0, 10, Op::write("k", "old"));
  done(h, 1, 20, 45, Op::write("k", "new"));
  done(h, 2, 40, 50, Op::read("k"), Outcome::kOk, "old");
  EXPECT_EQ(overwritten(h), -1);
}

TEST(OverwrittenReads, AValueNothingWritesIsNamedAndTheInitialValueCounts) {
  History never;
  const size_t read = done(never, 2, 40, 50, Op::read("k"), Outcome::kOk, "never");
  EXPECT_EQ(overwritten(never), int64_t(read));
  History initial;
  initial.set_initial_value("start");
  done(initial, 2, 0, 5, Op::read("k"), Outcome::kOk, "start");
  EXPECT_EQ(overwritten(initial), -1);
  done(initial, 1, 10, 20, Op::write("k", "1"));
  const size_t stale = done(initial, 2, 30, 40, Op::read("k"), Outcome::kOk, "start");
  EXPECT_EQ(overwritten(initial), int64_t(stale));
}

TEST(OverwrittenReads, AppendsKeepEveryPrefixAProducer) {
  History h;
  h.set_initial_value(std::string());
  done(h, 1, 0, 10, Op::write("k", "w"));
  done(h, 1, 20, 30, Op::append("k", "[1]"));
  done(h, 2, 40, 50, Op::read("k"), Outcome::kOk, "w[1]");  // "w" produces it
  EXPECT_EQ(overwritten(h), -1);
  done(h, 1, 60, 70, Op::write("k", "v"));
  const size_t stale = done(h, 2, 80, 90, Op::read("k"), Outcome::kOk, "w[1]");
  EXPECT_EQ(overwritten(h), int64_t(stale));
}

TEST(OverwrittenReads, OfSeveralTheOneCompletingFirstIsNamed) {
  History h;
  done(h, 1, 0, 10, Op::write("k", "a"));
  done(h, 1, 20, 30, Op::write("k", "b"));
  done(h, 2, 40, 90, Op::read("k"), Outcome::kOk, "a");
  const size_t first = done(h, 3, 50, 60, Op::read("k"), Outcome::kOk, "never");
  EXPECT_EQ(overwritten(h), int64_t(first));
}

}  // namespace
}  // namespace shoal::check::internal
