#include "scenarios/checkers/history.h"

#include <algorithm>
#include <cassert>
#include <stdexcept>

namespace shoal::check {

Op Op::read(std::string key) { return Op{OpType::kRead, std::move(key), std::nullopt, std::nullopt}; }
Op Op::write(std::string key, std::string value) {
  return Op{OpType::kWrite, std::move(key), std::move(value), std::nullopt};
}
Op Op::append(std::string key, std::string value) {
  return Op{OpType::kAppend, std::move(key), std::move(value), std::nullopt};
}
Op Op::del(std::string key) { return Op{OpType::kDelete, std::move(key), std::nullopt, std::nullopt}; }
Op Op::cas(std::string key, Value expected, std::string value) {
  return Op{OpType::kCas, std::move(key), std::move(value), std::move(expected)};
}

size_t History::invoke(uint32_t process, int64_t t_ns, Op op) {
  Operation operation;
  operation.process = process;
  operation.invoke_ns = t_ns;
  operation.op = std::move(op);
  return add(std::move(operation));
}

void History::complete(size_t index, int64_t t_ns, Outcome outcome, Result result) {
  // These are programming errors in the recorder, not bad input, so they throw
  // rather than assert: a history recorded wrongly must never be judged.
  if (index >= ops_.size()) throw std::out_of_range("History::complete: no such operation");
  Operation& operation = ops_[index];
  if (operation.outcome != Outcome::kPending) throw std::logic_error("History::complete: completed twice");
  if (outcome == Outcome::kPending) throw std::logic_error("History::complete: outcome must not be pending");
  if (t_ns < operation.invoke_ns) throw std::logic_error("History::complete: completes before it was invoked");
  operation.complete_ns = t_ns;
  operation.outcome = outcome;
  operation.result = std::move(result);
}

size_t History::add(Operation operation) {
  ops_.push_back(std::move(operation));
  return ops_.size() - 1;
}

std::vector<std::string> History::keys() const {
  std::vector<std::string> keys;
  keys.reserve(ops_.size());
  for (const Operation& o : ops_) keys.push_back(o.op.key);
  std::sort(keys.begin(), keys.end());
  keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
  return keys;
}

History History::of_key(const std::string& key) const {
  History part;
  part.set_initial_value(initial_value_);
  for (const Operation& o : ops_) {
    if (o.op.key == key) part.add(o);
  }
  return part;
}

std::string_view to_string(OpType type) {
  switch (type) {
    case OpType::kRead:
      return "read";
    case OpType::kWrite:
      return "write";
    case OpType::kAppend:
      return "append";
    case OpType::kDelete:
      return "delete";
    case OpType::kCas:
      return "cas";
  }
  return "?";
}

std::string_view to_string(Outcome outcome) {
  switch (outcome) {
    case Outcome::kPending:
      return "pending";
    case Outcome::kOk:
      return "ok";
    case Outcome::kFail:
      return "fail";
    case Outcome::kUnknown:
      return "unknown";
  }
  return "?";
}

std::optional<OpType> parse_op_type(std::string_view name) {
  if (name == "read" || name == "get") return OpType::kRead;
  if (name == "write" || name == "put") return OpType::kWrite;
  if (name == "append") return OpType::kAppend;
  if (name == "delete" || name == "del") return OpType::kDelete;
  if (name == "cas") return OpType::kCas;
  return std::nullopt;
}

std::optional<Outcome> parse_outcome(std::string_view name) {
  if (name == "pending") return Outcome::kPending;
  if (name == "ok") return Outcome::kOk;
  if (name == "fail") return Outcome::kFail;
  if (name == "unknown" || name == "info") return Outcome::kUnknown;
  return std::nullopt;
}

std::string describe(const Value& v) { return v ? "\"" + *v + "\"" : "nil"; }

std::string describe(const Operation& o) {
  std::string s = "p" + std::to_string(o.process) + " " + std::string(to_string(o.op.type));
  if (!o.op.key.empty()) s += " " + describe(Value(o.op.key));
  switch (o.op.type) {
    case OpType::kRead:
      break;
    case OpType::kWrite:
    case OpType::kAppend:
      s += " " + describe(o.op.value);
      break;
    case OpType::kDelete:
      break;
    case OpType::kCas:
      s += " " + describe(o.op.expected) + "->" + describe(o.op.value);
      break;
  }
  s += " " + std::string(to_string(o.outcome));
  if (o.ok() && o.op.type == OpType::kRead) s += " " + describe(o.result.value);
  if (o.ok() && o.op.type == OpType::kCas && !o.result.applied) s += " (not applied)";
  return s;
}

}  // namespace shoal::check
