// Routing: from a document (or an id, or a query vector) to shards. Pure
// functions of the map, computed identically on every node.
#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <utility>

#include "engine/cluster/shard_map.h"
#include "engine/core/assert.h"
#include "engine/core/random.h"

namespace shoal::cluster {
namespace {

// How near a point is to a centroid under the metric: larger is nearer. For
// l2 the negated squared distance; for inner product the dot product; for
// cosine the dot product over the centroid's length (the query's length is
// the same for every centroid, so it cannot change the order). Accumulated in
// double, in index order, so every node computes the same bits.
double nearness(std::span<const float> point, const std::vector<float>& centroid, search::VectorMetric metric) {
  SHOAL_ASSERT(point.size() == centroid.size());
  if (metric == search::VectorMetric::kL2) {
    double sum = 0;
    for (size_t i = 0; i < point.size(); ++i) {
      const double d = static_cast<double>(point[i]) - centroid[i];
      sum += d * d;
    }
    return std::isnan(sum) ? -std::numeric_limits<double>::infinity() : -sum;
  }
  double dot = 0;
  double norm = 0;
  for (size_t i = 0; i < point.size(); ++i) {
    dot += static_cast<double>(point[i]) * centroid[i];
    norm += static_cast<double>(centroid[i]) * centroid[i];
  }
  const double n = metric == search::VectorMetric::kInnerProduct ? dot : norm > 0 ? dot / std::sqrt(norm) : 0;
  // A NaN (from a query with one) would break the ordering sort relies on:
  // it counts as the farthest possible.
  return std::isnan(n) ? -std::numeric_limits<double>::infinity() : n;
}

uint32_t route_by_hash(const CollectionInfo& info, std::string_view doc_id) {
  const uint32_t slot = hash_slot(doc_id);
  for (const ShardInfo& shard : info.shards) {
    if (slot >= shard.slot_begin && slot < shard.slot_end) return shard.shard;
  }
  SHOAL_ASSERT(false && "the slot ranges of a hash collection cover every slot");
  return 0;
}

uint32_t route_by_range(const CollectionInfo& info, const search::Document& doc) {
  const std::optional<size_t> field = info.schema.field_index(info.settings.range_field);
  SHOAL_ASSERT(field.has_value());
  if (*field >= doc.fields.size() || doc.fields[*field].missing()) return 0;
  const search::Value& value = doc.fields[*field];
  // The last shard whose lower bound is at or below the value; shard 0's
  // bound is -infinity, so there always is one.
  uint32_t owner = 0;
  for (size_t i = 1; i < info.shards.size(); ++i) {
    if (compare(info.shards[i].range_lower, value) > 0) break;
    owner = static_cast<uint32_t>(i);
  }
  return owner;
}

// Shards ordered nearest first (ties to the lower id).
std::vector<uint32_t> by_nearness(const CollectionInfo& info, std::span<const float> point) {
  const search::VectorMetric metric = info.schema.vector()->metric;
  std::vector<std::pair<double, uint32_t>> scored;
  scored.reserve(info.shards.size());
  for (const ShardInfo& shard : info.shards) {
    scored.emplace_back(-nearness(point, shard.centroid, metric), shard.shard);
  }
  std::sort(scored.begin(), scored.end());
  std::vector<uint32_t> order;
  order.reserve(scored.size());
  for (const auto& [score, shard] : scored) order.push_back(shard);
  return order;
}

uint32_t route_by_vector(const CollectionInfo& info, const search::Document& doc) {
  const uint32_t count = static_cast<uint32_t>(info.shards.size());
  if (doc.vector.empty() || doc.vector.size() != info.schema.vector()->dimension) {
    return even_shard_of_slot(hash_slot(doc.id), count);
  }
  const search::VectorMetric metric = info.schema.vector()->metric;
  uint32_t best = 0;
  double best_nearness = nearness(doc.vector, info.shards[0].centroid, metric);
  for (uint32_t i = 1; i < count; ++i) {
    const double n = nearness(doc.vector, info.shards[i].centroid, metric);
    if (n > best_nearness) {  // strictly nearer: ties stay with the lower id
      best = i;
      best_nearness = n;
    }
  }
  return best;
}

std::vector<uint32_t> all_shards(const CollectionInfo& info) {
  std::vector<uint32_t> all(info.shards.size());
  std::iota(all.begin(), all.end(), 0u);
  return all;
}

}  // namespace

uint32_t hash_slot(std::string_view doc_id) {
  return static_cast<uint32_t>(stable_hash(doc_id.data(), doc_id.size(), kRoutingHashSeed) % kHashSlots);
}

uint32_t even_slot_begin(uint32_t i, uint32_t n) {
  SHOAL_ASSERT(n >= 1 && n <= kMaxShards);
  SHOAL_ASSERT(i <= n);
  return static_cast<uint32_t>(uint64_t{i} * kHashSlots / n);
}

uint32_t even_shard_of_slot(uint32_t slot, uint32_t n) {
  SHOAL_ASSERT(n >= 1 && n <= kMaxShards);
  SHOAL_ASSERT(slot < kHashSlots);
  // The largest i with floor(i * S / n) <= slot, i.e. i * S < (slot + 1) * n.
  return static_cast<uint32_t>((uint64_t{slot + 1} * n + kHashSlots - 1) / kHashSlots - 1);
}

uint32_t route(const CollectionInfo& info, const search::Document& doc) {
  SHOAL_ASSERT(!info.shards.empty());
  switch (info.settings.strategy) {
    case ShardingStrategy::kHash: return route_by_hash(info, doc.id);
    case ShardingStrategy::kRange: return route_by_range(info, doc);
    case ShardingStrategy::kVector: return route_by_vector(info, doc);
  }
  SHOAL_ASSERT(false && "a collection has a known strategy");
  return 0;
}

std::vector<uint32_t> shards_for_id(const CollectionInfo& info, std::string_view doc_id) {
  if (info.settings.strategy == ShardingStrategy::kHash) return {route_by_hash(info, doc_id)};
  return all_shards(info);
}

std::vector<uint32_t> shards_for_knn(const CollectionInfo& info, std::span<const float> query, uint32_t n) {
  if (info.settings.strategy != ShardingStrategy::kVector || query.size() != info.schema.vector()->dimension) {
    return all_shards(info);
  }
  std::vector<uint32_t> order = by_nearness(info, query);
  if (n != 0 && n < order.size()) order.resize(n);
  return order;
}

ShardRef find_group(const ShardMap& map, GroupId group) {
  for (const auto& [name, info] : map.collections) {
    for (const ShardInfo& shard : info.shards) {
      if (shard.group == group) return ShardRef{&info, &shard};
    }
  }
  return {};
}

const ShardInfo* shard_of_group(const ShardMap& map, GroupId group) { return find_group(map, group).shard; }

}  // namespace shoal::cluster
