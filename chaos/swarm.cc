#include "chaos/swarm.h"

#include <algorithm>

#include "absl/strings/str_cat.h"

namespace shoal::chaos {

const char* intensity_name(Intensity i) {
  switch (i) {
    case Intensity::kLow: return "low";
    case Intensity::kMedium: return "medium";
    case Intensity::kHigh: return "high";
  }
  return "?";
}

std::optional<Intensity> parse_intensity(std::string_view name) {
  for (Intensity i : {Intensity::kLow, Intensity::kMedium, Intensity::kHigh}) {
    if (std::string_view(intensity_name(i)) == name) return i;
  }
  return std::nullopt;
}

std::string SwarmConfig::describe() const {
  std::string kinds_text;
  for (FaultKind k : kinds) absl::StrAppend(&kinds_text, kinds_text.empty() ? "" : ",", kind_name(k));
  return absl::StrCat("intensity ", intensity_name(intensity), ", gap ", format_duration(gap_min), "..",
                      format_duration(gap_max), ", length ", format_duration(length_min), "..",
                      format_duration(length_max), ", crash keep/lose/tear ", crash.keep_weight, "/",
                      crash.lose_weight, "/", crash.tear_weight, ", kinds ", kinds_text);
}

SwarmConfig choose_swarm(Rng& rng, const std::vector<FaultKind>& allowed, std::optional<Intensity> fixed) {
  SwarmConfig s;
  for (FaultKind k : allowed) {
    if (rng.chance(0.5)) s.kinds.push_back(k);
  }
  if (s.kinds.empty()) s.kinds.push_back(allowed[rng.below(allowed.size())]);
  s.intensity = fixed ? *fixed : static_cast<Intensity>(rng.below(3));
  switch (s.intensity) {
    case Intensity::kLow:
      s.gap_min = seconds(3), s.gap_max = seconds(8);
      s.length_min = seconds(1), s.length_max = seconds(4);
      break;
    case Intensity::kMedium:
      s.gap_min = seconds(1), s.gap_max = seconds(4);
      s.length_min = milliseconds(500), s.length_max = seconds(3);
      break;
    case Intensity::kHigh:
      s.gap_min = milliseconds(300), s.gap_max = milliseconds(1500);
      s.length_min = milliseconds(200), s.length_max = seconds(2);
      break;
  }
  // Some runs lose every unsynced write at a crash, some keep them, some
  // tear them; most mix all three.
  const uint64_t mode = rng.below(4);
  s.crash = mode == 0 ? sim::CrashDiskConfig{1, 0, 0}
            : mode == 1 ? sim::CrashDiskConfig{0, 1, 0}
            : mode == 2 ? sim::CrashDiskConfig{0, 0, 1}
                        : sim::CrashDiskConfig{1, 1, 1};
  return s;
}

std::vector<Fault> generate_faults(const SwarmConfig& swarm, Duration from, Duration until, size_t nodes,
                                   Rng& rng) {
  std::vector<Fault> out;
  std::vector<FaultKind> timed;
  for (FaultKind k : swarm.kinds) {
    if (k == FaultKind::kClockOffset) {
      for (size_t i = 0; i < nodes; ++i) out.push_back({from, k, Duration{0}, rng.next_u64()});
    } else {
      timed.push_back(k);
    }
  }
  if (timed.empty()) return out;
  for (Duration t = from + rng.range(Duration{0}, swarm.gap_max); t < until;
       t += rng.range(swarm.gap_min, swarm.gap_max)) {
    Fault f;
    f.at = t;
    f.kind = timed[rng.below(timed.size())];
    f.salt = rng.next_u64();
    const bool instant = f.kind == FaultKind::kBitFlip || f.kind == FaultKind::kClockJump;
    if (!instant) {
      Duration len = rng.range(swarm.length_min, swarm.length_max);
      // A rolling restart takes each node down for a while in turn.
      if (f.kind == FaultKind::kRollingRestart) len *= static_cast<int64_t>(std::max<size_t>(nodes, 1));
      f.length = std::min(len, until - t);
    }
    out.push_back(f);
  }
  return out;
}

}  // namespace shoal::chaos
