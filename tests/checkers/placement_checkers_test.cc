// pages-cover-once, shard-sizes-balanced, documents-on-owner and
// missing-shards-named, each on good and bad inputs.
#include <gtest/gtest.h>

#include "scenarios/checkers/pagination.h"
#include "scenarios/checkers/partial_answers.h"
#include "scenarios/checkers/shard_balance.h"
#include "tests/checkers/search_oracle_fixtures.h"

namespace shoal::check {
namespace {

using Pages = std::vector<std::vector<std::string>>;

// --- pages-cover-once ---

TEST(PagesCoverOnce, CursorPagesOverShardsCoverTheOracleOnce) {
  const search::Schema schema = testing::small_schema();
  const DocumentSet docs = testing::small_docs(45);
  testing::Store store(schema, docs, {10, 20, 15});
  auto oracle = testing::oracle_of(schema, docs);
  search::SearchRequest r =
      testing::request_of(R"({"query": {"range": {"price": {"gte": 10}}}, "sort": [{"n": "asc"}], "size": 7})", schema);
  Pages pages;
  for (int guard = 0; guard < 100; ++guard) {
    search::SearchResponse page = store.search(r);
    if (page.hits.empty()) break;
    pages.emplace_back();
    for (const search::Hit& h : page.hits) pages.back().push_back(h.id);
    r.search_after = page.hits.back().sort;
  }
  auto expected = oracle->ids_in_order(r);
  ASSERT_TRUE(expected.ok());
  ASSERT_GT(pages.size(), 3u);
  CheckResult c = check_pages_cover_once(pages, *expected);
  EXPECT_TRUE(c.ok) << c.message;
  EXPECT_EQ(c.name, "pages-cover-once");
}

TEST(PagesCoverOnce, ARepeatedItemFailsNamingBothPages) {
  CheckResult c = check_pages_cover_once({{"a", "b"}, {"b", "c"}}, {"a", "b", "c"});
  ASSERT_FALSE(c.ok);
  EXPECT_EQ(c.violation_count, 1u);
  EXPECT_EQ(c.violations[0].what, "page 1 item 0 repeats \"b\" (first on page 0 item 1)");
}

TEST(PagesCoverOnce, ASkippedItemFailsNamingItsPage) {
  CheckResult c = check_pages_cover_once({{"a", "b"}, {"d", "e"}}, {"a", "b", "c", "d", "e"});
  ASSERT_FALSE(c.ok);
  EXPECT_EQ(c.violations[0].what, "\"c\" was skipped: it belonged on page 1 before \"d\"");
  EXPECT_FALSE(check_pages_cover_once({{"a"}}, {"a", "b"}).ok);  // the tail never came
}

TEST(PagesCoverOnce, AnItemOutOfOrderOrUnknownFails) {
  CheckResult order = check_pages_cover_once({{"a", "c"}, {"b", "d"}}, {"a", "b", "c", "d"});
  ASSERT_FALSE(order.ok);
  EXPECT_NE(order.violations[0].what.find("page 1 item 0 \"b\" is out of order"), std::string::npos);
  CheckResult unknown = check_pages_cover_once({{"a", "x"}}, {"a"});
  ASSERT_FALSE(unknown.ok);
  EXPECT_NE(unknown.violations[0].what.find("\"x\" is not in the oracle's matching set"), std::string::npos);
  EXPECT_TRUE(check_pages_cover_once({}, {}).ok);
}

// --- shard-sizes-balanced ---

TEST(ShardSizesBalanced, SizesNearTheMeanPass) {
  CheckResult c = check_shard_sizes_balanced({{0, 100}, {1, 95}, {2, 108}});
  EXPECT_TRUE(c.ok) << c.message;
}

TEST(ShardSizesBalanced, AnUnbalancedShardFailsNamingItsSize) {
  std::map<uint32_t, size_t> sizes;
  for (uint32_t s = 0; s < 10; ++s) sizes[s] = 100;
  sizes[2] = 140;  // mean 104, band ±10.4
  CheckResult c = check_shard_sizes_balanced(sizes);
  ASSERT_FALSE(c.ok);
  EXPECT_EQ(c.violation_count, 1u);
  EXPECT_NE(c.violations[0].what.find("shard 2 holds 140 documents, outside 93.6..114.4"), std::string::npos) << c.violations[0].what;
  // An empty shard beside full ones is unbalanced too.
  EXPECT_FALSE(check_shard_sizes_balanced({{0, 10}, {1, 0}}).ok);
  // Slack lets a tiny collection pass.
  EXPECT_TRUE(check_shard_sizes_balanced({{0, 3}, {1, 5}}, 0.1, 1).ok);
  EXPECT_THROW(check_shard_sizes_balanced({{0, 1}}, -1), std::invalid_argument);
}

// --- documents-on-owner ---

TEST(DocumentsOnOwner, DocumentsOnTheirOwnersPass) {
  CheckResult c = check_documents_on_owner({{"a", 0}, {"b", 1}, {"c", 1}}, {{"a", 0}, {"b", 1}, {"c", 1}});
  EXPECT_TRUE(c.ok) << c.message;
}

TEST(DocumentsOnOwner, ADocumentOnTheWrongShardFails) {
  CheckResult c = check_documents_on_owner({{"a", 0}, {"b", 2}}, {{"a", 0}, {"b", 1}});
  ASSERT_FALSE(c.ok);
  EXPECT_EQ(c.violations[0].what, "document \"b\" is on shard 2 but its owner is shard 1");
  // Left behind by a migration: on its owner and on the old shard.
  EXPECT_EQ(check_documents_on_owner({{"a", 0}, {"a", 1}}, {{"a", 1}}).violation_count, 1u);
  EXPECT_FALSE(check_documents_on_owner({{"z", 0}}, {}).ok);
}

// --- missing-shards-named ---

SearchCoverage coverage(std::vector<uint32_t> contributed, uint32_t total, std::vector<uint32_t> missing) {
  return SearchCoverage{7, {0, 1, 2}, std::move(contributed), total, std::move(missing)};
}

TEST(MissingShardsNamed, EveryShardAnsweredOrNamedPasses) {
  CheckResult c = check_missing_shards_named({coverage({0, 1, 2}, 3, {}), coverage({0, 2}, 3, {1})}, false);
  EXPECT_TRUE(c.ok) << c.message;
}

TEST(MissingShardsNamed, AnUnnamedMissingShardFails) {
  CheckResult c = check_missing_shards_named({coverage({0, 2}, 3, {})}, false);
  ASSERT_FALSE(c.ok);
  EXPECT_EQ(c.violations[0].what, "search #7: shard 1 did not answer but is not named missing");
  EXPECT_EQ(c.violations[0].ops, std::vector<size_t>{7});
  // A total that forgets the silent shard is as bad.
  EXPECT_FALSE(check_missing_shards_named({coverage({0, 2}, 2, {})}, false).ok);
  // Naming a shard missing whose answer was merged contradicts the totals.
  EXPECT_FALSE(check_missing_shards_named({coverage({0, 1, 2}, 3, {1})}, false).ok);
  EXPECT_FALSE(check_missing_shards_named({coverage({0, 1, 2}, 3, {9})}, false).ok);
}

TEST(MissingShardsNamed, NothingMayBeMissingWhenEveryShardHasAReplica) {
  CheckResult c = check_missing_shards_named({coverage({0, 2}, 3, {1})}, true);
  ASSERT_FALSE(c.ok);
  EXPECT_NE(c.violations[0].what.find("shard 1 is missing though no shard may be"), std::string::npos);
  EXPECT_TRUE(check_missing_shards_named({coverage({0, 1, 2}, 3, {})}, true).ok);
}

TEST(MissingShardsNamed, CoverageOfAMergedResponse) {
  const search::Schema schema = testing::small_schema();
  testing::Store store(schema, testing::small_docs(20), {5, 10, 5});
  const search::SearchResponse response = store.search(testing::request_of(R"({"size": 3})", schema), {2});
  EXPECT_TRUE(check_missing_shards_named({coverage_of(0, response, {0, 1, 2}, {0, 1})}, false).ok);
  EXPECT_FALSE(check_missing_shards_named({coverage_of(0, response, {0, 1, 2}, {0, 1})}, true).ok);
}

}  // namespace
}  // namespace shoal::check
