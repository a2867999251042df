#include "engine/client/glob.h"

#include <optional>

#include "engine/core/assert.h"

namespace shoal {
namespace {

// Where the set that opens at pattern[open] == '[' ends: the index just
// past its closing `]`, or none when it is never closed.
std::optional<size_t> set_end(std::string_view pattern, size_t open) {
  size_t i = open + 1;
  if (i < pattern.size() && (pattern[i] == '!' || pattern[i] == '^')) ++i;
  // The first member may be `]` itself, so the search for the end starts
  // one past it.
  if (i < pattern.size()) ++i;
  while (i < pattern.size() && pattern[i] != ']') ++i;
  if (i >= pattern.size()) return std::nullopt;
  return i + 1;
}

// Whether the set at pattern[open..end) holds `byte`.
bool set_holds(std::string_view pattern, size_t open, size_t end, unsigned char byte) {
  size_t i = open + 1;
  const bool negated = pattern[i] == '!' || pattern[i] == '^';
  if (negated) ++i;
  const size_t close = end - 1;  // the closing `]`
  bool held = false;
  while (i < close) {
    const auto lo = static_cast<unsigned char>(pattern[i]);
    // A range needs a byte after the `-` that is not the closing `]`:
    // otherwise the `-` is a member of its own.
    if (i + 2 < close && pattern[i + 1] == '-') {
      const auto hi = static_cast<unsigned char>(pattern[i + 2]);
      held = held || (lo <= byte && byte <= hi);
      i += 3;
    } else {
      held = held || lo == byte;
      ++i;
    }
  }
  return held != negated;
}

// Whether the one-byte element at pattern[p] (not a `*`) matches `byte`;
// *next is set to the index of the element after it.
bool element_matches(std::string_view pattern, size_t p, unsigned char byte, size_t* next) {
  if (pattern[p] == '?') {
    *next = p + 1;
    return true;
  }
  if (pattern[p] == '[') {
    const std::optional<size_t> end = set_end(pattern, p);
    SHOAL_ASSERT(end.has_value());  // the pattern is well formed
    *next = *end;
    return set_holds(pattern, p, *end, byte);
  }
  *next = p + 1;
  return static_cast<unsigned char>(pattern[p]) == byte;
}

}  // namespace

bool glob_well_formed(std::string_view pattern) {
  if (pattern.empty() || pattern.size() > kGlobBytesMax) return false;
  for (size_t i = 0; i < pattern.size();) {
    if (pattern[i] != '[') {
      ++i;
      continue;
    }
    const std::optional<size_t> end = set_end(pattern, i);
    if (!end) return false;
    i = *end;
  }
  return true;
}

bool glob_match(std::string_view pattern, std::string_view text) {
  // The classic scan with one backtrack point: every element but `*`
  // consumes exactly one byte, so when the text stops matching, only the
  // latest `*` needs to take one more byte and the scan resumes after it.
  size_t p = 0, t = 0;
  size_t after_star = std::string_view::npos, star_text = 0;
  while (t < text.size()) {
    if (p < pattern.size() && pattern[p] == '*') {
      after_star = ++p;
      star_text = t;
      continue;
    }
    size_t next = 0;
    if (p < pattern.size() && element_matches(pattern, p, static_cast<unsigned char>(text[t]), &next)) {
      p = next;
      ++t;
      continue;
    }
    if (after_star == std::string_view::npos) return false;
    p = after_star;
    t = ++star_text;
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

}  // namespace shoal
