// Internal to the Jepsen EDN parser: a reader for the subset of EDN that
// Jepsen histories use — nil, booleans, numbers, strings, keywords, symbols,
// vectors, lists and maps. Nesting is bounded; anything else is an error.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace shoal::check::internal {

struct Edn {
  enum class Kind { kNil, kBool, kNumber, kString, kKeyword, kSymbol, kVector, kList, kMap };
  Kind kind = Kind::kNil;
  std::string text;        // scalars: the text (a keyword without its ':'; a string unescaped)
  std::vector<Edn> items;  // vectors, lists; maps as key, value, key, value...

  // For maps: the value under keyword `name`, or nullptr.
  const Edn* get(std::string_view keyword) const;
};

// Parses exactly one EDN value from `text` (surrounding whitespace allowed).
// On error returns nullopt and sets *error to a short description.
std::optional<Edn> parse_edn(std::string_view text, std::string* error);

// Nesting deeper than this is rejected rather than recursed into.
inline constexpr int kEdnDepthMax = 32;

}  // namespace shoal::check::internal
