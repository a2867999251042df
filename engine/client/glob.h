// Glob patterns, as cache invalidations name a set of keys with them.
//
// The syntax is fnmatch(3)'s without flags, for `*`, `?` and `[...]` only:
// `*` matches any run of bytes (`/` included, and the empty run), `?` any
// one byte, and `[...]` one byte of a set of bytes and ranges (`a-z`),
// negated when it opens with `!` or `^`. A `]` right after the opening (and
// the negation) is a member, not the end; a `-` first or last in the set is
// literal. Every other byte matches itself; there is no escape character.
// Bytes are compared as unsigned bytes, without regard to any encoding.
//
// A pattern is well formed when it has 1..kGlobBytesMax bytes and every `[`
// is closed; matching then costs at most pattern length times text length.
// Pure functions; thread-safe.
#pragma once

#include <cstddef>
#include <string_view>

namespace shoal {

inline constexpr size_t kGlobBytesMax = 256;

// Whether `pattern` is well formed (above).
bool glob_well_formed(std::string_view pattern);

// Whether `pattern` matches all of `text`.
// REQUIRES: glob_well_formed(pattern).
bool glob_match(std::string_view pattern, std::string_view text);

}  // namespace shoal
