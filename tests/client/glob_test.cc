// Glob patterns of invalidations (engine/client/glob.h): the fnmatch subset
// they promise, what is well formed, and that matching is total on every
// well-formed pattern.
#include "engine/client/glob.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <string>

namespace shoal {
namespace {

TEST(GlobTest, StarMatchesAnyRunIncludingEmptyAndSlashes) {
  EXPECT_TRUE(glob_match("d1*", "d1"));
  EXPECT_TRUE(glob_match("d1*", "d10"));
  EXPECT_TRUE(glob_match("d1*", "d1/x/y"));
  EXPECT_FALSE(glob_match("d1*", "d2"));
  EXPECT_FALSE(glob_match("d1*", "xd1"));
  EXPECT_TRUE(glob_match("*", ""));
  EXPECT_TRUE(glob_match("*1", "d11"));
  EXPECT_TRUE(glob_match("a*b*c", "aXbYbZc"));
  EXPECT_FALSE(glob_match("a*b*c", "aXbYbZ"));
  EXPECT_TRUE(glob_match("**", "anything"));
}

TEST(GlobTest, QuestionMarkMatchesExactlyOneByte) {
  EXPECT_TRUE(glob_match("d?", "d1"));
  EXPECT_FALSE(glob_match("d?", "d"));
  EXPECT_FALSE(glob_match("d?", "d10"));
  EXPECT_TRUE(glob_match("??", std::string("\xff\x00", 2)));
}

TEST(GlobTest, SetsRangesAndNegation) {
  EXPECT_TRUE(glob_match("d[0-4]", "d3"));
  EXPECT_FALSE(glob_match("d[0-4]", "d5"));
  EXPECT_TRUE(glob_match("d[!0-4]", "d5"));
  EXPECT_TRUE(glob_match("d[^0-4]", "d5"));
  EXPECT_FALSE(glob_match("d[!0-4]", "d3"));
  EXPECT_TRUE(glob_match("[abc]x", "bx"));
  EXPECT_FALSE(glob_match("[abc]x", "dx"));
  // A `]` first in the set is a member; a `-` first or last is literal.
  EXPECT_TRUE(glob_match("[]a]", "]"));
  EXPECT_TRUE(glob_match("[!]a]", "b"));
  EXPECT_FALSE(glob_match("[!]a]", "]"));
  EXPECT_TRUE(glob_match("[-a]", "-"));
  EXPECT_TRUE(glob_match("[a-]", "-"));
  EXPECT_FALSE(glob_match("[a-]", "b"));
  // A reversed range holds nothing.
  EXPECT_FALSE(glob_match("[z-a]", "m"));
  // Special bytes are literal inside a set.
  EXPECT_TRUE(glob_match("[*?]", "*"));
  EXPECT_FALSE(glob_match("[*?]", "x"));
}

TEST(GlobTest, OtherBytesMatchThemselvesWithoutEscapes) {
  EXPECT_TRUE(glob_match("inv/c", "inv/c"));
  EXPECT_FALSE(glob_match("inv/c", "inv/d"));
  EXPECT_TRUE(glob_match("a\\b", "a\\b"));
  EXPECT_TRUE(glob_match("]", "]"));
}

TEST(GlobTest, WellFormedness) {
  EXPECT_TRUE(glob_well_formed("d1*"));
  EXPECT_TRUE(glob_well_formed("]"));
  EXPECT_TRUE(glob_well_formed("[]]"));
  EXPECT_TRUE(glob_well_formed(std::string(kGlobBytesMax, '*')));
  EXPECT_FALSE(glob_well_formed(""));
  EXPECT_FALSE(glob_well_formed(std::string(kGlobBytesMax + 1, '*')));
  EXPECT_FALSE(glob_well_formed("d["));
  EXPECT_FALSE(glob_well_formed("d[a-z"));
  EXPECT_FALSE(glob_well_formed("[]"));
  EXPECT_FALSE(glob_well_formed("[!]"));
  EXPECT_FALSE(glob_well_formed("[!"));
}

// A pattern is a literal text with `*` and `?` sprinkled in: it matches the
// text it came from, and `*` alone matches everything.
RC_GTEST_PROP(GlobProperty, APatternMatchesTheTextItWasMadeFrom, ()) {
  const std::string text = *rc::gen::container<std::string>(
      *rc::gen::inRange<size_t>(0, 30), rc::gen::elementOf(std::string("ab/-!]")));
  std::string pattern;
  for (char c : text) {
    const int dice = *rc::gen::inRange(0, 6);
    if (dice == 0) pattern += '?';
    else if (dice == 1) pattern += std::string("*") + c;
    else pattern += c;
  }
  if (pattern.empty()) pattern = "*";
  RC_ASSERT(glob_well_formed(pattern));
  RC_ASSERT(glob_match(pattern, text));
  RC_ASSERT(glob_match("*", text));
}

// Any well-formed pattern over the special bytes is matched against any
// text without a crash or an endless loop, and a pattern wrapped in stars
// matches whatever the pattern matches.
RC_GTEST_PROP(GlobProperty, MatchingIsTotalAndStarsOnlyWiden, ()) {
  const std::string pattern = *rc::gen::container<std::string>(
      *rc::gen::inRange<size_t>(1, 20), rc::gen::elementOf(std::string("ab*?[]!^-")));
  const std::string text =
      *rc::gen::container<std::string>(*rc::gen::inRange<size_t>(0, 20), rc::gen::elementOf(std::string("ab]-!")));
  std::string pattern_closed = pattern;
  // Only the last set can be open (the scan stops there): a member and a
  // `]` close it.
  if (!glob_well_formed(pattern_closed)) pattern_closed += "a]";
  RC_ASSERT(glob_well_formed(pattern_closed));
  const bool matched = glob_match(pattern_closed, text);
  // `*` in front and behind only widens the match.
  RC_ASSERT(!matched || glob_match("*" + pattern_closed + "*", text));
}

}  // namespace
}  // namespace shoal
