// LocalCache: an application's in-process cache of KV values, kept honest by
// invalidations (invalidation.h) delivered in revision order.
//
// Each entry remembers its read revision: the revision the value was read
// at (a KV read's result index, the serving replica's applied index), so the
// value reflects every change up to it. An invalidation delivered at
// revision R says "what it covers changed at or before R": it drops every
// entry it covers whose read revision is below R. That alone is not enough,
// because of the classic race: a read starts, the invalidation arrives and
// drops nothing (the key is not cached yet), then the read completes with a
// value from before the change and is put. So the cache also remembers, per
// key and per glob pattern, the highest invalidation revision delivered, and
// refuses a put whose read revision is below the highest one that covers
// its key. A put at exactly that revision is fresh: the read saw the change.
//
// Everything is bounded. Entries: at most entries_max and bytes_max (the
// entry read longest ago goes first: eviction is always safe for a cache).
// Remembered revisions: at most key_marks_max keys and pattern_marks_max
// patterns; past either, the cache collapses the older half of that kind
// into one conservative floor — "everything read before revision R is
// invalid", R the highest revision it forgets — which refuses more puts
// than needed, never fewer (a remembered revision at or below the floor
// says nothing the floor does not, so it is forgotten as the floor rises). invalidate_all(R) raises the floor directly, for a watch that
// ended compacted (the invalidations it missed are unknown) or an
// invalidation that could not be decoded.
//
// Single-threaded; the caller owns it. Pure memory: no Env.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>

#include "engine/client/invalidation.h"

namespace shoal {

inline constexpr size_t kLocalCacheEntriesMax = 100'000;
inline constexpr size_t kLocalCacheBytesMax = 256 << 20;
inline constexpr size_t kLocalCacheKeyMarksMax = 50'000;
inline constexpr size_t kLocalCachePatternMarksMax = 64;
// Charged per entry beyond its key and value bytes.
inline constexpr size_t kLocalCacheEntryOverheadBytes = 64;

// REQUIRES: each bound 1..its constant above.
struct LocalCacheOptions {
  size_t entries_max = kLocalCacheEntriesMax;
  size_t bytes_max = kLocalCacheBytesMax;
  size_t key_marks_max = kLocalCacheKeyMarksMax;
  size_t pattern_marks_max = kLocalCachePatternMarksMax;
};

struct CachedValue {
  std::string value;
  uint64_t read_revision = 0;
  bool operator==(const CachedValue&) const = default;
};

enum class CachePut {
  kStored,     // the entry now holds this value
  kStale,      // refused: an invalidation delivered after the read covers the key
  kKeptNewer,  // refused: the entry already holds a value read at a higher revision
  kTooLarge,   // refused: the entry alone would be over bytes_max
};

struct LocalCacheStats {
  uint64_t hits = 0, misses = 0, stored = 0, refused_stale = 0, kept_newer = 0, too_large = 0;
  uint64_t invalidations = 0, dropped = 0, evicted = 0, collapses = 0;
};

class LocalCache {
 public:
  explicit LocalCache(LocalCacheOptions options = {});

  // Caches `value` read at `read_revision`, unless refused (CachePut).
  CachePut put(std::string key, std::string value, uint64_t read_revision);
  // The cached value and its read revision, if any.
  std::optional<CachedValue> get(std::string_view key);
  // Applies an invalidation delivered at `revision`: drops what it covers
  // read before `revision` and remembers it for later puts. A malformed one
  // (check_invalidation fails) is taken as covering every key.
  void on_invalidation(const Invalidation& inv, uint64_t revision);
  // Everything read before `revision` is invalid.
  void invalidate_all(uint64_t revision);

  // The highest delivered invalidation revision that covers `key` (0: none):
  // a put of `key` read below it is refused.
  uint64_t invalidated_through(std::string_view key) const;
  uint64_t floor() const { return floor_; }
  size_t size() const { return entries_.size(); }
  size_t bytes() const { return bytes_; }
  size_t key_marks() const { return key_marks_.size(); }
  size_t pattern_marks() const { return pattern_marks_.size(); }
  const LocalCacheStats& stats() const { return stats_; }

 private:
  struct Entry {
    std::string value;
    uint64_t read_revision = 0;
  };
  using Entries = std::map<std::string, Entry, std::less<>>;

  static size_t entry_bytes(const std::string& key, const std::string& value);
  void erase(Entries::iterator it);
  void evict_for(size_t incoming_bytes);
  void drop_key(const std::string& key, uint64_t revision);
  void drop_matching(const std::string& pattern, uint64_t revision);
  using Marks = std::map<std::string, uint64_t, std::less<>>;
  void remember(Marks& marks, const std::string& what, uint64_t revision, size_t max);
  void collapse(const Marks& marks);
  void prune_marks(Marks& marks);

  LocalCacheOptions options_;
  Entries entries_;
  std::set<std::pair<uint64_t, std::string>> by_read_revision_;  // (read_revision, key) of every entry
  size_t bytes_ = 0;
  Marks key_marks_;      // key -> highest invalidation revision, each above floor_
  Marks pattern_marks_;  // glob -> highest invalidation revision, each above floor_
  uint64_t floor_ = 0;  // everything read below it is invalid
  LocalCacheStats stats_;
};

}  // namespace shoal
