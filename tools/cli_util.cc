#include "tools/cli_util.h"

#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <random>

namespace shoal::tools {

static std::optional<uint64_t> parse_u64(std::string_view s) {
  uint64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size() || s.empty()) return std::nullopt;
  return v;
}

std::optional<std::pair<uint64_t, uint64_t>> parse_seed_range(const std::string& text) {
  const auto dots = text.find("..");
  if (dots == std::string::npos) {
    auto v = parse_u64(text);
    if (!v) return std::nullopt;
    return std::make_pair(*v, *v);
  }
  auto a = parse_u64(std::string_view(text).substr(0, dots));
  auto b = parse_u64(std::string_view(text).substr(dots + 2));
  if (!a || !b || *a > *b) return std::nullopt;
  return std::make_pair(*a, *b);
}

double wall_seconds() {
  using namespace std::chrono;
  return duration<double>(steady_clock::now().time_since_epoch()).count();
}

}  // namespace shoal::tools

namespace shoal::tools {

NodeId random_client_id() {
  std::random_device rd;
  return kClientIdBase + static_cast<NodeId>(rd() % (kClientIdBase - 1));
}

}  // namespace shoal::tools
