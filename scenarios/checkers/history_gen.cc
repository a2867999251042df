#include "scenarios/checkers/history_gen.h"

#include <algorithm>
#include <map>
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
    const bool unknown = rng_.chance(o_.unknown_probability);
    // An operation of unknown outcome took effect at its point, or never.
    const bool takes_effect = !unknown || rng_.chance(0.5);
    Value& value = state_[out.op.key];
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

  Op choose_op(size_t serial) {
    if (o_.model == Model::kCasRegister) return choose_register_op();
    std::string key = "k" + std::to_string(rng_.below(std::max<uint32_t>(o_.keys, 1)));
    const uint64_t dice = rng_.below(100);
    if (dice < 40) return Op::read(key);
    if (dice < 60) return Op::write(key, "w" + std::to_string(serial));
    if (dice < 80) return Op::append(key, "[" + std::to_string(serial) + "]");
    if (dice < 95) {
      Value expected = rng_.chance(0.6) ? state_[key] : Value("w" + std::to_string(rng_.below(serial + 1)));
      return Op::cas(key, expected, "c" + std::to_string(serial));
    }
    return Op::del(key);
  }

  Op choose_register_op() {
    auto random_value = [&] { return std::to_string(rng_.below(std::max<uint32_t>(o_.register_values, 1))); };
    const uint64_t dice = rng_.below(100);
    if (dice < 50) return Op::read();
    if (dice < 75) return Op::write("", random_value());
    Value expected = rng_.chance(0.5) ? state_[""] : Value(random_value());
    return Op::cas("", expected, random_value());
  }

  const GeneratorOptions& o_;
  Rng& rng_;
  KeyValues state_;
};

}  // namespace

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
  for (Operation& o : ops) history.add(std::move(o));
  if (final_values != nullptr) *final_values = run.state();
  return history;
}

}  // namespace shoal::check
