// cache-never-stale and its glob matcher, on good and bad step sequences.
#include "scenarios/checkers/cache_never_stale.h"

#include <gtest/gtest.h>

#include "tests/checkers/violation_kinds.h"

namespace shoal::check {
namespace {

CacheStep invalidate(int64_t at_ns, std::string key, uint64_t revision) {
  return {CacheStep::Kind::kInvalidate, at_ns, std::move(key), revision, false};
}
CacheStep invalidate_glob(int64_t at_ns, std::string pattern, uint64_t revision) {
  return {CacheStep::Kind::kInvalidate, at_ns, std::move(pattern), revision, true};
}
CacheStep serve(int64_t at_ns, std::string key, uint64_t revision) {
  return {CacheStep::Kind::kServe, at_ns, std::move(key), revision, false};
}

TEST(GlobMatches, FollowsFnmatchForStarQuestionMarkAndSets) {
  EXPECT_EQ(glob_matches("", ""), true);
  EXPECT_EQ(glob_matches("", "a"), false);
  EXPECT_EQ(glob_matches("*", ""), true);
  EXPECT_EQ(glob_matches("user:*", "user:7/profile"), true);  // `*` crosses `/`
  EXPECT_EQ(glob_matches("user:*", "order:7"), false);
  EXPECT_EQ(glob_matches("a?c", "abc"), true);
  EXPECT_EQ(glob_matches("a?c", "ac"), false);
  EXPECT_EQ(glob_matches("a*b*c", "axxbyyc"), true);
  EXPECT_EQ(glob_matches("a*b*c", "axxbyy"), false);
  EXPECT_EQ(glob_matches("*ab", "aab"), true);  // the star must give back what it took
  EXPECT_EQ(glob_matches("k[0-3]", "k2"), true);
  EXPECT_EQ(glob_matches("k[0-3]", "k4"), false);
  EXPECT_EQ(glob_matches("k[!0-3]", "k4"), true);
  EXPECT_EQ(glob_matches("k[^0-3]", "k2"), false);
  EXPECT_EQ(glob_matches("[]]", "]"), true);
  EXPECT_EQ(glob_matches("[a-]", "-"), true);
  EXPECT_EQ(glob_matches("a\\*", "a\\b"), true);  // no escape character: `\` is literal
}

TEST(GlobMatches, RefusesMalformedAndOverlongPatterns) {
  EXPECT_EQ(glob_matches("k[0-3", "k1"), std::nullopt);
  EXPECT_EQ(glob_matches("[]", "]"), std::nullopt);  // the `]` is a member, and the set never closes
  EXPECT_EQ(glob_matches(std::string(kGlobPatternBytesMax, '*'), "x"), true);
  EXPECT_EQ(glob_matches(std::string(kGlobPatternBytesMax + 1, '*'), "x"), std::nullopt);
}

TEST(CacheNeverStale, FreshServesPass) {
  const CheckResult r = check_cache_never_stale({
      {0, {serve(1, "k", 2), invalidate(2, "k", 5), serve(3, "k", 5), serve(4, "k", 7), serve(5, "j", 1)}},
      {1, {invalidate_glob(1, "user:*", 9), serve(2, "user:1", 9), serve(3, "order:1", 1)}},
  });
  EXPECT_TRUE(r.ok) << r.message;
  EXPECT_EQ(r.name, "cache-never-stale");
  EXPECT_EQ(r.message, "cache-never-stale: ok (2 subscribers, 6 serves)");
}

TEST(CacheNeverStale, NothingJudgedSaysSo) {
  EXPECT_EQ(check_cache_never_stale({}).message, "cache-never-stale: ok (0 subscribers, 0 serves)");
}

TEST(CacheNeverStale, ServingBelowADeliveredInvalidationIsStale) {
  const CheckResult r = check_cache_never_stale({{0, {invalidate(1, "k", 5), serve(2, "k", 4)}}});
  EXPECT_TRUE(only_kind(r, "stale-serve")) << r.message;
}

TEST(CacheNeverStale, AGlobInvalidationCoversEveryKeyItMatches) {
  const CheckResult r = check_cache_never_stale(
      {{0, {invalidate(1, "user:1", 3), invalidate_glob(2, "user:[0-4]", 8), serve(3, "user:1", 5),
            serve(4, "user:5", 1)}}});
  EXPECT_TRUE(only_kind(r, "stale-serve")) << r.message;
  EXPECT_EQ(r.violation_count, 1u);
  EXPECT_NE(r.violations[0].what.find("pattern \"user:[0-4]\" at revision 8"), std::string::npos)
      << r.violations[0].what;
}

TEST(CacheNeverStale, SubscribersAreJudgedApart) {
  EXPECT_TRUE(check_cache_never_stale({{0, {invalidate(1, "k", 5)}}, {1, {serve(2, "k", 1)}}}).ok);
}

TEST(CacheNeverStale, AnUnusablePatternIsBadPattern) {
  const CheckResult r = check_cache_never_stale(
      {{0, {invalidate_glob(1, "k[0-3", 5), invalidate_glob(2, std::string(kGlobPatternBytesMax + 1, 'k'), 6),
            serve(3, "k1", 1)}}});
  EXPECT_TRUE(only_kind(r, "bad-pattern")) << r.message;
  EXPECT_EQ(r.violation_count, 2u);
}

}  // namespace
}  // namespace shoal::check
