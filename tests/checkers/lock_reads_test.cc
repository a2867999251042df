// lock-reads-agree on reads known right and known wrong.
#include <gtest/gtest.h>

#include "scenarios/checkers/lock_reads.h"

namespace shoal::check {
namespace {

// r0 granted at 3 (token 3), freed at 7, granted at 9 (token 9); r1 granted at 5.
const std::vector<LockChange> kChanges{{3, "r0", 3}, {5, "r1", 5}, {7, "r0", 0}, {9, "r0", 9}};

LockRead status(std::string resource, uint64_t at, std::map<std::string, uint64_t> held) {
  return LockRead{0, false, std::move(resource), at, std::move(held)};
}
LockRead active(uint64_t at, std::map<std::string, uint64_t> held) { return LockRead{1, true, "", at, std::move(held)}; }

TEST(LockReads, ReadsThatMatchTheLogAtTheirIndexPass) {
  const CheckResult r = check_lock_reads(
      kChanges, {status("r0", 2, {}), status("r0", 3, {{"r0", 3}}), status("r0", 8, {}), status("r0", 9, {{"r0", 9}}),
                 active(6, {{"r0", 3}, {"r1", 5}}), active(8, {{"r1", 5}}), active(1, {})});
  EXPECT_TRUE(r.ok) << r.message;
  EXPECT_NE(r.message.find("(7 lock reads)"), std::string::npos) << r.message;
}

TEST(LockReads, AStatusReadNamingTheWrongHolderOrFreedomIsNamed) {
  for (const LockRead& bad : {status("r0", 8, {{"r0", 3}}), status("r0", 4, {}), status("r0", 10, {{"r0", 3}}),
                              status("r0", 4, {{"r1", 5}})}) {
    const CheckResult r = check_lock_reads(kChanges, {bad});
    EXPECT_FALSE(r.ok);
    ASSERT_FALSE(r.violations.empty());
    EXPECT_EQ(r.violations[0].what.rfind("status-disagrees", 0), 0u) << r.violations[0].what;
  }
}

TEST(LockReads, AListingMissingAddingOrMisnamingALockIsNamed) {
  for (const LockRead& bad : {active(6, {{"r0", 3}}), active(8, {{"r0", 3}, {"r1", 5}}),
                              active(10, {{"r0", 3}, {"r1", 5}}), active(10, {{"r0", 9}, {"r1", 5}, {"zz", 1}})}) {
    const CheckResult r = check_lock_reads(kChanges, {bad});
    EXPECT_FALSE(r.ok);
    ASSERT_FALSE(r.violations.empty());
    EXPECT_EQ(r.violations[0].what.rfind("active-disagrees", 0), 0u) << r.violations[0].what;
  }
}

TEST(LockReads, ChangesGoingBackCannotBeJudged) {
  const CheckResult r = check_lock_reads({{5, "r0", 5}, {4, "r0", 0}}, {status("r0", 6, {})});
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.violations[0].what.rfind("bad-history", 0), 0u);
}

}  // namespace
}  // namespace shoal::check
