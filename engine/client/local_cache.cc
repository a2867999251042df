#include "engine/client/local_cache.h"

#include <algorithm>
#include <vector>

#include "engine/core/assert.h"
#include "engine/core/planted.h"

namespace shoal {

LocalCache::LocalCache(LocalCacheOptions options) : options_(options) {
  SHOAL_ASSERT(options_.entries_max >= 1 && options_.entries_max <= kLocalCacheEntriesMax);
  SHOAL_ASSERT(options_.bytes_max >= 1 && options_.bytes_max <= kLocalCacheBytesMax);
  SHOAL_ASSERT(options_.key_marks_max >= 1 && options_.key_marks_max <= kLocalCacheKeyMarksMax);
  SHOAL_ASSERT(options_.pattern_marks_max >= 1 && options_.pattern_marks_max <= kLocalCachePatternMarksMax);
}

size_t LocalCache::entry_bytes(const std::string& key, const std::string& value) {
  return kLocalCacheEntryOverheadBytes + key.size() + value.size();
}

CachePut LocalCache::put(std::string key, std::string value, uint64_t read_revision) {
  // The late put of the classic race: the read began before an invalidation
  // that this cache has already applied, and its value may predate the
  // change. Nothing about the entry can tell, so the remembered revisions do.
  if (read_revision < invalidated_through(key) && planted_bug() != PlantedBug::kCacheServesStaleRead) {
    ++stats_.refused_stale;
    return CachePut::kStale;
  }
  const size_t incoming = entry_bytes(key, value);
  if (incoming > options_.bytes_max) {
    ++stats_.too_large;
    return CachePut::kTooLarge;
  }
  if (auto it = entries_.find(key); it != entries_.end()) {
    // Two reads of one key may complete out of order: the older never
    // replaces the newer.
    if (it->second.read_revision > read_revision) {
      ++stats_.kept_newer;
      return CachePut::kKeptNewer;
    }
    erase(it);
  }
  evict_for(incoming);
  by_read_revision_.emplace(read_revision, key);
  bytes_ += incoming;
  entries_.emplace(std::move(key), Entry{std::move(value), read_revision});
  ++stats_.stored;
  return CachePut::kStored;
}

std::optional<CachedValue> LocalCache::get(std::string_view key) {
  auto it = entries_.find(key);
  if (it == entries_.end()) {
    ++stats_.misses;
    return std::nullopt;
  }
  ++stats_.hits;
  return CachedValue{it->second.value, it->second.read_revision};
}

void LocalCache::erase(Entries::iterator it) {
  SHOAL_ASSERT(by_read_revision_.erase({it->second.read_revision, it->first}) == 1);
  const size_t b = entry_bytes(it->first, it->second.value);
  SHOAL_ASSERT(bytes_ >= b);
  bytes_ -= b;
  entries_.erase(it);
}

// Makes room for an entry of `incoming` bytes: the value read longest ago
// goes first, as the one most likely to be stale anyway.
void LocalCache::evict_for(size_t incoming) {
  while (!entries_.empty() && (entries_.size() >= options_.entries_max || bytes_ + incoming > options_.bytes_max)) {
    auto oldest = entries_.find(by_read_revision_.begin()->second);
    SHOAL_ASSERT(oldest != entries_.end());
    erase(oldest);
    ++stats_.evicted;
  }
}

void LocalCache::on_invalidation(const Invalidation& inv, uint64_t revision) {
  ++stats_.invalidations;
  if (!check_invalidation(inv).ok()) return invalidate_all(revision);
  if (revision <= floor_) return;  // the floor already refuses everything it would
  if (inv.glob) {
    drop_matching(inv.key_or_pattern, revision);
    remember(pattern_marks_, inv.key_or_pattern, revision, options_.pattern_marks_max);
  } else {
    drop_key(inv.key_or_pattern, revision);
    remember(key_marks_, inv.key_or_pattern, revision, options_.key_marks_max);
  }
}

void LocalCache::drop_key(const std::string& key, uint64_t revision) {
  auto it = entries_.find(key);
  if (it == entries_.end() || it->second.read_revision >= revision) return;
  erase(it);
  ++stats_.dropped;
}

void LocalCache::drop_matching(const std::string& pattern, uint64_t revision) {
  for (auto it = entries_.begin(); it != entries_.end();) {
    auto next = std::next(it);
    if (it->second.read_revision < revision && glob_match(pattern, it->first)) {
      erase(it);
      ++stats_.dropped;
    }
    it = next;
  }
}

void LocalCache::remember(Marks& marks, const std::string& what, uint64_t revision, size_t max) {
  uint64_t& highest = marks[what];
  highest = std::max(highest, revision);
  if (marks.size() > max) collapse(marks);
}

// Forgets the older half of `marks` (at least one) by raising the floor to
// the highest revision among them.
void LocalCache::collapse(const Marks& marks) {
  std::vector<uint64_t> revisions;
  revisions.reserve(marks.size());
  for (const auto& [what, revision] : marks) revisions.push_back(revision);
  const size_t cut = (revisions.size() - 1) / 2;
  std::nth_element(revisions.begin(), revisions.begin() + static_cast<std::ptrdiff_t>(cut), revisions.end());
  ++stats_.collapses;
  invalidate_all(revisions[cut]);
}

void LocalCache::invalidate_all(uint64_t revision) {
  if (revision <= floor_) return;
  floor_ = revision;
  while (!by_read_revision_.empty() && by_read_revision_.begin()->first < floor_) {
    auto it = entries_.find(by_read_revision_.begin()->second);
    SHOAL_ASSERT(it != entries_.end());
    erase(it);
    ++stats_.dropped;
  }
  prune_marks(key_marks_);
  prune_marks(pattern_marks_);
}

void LocalCache::prune_marks(Marks& marks) {
  for (auto it = marks.begin(); it != marks.end();) {
    it = it->second <= floor_ ? marks.erase(it) : std::next(it);
  }
}

uint64_t LocalCache::invalidated_through(std::string_view key) const {
  uint64_t highest = floor_;
  if (auto it = key_marks_.find(key); it != key_marks_.end()) highest = std::max(highest, it->second);
  for (const auto& [pattern, revision] : pattern_marks_) {
    if (revision > highest && glob_match(pattern, key)) highest = revision;
  }
  return highest;
}

}  // namespace shoal
