#include "tools/cli_util.h"

#include "engine/real/runtime.h"

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <random>

#include "absl/strings/str_cat.h"

namespace shoal::tools {

std::optional<uint64_t> parse_whole_number(std::string_view text) {
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
  }
  uint64_t v = 0;
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (text.empty() || ec != std::errc() || p != text.data() + text.size()) return std::nullopt;
  return v;
}

namespace {

// What is wrong with `text` as a seed ("" when nothing), with the seed in *seed.
std::string seed_problem(std::string_view text, uint64_t* seed) {
  const std::string quoted = "'" + std::string(text) + "' is not a seed: ";
  if (text.empty()) return quoted + "it is empty (a seed is a whole number from 0 to 18446744073709551615)";
  if (text.find_first_not_of("0123456789") != std::string_view::npos) {
    return quoted + "a seed is a whole number in decimal digits, from 0 to 18446744073709551615";
  }
  const auto v = parse_whole_number(text);
  if (!v) return quoted + "it is larger than 18446744073709551615, the largest seed";
  *seed = *v;
  return "";
}

}  // namespace

absl::StatusOr<uint64_t> parse_seed(std::string_view flag, std::string_view text) {
  uint64_t seed = 0;
  if (std::string why = seed_problem(text, &seed); !why.empty()) {
    return absl::InvalidArgumentError(std::string(flag) + ": " + why);
  }
  return seed;
}

absl::StatusOr<std::pair<uint64_t, uint64_t>> parse_seed_range(std::string_view flag, std::string_view text) {
  const auto dots = text.find("..");
  if (dots == std::string_view::npos) {
    auto v = parse_seed(flag, text);
    if (!v.ok()) return v.status();
    return std::make_pair(*v, *v);
  }
  auto a = parse_seed(flag, text.substr(0, dots));
  if (!a.ok()) return a.status();
  auto b = parse_seed(flag, text.substr(dots + 2));
  if (!b.ok()) return b.status();
  const std::string range = std::string(flag) + ": " + std::string(text);
  if (*a > *b) return absl::InvalidArgumentError(absl::StrCat(range, " is empty: ", *a, " is after ", *b));
  // Counted without overflow: b - a is at most 2^64-1.
  if (*b - *a >= kSweepSeedsMax) {
    return absl::InvalidArgumentError(absl::StrCat(range, " is more than ", kSweepSeedsMax, " seeds, the most one sweep runs"));
  }
  return std::make_pair(*a, *b);
}

CLI::Validator seed_validator() {
  return CLI::Validator(
      [](std::string& value) {
        uint64_t seed = 0;
        std::string why = seed_problem(value, &seed);  // CLI11 puts the option's name before it
        if (why.empty()) value = std::to_string(seed);
        return why;
      },
      "SEED");
}

std::optional<uint64_t> parse_bytes(std::string_view text) {
  const size_t digits = std::min(text.find_first_not_of("0123456789"), text.size());
  const auto number = parse_whole_number(text.substr(0, digits));
  std::string unit(text.substr(digits));
  for (const char* suffix : {"iB", "B"}) {
    if (unit.size() > 1 && unit.ends_with(suffix)) {
      unit.resize(unit.size() - std::string_view(suffix).size());
      break;
    }
  }
  int shift = 0;
  if (unit == "K") {
    shift = 10;
  } else if (unit == "M") {
    shift = 20;
  } else if (unit == "G") {
    shift = 30;
  } else if (unit == "T") {
    shift = 40;
  } else if (!unit.empty() && unit != "B") {
    return std::nullopt;
  }
  if (!number || *number == 0 || *number > (UINT64_MAX >> shift)) return std::nullopt;
  return *number << shift;
}

double wall_seconds() {
  using namespace std::chrono;
  return duration<double>(steady_clock::now().time_since_epoch()).count();
}

double percentile(std::vector<double> values, double p) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  return values[std::min(values.size() - 1, static_cast<size_t>(p * static_cast<double>(values.size())))];
}

NodeId random_client_id() {
  std::random_device rd;
  return kClientIdBase + static_cast<NodeId>(rd() % (kClientIdBase - 1));
}

std::optional<WriteLevel> parse_write_level(std::string_view text) {
  for (WriteLevel l : {WriteLevel::kLeader, WriteLevel::kQuorum, WriteLevel::kAll}) {
    if (text == to_string(l)) return l;
  }
  return std::nullopt;
}

std::optional<ReadLevel> parse_read_level(std::string_view text) {
  for (ReadLevel l : {ReadLevel::kLinearizable, ReadLevel::kLease, ReadLevel::kSession, ReadLevel::kAny}) {
    if (text == to_string(l)) return l;
  }
  return std::nullopt;
}

std::string parse_endpoints(const std::string& text, std::map<NodeId, std::string>* out) {
  size_t pos = 0;
  NodeId next_id = 1;
  while (pos <= text.size()) {
    const size_t comma = text.find(',', pos);
    std::string item = text.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos);
    if (!item.empty()) {
      NodeId id = next_id;
      if (const auto eq = item.find('='); eq != std::string::npos) {
        try {
          id = static_cast<NodeId>(std::stoul(item.substr(0, eq)));
        } catch (const std::exception&) {
          return "endpoint '" + item + "' is not id=host:port";
        }
        item = item.substr(eq + 1);
      }
      try {
        real::parse_endpoint(item);
      } catch (const std::runtime_error& e) {
        return e.what();
      }
      (*out)[id] = item;
      next_id = id + 1;
    }
    if (comma == std::string::npos) break;
    pos = comma + 1;
  }
  return out->empty() ? "--endpoints is empty" : "";
}

}  // namespace shoal::tools
