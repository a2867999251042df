#include "scenarios/checkers/wgl_search.h"

#include <algorithm>
#include <cassert>
#include <tuple>

#include "engine/core/random.h"
#include "scenarios/checkers/kv_model.h"
#include "scenarios/checkers/memo_table.h"

namespace shoal::check::internal {

SearchBudget::SearchBudget(const LinearizabilityBudget& budget)
    : steps_max_(budget.steps_max),
      memo_bytes_max_(budget.memo_bytes_max),
      has_deadline_(budget.time_max.count() > 0),
      deadline_(std::chrono::steady_clock::now() + budget.time_max) {}

bool SearchBudget::spend() {
  ++steps_;
  if (steps_ > steps_max_) return false;
  if (has_deadline_ && steps_ % kStepsPerClockRead == 0 && std::chrono::steady_clock::now() > deadline_) {
    steps_max_ = steps_;  // Stay spent for the keys that follow.
    return false;
  }
  return true;
}

namespace {

constexpr uint32_t kNil = UINT32_MAX;
constexpr uint32_t kHead = 0;

// The search of one key. Events (invocations and completions) form a doubly
// linked list in time order; linearizing an operation unlinks its two events
// ("lifting" it), backtracking links them back in reverse order.
class KeySearch {
 public:
  KeySearch(const History& history, const std::vector<size_t>& ops, SearchBudget& budget)
      : history_(history), ops_(ops), budget_(budget), words_((ops.size() + 63) / 64), memo_(words_) {
    intern_ops();
    build_events();
  }

  KeySearchResult run();

 private:
  struct Frame {
    uint32_t op;          // local index of the operation linearized
    uint32_t prev_state;  // the model state before it
  };

  void intern_ops();
  void build_events();
  void lift(uint32_t op);
  void unlift(uint32_t op);
  bool try_linearize(uint32_t op);
  void backtrack(uint32_t* node);
  void note_blocked(uint32_t return_node);
  KeySearchResult failure() const;

  const History& history_;
  const std::vector<size_t>& ops_;
  SearchBudget& budget_;
  const size_t words_;

  ValueTable values_;
  std::vector<ModelOp> model_ops_;
  std::vector<uint64_t> zobrist_;
  uint32_t initial_state_ = kAbsentId;

  // Event list: node 0 is the head; nodes 2i+1 and 2i+2 are op i's events.
  std::vector<uint32_t> next_, prev_;

  MemoTable memo_;
  std::vector<uint64_t> linearized_;
  uint64_t linearized_hash_ = 0;
  uint32_t state_ = kAbsentId;
  std::vector<Frame> stack_;

  // Each event's position in time order.
  std::vector<uint32_t> rank_;

  // The furthest point reached, for the failure report.
  std::vector<uint32_t> best_prefix_;
  uint32_t best_state_ = kAbsentId;
  uint32_t blocker_ = kNil;
  uint32_t blocker_rank_ = 0;
  std::vector<uint32_t> blocked_candidates_;
};

uint32_t call_node(uint32_t op) { return 2 * op + 1; }
uint32_t return_node(uint32_t op) { return 2 * op + 2; }
uint32_t node_op(uint32_t node) { return (node - 1) / 2; }
bool is_return(uint32_t node) { return node % 2 == 0; }

void KeySearch::intern_ops() {
  initial_state_ = values_.intern(history_.initial_value());
  model_ops_.reserve(ops_.size());
  zobrist_.reserve(ops_.size());
  uint64_t seed = 0x5eed5eed5eedULL;
  for (size_t index : ops_) {
    model_ops_.push_back(intern_op(values_, history_[index]));
    zobrist_.push_back(splitmix64(seed));
  }
}

// Orders events by time; at equal times invocations come first, because
// intervals are closed (a completion at t overlaps an invocation at t).
// Operations of unknown effect complete after everything else.
void KeySearch::build_events() {
  struct Event {
    int64_t time;
    int kind;  // 0 invoke, 1 complete
    uint32_t node;
  };
  std::vector<Event> events;
  events.reserve(2 * ops_.size());
  for (uint32_t i = 0; i < ops_.size(); ++i) {
    const Operation& o = history_[ops_[i]];
    events.push_back({o.invoke_ns, 0, call_node(i)});
    events.push_back({o.effect_unknown() ? kOpenEnd_ns : o.complete_ns, 1, return_node(i)});
  }
  std::sort(events.begin(), events.end(), [](const Event& a, const Event& b) {
    return std::tie(a.time, a.kind, a.node) < std::tie(b.time, b.kind, b.node);
  });
  next_.assign(2 * ops_.size() + 1, kNil);
  prev_.assign(2 * ops_.size() + 1, kNil);
  rank_.assign(2 * ops_.size() + 1, 0);
  uint32_t last = kHead;
  for (const Event& e : events) {
    rank_[e.node] = uint32_t(&e - events.data());
    next_[last] = e.node;
    prev_[e.node] = last;
    last = e.node;
  }
}

void KeySearch::lift(uint32_t op) {
  for (uint32_t node : {call_node(op), return_node(op)}) {
    next_[prev_[node]] = next_[node];
    if (next_[node] != kNil) prev_[next_[node]] = prev_[node];
  }
}

void KeySearch::unlift(uint32_t op) {
  for (uint32_t node : {return_node(op), call_node(op)}) {
    next_[prev_[node]] = node;
    if (next_[node] != kNil) prev_[next_[node]] = node;
  }
}

// Linearizes `op` next if the model allows it and the resulting search state
// is new; a state explored before cannot lead anywhere new.
bool KeySearch::try_linearize(uint32_t op) {
  uint32_t next_state = 0;
  if (!step(values_, model_ops_[op], state_, &next_state)) return false;
  const uint64_t bit = uint64_t{1} << (op % 64);
  linearized_[op / 64] |= bit;
  const uint64_t hash = linearized_hash_ ^ zobrist_[op];
  uint64_t mixed = hash ^ (uint64_t{next_state} * 0x9e3779b97f4a7c15ULL);
  if (!memo_.insert(linearized_.data(), next_state, splitmix64(mixed))) {
    linearized_[op / 64] &= ~bit;
    return false;
  }
  linearized_hash_ = hash;
  stack_.push_back({op, state_});
  state_ = next_state;
  lift(op);
  return true;
}

void KeySearch::backtrack(uint32_t* node) {
  const Frame f = stack_.back();
  stack_.pop_back();
  state_ = f.prev_state;
  linearized_[f.op / 64] &= ~(uint64_t{1} << (f.op % 64));
  linearized_hash_ ^= zobrist_[f.op];
  unlift(f.op);
  *node = next_[call_node(f.op)];
}

// Remembers where the search got furthest: the latest completion (in time)
// it reached but could not pass, and at that completion the deepest prefix.
// Every order that respects real time stops at or before the first
// completion that no order can pass, and some order reaches it, so the
// furthest completion reached is exactly where the history stops being
// linearizable; everything completed before it forms a linearizable prefix.
void KeySearch::note_blocked(uint32_t return_node) {
  const uint32_t rank = rank_[return_node];
  if (blocker_ != kNil && (rank < blocker_rank_ || (rank == blocker_rank_ && stack_.size() <= best_prefix_.size()))) {
    return;
  }
  blocker_ = node_op(return_node);
  blocker_rank_ = rank;
  best_prefix_.clear();
  for (const Frame& f : stack_) best_prefix_.push_back(f.op);
  best_state_ = state_;
  blocked_candidates_.clear();
  for (uint32_t n = next_[kHead]; n != return_node; n = next_[n]) {
    if (!is_return(n)) blocked_candidates_.push_back(node_op(n));
  }
}

KeySearchResult KeySearch::run() {
  linearized_.assign(words_, 0);
  state_ = initial_state_;
  uint32_t node = next_[kHead];
  while (next_[kHead] != kNil) {
    if (!budget_.spend()) return {Verdict::kUnknown, {}};
    if (budget_.steps() % kStepsPerMemoryCheck == 0 && !budget_.memory_ok(memo_.bytes() + values_.bytes())) {
      return {Verdict::kUnknown, {}};
    }
    assert(node != kNil);
    if (!is_return(node)) {
      if (!try_linearize(node_op(node))) node = next_[node];
      else node = next_[kHead];
      continue;
    }
    // Completions of unknown outcome come last: reaching one means every
    // operation with a known outcome has been linearized.
    if (model_ops_[node_op(node)].effect_unknown) return {Verdict::kLinearizable, {}};
    note_blocked(node);
    if (stack_.empty()) return failure();
    backtrack(&node);
  }
  return {Verdict::kLinearizable, {}};
}

KeySearchResult KeySearch::failure() const {
  KeySearchResult r;
  r.verdict = Verdict::kNotLinearizable;
  FailingWindow& w = r.failure;
  assert(blocker_ != kNil);
  const Operation& blocking = history_[ops_[blocker_]];
  w.blocking_op = ops_[blocker_];
  w.window.push_back(w.blocking_op);
  for (uint32_t op : blocked_candidates_) w.window.push_back(ops_[op]);
  for (uint32_t op : best_prefix_) {
    w.prefix.push_back(ops_[op]);
    if (!history_[ops_[op]].precedes(blocking)) w.window.push_back(ops_[op]);
  }
  std::sort(w.window.begin(), w.window.end());
  w.window.erase(std::unique(w.window.begin(), w.window.end()), w.window.end());
  w.state_after_prefix = values_.value(best_state_);
  w.key_operations = ops_.size();
  return r;
}

}  // namespace

KeySearchResult search_key(const History& history, const std::vector<size_t>& ops, SearchBudget& budget) {
  KeySearch search(history, ops, budget);
  return search.run();
}

}  // namespace shoal::check::internal
