// The byte forms of the shard map and its parts.
//
// Layouts (integers little-endian; "bytes" is a varint length then the bytes;
// "value" is search::Value::encode; "floats" is a varint count then each
// float's IEEE-754 bits as a u32):
//
//   settings   := bytes name  bytes schema_json  u32 shard_count
//                 u32 replication_factor  u8 strategy  bytes range_field
//   routing    := varint n  n x value  varint m  m x floats
//   shard      := u32 shard  u32 group  u32 slot_begin  u32 slot_end
//                 value range_lower  floats centroid
//                 varint r  r x u32 replica  u32 leader_hint
//   collection := settings  varint created_version  varint s  s x shard
//   map        := varint version  varint n  n x u32 member  u32 next_group
//                 varint c  c x collection (names ascending)
//
// A standalone message is one tag byte naming its kind, one format version
// byte, then the body. Counts are checked against the bounds before anything
// is read, so a huge count in garbage cannot make the decoder allocate.
#include <bit>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "engine/cluster/shard_map.h"
#include "engine/core/codec.h"

namespace shoal::cluster {
namespace {

constexpr uint8_t kFormatVersion = 1;
constexpr uint8_t kMapTag = 'M';
constexpr uint8_t kCollectionTag = 'I';
constexpr uint8_t kRoutingTag = 'D';
constexpr uint8_t kSettingsTag = 'S';

absl::Status invalid(std::string_view what) { return absl::InvalidArgumentError(absl::StrCat("shard map: ", std::string(what))); }

void write_floats(Writer& w, const std::vector<float>& v) {
  w.varint(v.size());
  for (float x : v) w.u32(std::bit_cast<uint32_t>(x));
}

bool read_floats(Reader& r, std::vector<float>* out) {
  const uint64_t n = r.varint();
  if (!r.ok() || n > search::kMaxVectorDimension) return false;
  out->clear();
  for (uint64_t i = 0; i < n; ++i) {
    const float x = std::bit_cast<float>(r.u32());
    if (!r.ok() || !std::isfinite(x)) return false;
    out->push_back(x);
  }
  return true;
}

// A count, refused above `max`.
bool read_count(Reader& r, uint64_t max, uint64_t* n) {
  *n = r.varint();
  return r.ok() && *n <= max;
}

void write_shard(Writer& w, const ShardInfo& shard) {
  w.u32(shard.shard);
  w.u32(shard.group);
  w.u32(shard.slot_begin);
  w.u32(shard.slot_end);
  shard.range_lower.encode(w);
  write_floats(w, shard.centroid);
  w.varint(shard.replicas.size());
  for (NodeId node : shard.replicas) w.u32(node);
  w.u32(shard.leader_hint);
}

bool read_shard(Reader& r, ShardInfo* shard) {
  shard->shard = r.u32();
  shard->group = r.u32();
  shard->slot_begin = r.u32();
  shard->slot_end = r.u32();
  if (!r.ok() || !search::Value::decode(r, &shard->range_lower)) return false;
  if (!read_floats(r, &shard->centroid)) return false;
  uint64_t replicas = 0;
  if (!read_count(r, kMaxReplicationFactor, &replicas)) return false;
  for (uint64_t i = 0; i < replicas; ++i) shard->replicas.push_back(r.u32());
  shard->leader_hint = r.u32();
  return r.ok();
}

void write_map(Writer& w, const ShardMap& map) {
  w.varint(map.version);
  w.varint(map.members.size());
  for (NodeId node : map.members) w.u32(node);
  w.u32(map.next_group);
  w.varint(map.collections.size());
  for (const auto& [name, info] : map.collections) write_collection_info(w, info);
}

bool read_map(Reader& r, ShardMap* map) {
  map->version = r.varint();
  uint64_t members = 0;
  if (!read_count(r, kMaxMembers, &members)) return false;
  for (uint64_t i = 0; i < members; ++i) map->members.push_back(r.u32());
  map->next_group = r.u32();
  uint64_t collections = 0;
  if (!read_count(r, kMaxCollections, &collections)) return false;
  for (uint64_t i = 0; i < collections; ++i) {
    CollectionInfo info;
    if (!read_collection_info(r, &info)) return false;
    const std::string name = info.settings.name;
    if (!map->collections.emplace(name, std::move(info)).second) return false;
  }
  return r.ok();
}

// Opens a standalone message: its tag and format version.
absl::Status open_message(Reader& r, uint8_t tag, const std::string& kind) {
  const uint8_t got_tag = r.u8();
  const uint8_t version = r.u8();
  if (!r.ok()) return invalid(absl::StrCat(kind, " is truncated"));
  if (got_tag != tag) return invalid(absl::StrCat("not a ", kind, " (bad leading byte)"));
  if (version != kFormatVersion) return invalid(absl::StrCat(kind, " has unknown format version ", version));
  return absl::OkStatus();
}

void open_writer(uint8_t tag, Writer& w) {
  w.u8(tag);
  w.u8(kFormatVersion);
}

// Decodes a standalone message of kind T with `read`, then requires every
// byte consumed, the rules of `check`, and the one canonical encoding.
template <typename T, typename ReadFn, typename CheckFn, typename EncodeFn>
absl::StatusOr<T> decode_message(std::string_view bytes, uint8_t tag, const std::string& kind, ReadFn read,
                                 CheckFn check, EncodeFn encode) {
  Reader r(bytes);
  if (absl::Status st = open_message(r, tag, kind); !st.ok()) return st;
  T value;
  if (!read(r, &value) || !r.finished_ok()) return invalid(absl::StrCat(kind, " is malformed or has trailing bytes"));
  if (Error e = check(value); !e.ok()) return invalid(absl::StrCat(kind, ": ", e.message));
  if (encode(value) != bytes) return invalid(absl::StrCat(kind, " is not canonically encoded"));
  return value;
}

}  // namespace

void write_settings(Writer& w, const CollectionSettings& s) {
  w.bytes(s.name);
  w.bytes(s.schema_json);
  w.u32(s.shard_count);
  w.u32(s.replication_factor);
  w.u8(static_cast<uint8_t>(s.strategy));
  w.bytes(s.range_field);
}

bool read_settings(Reader& r, CollectionSettings* s) {
  s->name = r.bytes();
  s->schema_json = r.bytes();
  s->shard_count = r.u32();
  s->replication_factor = r.u32();
  const uint8_t strategy = r.u8();
  s->range_field = r.bytes();
  if (!r.ok() || strategy < 1 || strategy > kMaxShardingStrategy) return false;
  s->strategy = static_cast<ShardingStrategy>(strategy);
  return true;
}

void write_routing_data(Writer& w, const RoutingData& routing) {
  w.varint(routing.split_points.size());
  for (const search::Value& v : routing.split_points) v.encode(w);
  w.varint(routing.centroids.size());
  for (const std::vector<float>& c : routing.centroids) write_floats(w, c);
}

bool read_routing_data(Reader& r, RoutingData* out) {
  uint64_t points = 0;
  if (!read_count(r, kMaxShards, &points)) return false;
  for (uint64_t i = 0; i < points; ++i) {
    search::Value v;
    if (!search::Value::decode(r, &v)) return false;
    out->split_points.push_back(std::move(v));
  }
  uint64_t centroids = 0;
  if (!read_count(r, kMaxShards, &centroids)) return false;
  for (uint64_t i = 0; i < centroids; ++i) {
    if (!read_floats(r, &out->centroids.emplace_back())) return false;
  }
  return r.ok();
}

void write_collection_info(Writer& w, const CollectionInfo& info) {
  write_settings(w, info.settings);
  w.varint(info.created_version);
  w.varint(info.shards.size());
  for (const ShardInfo& shard : info.shards) write_shard(w, shard);
}

bool read_collection_info(Reader& r, CollectionInfo* info) {
  if (!read_settings(r, &info->settings)) return false;
  info->created_version = r.varint();
  uint64_t shards = 0;
  if (!read_count(r, kMaxShards, &shards)) return false;
  for (uint64_t i = 0; i < shards; ++i) {
    if (!read_shard(r, &info->shards.emplace_back())) return false;
  }
  if (info->settings.schema_json.size() > kMaxSchemaJsonBytes) return false;
  absl::StatusOr<search::Schema> schema = search::Schema::from_json(info->settings.schema_json);
  if (!schema.ok()) return false;
  info->schema = *std::move(schema);
  return r.ok();
}

std::string encode_shard_map(const ShardMap& map) {
  Writer w;
  open_writer(kMapTag, w);
  write_map(w, map);
  return w.take();
}

absl::StatusOr<ShardMap> decode_shard_map(std::string_view bytes) {
  return decode_message<ShardMap>(bytes, kMapTag, "shard map", read_map, check_shard_map, encode_shard_map);
}

std::string encode_collection_info(const CollectionInfo& info) {
  Writer w;
  open_writer(kCollectionTag, w);
  write_collection_info(w, info);
  return w.take();
}

absl::StatusOr<CollectionInfo> decode_collection_info(std::string_view bytes) {
  return decode_message<CollectionInfo>(bytes, kCollectionTag, "collection info", read_collection_info,
                                        check_collection_info, encode_collection_info);
}

std::string encode_routing_data(const RoutingData& routing) {
  Writer w;
  open_writer(kRoutingTag, w);
  write_routing_data(w, routing);
  return w.take();
}

absl::StatusOr<RoutingData> decode_routing_data(std::string_view bytes) {
  // Whether the data fits a collection is validate_routing's business.
  return decode_message<RoutingData>(
      bytes, kRoutingTag, "routing data", read_routing_data, [](const RoutingData&) { return Error{}; },
      encode_routing_data);
}

std::string encode_settings(const CollectionSettings& settings) {
  Writer w;
  open_writer(kSettingsTag, w);
  write_settings(w, settings);
  return w.take();
}

absl::StatusOr<CollectionSettings> decode_settings(std::string_view bytes) {
  // Whether the settings are valid is validate_settings' business: it needs
  // the member count.
  return decode_message<CollectionSettings>(
      bytes, kSettingsTag, "collection settings", read_settings, [](const CollectionSettings&) { return Error{}; },
      encode_settings);
}

}  // namespace shoal::cluster
