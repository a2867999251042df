#include "scenarios/checkers/history_gen.h"

#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <vector>

namespace shoal::check {
namespace {

// One operation's place in time, fixed before the model decides what it does.
struct Slot {
  uint32_t process;
  int64_t invoke_ns;
  int64_t point_ns;  // its linearization point
  int64_t complete_ns;
};

// Per process, operations one after another; the process that is free first
// goes next, so all processes stay busy at once.
std::vector<Slot> make_slots(const GeneratorOptions& o, Rng& rng) {
  std::vector<int64_t> free_at(o.processes, 0);
  std::vector<Slot> slots;
  slots.reserve(o.operations);
  for (size_t i = 0; i < o.operations; ++i) {
    const uint32_t p = uint32_t(std::min_element(free_at.begin(), free_at.end()) - free_at.begin());
    Slot s;
    s.process = p;
    s.invoke_ns = free_at[p] + rng.range(0, o.think_max_ns);
    s.point_ns = s.invoke_ns + rng.range(0, o.latency_max_ns);
    s.complete_ns = s.point_ns + rng.range(0, o.latency_max_ns);
    free_at[p] = s.complete_ns + 1;
    slots.push_back(s);
  }
  return slots;
}

std::set<std::string> hard_key_names(const GeneratorOptions& o) {
  std::set<std::string> names;
  for (uint32_t k = 0; k < std::min(o.hard_keys, o.keys); ++k) names.insert("k" + std::to_string(k));
  return names;
}

class SequentialRun {
 public:
  SequentialRun(const GeneratorOptions& o, Rng& rng) : o_(o), rng_(rng) {}

  const KeyValues& state() const { return state_; }

  // Decides the operation at `slot` and applies it at its point.
  Operation next(const Slot& slot, size_t serial) {
    Operation out;
    out.process = slot.process;
    out.invoke_ns = slot.invoke_ns;
    out.complete_ns = slot.complete_ns;
    out.op = choose_op(serial);
    const bool unknown = rng_.chance(is_hard(out.op.key) ? o_.hard_unknown_probability : o_.unknown_probability);
    // An operation of unknown outcome took effect at its point, or never.
    const bool takes_effect = !unknown || rng_.chance(0.5);
    Value& value = value_of(out.op.key);
    const Value before = value;
    if (takes_effect) apply(out.op, &value);
    out.outcome = unknown ? Outcome::kUnknown : Outcome::kOk;
    if (out.ok() && out.op.type == OpType::kRead) out.result.value = before;
    if (out.ok() && out.op.type == OpType::kCas && before != out.op.expected) {
      // A comparison that failed is reported either way a store may: as a
      // failure (Jepsen's :fail) or as an answer that it did not apply.
      if (rng_.chance(0.5))
        out.outcome = Outcome::kFail;
      else
        out.result.applied = false;
    }
    return out;
  }

 private:
  static void apply(const Op& op, Value* value) {
    switch (op.type) {
      case OpType::kRead:
        break;
      case OpType::kWrite:
        *value = op.value;
        break;
      case OpType::kAppend:
        *value = value->value_or("") + *op.value;
        break;
      case OpType::kDelete:
        value->reset();
        break;
      case OpType::kCas:
        if (*value == op.expected) *value = op.value;
        break;
    }
  }

  bool is_hard(const std::string& key) const { return hard_.contains(key); }
  Value& value_of(const std::string& key) { return state_.try_emplace(key, o_.initial_value).first->second; }

  Op choose_op(size_t serial) {
    if (o_.model == Model::kCasRegister) return choose_register_op();
    std::string key = "k" + std::to_string(rng_.below(std::max<uint32_t>(o_.keys, 1)));
    if (o_.kv_mix == KvMix::kGetPutAppend) return choose_get_put_append(std::move(key), serial);
    const uint64_t dice = rng_.below(100);
    if (dice < 40) return Op::read(key);
    if (dice < 60) return Op::write(key, "w" + std::to_string(serial));
    if (dice < 80) return Op::append(key, "[" + std::to_string(serial) + "]");
    if (dice < 95) {
      Value expected = rng_.chance(0.6) ? value_of(key) : Value("w" + std::to_string(rng_.below(serial + 1)));
      return Op::cas(key, expected, "c" + std::to_string(serial));
    }
    return Op::del(key);
  }

  // Jepsen's kv workload: mostly gets and appends, a few puts; a hard key
  // gets few reads, so that many writes overlap between two observations.
  Op choose_get_put_append(std::string key, size_t serial) {
    const uint64_t dice = rng_.below(100);
    const uint64_t reads = is_hard(key) ? kHardKeyReadPercent : kReadPercent;
    if (dice < reads) return Op::read(key);
    if (dice < reads + kPutPercent) return Op::write(key, "w" + std::to_string(serial));
    return Op::append(key, "[" + std::to_string(serial) + "]");
  }

  Op choose_register_op() {
    auto random_value = [&] { return std::to_string(rng_.below(std::max<uint32_t>(o_.register_values, 1))); };
    const uint64_t dice = rng_.below(100);
    if (dice < 50) return Op::read();
    if (dice < 75) return Op::write("", random_value());
    Value expected = rng_.chance(0.5) ? value_of("") : Value(random_value());
    return Op::cas("", expected, random_value());
  }

  static constexpr uint64_t kReadPercent = 45;
  static constexpr uint64_t kHardKeyReadPercent = 20;
  static constexpr uint64_t kPutPercent = 10;

  const GeneratorOptions& o_;
  Rng& rng_;
  KeyValues state_;
  std::set<std::string> hard_ = hard_key_names(o_);
};

// The acknowledged reads and puts of one key, as history indices.
struct KeyReadsAndPuts {
  std::vector<size_t> reads;
  std::vector<size_t> puts;
};

std::map<std::string, KeyReadsAndPuts> reads_and_puts_by_key(const History& h) {
  std::map<std::string, KeyReadsAndPuts> keys;
  for (size_t i = 0; i < h.size(); ++i) {
    if (!h[i].ok()) continue;
    if (h[i].op.type == OpType::kRead) keys[h[i].op.key].reads.push_back(i);
    if (h[i].op.type == OpType::kWrite) keys[h[i].op.key].puts.push_back(i);
  }
  return keys;
}

// The earlier read whose value `victim` can be made to return: the last one
// to complete before a put that itself completed before `victim` began.
std::optional<size_t> stale_source(const History& h, const KeyReadsAndPuts& k, size_t victim) {
  std::optional<size_t> source;
  for (size_t put : k.puts) {
    if (h[put].complete_ns >= h[victim].invoke_ns) continue;
    for (size_t read : k.reads) {
      const bool before_put = h[read].complete_ns < h[put].invoke_ns;
      if (before_put && (!source || h[read].complete_ns > h[*source].complete_ns)) source = read;
    }
  }
  return source;
}

// Makes one read of the key stale; false when no read of it can be.
bool plant_stale_read(History& h, const KeyReadsAndPuts& k, Rng& rng) {
  std::vector<std::pair<size_t, size_t>> candidates;  // (victim, source)
  for (size_t victim : k.reads) {
    if (std::optional<size_t> source = stale_source(h, k, victim)) candidates.push_back({victim, *source});
  }
  if (candidates.empty()) return false;
  const auto [victim, source] = rng.pick(candidates);
  h.mutable_operations()[victim].result.value = h[source].result.value;
  return true;
}

}  // namespace

GeneratorOptions jepsen_kv_options() {
  GeneratorOptions o;
  o.kv_mix = KvMix::kGetPutAppend;
  o.initial_value = std::string();
  return o;
}

History generate_linearizable_history(const GeneratorOptions& options, Rng& rng, KeyValues* final_values) {
  std::vector<Slot> slots = make_slots(options, rng);
  std::vector<size_t> by_point(slots.size());
  for (size_t i = 0; i < slots.size(); ++i) by_point[i] = i;
  std::stable_sort(by_point.begin(), by_point.end(),
                   [&](size_t a, size_t b) { return slots[a].point_ns < slots[b].point_ns; });
  SequentialRun run(options, rng);
  std::vector<Operation> ops(slots.size());
  for (size_t serial = 0; serial < by_point.size(); ++serial) {
    ops[by_point[serial]] = run.next(slots[by_point[serial]], serial);
  }
  History history;
  history.set_initial_value(options.initial_value);
  for (Operation& o : ops) history.add(std::move(o));
  if (final_values != nullptr) *final_values = run.state();
  return history;
}

std::vector<std::string> plant_stale_reads(History& history, uint32_t keys_max, Rng& rng) {
  std::vector<std::pair<std::string, KeyReadsAndPuts>> keys;
  for (auto& entry : reads_and_puts_by_key(history)) keys.push_back(std::move(entry));
  rng.shuffle(keys);
  std::vector<std::string> broken;
  for (const auto& [key, ops] : keys) {
    if (broken.size() == keys_max) break;
    if (plant_stale_read(history, ops, rng)) broken.push_back(key);
  }
  std::sort(broken.begin(), broken.end());
  return broken;
}

}  // namespace shoal::check
