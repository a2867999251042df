#include "scenarios/checkers/overwritten_reads.h"

#include <algorithm>
#include <limits>
#include <unordered_map>

namespace shoal::check::internal {
namespace {

constexpr int64_t kForever = std::numeric_limits<int64_t>::max();
constexpr uint32_t kNone = UINT32_MAX;

// An overwrite of known outcome: when it began and ended, and what it set.
struct KnownOverwrite {
  int64_t invoke_ns;
  int64_t complete_ns;
  uint32_t value;
};

// Whether `m` certainly set its value: a write, delete or cas of known
// outcome (a cas only if it applied).
bool certain_overwrite(const ModelOp& m) {
  if (m.effect_unknown) return false;
  return is_blind_overwrite(m) || (m.type == OpType::kCas && m.applied);
}

// Whether `m` may have set its value: any overwrite but a cas known not to
// have applied.
bool possible_overwrite(const ModelOp& m) {
  if (!overwrite_value(m)) return false;
  return m.effect_unknown || m.type != OpType::kCas || m.applied;
}

class Finder {
 public:
  explicit Finder(const KeyOperations& key) : key_(key) {}
  uint32_t find();

 private:
  const Operation& operation(uint32_t i) const { return key_.history[key_.ops[i]]; }
  bool produces(uint32_t overwritten, uint32_t needed) const {
    return overwritten == needed || (key_.has_appends && key_.values.extends(overwritten, needed));
  }
  void collect();
  void admit(const KnownOverwrite& k);
  bool unmeetable(uint32_t needed) const;

  const KeyOperations& key_;
  // For each value some operation may set, until when its producers may take
  // effect: the latest completion among them, or kForever if one has an
  // unknown outcome. (Only looked up or scanned for a yes/no answer, so the
  // map's order reaches nothing.)
  std::unordered_map<uint32_t, int64_t> producers_until_;
  std::vector<KnownOverwrite> known_;  // in order of completion
  // The known overwrites admitted so far that were invoked last, one per
  // value, latest first: the candidates for the overwrite that kills.
  std::vector<KnownOverwrite> candidates_;
};

void Finder::collect() {
  for (uint32_t i = 0; i < key_.model_ops.size(); ++i) {
    const ModelOp& m = key_.model_ops[i];
    const Operation& o = operation(i);
    if (possible_overwrite(m)) {
      int64_t& until = producers_until_.try_emplace(*overwrite_value(m), std::numeric_limits<int64_t>::min())
                           .first->second;
      until = std::max(until, m.effect_unknown ? kForever : o.complete_ns);
    }
    if (certain_overwrite(m)) known_.push_back({o.invoke_ns, o.complete_ns, *overwrite_value(m)});
  }
  std::sort(known_.begin(), known_.end(),
            [](const KnownOverwrite& a, const KnownOverwrite& b) { return a.complete_ns < b.complete_ns; });
}

void Finder::admit(const KnownOverwrite& k) {
  auto same = std::find_if(candidates_.begin(), candidates_.end(),
                           [&](const KnownOverwrite& c) { return c.value == k.value; });
  if (same != candidates_.end()) {
    same->invoke_ns = std::max(same->invoke_ns, k.invoke_ns);
  } else {
    candidates_.push_back(k);
  }
  std::sort(candidates_.begin(), candidates_.end(),
            [](const KnownOverwrite& a, const KnownOverwrite& b) { return a.invoke_ns > b.invoke_ns; });
  if (candidates_.size() > kOverwriteCandidatesMax) candidates_.pop_back();
}

// Whether no producer of `needed` can be the last overwrite before an
// operation that began after every admitted overwrite completed.
bool Finder::unmeetable(uint32_t needed) const {
  auto killer = std::find_if(candidates_.begin(), candidates_.end(),
                             [&](const KnownOverwrite& k) { return !produces(k.value, needed); });
  if (killer == candidates_.end()) {
    // Nothing certainly overwrote a producer: only a value nothing produces
    // (not even the initial value) is out of reach.
    if (produces(key_.initial_state, needed)) return false;
  }
  const int64_t killed_before_ns =
      killer == candidates_.end() ? std::numeric_limits<int64_t>::min() : killer->invoke_ns;
  if (!key_.has_appends) {
    auto it = producers_until_.find(needed);
    return it == producers_until_.end() || it->second < killed_before_ns;
  }
  return std::none_of(producers_until_.begin(), producers_until_.end(), [&](const auto& producer) {
    return produces(producer.first, needed) && producer.second >= killed_before_ns;
  });
}

uint32_t Finder::find() {
  collect();
  std::vector<uint32_t> requirements;
  for (uint32_t i = 0; i < key_.model_ops.size(); ++i) {
    if (required_value(key_.model_ops[i])) requirements.push_back(i);
  }
  std::stable_sort(requirements.begin(), requirements.end(),
                   [&](uint32_t a, uint32_t b) { return operation(a).invoke_ns < operation(b).invoke_ns; });
  uint32_t found = kNone;
  size_t admitted = 0;
  for (uint32_t r : requirements) {
    const Operation& o = operation(r);
    for (; admitted < known_.size() && known_[admitted].complete_ns < o.invoke_ns; ++admitted) admit(known_[admitted]);
    if (found != kNone && operation(found).complete_ns <= o.complete_ns) continue;
    if (unmeetable(*required_value(key_.model_ops[r]))) found = r;
  }
  return found;
}

}  // namespace

uint32_t overwritten_requirement(const KeyOperations& key) { return Finder(key).find(); }

}  // namespace shoal::check::internal
