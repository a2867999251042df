#include "scenarios/checkers/cache_never_stale.h"

#include <algorithm>
#include <bitset>
#include <cstdint>
#include <map>

#include "scenarios/checkers/line_reader.h"

namespace shoal::check {
namespace {

using internal::str_cat;

// One element of a parsed pattern: `*`, or a set of the bytes that one
// position may hold (`?` holds all of them, a literal one).
struct GlobToken {
  bool star = false;
  std::bitset<256> bytes;
};

// Parses a `[...]` set starting at pattern[i] == '['; returns the index
// after its `]`, or none when the set is not closed.
std::optional<size_t> parse_set(std::string_view pattern, size_t i, GlobToken& token) {
  ++i;
  const bool negated = i < pattern.size() && (pattern[i] == '!' || pattern[i] == '^');
  if (negated) ++i;
  const size_t first = i;
  // A `]` right after the opening (and negation) is a member, not the end.
  while (i < pattern.size() && (pattern[i] != ']' || i == first)) {
    const auto lo = static_cast<unsigned char>(pattern[i]);
    if (i + 2 < pattern.size() && pattern[i + 1] == '-' && pattern[i + 2] != ']') {
      const auto hi = static_cast<unsigned char>(pattern[i + 2]);
      for (unsigned b = lo; b <= hi; ++b) token.bytes.set(b);
      i += 3;
    } else {
      token.bytes.set(lo);
      ++i;
    }
  }
  if (i >= pattern.size()) return std::nullopt;
  if (negated) token.bytes.flip();
  return i + 1;
}

std::optional<std::vector<GlobToken>> parse_glob(std::string_view pattern) {
  std::vector<GlobToken> tokens;
  for (size_t i = 0; i < pattern.size();) {
    GlobToken token;
    if (pattern[i] == '*') {
      token.star = true;
      ++i;
    } else if (pattern[i] == '?') {
      token.bytes.set();
      ++i;
    } else if (pattern[i] == '[') {
      const std::optional<size_t> next = parse_set(pattern, i, token);
      if (!next) return std::nullopt;
      i = *next;
    } else {
      token.bytes.set(static_cast<unsigned char>(pattern[i]));
      ++i;
    }
    tokens.push_back(token);
  }
  return tokens;
}

// Matches with the classic single-backtrack scan: on a mismatch, the most
// recent `*` absorbs one more byte. Every other token matches exactly one
// byte, so retrying only the latest star is enough.
bool match_tokens(const std::vector<GlobToken>& tokens, std::string_view text) {
  size_t t = 0, s = 0;
  size_t star_t = SIZE_MAX, star_s = 0;
  while (s < text.size()) {
    if (t < tokens.size() && tokens[t].star) {
      star_t = t++;
      star_s = s;
    } else if (t < tokens.size() && tokens[t].bytes.test(static_cast<unsigned char>(text[s]))) {
      ++t;
      ++s;
    } else if (star_t != SIZE_MAX) {
      t = star_t + 1;
      s = ++star_s;
    } else {
      return false;
    }
  }
  while (t < tokens.size() && tokens[t].star) ++t;
  return t == tokens.size();
}

// A pattern a subscriber has seen invalidated, parsed once.
struct PatternSeen {
  std::vector<GlobToken> tokens;
  uint64_t revision = 0;  // the highest invalidation revision for it so far
};

// One subscriber's invalidations so far: the highest revision per key and per pattern.
struct Invalidated {
  std::map<std::string, uint64_t> keys;
  std::map<std::string, PatternSeen> patterns;
};

// Records a pattern invalidation; false when the pattern cannot be judged.
bool invalidate_pattern(const CacheStep& step, Invalidated& seen) {
  auto it = seen.patterns.find(step.key);
  if (it == seen.patterns.end()) {
    if (step.key.size() > kGlobPatternBytesMax) return false;
    std::optional<std::vector<GlobToken>> tokens = parse_glob(step.key);
    if (!tokens) return false;
    it = seen.patterns.emplace(step.key, PatternSeen{std::move(*tokens), 0}).first;
  }
  it->second.revision = std::max(it->second.revision, step.revision);
  return true;
}

// Judges one serve against every invalidation delivered before it.
void judge_serve(const std::string& where, const CacheStep& step, const Invalidated& seen, CheckResult& r) {
  uint64_t newest = 0;
  std::string by = "key";
  if (auto it = seen.keys.find(step.key); it != seen.keys.end()) newest = it->second;
  for (const auto& [pattern, p] : seen.patterns) {
    if (p.revision <= newest || !match_tokens(p.tokens, step.key)) continue;
    newest = p.revision;
    by = str_cat("pattern \"", internal::snippet(pattern), "\"");
  }
  if (step.revision >= newest) return;
  r.add({str_cat("stale-serve: ", where, " served \"", internal::snippet(step.key), "\" at revision ", step.revision,
                 " after an invalidation of its ", by, " at revision ", newest),
         {}});
}

void judge_subscriber(const CacheLog& log, CheckResult& r, size_t& serves) {
  Invalidated seen;
  for (size_t i = 0; i < log.steps.size(); ++i) {
    const CacheStep& step = log.steps[i];
    const std::string where = str_cat("subscriber ", log.subscriber, " step #", i, " at ", step.at_ns, "ns");
    if (step.kind == CacheStep::Kind::kServe) {
      ++serves;
      judge_serve(where, step, seen, r);
    } else if (!step.glob) {
      uint64_t& highest = seen.keys[step.key];
      highest = std::max(highest, step.revision);
    } else if (!invalidate_pattern(step, seen)) {
      r.add({str_cat("bad-pattern: ", where, " invalidates pattern \"", internal::snippet(step.key),
                     "\", which is malformed or longer than ", kGlobPatternBytesMax, " bytes"),
             {}});
    }
  }
}

}  // namespace

std::optional<bool> glob_matches(std::string_view pattern, std::string_view text) {
  if (pattern.size() > kGlobPatternBytesMax) return std::nullopt;
  const std::optional<std::vector<GlobToken>> tokens = parse_glob(pattern);
  if (!tokens) return std::nullopt;
  return match_tokens(*tokens, text);
}

CheckResult check_cache_never_stale(const std::vector<CacheLog>& subscribers) {
  CheckResult r;
  size_t serves = 0;
  for (const CacheLog& log : subscribers) judge_subscriber(log, r, serves);
  r.summarise("cache-never-stale", subscribers.size(), str_cat("subscribers, ", serves, " serves"));
  r.name = "cache-never-stale";
  return r;
}

}  // namespace shoal::check
