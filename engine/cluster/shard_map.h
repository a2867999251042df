// The shard map: which collections exist, how each is cut into shards, which
// Raft group and which nodes hold each shard — and the pure functions that
// route a document or a query to its shards.
//
// The metadata group (group 0, metadata_state_machine.h) owns the one true
// ShardMap and changes it only by applying commands; every node and client
// caches a copy (encode_shard_map / decode_shard_map) and refreshes it when a
// server answers kStaleMap. ShardMap::version counts routing changes: two
// maps with one version route every document to the same shard group.
//
// Sharding strategies (fixed per collection at creation):
//   hash    a document's slot is stable_hash(id) % kHashSlots; each shard owns
//           a contiguous range of slots [slot_begin, slot_end), at creation
//           split evenly in shard order. Slots, not shards, are hashed so that
//           a later split or move can hand over slot ranges.
//   range   shards own contiguous ranges of one keyword field (byte order) or
//           integer field (numeric order); shard i owns [lower_i, lower_i+1).
//           Shard 0's lower bound is -infinity (a missing Value), and a
//           document WITHOUT the range field goes to shard 0.
//   vector  each shard has a centroid; a document goes to the nearest one by
//           the collection's metric (l2: smallest squared distance; inner
//           product: largest dot product; cosine: largest cosine), ties to the
//           lower shard id. A document WITHOUT a vector (or, never for a
//           validated one, a vector of the wrong dimension) goes by the hash
//           of its id, its slot split evenly among all shards as for hash.
// Only hash routes by id alone: under range and vector, a get or delete by id
// must ask every shard (shards_for_id).
//
// Routing is a pure function of the map and the document, computed the same
// way on every node, in sim and in real mode: stable_hash (never absl::Hash or
// std::hash) and double-precision arithmetic in a fixed order.
//
// Everything here is a value type and single-threaded; nothing touches Env.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/btree_map.h"
#include "absl/status/statusor.h"
#include "engine/core/error.h"
#include "engine/core/ids.h"
#include "engine/raft/raft.h"
#include "engine/search/document.h"
#include "engine/search/schema.h"
#include "engine/search/value.h"

namespace shoal::cluster {

// ---- Bounds -------------------------------------------------------------------

// Hash slots per collection. Changing it (or kRoutingHashSeed) moves every
// document of every hash-sharded collection: it is part of the format.
inline constexpr uint32_t kHashSlots = 4096;
inline constexpr uint64_t kRoutingHashSeed = 0;
inline constexpr uint32_t kMaxShards = 256;  // per collection; <= kHashSlots
inline constexpr uint32_t kMaxReplicationFactor = 9;
inline constexpr size_t kMaxCollections = 1024;
inline constexpr size_t kMaxMembers = 1024;
inline constexpr size_t kMaxCollectionNameBytes = 64;
inline constexpr size_t kMaxSchemaJsonBytes = 64 << 10;
// Sample sizes a proposer may train routing data from.
inline constexpr size_t kMaxRoutingSample = 100000;
// Lloyd iterations of train_centroids: fixed, so training is reproducible.
inline constexpr uint32_t kKmeansIterations = 25;
// k-means is seeded this many times; the tightest result is kept.
inline constexpr uint32_t kKmeansRestarts = 4;

// Group 0 is the metadata group; shard groups are numbered from 1 and a
// group id is never reused, even after its collection is dropped, so a
// message for an old group can never reach a new one.
inline constexpr GroupId kMetadataGroup = 0;
inline constexpr GroupId kFirstShardGroup = 1;

// ---- Strategies and settings --------------------------------------------------

enum class ShardingStrategy : uint8_t { kHash = 1, kRange = 2, kVector = 3 };
inline constexpr uint8_t kMaxShardingStrategy = 3;

// "hash", "range", "vector".
std::string_view strategy_name(ShardingStrategy strategy);
// PROMISES: false (and *out unchanged) for anything but the three names.
bool parse_strategy(std::string_view name, ShardingStrategy* out);

// What a user asks for when creating a collection.
struct CollectionSettings {
  std::string name;         // [a-z0-9][a-z0-9_-]*, 1..kMaxCollectionNameBytes
  std::string schema_json;  // search::Schema::from_json's input, kept verbatim
  uint32_t shard_count = 1;         // 1..kMaxShards
  uint32_t replication_factor = 1;  // 1..min(kMaxReplicationFactor, members)
  ShardingStrategy strategy = ShardingStrategy::kHash;
  std::string range_field;  // kRange only: a keyword or integer field; else empty
  bool operator==(const CollectionSettings&) const = default;
};

// Checks the settings against a cluster of `member_count` nodes and parses
// the schema into *schema (when non-null). PROMISES: kNone, or kBadRequest
// with a one-line message naming the first problem.
Error validate_settings(const CollectionSettings& settings, size_t member_count,
                        search::Schema* schema = nullptr);

// ---- Routing data -------------------------------------------------------------

// The data a strategy routes by, computed by the proposer of a collection
// (from a sample, or given by the user) and carried in the create command,
// because apply() must not train anything: training is randomised and
// floating-point heavy, and replicas must only copy its outcome.
//   hash:   both empty.
//   range:  shard_count - 1 split points, strictly ascending, of the range
//           field's type; shard i > 0 starts at split_points[i - 1].
//   vector: shard_count centroids of the vector field's dimension, finite.
struct RoutingData {
  std::vector<search::Value> split_points;
  std::vector<std::vector<float>> centroids;
  bool operator==(const RoutingData&) const = default;
};

// PROMISES: kNone, or kBadRequest saying what does not fit the settings.
// REQUIRES: schema is the parsed settings.schema_json.
Error validate_routing(const CollectionSettings& settings, const search::Schema& schema,
                       const RoutingData& routing);

// Equal-count quantiles: k - 1 strictly ascending split points that cut the
// sorted sample into k runs of (nearly) equal length. Every value must be of
// one type, keyword or integer. PROMISES: kNone with *out set, or kBadRequest
// when the sample is too large, mixes types, or has fewer than k distinct
// values (then no k non-empty ranges exist). k == 1 gives no points.
Error split_points(std::vector<search::Value> sample, uint32_t k, std::vector<search::Value>* out);

// Deterministic k-means: kKmeansRestarts k-means++ seedings from Rng(seed),
// each followed by kKmeansIterations Lloyd rounds, the tightest kept, and an empty cluster re-seeded with the sample point farthest
// from its centroid (lowest index on ties). For l2 the centroids are means;
// for cosine and inner product the training is spherical (sample points are
// normalised for cosine; centroids are normalised means for both), so that a
// dot product with a centroid measures direction and no centroid wins by
// length alone. Equal inputs give bit-identical outputs.
// REQUIRES: k >= 1, sample non-empty and at most kMaxRoutingSample, every
// point of one non-zero dimension and finite. With fewer distinct points than
// k some centroids repeat (ties route to the lower shard).
std::vector<std::vector<float>> train_centroids(const std::vector<std::vector<float>>& sample, uint32_t k,
                                                search::VectorMetric metric, uint64_t seed);

// Builds the routing data for `settings` from sample documents (validated
// against `schema`): the range field's values or the vectors of the sample.
// Documents without the field (or vector) are left out. PROMISES: kNone with
// *out set, or kBadRequest (e.g. too few distinct values or no vectors).
Error compute_routing(const CollectionSettings& settings, const search::Schema& schema,
                      const std::vector<search::Document>& sample, uint64_t seed, RoutingData* out);

// ---- The map ------------------------------------------------------------------

struct ShardInfo {
  uint32_t shard = 0;  // position in the collection, 0..shard_count-1
  GroupId group = 0;   // the Raft group holding it, >= kFirstShardGroup
  // hash: the slots [slot_begin, slot_end) it owns; 0, 0 otherwise.
  uint32_t slot_begin = 0;
  uint32_t slot_end = 0;
  // range: the inclusive lower bound; missing for shard 0 (-infinity) and for
  // the other strategies.
  search::Value range_lower;
  // vector: the centroid; empty otherwise.
  std::vector<float> centroid;
  // The nodes holding a replica, distinct; the first is the preferred leader.
  std::vector<NodeId> replicas;
  // Who led the group when last reported (advisory; kNoNode when unknown).
  NodeId leader_hint = kNoNode;
  bool operator==(const ShardInfo&) const = default;
};

struct CollectionInfo {
  CollectionSettings settings;
  std::vector<ShardInfo> shards;  // shards[i].shard == i
  uint64_t created_version = 0;   // the map version its creation produced
  // Derived from settings.schema_json (not encoded; build_collection and the
  // decoders fill it) so routing finds the range field without parsing.
  search::Schema schema;
  bool operator==(const CollectionInfo&) const = default;
};

struct ShardMap {
  uint64_t version = 0;
  std::vector<NodeId> members;  // ascending, distinct, neither kNoNode nor a client id
  absl::btree_map<std::string, CollectionInfo> collections;
  GroupId next_group = kFirstShardGroup;  // the next group id to hand out

  // nullptr when absent.
  const CollectionInfo* find(std::string_view name) const;
  bool has_member(NodeId node) const;
  bool operator==(const ShardMap&) const = default;
};

// Every structural rule of a map (the ones decode enforces and the metadata
// machine keeps): member order, names, settings, shard numbering, unique
// groups below next_group, slot ranges that tile [0, kHashSlots), ascending
// range bounds, centroid sizes, replicas that are distinct members.
// PROMISES: kNone, or kBadRequest naming the first broken rule.
Error check_shard_map(const ShardMap& map);
// The rules of one collection on its own (no member list to check against).
Error check_collection_info(const CollectionInfo& info);

// The CollectionInfo that creating `settings` in `current` yields: validates
// settings and routing, places replicas (place_replicas), allocates groups
// from current.next_group, and sets created_version = current.version + 1.
// PROMISES: kNone with *out set, or kBadRequest / kConflict (name taken,
// too many collections, group ids exhausted).
Error build_collection(const CollectionSettings& settings, const RoutingData& routing,
                       const ShardMap& current, CollectionInfo* out);

// ---- Routing ------------------------------------------------------------------

// The hash slot of a document id.
uint32_t hash_slot(std::string_view doc_id);
// The first slot of shard i when kHashSlots are split evenly and contiguously
// among n shards (i == n gives kHashSlots). REQUIRES: 1 <= n <= kMaxShards, i <= n.
uint32_t even_slot_begin(uint32_t i, uint32_t n);
// The shard owning `slot` under that even split. REQUIRES: slot < kHashSlots.
uint32_t even_shard_of_slot(uint32_t slot, uint32_t n);

// The shard that owns a document (see the strategies above). `doc` must be
// valid against info.schema (search::parse_document / validate_document).
uint32_t route(const CollectionInfo& info, const search::Document& doc);
// The shards a lookup by id alone may find the document on: the owner for
// hash, every shard (ascending) for range and vector.
std::vector<uint32_t> shards_for_id(const CollectionInfo& info, std::string_view doc_id);
// The n shards whose centroids are nearest the query, nearest first (ties to
// the lower id). Every shard (nearest first) when n == 0 or n >= shard
// count; every shard in id order for non-vector collections or a query of
// the wrong dimension (the search layer rejects that query itself).
std::vector<uint32_t> shards_for_knn(const CollectionInfo& info, std::span<const float> query, uint32_t n);

// The shard a group holds, and its collection; both null when no shard does.
struct ShardRef {
  const CollectionInfo* collection = nullptr;
  const ShardInfo* shard = nullptr;
};
ShardRef find_group(const ShardMap& map, GroupId group);
const ShardInfo* shard_of_group(const ShardMap& map, GroupId group);

// ---- Placement ----------------------------------------------------------------

// Replicas for `shards` new shards: rf distinct members each, the preferred
// leader first and the others in id order. Deterministic. Counts the
// replicas and preferred leaders that `current` already places on each
// member; each shard takes the rf least loaded members (ties: fewer
// preferred leaders, then the lower id), so per-node replica counts of a
// fresh cluster differ by at most one; then preferred leaders are chosen
// among each shard's replicas and shifted along chains of shards until no
// node leads two more than one it could hand a shard to (in practice,
// leader counts within one too).
// REQUIRES: 1 <= rf <= members.size(); members ascending and distinct.
std::vector<std::vector<NodeId>> place_replicas(const std::vector<NodeId>& members, uint32_t shards,
                                                uint32_t rf, const ShardMap& current);

// ---- Encoding -----------------------------------------------------------------

// Versioned byte forms. The decoders check every rule of check_shard_map (a
// lone CollectionInfo: the per-collection rules), accept only the canonical
// encoding, and return InvalidArgument for anything else; never a crash.
std::string encode_shard_map(const ShardMap& map);
absl::StatusOr<ShardMap> decode_shard_map(std::string_view bytes);
std::string encode_collection_info(const CollectionInfo& info);
absl::StatusOr<CollectionInfo> decode_collection_info(std::string_view bytes);
std::string encode_routing_data(const RoutingData& routing);
absl::StatusOr<RoutingData> decode_routing_data(std::string_view bytes);
std::string encode_settings(const CollectionSettings& settings);
absl::StatusOr<CollectionSettings> decode_settings(std::string_view bytes);

// Writer/Reader forms, for embedding in other messages. The readers check
// what they parse (read_collection_info also parses the schema) and leave
// the rules to the callers: check_collection_info / check_shard_map.
void write_settings(Writer& w, const CollectionSettings& settings);
bool read_settings(Reader& r, CollectionSettings* out);
void write_routing_data(Writer& w, const RoutingData& routing);
bool read_routing_data(Reader& r, RoutingData* out);
void write_collection_info(Writer& w, const CollectionInfo& info);
bool read_collection_info(Reader& r, CollectionInfo* out);

}  // namespace shoal::cluster
