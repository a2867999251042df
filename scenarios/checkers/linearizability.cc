#include "scenarios/checkers/linearizability.h"

#include <algorithm>
#include <map>
#include <stdexcept>
#include <thread>

#include "scenarios/checkers/key_race.h"
#include "scenarios/checkers/kv_model.h"
#include "scenarios/checkers/line_reader.h"
#include "scenarios/checkers/wgl_search.h"

namespace shoal::check {
namespace {

// The operations the search must place, grouped by key (P-compositionality).
// Failed operations did not happen, and an observation (a read, say) of
// unknown outcome observed nothing, so neither constrains the order.
std::map<std::string, std::vector<size_t>> partition_by_key(const History& history) {
  std::map<std::string, std::vector<size_t>> keys;
  for (size_t i = 0; i < history.size(); ++i) {
    const Operation& o = history[i];
    if (o.outcome == Outcome::kFail) continue;
    if (o.effect_unknown() && internal::is_observation(o)) continue;
    keys[o.op.key].push_back(i);
  }
  return keys;
}

bool has_known_outcome(const History& history, const std::vector<size_t>& ops) {
  for (size_t i : ops) {
    if (history[i].ok()) return true;
  }
  return false;
}

// The keys to search, in key order: those where something was observed (with
// nothing observed, any order will do).
struct KeysToSearch {
  std::vector<std::string> names;
  std::vector<std::vector<size_t>> ops;
};

KeysToSearch keys_to_search(const History& history) {
  KeysToSearch keys;
  for (auto& [key, ops] : partition_by_key(history)) {
    if (!has_known_outcome(history, ops)) continue;
    keys.names.push_back(key);
    keys.ops.push_back(std::move(ops));
  }
  return keys;
}

unsigned thread_count(const LinearizabilityOptions& options) {
  if (options.threads > 0) return options.threads;
  return std::max(std::thread::hardware_concurrency(), 1u);
}

std::string key_name(const std::string& key) { return key.empty() ? "the register" : "key \"" + key + "\""; }

std::string failure_message(const History& history, const LinearizabilityResult& r) {
  const FailingWindow& w = *r.failure;
  const Operation& blocking = history[w.blocking_op];
  std::string where = blocking.source_line > 0 ? internal::str_cat(" (line ", blocking.source_line, ")") : "";
  std::string others;
  if (r.failing_keys.size() > 1) others = internal::str_cat("; ", r.failing_keys.size(), " keys fail: ");
  for (size_t i = 0; r.failing_keys.size() > 1 && i < r.failing_keys.size(); ++i) {
    others += (i > 0 ? ", " : "") + describe(Value(r.failing_keys[i]));
  }
  std::string approximate = w.exact ? "" : "; window approximate: the budget ran out while narrowing it";
  const size_t overlapping = w.window.size() - 1;
  std::string why = overlapping == 0
                        ? std::string(" cannot follow the longest linearizable prefix, which orders ")
                        : internal::str_cat(" cannot be linearized in any order with the ", overlapping,
                                            " operation(s) overlapping it after the longest linearizable prefix, "
                                            "which orders ");
  return internal::str_cat("not linearizable: on ", key_name(w.key), ", ", describe(blocking), where, why,
                           w.prefix.size(), " of ", w.key_operations, " operations and leaves ",
                           describe(w.state_after_prefix), others, approximate);
}

void summarise(const History& history, LinearizabilityResult* r) {
  if (r->failure) {
    r->verdict = Verdict::kNotLinearizable;
    r->message = failure_message(history, *r);
  } else if (!r->unknown_keys.empty()) {
    r->verdict = Verdict::kUnknown;
    std::string more =
        r->unknown_keys.size() > 1 ? internal::str_cat(" and ", r->unknown_keys.size() - 1, " more") : "";
    r->message = internal::str_cat("unknown: the search budget ran out after ", r->steps, " steps on ",
                                   key_name(r->unknown_keys.front()), more);
  } else {
    r->verdict = Verdict::kLinearizable;
    r->message = internal::str_cat("linearizable: ", history.size(), " operations on ", r->keys_checked, " key(s), ",
                                   r->steps, " search steps");
  }
  r->ok = r->verdict == Verdict::kLinearizable;
}

}  // namespace

std::optional<Model> parse_model(std::string_view name) {
  if (name == "cas-register") return Model::kCasRegister;
  if (name == "kv") return Model::kKv;
  return std::nullopt;
}

std::string_view to_string(Model model) { return model == Model::kCasRegister ? "cas-register" : "kv"; }

std::string_view to_string(Verdict verdict) {
  switch (verdict) {
    case Verdict::kLinearizable:
      return "linearizable";
    case Verdict::kNotLinearizable:
      return "not-linearizable";
    case Verdict::kUnknown:
      return "unknown";
  }
  return "?";
}

absl::Status validate_for_model(const History& history, Model model) {
  if (model == Model::kKv) return absl::OkStatus();
  for (const Operation& o : history.operations()) {
    std::string line = o.source_line > 0 ? internal::str_cat("line ", o.source_line, ": ") : "";
    if (!o.op.key.empty()) {
      return absl::InvalidArgumentError(
          internal::str_cat(line, "the cas-register model has one register, but an operation names key \"", o.op.key,
                            "\" (use --model kv)"));
    }
    if (o.op.type == OpType::kAppend || o.op.type == OpType::kDelete) {
      return absl::InvalidArgumentError(
          internal::str_cat(line, "the cas-register model has no ", to_string(o.op.type), " (use --model kv)"));
    }
  }
  return absl::OkStatus();
}

LinearizabilityResult check_linearizable(const History& history, const LinearizabilityOptions& options) {
  if (absl::Status s = validate_for_model(history, options.model); !s.ok()) {
    throw std::invalid_argument(std::string(s.message()));
  }
  const KeysToSearch keys = keys_to_search(history);
  internal::RaceResult race = internal::race_keys(
      history, keys.ops, {options.budget, thread_count(options), options.all_keys, options.steps_before_threads});
  LinearizabilityResult result;
  result.keys_checked = keys.names.size();
  const std::optional<size_t> first = race.first_failure;
  // The step at which the first failure was decided, before locating its
  // window spends more of that key's budget.
  const uint64_t first_step = first ? race.keys[*first].search->steps() : 0;
  if (first) {
    internal::RacedKey& failed = race.keys[*first];
    internal::KeySearchResult located =
        internal::locate_failure(history, keys.ops[*first], failed.search->budget(), *failed.whole);
    located.failure.key = keys.names[*first];
    result.failure = std::move(located.failure);
  }
  // Only what every run of the race decides is reported: the keys decided
  // before the first failure in the race's order (see key_race.h).
  auto counted = [&](size_t k) {
    if (options.all_keys || !first) return true;
    return k == *first || internal::races_before(race.keys[k].search->steps(), k, first_step, *first);
  };
  for (size_t k = 0; k < keys.names.size(); ++k) {
    const std::optional<internal::SearchRun>& whole = race.keys[k].whole;
    if (!whole || !counted(k)) continue;
    if (whole->verdict == Verdict::kNotLinearizable) result.failing_keys.push_back(keys.names[k]);
    if (whole->verdict == Verdict::kUnknown) result.unknown_keys.push_back(keys.names[k]);
    result.steps += race.keys[k].search->steps();
  }
  summarise(history, &result);
  return result;
}

}  // namespace shoal::check
