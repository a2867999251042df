// Shard map encodings: faithful round trips, deterministic bytes, and
// refusal of truncated, foreign, non-canonical or rule-breaking bytes —
// including arbitrary garbage, which must never crash a decoder.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <cmath>
#include <functional>
#include <limits>
#include <string>
#include <vector>

#include "engine/cluster/shard_map.h"
#include "engine/core/codec.h"
#include "tests/cluster/cluster_test_util.h"

namespace shoal::cluster {
namespace {

using search::Value;

// Members 1, 2, 3, 5 and one collection of each strategy, with a hint set.
ShardMap sample_map() {
  ShardMap map = test::map_with_members({1, 2, 3, 5});
  test::add_collection(map, test::settings("hashed", ShardingStrategy::kHash, 4, 3));
  RoutingData range;
  range.split_points = {Value::keyword("g"), Value::keyword("p")};
  test::add_collection(map, test::settings("ranged", ShardingStrategy::kRange, 3, 2, "color"), range);
  RoutingData vector;
  vector.centroids = {{0.5f, -0.0f, 1e-30f}, {-3.25f, 7.0f, 1e30f}};
  test::add_collection(
      map, test::settings("vec-1", ShardingStrategy::kVector, 2, 1, "", test::vector_schema(3, "cosine")), vector);
  map.collections.at("ranged").shards[1].leader_hint = 5;
  return map;
}

TEST(ShardMapCodec, RoundTripsEveryPart) {
  const ShardMap map = sample_map();
  ASSERT_TRUE(check_shard_map(map).ok()) << check_shard_map(map).describe();
  const std::string bytes = encode_shard_map(map);
  absl::StatusOr<ShardMap> back = decode_shard_map(bytes);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(*back, map);
  EXPECT_EQ(encode_shard_map(*back), bytes);
  EXPECT_EQ(encode_shard_map(sample_map()), bytes) << "equal maps, equal bytes";

  for (const auto& [name, info] : map.collections) {
    absl::StatusOr<CollectionInfo> c = decode_collection_info(encode_collection_info(info));
    ASSERT_TRUE(c.ok()) << c.status();
    EXPECT_EQ(*c, info);
    absl::StatusOr<CollectionSettings> s = decode_settings(encode_settings(info.settings));
    ASSERT_TRUE(s.ok()) << s.status();
    EXPECT_EQ(*s, info.settings);
  }
  RoutingData routing;
  routing.split_points = {Value::integer(-4), Value::integer(1LL << 40)};
  routing.centroids = {{1, 2}, {}};
  absl::StatusOr<RoutingData> r = decode_routing_data(encode_routing_data(routing));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(*r, routing);
  EXPECT_TRUE(decode_shard_map(encode_shard_map(ShardMap{})).ok()) << "the empty map";
}

TEST(ShardMapCodec, RefusesTruncationsTrailingBytesAndForeignKinds) {
  const ShardMap map = sample_map();
  const std::string bytes = encode_shard_map(map);
  for (size_t n = 0; n < bytes.size(); ++n) {
    ASSERT_FALSE(decode_shard_map(bytes.substr(0, n)).ok()) << "accepted a prefix of " << n << " bytes";
  }
  EXPECT_FALSE(decode_shard_map(bytes + '\0').ok());
  const std::string info = encode_collection_info(map.collections.begin()->second);
  EXPECT_FALSE(decode_shard_map(info).ok());
  EXPECT_FALSE(decode_collection_info(bytes).ok());
  EXPECT_FALSE(decode_settings(info).ok());
  EXPECT_FALSE(decode_routing_data(info).ok());
  std::string other_version = bytes;
  other_version[1] = 2;
  EXPECT_FALSE(decode_shard_map(other_version).ok());
}

// Each mutation breaks one rule; check_shard_map must name it and the
// decoder must refuse the encoding of the broken map.
TEST(ShardMapCodec, RefusesMapsThatBreakARule) {
  const std::vector<std::pair<const char*, std::function<void(ShardMap&)>>> breaks = {
      {"members out of order", [](ShardMap& m) { std::swap(m.members[0], m.members[1]); }},
      {"member 0", [](ShardMap& m) { m.members[0] = kNoNode; }},
      {"a client as member", [](ShardMap& m) { m.members.push_back(kClientIdBase + 1); }},
      {"duplicate member", [](ShardMap& m) { m.members[1] = m.members[0]; }},
      {"group reused", [](ShardMap& m) { m.collections.at("ranged").shards[0].group = 1; }},
      {"group never handed out", [](ShardMap& m) { m.next_group = 3; }},
      {"replica not a member", [](ShardMap& m) { m.collections.at("hashed").shards[0].replicas[0] = 4; }},
      {"replica twice", [](ShardMap& m) {
         auto& r = m.collections.at("hashed").shards[0].replicas;
         r[1] = r[0];
       }},
      {"too few replicas", [](ShardMap& m) { m.collections.at("hashed").shards[0].replicas.pop_back(); }},
      {"hint not a member", [](ShardMap& m) { m.collections.at("hashed").shards[0].leader_hint = 9; }},
      {"slot gap", [](ShardMap& m) { m.collections.at("hashed").shards[1].slot_begin += 1; }},
      {"slots short", [](ShardMap& m) { m.collections.at("hashed").shards[3].slot_end -= 1; }},
      {"slots on a range shard", [](ShardMap& m) { m.collections.at("ranged").shards[0].slot_end = 1; }},
      {"bounds not ascending",
       [](ShardMap& m) { m.collections.at("ranged").shards[2].range_lower = Value::keyword("a"); }},
      {"bound of the wrong type",
       [](ShardMap& m) { m.collections.at("ranged").shards[1].range_lower = Value::integer(3); }},
      {"shard 0 bounded", [](ShardMap& m) { m.collections.at("ranged").shards[0].range_lower = Value::keyword(""); }},
      {"centroid of the wrong size", [](ShardMap& m) { m.collections.at("vec-1").shards[0].centroid.push_back(1); }},
      {"centroid on a hash shard", [](ShardMap& m) { m.collections.at("hashed").shards[0].centroid = {1}; }},
      {"shard misnumbered", [](ShardMap& m) { m.collections.at("hashed").shards[2].shard = 7; }},
      {"shard missing", [](ShardMap& m) { m.collections.at("hashed").shards.pop_back(); }},
      {"collection newer than the map", [](ShardMap& m) { m.version = 1; }},
      {"invalid name", [](ShardMap& m) {
         CollectionInfo info = m.collections.at("hashed");
         info.settings.name = "Bad Name";
         m.collections.erase("hashed");
         m.collections.emplace("Bad Name", std::move(info));
       }},
  };
  for (const auto& [what, mutate] : breaks) {
    ShardMap map = sample_map();
    mutate(map);
    const Error e = check_shard_map(map);
    EXPECT_EQ(e.code, ErrorCode::kBadRequest) << what;
    EXPECT_FALSE(decode_shard_map(encode_shard_map(map)).ok()) << what;
  }
}

TEST(ShardMapCodec, RefusesMisfiledAndRepeatedCollections) {
  // In memory a collection can sit under a key that is not its name...
  ShardMap map = sample_map();
  CollectionInfo info = map.collections.at("hashed");
  map.collections.erase("hashed");
  map.collections.emplace("other", info);
  EXPECT_EQ(check_shard_map(map).code, ErrorCode::kBadRequest);
  // ...in bytes the name is the key, so the faults are a name twice and
  // names out of order.
  auto encode_with = [](const std::vector<const CollectionInfo*>& collections) {
    ShardMap base = test::map_with_members({1, 2, 3, 5});
    base.version = 10;
    base.next_group = 100;
    std::string out;
    Writer w(&out);
    w.u8('M');
    w.u8(1);
    w.varint(base.version);
    w.varint(base.members.size());
    for (NodeId n : base.members) w.u32(n);
    w.u32(base.next_group);
    w.varint(collections.size());
    for (const CollectionInfo* c : collections) write_collection_info(w, *c);
    return out;
  };
  const ShardMap sample = sample_map();
  const CollectionInfo* hashed = &sample.collections.at("hashed");
  const CollectionInfo* ranged = &sample.collections.at("ranged");
  EXPECT_TRUE(decode_shard_map(encode_with({hashed, ranged})).ok()) << "the builder itself is right";
  EXPECT_FALSE(decode_shard_map(encode_with({hashed, hashed})).ok()) << "a name twice";
  EXPECT_FALSE(decode_shard_map(encode_with({ranged, hashed})).ok()) << "names out of order";
}

TEST(ShardMapCodec, RefusesNonFiniteCentroids) {
  RoutingData routing;
  routing.centroids = {{1.0f, std::numeric_limits<float>::quiet_NaN()}};
  EXPECT_FALSE(decode_routing_data(encode_routing_data(routing)).ok());
  routing.centroids = {{std::numeric_limits<float>::infinity()}};
  EXPECT_FALSE(decode_routing_data(encode_routing_data(routing)).ok());
}

// Whatever a decoder accepts is canonical: it encodes back to the same bytes.
template <typename T, typename Decode, typename Encode>
void decode_never_crashes(const std::string& bytes, Decode decode, Encode encode) {
  absl::StatusOr<T> v = decode(bytes);
  if (v.ok()) RC_ASSERT(encode(*v) == bytes);
}

RC_GTEST_PROP(ShardMapCodecProperty, ArbitraryBytesNeverCrashADecoder, (const std::string& tail)) {
  // A valid leading tag and version byte, so the garbage reaches the body.
  for (const char tag : {'M', 'I', 'D', 'S'}) {
    const std::string bytes = std::string{tag, 1} + tail;
    decode_never_crashes<ShardMap>(bytes, decode_shard_map, encode_shard_map);
    decode_never_crashes<CollectionInfo>(bytes, decode_collection_info, encode_collection_info);
    decode_never_crashes<RoutingData>(bytes, decode_routing_data, encode_routing_data);
    decode_never_crashes<CollectionSettings>(bytes, decode_settings, encode_settings);
  }
}

RC_GTEST_PROP(ShardMapCodecProperty, DamagedMapsAreRefusedOrStillCanonicalAndValid, ()) {
  std::string bytes = encode_shard_map(sample_map());
  const int flips = *rc::gen::inRange(1, 4);
  for (int i = 0; i < flips; ++i) {
    const size_t at = *rc::gen::inRange<size_t>(0, bytes.size());
    bytes[at] = static_cast<char>(bytes[at] ^ (1 << *rc::gen::inRange(0, 8)));
  }
  absl::StatusOr<ShardMap> map = decode_shard_map(bytes);
  if (!map.ok()) return;
  RC_ASSERT(check_shard_map(*map).ok());
  RC_ASSERT(encode_shard_map(*map) == bytes);
}

}  // namespace
}  // namespace shoal::cluster
