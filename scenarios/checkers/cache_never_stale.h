// `cache-never-stale`: a cache fed by watch invalidations never serves a
// value older than an invalidation it has already received.
//
// Each CacheLog is one subscriber's cache: its steps in the order they
// happened (at_ns non-decreasing; the order given is the order judged). An
// invalidation step says "`key` changed at `revision`"; when `glob` is set,
// `key` is a pattern and the invalidation covers every key it matches. A
// serve step says the cache answered `key` with a value written at
// `revision`. A serve whose revision is below the highest revision of an
// invalidation already delivered for that key is "stale-serve"; a serve at
// exactly that revision is the fresh value. An invalidation whose pattern
// is longer than kGlobPatternBytesMax or malformed (an unclosed `[`) cannot
// be judged and is "bad-pattern". Every violation's text starts with its
// kind and a colon. Pure function.
//
// Patterns follow fnmatch(3) without flags, for `*`, `?` and `[...]` only:
// `*` matches any run of bytes (`/` included), `?` one byte, `[...]` one
// byte of a set with ranges (`a-z`), negated by a leading `!` or `^`; a `]`
// first in the set and a `-` first or last are literal. There is no escape
// character.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "scenarios/checkers/check_result.h"

namespace shoal::check {

struct CacheStep {
  enum class Kind { kInvalidate, kServe };
  Kind kind = Kind::kServe;
  int64_t at_ns = 0;
  std::string key;        // kInvalidate: a key, or a pattern when `glob`; kServe: the key served
  uint64_t revision = 0;  // kInvalidate: the change's revision; kServe: the served value's revision
  bool glob = false;      // kInvalidate only
};

struct CacheLog {
  size_t subscriber = 0;
  std::vector<CacheStep> steps;
};

// The longest pattern judged; a longer one is "bad-pattern". Matching costs
// at most pattern length times key length.
inline constexpr size_t kGlobPatternBytesMax = 256;

// Whether `pattern` matches all of `text`; none when the pattern is longer
// than kGlobPatternBytesMax or malformed.
std::optional<bool> glob_matches(std::string_view pattern, std::string_view text);

// The message counts the subscribers and the serves judged, so a caller can
// require more than zero serves.
CheckResult check_cache_never_stale(const std::vector<CacheLog>& subscribers);

}  // namespace shoal::check
