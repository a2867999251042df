#include "scenarios/checkers/wgl_search.h"

#include <algorithm>
#include <cassert>
#include <limits>
#include <map>
#include <tuple>
#include <utility>

#include "engine/core/random.h"
#include "scenarios/checkers/kv_model.h"
#include "scenarios/checkers/memo_table.h"
#include "scenarios/checkers/overwritten_reads.h"

namespace shoal::check::internal {

std::optional<SearchBudget::Clock::time_point> deadline_of(const LinearizabilityBudget& budget) {
  if (budget.time_max.count() <= 0) return std::nullopt;
  return SearchBudget::Clock::now() + budget.time_max;
}

SearchBudget::SearchBudget(const LinearizabilityBudget& budget) : SearchBudget(budget, deadline_of(budget)) {}

SearchBudget::SearchBudget(const LinearizabilityBudget& budget, std::optional<Clock::time_point> deadline)
    : steps_max_(budget.steps_max), memo_bytes_max_(budget.memo_bytes_max), deadline_(deadline) {}

bool SearchBudget::spend() {
  ++steps_;
  if (steps_ > steps_max_) return false;
  if (deadline_ && steps_ % kStepsPerClockRead == 0 && Clock::now() > *deadline_) {
    steps_max_ = steps_;  // Stay spent for the searches of this key that follow.
    return false;
  }
  return true;
}

namespace {

constexpr uint32_t kNil = UINT32_MAX;
constexpr uint32_t kHead = 0;

}  // namespace

// The search of one key. Events (invocations and completions) form a doubly
// linked list in time order; linearizing an operation unlinks its two events
// ("lifting" it), backtracking links them back in reverse order.
class KeySearch {
 public:
  KeySearch(const History& history, const std::vector<size_t>& ops, SearchBudget& budget, int64_t horizon_ns,
            const Reductions& reductions)
      : reductions_(reductions),
        history_(history),
        ops_(within_horizon(history, ops, horizon_ns)),
        budget_(budget),
        words_((ops_.size() + 63) / 64),
        memo_(words_) {
    intern_ops(horizon_ns);
    chain_twins();
    build_events();
    linearized_.assign(words_, 0);
    state_ = initial_state_;
    if (reductions_.overwritten_reads) {
      overwritten_ = overwritten_requirement({history_, ops_, model_ops_, values_, initial_state_, has_appends_});
    }
  }

  // Runs until decided or until the budget has counted `pause_at_steps`
  // steps; nullopt when paused. The loop's position lives in members so that
  // the next call goes on exactly where this one stopped.
  std::optional<SearchRun> run(uint64_t pause_at_steps = UINT64_MAX);

 private:
  struct Frame {
    uint32_t op;          // local index of the operation linearized
    uint32_t prev_state;  // the model state before it
    bool forced;          // an observation taken without branching
    bool prev_must_use;   // must_use_ before it
  };

  enum class Observation { kNone, kTaken, kStateFailedBefore };

  static std::vector<size_t> within_horizon(const History& history, const std::vector<size_t>& ops, int64_t horizon_ns);
  void intern_ops(int64_t horizon_ns);
  void chain_twins();
  void build_events();
  void lift(uint32_t op);
  void unlift(uint32_t op);
  bool try_linearize(uint32_t op, bool forced);
  Observation take_observation();
  // The progress of one unreachable_requirement() walk.
  struct Lookahead {
    uint32_t unreachable = kNil;  // the judged operation found unsatisfiable
    bool before_frontier = true;
    size_t pending_awaited = 0;  // judged operations invoked before the frontier, unresolved
    size_t later_awaited = 0;    // those invoked after it, unresolved
    size_t later_found = 0;
    size_t walked = 0;
    bool may_await() const {
      return before_frontier || (walked < kLookaheadEventsMax && later_found < kLookaheadRequirementsMax);
    }
    bool keep_walking() const {
      return before_frontier || pending_awaited > 0 ||
             (walked < kLookaheadEventsMax && (later_awaited > 0 || later_found < kLookaheadRequirementsMax));
    }
  };
  static constexpr uint8_t kNotAwaited = 0, kAwaitedPending = 1, kAwaitedLater = 2;

  bool can_make(uint32_t from, uint32_t to);
  bool satisfiable(uint32_t op);
  uint32_t unreachable_requirement();
  void await(uint32_t op, Lookahead* w);
  void resolve(uint32_t op, Lookahead* w);
  uint32_t frontier() const;
  bool backtrack(uint32_t* node);
  void note_blocked(uint32_t return_node);
  void note_fails_by(uint32_t op);
  static SearchRun out_of_budget();
  SearchRun success() const;
  SearchRun failure() const;
  SearchRun overwritten_failure() const;

  const Reductions reductions_;
  const History& history_;
  const std::vector<size_t> ops_;
  SearchBudget& budget_;
  const size_t words_;

  ValueTable values_;
  std::vector<ModelOp> model_ops_;
  std::vector<uint64_t> zobrist_;
  uint32_t initial_state_ = kAbsentId;
  bool has_appends_ = false;
  // For an operation of unknown outcome, the one before it (by invocation)
  // that has exactly the same effect, or kNil; see chain_twins().
  std::vector<uint32_t> prev_twin_;
  // Scratch space of unreachable_requirement().
  std::vector<uint8_t> awaited_;
  std::vector<uint32_t> overwrites_, appends_, awaiting_;
  // Scratch space of can_make(): where pending appends occur in the target,
  // and which positions of it a split reaches.
  std::vector<std::pair<uint32_t, uint32_t>> pieces_;
  std::vector<uint8_t> reached_;

  // Event list: node 0 is the head; nodes 2i+1 and 2i+2 are op i's events.
  std::vector<uint32_t> next_, prev_;

  MemoTable memo_;
  std::vector<uint64_t> linearized_;
  uint64_t linearized_hash_ = 0;
  uint32_t state_ = kAbsentId;
  // The last operation linearized is an overwrite of unknown outcome, whose
  // value the next operation must use (see try_linearize).
  bool must_use_ = false;
  std::vector<Frame> stack_;
  // Where the search loop stands: the event to try next, and whether the
  // search state is new (observations and pruning come first then).
  uint32_t node_ = kNil;
  bool fresh_ = true;
  // An operation whose requirement no order meets (overwritten_reads.h), or
  // kNil.
  uint32_t overwritten_ = kNil;

  // Each event's position in time order.
  std::vector<uint32_t> rank_;

  // The furthest point reached, for the failure report.
  std::vector<uint32_t> best_prefix_;
  uint32_t best_state_ = kAbsentId;
  uint32_t blocker_ = kNil;
  uint32_t blocker_rank_ = 0;
  std::vector<uint32_t> blocked_candidates_;
  int64_t fails_by_ns_ = std::numeric_limits<int64_t>::min();
};

namespace {

uint32_t call_node(uint32_t op) { return 2 * op + 1; }
uint32_t return_node(uint32_t op) { return 2 * op + 2; }
uint32_t node_op(uint32_t node) { return (node - 1) / 2; }
bool is_return(uint32_t node) { return node % 2 == 0; }

}  // namespace

// Beyond the horizon a read observes nothing the search must explain, and
// neither does any other observation, so they are left out.
std::vector<size_t> KeySearch::within_horizon(const History& history, const std::vector<size_t>& ops,
                                              int64_t horizon_ns) {
  std::vector<size_t> kept;
  kept.reserve(ops.size());
  for (size_t i : ops) {
    const Operation& o = history[i];
    const bool beyond = !o.effect_unknown() && o.complete_ns > horizon_ns;
    if (beyond && is_observation(o)) continue;
    kept.push_back(i);
  }
  return kept;
}

// Operations completing beyond the horizon become of unknown outcome: they
// may take effect or not, and need not be linearized for the search to pass.
void KeySearch::intern_ops(int64_t horizon_ns) {
  initial_state_ = values_.intern(history_.initial_value());
  awaited_.assign(ops_.size(), 0);
  model_ops_.reserve(ops_.size());
  zobrist_.reserve(ops_.size());
  uint64_t seed = 0x5eed5eed5eedULL;
  for (size_t index : ops_) {
    model_ops_.push_back(intern_op(values_, history_[index]));
    if (history_[index].complete_ns > horizon_ns) model_ops_.back().effect_unknown = true;
    has_appends_ = has_appends_ || model_ops_.back().type == OpType::kAppend;
    zobrist_.push_back(splitmix64(seed));
  }
}

// A symmetry reduction. Two operations of unknown outcome with the same
// effect (same type and arguments) are interchangeable once both have been
// invoked: both may take effect at any later time or never. So they are
// chained in order of invocation and linearized only in that order; any
// linearization that uses some of them can be relabelled to use the first
// ones of the chain instead, each no earlier than its invocation.
void KeySearch::chain_twins() {
  std::vector<uint32_t> by_invocation(ops_.size());
  for (uint32_t i = 0; i < ops_.size(); ++i) by_invocation[i] = i;
  std::stable_sort(by_invocation.begin(), by_invocation.end(),
                   [&](uint32_t a, uint32_t b) { return history_[ops_[a]].invoke_ns < history_[ops_[b]].invoke_ns; });
  prev_twin_.assign(ops_.size(), kNil);
  std::map<std::tuple<OpType, uint32_t, uint32_t>, uint32_t> last_of_effect;
  for (uint32_t i : by_invocation) {
    const ModelOp& m = model_ops_[i];
    if (!m.effect_unknown) continue;
    auto [it, first] = last_of_effect.try_emplace({m.type, m.value, m.expected}, i);
    if (!first) prev_twin_[i] = std::exchange(it->second, i);
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
    events.push_back({model_ops_[i].effect_unknown ? kOpenEnd_ns : o.complete_ns, 1, return_node(i)});
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
//
// A further reduction: an operation of unknown outcome that overwrites the
// value is useless if a blind overwrite (write, delete) follows it at once,
// since dropping it leaves every state after that the same; and dropping it
// is allowed. So after one, a blind overwrite may not come next. Whether
// that restriction holds is part of the search state in the memo table, as
// the low bit of the state.
bool KeySearch::try_linearize(uint32_t op, bool forced) {
  const uint32_t twin = prev_twin_[op];
  if (reductions_.twins && twin != kNil && !(linearized_[twin / 64] >> (twin % 64) & 1)) return false;
  const ModelOp& m = model_ops_[op];
  if (must_use_ && is_blind_overwrite(m)) return false;
  uint32_t next_state = 0;
  if (!step(values_, m, state_, &next_state)) return false;
  // (An observation never sets it: it must stay free to be taken eagerly.)
  const bool next_must_use =
      reductions_.must_use && m.effect_unknown && overwrite_value(m).has_value() && !is_observation(m);
  const uint32_t memo_state = next_state << 1 | uint32_t{next_must_use};
  const uint64_t bit = uint64_t{1} << (op % 64);
  linearized_[op / 64] |= bit;
  const uint64_t hash = linearized_hash_ ^ zobrist_[op];
  uint64_t mixed = hash ^ (uint64_t{memo_state} * 0x9e3779b97f4a7c15ULL);
  if (!memo_.insert(linearized_.data(), memo_state, splitmix64(mixed))) {
    linearized_[op / 64] &= ~bit;
    return false;
  }
  linearized_hash_ = hash;
  stack_.push_back({op, state_, forced, must_use_});
  state_ = next_state;
  must_use_ = next_must_use;
  lift(op);
  return true;
}

// A partial-order reduction. An observation (an operation that never changes
// the state, see is_observation) that is legal now can be moved to the front
// of any linearization from here: everything that must precede it has been
// linearized already, and since it changes no state, moving it changes what
// no other operation sees. So it is linearized at once without trying the
// alternatives, and if the state it leads to failed before, this one fails
// too.
KeySearch::Observation KeySearch::take_observation() {
  for (uint32_t n = next_[kHead]; n != kNil && !is_return(n); n = next_[n]) {
    const uint32_t op = node_op(n);
    uint32_t next_state = 0;
    if (!is_observation(model_ops_[op]) || !step(values_, model_ops_[op], state_, &next_state)) continue;
    return try_linearize(op, true) ? Observation::kTaken : Observation::kStateFailedBefore;
  }
  return Observation::kNone;
}

// The first completion still in the list: no completion after it can be
// passed before its operation is linearized.
uint32_t KeySearch::frontier() const {
  uint32_t n = next_[kHead];
  while (n != kNil && !is_return(n)) n = next_[n];
  return n;
}

// Whether `to` can be made from `from` by appending values of `appends_`
// (appends not linearized yet, invoked in time): `from` must begin `to`, and
// the rest of `to` must split into those values. The split may use a value
// more than once here, which makes the check weaker, never wrong.
bool KeySearch::can_make(uint32_t from, uint32_t to) {
  if (from == to) return true;
  if (!has_appends_ || !values_.extends(from, to)) return false;
  const size_t start = values_.value(from) ? values_.value(from)->size() : 0;
  const size_t end = values_.value(to)->size();
  pieces_.clear();
  for (uint32_t a : appends_) {
    const uint32_t piece = model_ops_[a].value;
    const size_t length = values_.value(piece).value_or("").size();
    if (length == 0) continue;
    for (uint32_t at : values_.occurrences(piece, to)) {
      if (at >= start) pieces_.push_back({at, uint32_t(at + length)});
    }
  }
  std::sort(pieces_.begin(), pieces_.end());
  reached_.assign(end + 1, 0);
  reached_[start] = 1;
  for (const auto& [at, after] : pieces_) reached_[after] |= reached_[at];
  return reached_[end] != 0;
}

// Whether the value `op` needs can still be found when it is linearized:
// made from the current state, or from what a pending overwrite sets, by the
// pending appends (`overwrites_` and `appends_` hold those invoked before
// `op` completes).
bool KeySearch::satisfiable(uint32_t op) {
  const uint32_t needed = *required_value(model_ops_[op]);
  if (can_make(state_, needed)) return true;
  for (uint32_t w : overwrites_) {
    if (w != op && can_make(*overwrite_value(model_ops_[w]), needed)) return true;
  }
  return false;
}

// Lookahead pruning. An operation not yet linearized that needs to find a
// value (a read, an applied cas) is linearized before its completion, after
// some of the operations invoked before that completion. The value it finds
// is therefore the current state or the value of an overwrite among those,
// followed by appends among those. If that cannot give the value it needs,
// no order from this state is legal, and the whole subtree is skipped; the
// operation is returned (kNil when every judged one can still be satisfied).
//
// Judged are every such operation pending now (invoked before the frontier)
// and the next kLookaheadRequirementsMax invoked after it, within
// kLookaheadEventsMax events: the next read is often what rules out an order
// of appends made before it.
uint32_t KeySearch::unreachable_requirement() {
  overwrites_.clear();
  appends_.clear();
  awaiting_.clear();
  Lookahead w;
  for (uint32_t n = next_[kHead]; n != kNil && w.unreachable == kNil && w.keep_walking(); n = next_[n], ++w.walked) {
    const uint32_t op = node_op(n);
    if (is_return(n)) {
      w.before_frontier = false;
      if (awaited_[op] != kNotAwaited) resolve(op, &w);
      continue;
    }
    if (required_value(model_ops_[op]) && w.may_await()) await(op, &w);
    if (overwrite_value(model_ops_[op])) overwrites_.push_back(op);
    if (model_ops_[op].type == OpType::kAppend) appends_.push_back(op);
  }
  for (uint32_t op : awaiting_) awaited_[op] = kNotAwaited;
  return w.unreachable;
}

void KeySearch::await(uint32_t op, Lookahead* w) {
  awaited_[op] = w->before_frontier ? kAwaitedPending : kAwaitedLater;
  ++(w->before_frontier ? w->pending_awaited : w->later_awaited);
  w->later_found += !w->before_frontier;
  awaiting_.push_back(op);
}

void KeySearch::resolve(uint32_t op, Lookahead* w) {
  --(awaited_[op] == kAwaitedPending ? w->pending_awaited : w->later_awaited);
  awaited_[op] = kNotAwaited;
  if (!satisfiable(op)) w->unreachable = op;
}

// Undoes linearizations up to and including the latest choice that has
// alternatives left, and points `node` at the next alternative. Forced
// observations have none: if what follows one fails, the state before it
// fails too. Returns false when no choice is left.
bool KeySearch::backtrack(uint32_t* node) {
  while (!stack_.empty()) {
    const Frame f = stack_.back();
    stack_.pop_back();
    state_ = f.prev_state;
    must_use_ = f.prev_must_use;
    linearized_[f.op / 64] &= ~(uint64_t{1} << (f.op % 64));
    linearized_hash_ ^= zobrist_[f.op];
    unlift(f.op);
    if (!f.forced) {
      *node = next_[call_node(f.op)];
      return true;
    }
  }
  return false;
}

// Remembers where the search got furthest: the latest completion (in time)
// it reached but could not pass, and at that completion the deepest prefix.
// Without pruning that would be exactly the first completion no order can
// pass; pruning abandons some orders early, so it is a lower bound, used as
// the window only when the budget does not allow narrowing it exactly.
void KeySearch::note_blocked(uint32_t return_node) {
  note_fails_by(node_op(return_node));
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

// Every order abandoned so far fails at the latest by the completion of `op`:
// it was blocked there, or pruned because `op` could not be satisfied. When
// the search fails, each of its orders was abandoned so, and they only ever
// needed operations of known outcome completing by the latest such time; so
// the history as it stood then is not linearizable either (see SearchRun).
void KeySearch::note_fails_by(uint32_t op) { fails_by_ns_ = std::max(fails_by_ns_, history_[ops_[op]].complete_ns); }

std::optional<SearchRun> KeySearch::run(uint64_t pause_at_steps) {
  while (next_[kHead] != kNil) {
    if (budget_.steps() >= pause_at_steps) return std::nullopt;
    const bool memory_ok =
        budget_.steps() % kStepsPerMemoryCheck != 0 || budget_.memory_ok(memo_.bytes() + values_.bytes());
    if (!budget_.spend() || !memory_ok) return out_of_budget();
    if (overwritten_ != kNil) return overwritten_failure();
    if (fresh_) {
      // Completions of unknown outcome come last: once one is first, every
      // operation with a known outcome has been linearized.
      const uint32_t f = frontier();
      if (f == kNil || model_ops_[node_op(f)].effect_unknown) return success();
      const Observation o = reductions_.eager_observations ? take_observation() : Observation::kNone;
      if (o == Observation::kTaken) continue;
      fresh_ = false;
      node_ = next_[kHead];
      if (o == Observation::kStateFailedBefore && !backtrack(&node_)) return failure();
      const uint32_t unreachable = o == Observation::kNone && reductions_.lookahead ? unreachable_requirement() : kNil;
      if (unreachable != kNil) {
        note_blocked(f);
        note_fails_by(unreachable);
        if (!backtrack(&node_)) return failure();
      }
      continue;
    }
    assert(node_ != kNil);
    if (!is_return(node_)) {
      fresh_ = try_linearize(node_op(node_), false);
      if (!fresh_) node_ = next_[node_];
      continue;
    }
    // Completions of unknown outcome come last: reaching one means every
    // operation with a known outcome has been linearized.
    if (model_ops_[node_op(node_)].effect_unknown) return success();
    note_blocked(node_);
    if (!backtrack(&node_)) return failure();
  }
  return success();
}

SearchRun KeySearch::out_of_budget() {
  SearchRun r;
  r.verdict = Verdict::kUnknown;
  return r;
}

SearchRun KeySearch::success() const {
  SearchRun r;
  r.verdict = Verdict::kLinearizable;
  for (const Frame& f : stack_) r.linearization.push_back(ops_[f.op]);
  r.final_value = values_.value(state_);
  return r;
}

SearchRun KeySearch::failure() const {
  SearchRun r;
  r.verdict = Verdict::kNotLinearizable;
  FailingWindow& w = r.furthest;
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
  w.exact = false;
  r.breaks_from_ns = blocking.complete_ns;
  r.fails_by_ns = fails_by_ns_;
  return r;
}

// A failure proved before searching: the window is the operation alone, with
// no prefix, until search_key narrows it down.
SearchRun KeySearch::overwritten_failure() const {
  SearchRun r;
  r.verdict = Verdict::kNotLinearizable;
  FailingWindow& w = r.furthest;
  w.blocking_op = ops_[overwritten_];
  w.window.push_back(w.blocking_op);
  w.state_after_prefix = values_.value(initial_state_);
  w.key_operations = ops_.size();
  w.exact = false;
  r.fails_by_ns = history_[w.blocking_op].complete_ns;
  return r;
}

SearchRun run_search(const History& history, const std::vector<size_t>& ops, SearchBudget& budget, int64_t horizon_ns,
                     const Reductions& reductions) {
  KeySearch search(history, ops, budget, horizon_ns, reductions);
  return *search.run();
}

SlicedSearch::SlicedSearch(const History& history, const std::vector<size_t>& ops, SearchBudget budget)
    : budget_(budget), search_(std::make_unique<KeySearch>(history, ops, budget_, kOpenEnd_ns, Reductions{})) {}

SlicedSearch::~SlicedSearch() = default;

const std::optional<SearchRun>& SlicedSearch::advance(uint64_t pause_at_steps) {
  if (run_) return run_;
  run_ = search_->run(pause_at_steps);
  if (run_) search_.reset();
  return run_;
}

}  // namespace shoal::check::internal
