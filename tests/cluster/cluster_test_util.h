// Helpers shared by the cluster tests: schemas, settings, documents and maps.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "engine/cluster/shard_map.h"
#include "engine/search/document.h"
#include "engine/search/schema.h"
#include "engine/search/value.h"

namespace shoal::cluster::test {

// Fields in declaration order: color (keyword), price (integer), score (float).
inline constexpr const char* kPlainSchema =
    R"({"properties": {"color": {"type": "keyword"}, "price": {"type": "integer"},)"
    R"( "score": {"type": "float"}}})";
inline constexpr size_t kColorField = 0;
inline constexpr size_t kPriceField = 1;

inline std::string vector_schema(uint32_t dims, const std::string& similarity) {
  return std::string(R"({"properties": {"color": {"type": "keyword"}, "embedding": {"type": "dense_vector", "dims": )") +
         std::to_string(dims) + R"(, "similarity": ")" + similarity + R"("}}})";
}

inline CollectionSettings settings(std::string name, ShardingStrategy strategy, uint32_t shards, uint32_t rf = 1,
                                   std::string range_field = {}, std::string schema = kPlainSchema) {
  CollectionSettings s;
  s.name = std::move(name);
  s.schema_json = std::move(schema);
  s.shard_count = shards;
  s.replication_factor = rf;
  s.strategy = strategy;
  s.range_field = std::move(range_field);
  return s;
}

inline search::Schema parse_schema(const std::string& json) {
  absl::StatusOr<search::Schema> s = search::Schema::from_json(json);
  EXPECT_TRUE(s.ok()) << s.status();
  return s.ok() ? *s : search::Schema{};
}

// A document of the plain schema; missing values where none are given.
inline search::Document plain_doc(std::string id, search::Value color = {}, search::Value price = {}) {
  search::Document d;
  d.id = std::move(id);
  d.fields = {std::move(color), std::move(price), search::Value()};
  return d;
}

// A document of vector_schema().
inline search::Document vector_doc(std::string id, std::vector<float> v) {
  search::Document d;
  d.id = std::move(id);
  d.fields = {search::Value()};
  d.vector = std::move(v);
  return d;
}

inline ShardMap map_with_members(std::vector<NodeId> members) {
  ShardMap map;
  map.members = std::move(members);
  return map;
}

// Builds and inserts a collection the way the metadata machine does.
inline const CollectionInfo& add_collection(ShardMap& map, const CollectionSettings& s,
                                            const RoutingData& routing = {}) {
  CollectionInfo info;
  const Error e = build_collection(s, routing, map, &info);
  EXPECT_TRUE(e.ok()) << e.describe();
  map.next_group += s.shard_count;
  map.version = info.created_version;
  return map.collections.emplace(s.name, std::move(info)).first->second;
}

}  // namespace shoal::cluster::test
