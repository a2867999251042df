// Collection settings and routing data: every rule refuses with kBadRequest
// and a message; building a collection allocates groups and checks names.
#include <gtest/gtest.h>

#include <functional>
#include <string>
#include <vector>

#include "engine/cluster/shard_map.h"
#include "tests/cluster/cluster_test_util.h"

namespace shoal::cluster {
namespace {

using search::Value;

TEST(Strategy, NamesRoundTripAndNothingElseParses) {
  for (ShardingStrategy s : {ShardingStrategy::kHash, ShardingStrategy::kRange, ShardingStrategy::kVector}) {
    ShardingStrategy back = ShardingStrategy::kHash;
    ASSERT_TRUE(parse_strategy(strategy_name(s), &back));
    EXPECT_EQ(back, s);
  }
  EXPECT_EQ(strategy_name(ShardingStrategy::kRange), "range");
  ShardingStrategy untouched = ShardingStrategy::kVector;
  for (const char* bad : {"", "Hash", "hash ", "consistent"}) {
    EXPECT_FALSE(parse_strategy(bad, &untouched)) << bad;
  }
  EXPECT_EQ(untouched, ShardingStrategy::kVector);
}

TEST(Settings, ValidSettingsOfEachStrategyPass) {
  search::Schema schema;
  EXPECT_TRUE(validate_settings(test::settings("a", ShardingStrategy::kHash, 1), 1, &schema).ok());
  EXPECT_EQ(schema.fields().size(), 3u);
  EXPECT_TRUE(validate_settings(test::settings("a-b_9", ShardingStrategy::kRange, kMaxShards, 3, "color"), 3).ok());
  EXPECT_TRUE(validate_settings(test::settings("9", ShardingStrategy::kRange, 2, 1, "price"), 1).ok());
  EXPECT_TRUE(validate_settings(
                  test::settings("v", ShardingStrategy::kVector, 4, 1, "", test::vector_schema(4, "l2_norm")), 1)
                  .ok());
  EXPECT_TRUE(validate_settings(test::settings(std::string(kMaxCollectionNameBytes, 'n'), ShardingStrategy::kHash, 1), 1).ok());
}

TEST(Settings, EveryRuleRefusesWithBadRequest) {
  const std::vector<std::pair<const char*, std::function<void(CollectionSettings&)>>> breaks = {
      {"empty name", [](CollectionSettings& s) { s.name = ""; }},
      {"long name", [](CollectionSettings& s) { s.name = std::string(kMaxCollectionNameBytes + 1, 'n'); }},
      {"upper case", [](CollectionSettings& s) { s.name = "Books"; }},
      {"leading dash", [](CollectionSettings& s) { s.name = "-books"; }},
      {"slash", [](CollectionSettings& s) { s.name = "a/b"; }},
      {"dot dot", [](CollectionSettings& s) { s.name = ".."; }},
      {"bad schema", [](CollectionSettings& s) { s.schema_json = "{"; }},
      {"huge schema", [](CollectionSettings& s) { s.schema_json = std::string(kMaxSchemaJsonBytes + 1, ' '); }},
      {"no shards", [](CollectionSettings& s) { s.shard_count = 0; }},
      {"too many shards", [](CollectionSettings& s) { s.shard_count = kMaxShards + 1; }},
      {"rf 0", [](CollectionSettings& s) { s.replication_factor = 0; }},
      {"rf above members", [](CollectionSettings& s) { s.replication_factor = 4; }},
      {"unknown strategy", [](CollectionSettings& s) { s.strategy = static_cast<ShardingStrategy>(9); }},
      {"range field on hash", [](CollectionSettings& s) { s.range_field = "color"; }},
      {"range without field", [](CollectionSettings& s) { s.strategy = ShardingStrategy::kRange; }},
      {"range on unknown field", [](CollectionSettings& s) {
         s.strategy = ShardingStrategy::kRange;
         s.range_field = "nope";
       }},
      {"range on a float", [](CollectionSettings& s) {
         s.strategy = ShardingStrategy::kRange;
         s.range_field = "score";
       }},
      {"vector without a vector field", [](CollectionSettings& s) { s.strategy = ShardingStrategy::kVector; }},
  };
  for (const auto& [what, mutate] : breaks) {
    CollectionSettings s = test::settings("books", ShardingStrategy::kHash, 4, 2);
    mutate(s);
    const Error e = validate_settings(s, 3);
    EXPECT_EQ(e.code, ErrorCode::kBadRequest) << what;
    EXPECT_FALSE(e.message.empty()) << what;
    EXPECT_EQ(e.message.find('\n'), std::string::npos) << what << ": one line";
  }
}

TEST(Routing, DataMustFitTheStrategy) {
  const search::Schema plain = test::parse_schema(test::kPlainSchema);
  const std::string vjson = test::vector_schema(2, "l2_norm");
  const search::Schema vector = test::parse_schema(vjson);
  const CollectionSettings hash = test::settings("h", ShardingStrategy::kHash, 3);
  const CollectionSettings range = test::settings("r", ShardingStrategy::kRange, 3, 1, "price");
  const CollectionSettings vec = test::settings("v", ShardingStrategy::kVector, 2, 1, "", vjson);
  auto code = [](const CollectionSettings& s, const search::Schema& schema, RoutingData r) {
    return validate_routing(s, schema, r).code;
  };
  EXPECT_EQ(code(hash, plain, {}), ErrorCode::kNone);
  EXPECT_EQ(code(hash, plain, {{Value::integer(1)}, {}}), ErrorCode::kBadRequest);
  EXPECT_EQ(code(range, plain, {{Value::integer(1), Value::integer(5)}, {}}), ErrorCode::kNone);
  EXPECT_EQ(code(range, plain, {{Value::integer(1)}, {}}), ErrorCode::kBadRequest);  // too few
  EXPECT_EQ(code(range, plain, {{Value::integer(5), Value::integer(1)}, {}}), ErrorCode::kBadRequest);  // order
  EXPECT_EQ(code(range, plain, {{Value::integer(5), Value::integer(5)}, {}}), ErrorCode::kBadRequest);  // equal
  EXPECT_EQ(code(range, plain, {{Value::keyword("a"), Value::keyword("b")}, {}}), ErrorCode::kBadRequest);
  EXPECT_EQ(code(range, plain, {{Value(), Value::integer(5)}, {}}), ErrorCode::kBadRequest);
  EXPECT_EQ(code(range, plain, {{Value::integer(1), Value::integer(5)}, {{1, 2}}}), ErrorCode::kBadRequest);
  EXPECT_EQ(code(vec, vector, {{}, {{1, 2}, {3, 4}}}), ErrorCode::kNone);
  EXPECT_EQ(code(vec, vector, {{}, {{1, 2}}}), ErrorCode::kBadRequest);          // too few
  EXPECT_EQ(code(vec, vector, {{}, {{1, 2}, {3, 4, 5}}}), ErrorCode::kBadRequest);  // dimension
  EXPECT_EQ(code(vec, vector, {{}, {{1, 2}, {3, std::nanf("")}}}), ErrorCode::kBadRequest);
  EXPECT_EQ(code(vec, vector, {{Value::integer(1)}, {{1, 2}, {3, 4}}}), ErrorCode::kBadRequest);
}

TEST(BuildCollection, AllocatesFreshGroupsAndRefusesTakenNames) {
  ShardMap map = test::map_with_members({1, 2, 3});
  const CollectionInfo& a = test::add_collection(map, test::settings("a", ShardingStrategy::kHash, 3, 2));
  EXPECT_EQ(a.created_version, 1u);
  EXPECT_EQ(a.shards[0].group, kFirstShardGroup);
  EXPECT_EQ(a.shards[2].group, kFirstShardGroup + 2);
  EXPECT_EQ(a.shards[0].slot_begin, 0u);
  EXPECT_EQ(a.shards[2].slot_end, kHashSlots);
  EXPECT_EQ(a.schema, test::parse_schema(test::kPlainSchema));
  CollectionInfo out;
  EXPECT_EQ(build_collection(test::settings("a", ShardingStrategy::kHash, 1), {}, map, &out).code,
            ErrorCode::kConflict);
  EXPECT_EQ(build_collection(test::settings("b", ShardingStrategy::kHash, 1, 4), {}, map, &out).code,
            ErrorCode::kBadRequest);
  map.next_group = std::numeric_limits<GroupId>::max() - 1;
  EXPECT_EQ(build_collection(test::settings("b", ShardingStrategy::kHash, 2), {}, map, &out).code,
            ErrorCode::kConflict);
  EXPECT_TRUE(build_collection(test::settings("b", ShardingStrategy::kHash, 1), {}, map, &out).ok());
}

}  // namespace
}  // namespace shoal::cluster
