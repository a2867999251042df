// Settings and routing-data validation, the map's structural rules, and the
// construction of a new collection's entry.
#include "engine/cluster/shard_map.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <utility>

#include "absl/container/btree_set.h"
#include "absl/strings/str_cat.h"

namespace shoal::cluster {
namespace {

Error bad(std::string message) { return make_error(ErrorCode::kBadRequest, std::move(message)); }

bool name_char(char c, bool first) {
  const bool alnum = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
  return alnum || (!first && (c == '_' || c == '-'));
}

Error check_name(const std::string& name) {
  if (name.empty()) return bad("collection name is empty");
  if (name.size() > kMaxCollectionNameBytes) {
    return bad(absl::StrCat("collection name has ", name.size(), " bytes, more than the limit of ",
                            kMaxCollectionNameBytes));
  }
  for (size_t i = 0; i < name.size(); ++i) {
    if (!name_char(name[i], i == 0)) {
      return bad("collection name must match [a-z0-9][a-z0-9_-]*");
    }
  }
  return {};
}

bool is_node_id(NodeId node) { return node != kNoNode && !is_client_id(node); }

bool finite(const std::vector<float>& v) {
  for (float x : v) {
    if (!std::isfinite(x)) return false;
  }
  return true;
}

// The type a range field's values (and bounds) have.
search::FieldType range_type(const CollectionInfo& info) {
  return info.schema.field(*info.schema.field_index(info.settings.range_field)).type;
}

Error check_strategy_fields(const CollectionSettings& s, const search::Schema& schema) {
  if (s.strategy == ShardingStrategy::kRange) {
    if (s.range_field.empty()) return bad("range sharding needs a range_field");
    const std::optional<size_t> index = schema.field_index(s.range_field);
    if (!index) return bad(absl::StrCat("range_field \"", s.range_field, "\" is not a field of the schema"));
    const search::FieldType type = schema.field(*index).type;
    if (type != search::FieldType::kKeyword && type != search::FieldType::kInteger) {
      return bad(absl::StrCat("range_field \"", s.range_field, "\" is ", std::string(search::field_type_name(type)),
                              "; range sharding needs keyword or integer"));
    }
    return {};
  }
  if (!s.range_field.empty()) return bad("range_field is only for range sharding");
  if (s.strategy == ShardingStrategy::kVector && !schema.vector()) {
    return bad("vector sharding needs a dense_vector field in the schema");
  }
  return {};
}

Error check_split_points(const CollectionSettings& s, const search::Schema& schema,
                         const std::vector<search::Value>& points) {
  if (points.size() != s.shard_count - 1) {
    return bad(absl::StrCat("range sharding into ", s.shard_count, " shards needs ", s.shard_count - 1,
                            " split points; got ", points.size()));
  }
  const search::FieldType type = schema.field(*schema.field_index(s.range_field)).type;
  for (size_t i = 0; i < points.size(); ++i) {
    if (points[i].missing() || points[i].type() != type) {
      return bad(absl::StrCat("split point ", i, " is not a ", std::string(search::field_type_name(type))));
    }
    if (i > 0 && !(points[i - 1] < points[i])) return bad("split points are not strictly ascending");
  }
  return {};
}

Error check_centroids(const CollectionSettings& s, const search::Schema& schema,
                      const std::vector<std::vector<float>>& centroids) {
  if (centroids.size() != s.shard_count) {
    return bad(absl::StrCat("vector sharding into ", s.shard_count, " shards needs as many centroids; got ",
                            centroids.size()));
  }
  for (size_t i = 0; i < centroids.size(); ++i) {
    if (centroids[i].size() != schema.vector()->dimension) {
      return bad(absl::StrCat("centroid ", i, " has ", centroids[i].size(), " dimensions; the vector field has ",
                              schema.vector()->dimension));
    }
    if (!finite(centroids[i])) return bad(absl::StrCat("centroid ", i, " has a non-finite component"));
  }
  return {};
}

Error check_replicas(const ShardInfo& shard) {
  if (shard.replicas.empty() || shard.replicas.size() > kMaxReplicationFactor) {
    return bad(absl::StrCat("shard ", shard.shard, " has ", shard.replicas.size(), " replicas"));
  }
  absl::btree_set<NodeId> seen;
  for (NodeId node : shard.replicas) {
    if (!is_node_id(node)) return bad(absl::StrCat("shard ", shard.shard, " names node ", node));
    if (!seen.insert(node).second) return bad(absl::StrCat("shard ", shard.shard, " repeats node ", node));
  }
  if (shard.leader_hint != kNoNode && !is_node_id(shard.leader_hint)) {
    return bad(absl::StrCat("shard ", shard.shard, " has leader hint ", shard.leader_hint));
  }
  return {};
}

// The strategy-specific fields of shard i: only its own strategy's are set.
Error check_shard_routing(const CollectionInfo& info, size_t i) {
  const ShardInfo& shard = info.shards[i];
  const ShardingStrategy strategy = info.settings.strategy;
  const bool hash = strategy == ShardingStrategy::kHash;
  if (!hash && (shard.slot_begin != 0 || shard.slot_end != 0)) return bad("slots set on a non-hash shard");
  if (strategy != ShardingStrategy::kRange && !shard.range_lower.missing()) {
    return bad("range bound set on a non-range shard");
  }
  if (strategy != ShardingStrategy::kVector && !shard.centroid.empty()) return bad("centroid on a non-vector shard");
  if (hash) {
    const uint32_t expected_begin = i == 0 ? 0 : info.shards[i - 1].slot_end;
    if (shard.slot_begin != expected_begin || shard.slot_end <= shard.slot_begin) {
      return bad(absl::StrCat("shard ", i, "'s slots do not follow the previous shard's"));
    }
    if (i + 1 == info.shards.size() && shard.slot_end != kHashSlots) return bad("slots do not cover every slot");
  } else if (strategy == ShardingStrategy::kRange && i == 0) {
    if (!shard.range_lower.missing()) return bad("shard 0 of a range collection must start at -infinity");
  } else if (strategy == ShardingStrategy::kRange) {
    const search::Value& lower = shard.range_lower;
    if (lower.missing() || lower.type() != range_type(info)) return bad(absl::StrCat("shard ", i, "'s bound has the wrong type"));
    if (i > 1 && !(info.shards[i - 1].range_lower < lower)) return bad("range bounds are not strictly ascending");
  } else if (shard.centroid.size() != info.schema.vector()->dimension || !finite(shard.centroid)) {
    return bad(absl::StrCat("shard ", i, "'s centroid has the wrong dimension or is not finite"));
  }
  return {};
}

}  // namespace

std::string_view strategy_name(ShardingStrategy strategy) {
  switch (strategy) {
    case ShardingStrategy::kHash: return "hash";
    case ShardingStrategy::kRange: return "range";
    case ShardingStrategy::kVector: return "vector";
  }
  return "unknown";
}

bool parse_strategy(std::string_view name, ShardingStrategy* out) {
  for (ShardingStrategy s : {ShardingStrategy::kHash, ShardingStrategy::kRange, ShardingStrategy::kVector}) {
    if (strategy_name(s) == name) {
      *out = s;
      return true;
    }
  }
  return false;
}

Error validate_settings(const CollectionSettings& settings, size_t member_count, search::Schema* schema) {
  if (Error e = check_name(settings.name); !e.ok()) return e;
  if (settings.schema_json.size() > kMaxSchemaJsonBytes) {
    return bad(absl::StrCat("schema has ", settings.schema_json.size(), " bytes, more than the limit of ",
                            kMaxSchemaJsonBytes));
  }
  absl::StatusOr<search::Schema> parsed = search::Schema::from_json(settings.schema_json);
  if (!parsed.ok()) return bad(absl::StrCat("schema: ", parsed.status().message()));
  if (settings.shard_count < 1 || settings.shard_count > kMaxShards) {
    return bad(absl::StrCat("shard_count ", settings.shard_count, " is outside 1..", kMaxShards));
  }
  if (settings.replication_factor < 1 || settings.replication_factor > kMaxReplicationFactor) {
    return bad(absl::StrCat("replication_factor ", settings.replication_factor, " is outside 1..",
                            kMaxReplicationFactor));
  }
  if (settings.replication_factor > member_count) {
    return bad(absl::StrCat("replication_factor ", settings.replication_factor, " exceeds the ", member_count,
                            " members of the cluster"));
  }
  const uint8_t strategy = static_cast<uint8_t>(settings.strategy);
  if (strategy < 1 || strategy > kMaxShardingStrategy) return bad("unknown sharding strategy");
  if (Error e = check_strategy_fields(settings, *parsed); !e.ok()) return e;
  if (schema != nullptr) *schema = *std::move(parsed);
  return {};
}

Error validate_routing(const CollectionSettings& settings, const search::Schema& schema,
                       const RoutingData& routing) {
  switch (settings.strategy) {
    case ShardingStrategy::kHash:
      if (!routing.split_points.empty() || !routing.centroids.empty()) {
        return bad("hash sharding takes no split points or centroids");
      }
      return {};
    case ShardingStrategy::kRange:
      if (!routing.centroids.empty()) return bad("range sharding takes no centroids");
      return check_split_points(settings, schema, routing.split_points);
    case ShardingStrategy::kVector:
      if (!routing.split_points.empty()) return bad("vector sharding takes no split points");
      return check_centroids(settings, schema, routing.centroids);
  }
  return bad("unknown sharding strategy");
}

const CollectionInfo* ShardMap::find(std::string_view name) const {
  auto it = collections.find(std::string(name));
  return it == collections.end() ? nullptr : &it->second;
}

bool ShardMap::has_member(NodeId node) const {
  auto it = std::lower_bound(members.begin(), members.end(), node);
  return it != members.end() && *it == node;
}

Error check_collection_info(const CollectionInfo& info) {
  // The member count is checked against the map; here any factor up to the
  // bound passes.
  search::Schema schema;
  if (Error e = validate_settings(info.settings, kMaxMembers, &schema); !e.ok()) return e;
  if (!(schema == info.schema)) return bad("the parsed schema does not match schema_json");
  if (info.created_version == 0) return bad("a collection created at map version 0");
  if (info.shards.size() != info.settings.shard_count) {
    return bad(absl::StrCat("collection has ", info.shards.size(), " shards, not ", info.settings.shard_count));
  }
  for (size_t i = 0; i < info.shards.size(); ++i) {
    const ShardInfo& shard = info.shards[i];
    if (shard.shard != i) return bad(absl::StrCat("shard at position ", i, " is numbered ", shard.shard));
    if (shard.group < kFirstShardGroup) return bad(absl::StrCat("shard ", i, " has group ", shard.group));
    if (Error e = check_replicas(shard); !e.ok()) return e;
    if (shard.replicas.size() != info.settings.replication_factor) {
      return bad(absl::StrCat("shard ", i, " has ", shard.replicas.size(), " replicas, not the replication factor"));
    }
    if (Error e = check_shard_routing(info, i); !e.ok()) return e;
  }
  return {};
}

Error check_shard_map(const ShardMap& map) {
  if (map.members.size() > kMaxMembers) return bad("too many members");
  for (size_t i = 0; i < map.members.size(); ++i) {
    if (!is_node_id(map.members[i])) return bad(absl::StrCat("member ", map.members[i], " is not a node id"));
    if (i > 0 && map.members[i - 1] >= map.members[i]) return bad("members are not strictly ascending");
  }
  if (map.collections.size() > kMaxCollections) return bad("too many collections");
  if (map.next_group < kFirstShardGroup) return bad("next_group is below the first shard group");
  absl::btree_set<GroupId> groups;
  for (const auto& [name, info] : map.collections) {
    if (name != info.settings.name) return bad(absl::StrCat("collection \"", name, "\" is filed under another name"));
    if (Error e = check_collection_info(info); !e.ok()) return e;
    if (info.created_version > map.version) return bad(absl::StrCat("collection \"", name, "\" is newer than the map"));
    for (const ShardInfo& shard : info.shards) {
      if (shard.group >= map.next_group) return bad(absl::StrCat("group ", shard.group, " was never handed out"));
      if (!groups.insert(shard.group).second) return bad(absl::StrCat("group ", shard.group, " holds two shards"));
      for (NodeId node : shard.replicas) {
        if (!map.has_member(node)) return bad(absl::StrCat("replica on node ", node, ", not a member"));
      }
      if (shard.leader_hint != kNoNode && !map.has_member(shard.leader_hint)) {
        return bad(absl::StrCat("leader hint names node ", shard.leader_hint, ", not a member"));
      }
    }
  }
  return {};
}

Error build_collection(const CollectionSettings& settings, const RoutingData& routing, const ShardMap& current,
                       CollectionInfo* out) {
  search::Schema schema;
  if (Error e = validate_settings(settings, current.members.size(), &schema); !e.ok()) return e;
  if (Error e = validate_routing(settings, schema, routing); !e.ok()) return e;
  if (current.find(settings.name) != nullptr) {
    return make_error(ErrorCode::kConflict, absl::StrCat("collection \"", settings.name, "\" exists"));
  }
  if (current.collections.size() >= kMaxCollections) {
    return make_error(ErrorCode::kConflict, absl::StrCat("the cluster holds the most collections, ", kMaxCollections));
  }
  if (current.next_group > std::numeric_limits<GroupId>::max() - settings.shard_count) {
    return make_error(ErrorCode::kConflict, "group ids are exhausted");
  }
  CollectionInfo info;
  info.settings = settings;
  info.schema = std::move(schema);
  info.created_version = current.version + 1;
  std::vector<std::vector<NodeId>> replicas =
      place_replicas(current.members, settings.shard_count, settings.replication_factor, current);
  for (uint32_t i = 0; i < settings.shard_count; ++i) {
    ShardInfo shard;
    shard.shard = i;
    shard.group = current.next_group + i;
    shard.replicas = std::move(replicas[i]);
    if (settings.strategy == ShardingStrategy::kHash) {
      shard.slot_begin = even_slot_begin(i, settings.shard_count);
      shard.slot_end = even_slot_begin(i + 1, settings.shard_count);
    } else if (settings.strategy == ShardingStrategy::kRange && i > 0) {
      shard.range_lower = routing.split_points[i - 1];
    } else if (settings.strategy == ShardingStrategy::kVector) {
      shard.centroid = routing.centroids[i];
    }
    info.shards.push_back(std::move(shard));
  }
  *out = std::move(info);
  return {};
}

}  // namespace shoal::cluster
