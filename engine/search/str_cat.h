// absl::StrCat that also accepts std::string_view.
//
// Debian 12's Abseil is built with its own absl::string_view (not an alias of
// std::string_view), so StrCat rejects std::string_view arguments. The engine
// uses std::string_view everywhere; this wrapper converts them on the way in.
#pragma once

#include <string>
#include <string_view>
#include <type_traits>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace shoal::search {

inline absl::string_view to_absl(std::string_view s) { return absl::string_view(s.data(), s.size()); }
inline std::string_view to_std(absl::string_view s) { return std::string_view(s.data(), s.size()); }

namespace str_cat_detail {
template <typename T>
decltype(auto) piece(const T& v) {
  if constexpr (std::is_same_v<T, std::string_view>) {
    return to_absl(v);
  } else {
    return (v);
  }
}
}  // namespace str_cat_detail

template <typename... Args>
std::string str_cat(const Args&... args) {
  return absl::StrCat(str_cat_detail::piece(args)...);
}

}  // namespace shoal::search
