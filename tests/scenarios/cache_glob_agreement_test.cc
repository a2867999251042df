// The two glob matchers agree: the engine's (engine/client/glob.h, which
// LocalCache drops entries by) and cache-never-stale's own
// (scenarios/checkers/cache_never_stale.h, which judges it). They are
// written apart on purpose — a checker must not share the code it judges —
// so this property is what keeps them saying the same thing.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <string>

#include "engine/client/glob.h"
#include "scenarios/checkers/cache_never_stale.h"

namespace shoal {
namespace {

TEST(CacheGlobAgreementTest, TheScenarioPatternsAgree) {
  for (const char* pattern : {"d1*", "d?", "d1?", "*", "d[0-4]", "d[!0-4]*"}) {
    for (const char* key : {"d1", "d10", "d11", "d2", "d5", "e1", ""}) {
      EXPECT_EQ(std::optional<bool>(glob_match(pattern, key)), check::glob_matches(pattern, key))
          << pattern << " " << key;
    }
  }
}

RC_GTEST_PROP(CacheGlobAgreementProperty, EngineAndCheckerMatchersAgree, ()) {
  const std::string pattern = *rc::gen::container<std::string>(
      *rc::gen::inRange<size_t>(1, 16), rc::gen::elementOf(std::string("d1*?[]!^-a")));
  const std::string text =
      *rc::gen::container<std::string>(*rc::gen::inRange<size_t>(0, 12), rc::gen::elementOf(std::string("d1a-]!^")));
  const std::optional<bool> judged = check::glob_matches(pattern, text);
  RC_ASSERT(judged.has_value() == glob_well_formed(pattern));
  if (judged) RC_ASSERT(*judged == glob_match(pattern, text));
}

}  // namespace
}  // namespace shoal
