// LocalCache (engine/client/local_cache.h): invalidations drop what they
// cover; the late put of the read-invalidate-put race is refused; globs;
// the bounds on entries and on remembered revisions, and the collapse into
// a floor; and, as a property, that the cache never holds a value read
// below an invalidation already applied to its key, whatever the order of
// puts and invalidations.
#include "engine/client/local_cache.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <map>
#include <string>
#include <vector>

namespace shoal {
namespace {

Invalidation key_inv(std::string key) { return {std::move(key), false, ""}; }
Invalidation glob_inv(std::string pattern) { return {std::move(pattern), true, ""}; }

TEST(LocalCacheTest, ServesWhatWasPut) {
  LocalCache cache;
  EXPECT_FALSE(cache.get("d1").has_value());
  EXPECT_EQ(cache.put("d1", "v1", 10), CachePut::kStored);
  EXPECT_EQ(cache.get("d1"), (CachedValue{"v1", 10}));
  EXPECT_EQ(cache.stats().hits, 1u);
  EXPECT_EQ(cache.stats().misses, 1u);
}

TEST(LocalCacheTest, AnInvalidationDropsOnlyValuesReadBeforeIt) {
  LocalCache cache;
  cache.put("d1", "old", 10);
  cache.put("d2", "other", 10);
  cache.put("d3", "fresh", 20);
  cache.on_invalidation(key_inv("d1"), 15);
  cache.on_invalidation(key_inv("d3"), 20);  // read at 20: it saw the change at 20
  EXPECT_FALSE(cache.get("d1").has_value());
  EXPECT_TRUE(cache.get("d2").has_value());
  EXPECT_TRUE(cache.get("d3").has_value());
  EXPECT_EQ(cache.stats().dropped, 1u);
}

// The classic race: the read starts, the invalidation arrives while the key
// is not cached, and the read completes with the value from before it.
TEST(LocalCacheTest, TheLatePutOfTheRaceIsRefused) {
  LocalCache cache;
  cache.on_invalidation(key_inv("d1"), 15);
  EXPECT_EQ(cache.put("d1", "stale", 14), CachePut::kStale);
  EXPECT_FALSE(cache.get("d1").has_value());
  EXPECT_EQ(cache.invalidated_through("d1"), 15u);
  // At the invalidation's revision or after, the read saw the change.
  EXPECT_EQ(cache.put("d1", "fresh", 15), CachePut::kStored);
  EXPECT_EQ(cache.put("d2", "unrelated", 3), CachePut::kStored);
  EXPECT_EQ(cache.stats().refused_stale, 1u);
}

TEST(LocalCacheTest, AnOlderReadNeverReplacesANewerOne) {
  LocalCache cache;
  cache.put("d1", "new", 20);
  EXPECT_EQ(cache.put("d1", "old", 12), CachePut::kKeptNewer);
  EXPECT_EQ(cache.get("d1")->value, "new");
  EXPECT_EQ(cache.put("d1", "newer", 25), CachePut::kStored);
  EXPECT_EQ(cache.get("d1")->value, "newer");
  EXPECT_EQ(cache.size(), 1u);
}

TEST(LocalCacheTest, AGlobDropsWhatItMatchesAndRefusesLatePutsOfThem) {
  LocalCache cache;
  for (const char* k : {"d1", "d10", "d11", "d2"}) cache.put(k, "v", 10);
  cache.on_invalidation(glob_inv("d1*"), 30);
  EXPECT_FALSE(cache.get("d1").has_value());
  EXPECT_FALSE(cache.get("d10").has_value());
  EXPECT_FALSE(cache.get("d11").has_value());
  EXPECT_TRUE(cache.get("d2").has_value());
  EXPECT_EQ(cache.put("d12", "late", 29), CachePut::kStale);
  EXPECT_EQ(cache.put("d2", "fine", 29), CachePut::kStored);
  EXPECT_EQ(cache.invalidated_through("d19"), 30u);
  EXPECT_EQ(cache.invalidated_through("d2"), 0u);
  // The highest covering revision wins, key or pattern.
  cache.on_invalidation(key_inv("d12"), 40);
  EXPECT_EQ(cache.invalidated_through("d12"), 40u);
}

TEST(LocalCacheTest, AMalformedInvalidationCoversEverything) {
  LocalCache cache;
  cache.put("x", "v", 5);
  cache.on_invalidation(glob_inv("d["), 9);
  EXPECT_FALSE(cache.get("x").has_value());
  EXPECT_EQ(cache.floor(), 9u);
  EXPECT_EQ(cache.put("anything", "v", 8), CachePut::kStale);
}

TEST(LocalCacheTest, InvalidateAllRaisesTheFloorAndForgetsWhatItCovers) {
  LocalCache cache;
  cache.put("a", "v", 5);
  cache.put("b", "v", 12);
  cache.on_invalidation(key_inv("c"), 8);
  cache.on_invalidation(key_inv("d"), 20);
  cache.invalidate_all(10);
  EXPECT_FALSE(cache.get("a").has_value());
  EXPECT_TRUE(cache.get("b").has_value());
  EXPECT_EQ(cache.key_marks(), 1u) << "the mark at 8 says nothing the floor does not";
  EXPECT_EQ(cache.put("e", "v", 9), CachePut::kStale);
  EXPECT_EQ(cache.put("d", "v", 19), CachePut::kStale);
  // A lower floor changes nothing.
  cache.invalidate_all(3);
  EXPECT_EQ(cache.floor(), 10u);
}

TEST(LocalCacheTest, EntriesAreBoundedByCountAndBytesOldestReadFirst) {
  LocalCache cache(LocalCacheOptions{.entries_max = 3});
  cache.put("a", "v", 7);
  cache.put("b", "v", 3);
  cache.put("c", "v", 9);
  cache.put("d", "v", 8);
  EXPECT_EQ(cache.size(), 3u);
  EXPECT_FALSE(cache.get("b").has_value()) << "read longest ago, evicted first";
  EXPECT_EQ(cache.stats().evicted, 1u);

  LocalCache small(LocalCacheOptions{.bytes_max = 2 * kLocalCacheEntryOverheadBytes + 5});
  small.put("a", "12345", 1);
  small.put("b", "v", 2);
  EXPECT_EQ(small.size(), 1u);
  EXPECT_TRUE(small.get("b").has_value());
  EXPECT_EQ(small.put("c", std::string(200, 'x'), 3), CachePut::kTooLarge);
  EXPECT_LE(small.bytes(), 2 * kLocalCacheEntryOverheadBytes + 5);
}

// Past the bound on remembered keys, the older half collapses into the
// floor: every late put that was refused before is still refused.
TEST(LocalCacheTest, RememberedKeysCollapseIntoAConservativeFloor) {
  LocalCache cache(LocalCacheOptions{.key_marks_max = 4});
  for (uint64_t i = 1; i <= 4; ++i) cache.on_invalidation(key_inv("k" + std::to_string(i)), 10 * i);
  EXPECT_EQ(cache.floor(), 0u);
  EXPECT_EQ(cache.key_marks(), 4u);
  cache.on_invalidation(key_inv("k5"), 50);
  EXPECT_EQ(cache.stats().collapses, 1u);
  EXPECT_LE(cache.key_marks(), 4u);
  EXPECT_GE(cache.floor(), 10u);
  EXPECT_LT(cache.floor(), 50u) << "the newest marks are kept";
  for (uint64_t i = 1; i <= 5; ++i) {
    EXPECT_EQ(cache.put("k" + std::to_string(i), "late", 10 * i - 1), CachePut::kStale) << i;
  }
  EXPECT_EQ(cache.put("k5", "fresh", 50), CachePut::kStored);
}

TEST(LocalCacheTest, RememberedPatternsCollapseIntoAConservativeFloor) {
  LocalCache cache(LocalCacheOptions{.pattern_marks_max = 2});
  cache.on_invalidation(glob_inv("a*"), 10);
  cache.on_invalidation(glob_inv("b*"), 20);
  cache.on_invalidation(glob_inv("c*"), 30);
  EXPECT_EQ(cache.stats().collapses, 1u);
  EXPECT_LE(cache.pattern_marks(), 2u);
  EXPECT_EQ(cache.put("a1", "late", 9), CachePut::kStale);
  EXPECT_EQ(cache.put("b1", "late", 19), CachePut::kStale);
  EXPECT_EQ(cache.put("c1", "late", 29), CachePut::kStale);
  EXPECT_EQ(cache.put("c1", "fresh", 30), CachePut::kStored);
}

// Against a model that remembers every invalidation exactly: whatever the
// cache serves was read at or after every invalidation applied to its key,
// every put the model calls stale is refused (the cache may refuse more,
// once it has collapsed), and the bounds hold throughout.
RC_GTEST_PROP(LocalCacheProperty, NeverServesAValueReadBeforeAnAppliedInvalidation, ()) {
  const LocalCacheOptions options{.entries_max = *rc::gen::inRange<size_t>(1, 8),
                                  .key_marks_max = *rc::gen::inRange<size_t>(1, 6),
                                  .pattern_marks_max = *rc::gen::inRange<size_t>(1, 3)};
  LocalCache cache(options);
  const std::vector<std::string> keys{"d1", "d2", "d10", "e1"};
  const std::vector<std::string> patterns{"d1*", "d?", "*1", "e*"};
  std::map<std::string, uint64_t> highest;  // the model: per key, the highest covering invalidation
  const int steps = *rc::gen::inRange(1, 80);
  for (int i = 0; i < steps; ++i) {
    const uint64_t revision = *rc::gen::inRange<uint64_t>(1, 60);
    const int dice = *rc::gen::inRange(0, 10);
    if (dice < 5) {
      const std::string& key = *rc::gen::elementOf(keys);
      const CachePut put = cache.put(key, "v", revision);
      if (revision < highest[key]) RC_ASSERT(put == CachePut::kStale);
    } else if (dice < 7) {
      const std::string& key = *rc::gen::elementOf(keys);
      cache.on_invalidation(key_inv(key), revision);
      highest[key] = std::max(highest[key], revision);
    } else if (dice < 9) {
      const std::string& pattern = *rc::gen::elementOf(patterns);
      cache.on_invalidation(glob_inv(pattern), revision);
      for (const std::string& key : keys) {
        if (glob_match(pattern, key)) highest[key] = std::max(highest[key], revision);
      }
    } else {
      cache.invalidate_all(revision);
      for (const std::string& key : keys) highest[key] = std::max(highest[key], revision);
    }
    for (const std::string& key : keys) {
      if (auto hit = cache.get(key)) RC_ASSERT(hit->read_revision >= highest[key]);
      RC_ASSERT(cache.invalidated_through(key) >= highest[key]);
    }
    RC_ASSERT(cache.size() <= options.entries_max);
    RC_ASSERT(cache.key_marks() <= options.key_marks_max);
    RC_ASSERT(cache.pattern_marks() <= options.pattern_marks_max);
  }
}

}  // namespace
}  // namespace shoal
