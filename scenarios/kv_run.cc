#include "scenarios/kv_run.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "engine/core/assert.h"
#include "scenarios/checkers/linearizability.h"
#include "scenarios/cluster.h"

namespace shoal::scenarios {

// A simulated client: one KvClient issuing operations until the workload
// stops, recording each in the run's history and in the recorded workload.
// It chooses operations from a stream of its own (forked from its Env), so
// whether it chooses or follows a script, the engine's randomness is the same.
class ClientProcess final : public sim::Process {
 public:
  ClientProcess(Env& env, KvRun& run, uint32_t index, KvClientOptions options)
      : env_(env), run_(run), index_(index), write_level_(options.write_level), read_level_(options.read_level),
        client_(env, std::move(options)), timer_(env.clock()), choices_(env.random().fork(kWorkloadStreamSalt)) {
    schedule();
  }

 private:
  static constexpr uint64_t kWorkloadStreamSalt = 0x3c11e47;

  const std::vector<ScriptedOp>* script() const {
    const auto& scripts = run_.config_.scripts;
    if (!scripts) return nullptr;
    static const std::vector<ScriptedOp> kNone;
    return index_ < scripts->size() ? &(*scripts)[index_] : &kNone;
  }

  void schedule() {
    if (const auto* s = script()) {
      // A script is followed as recorded: its think times already hold the
      // phases of the run it was recorded from.
      if (next_ >= s->size() || run_.phase_at(run_.sim_.now()) == KvRun::Phase::kStopped) return;
      think_ = (*s)[next_].think;
      timer_.arm(think_, [this] { issue(); });
      return;
    }
    const RatePhase& rate = run_.rate_at(run_.sim_.now());
    think_ = choices_.range(rate.think_min, rate.think_max);
    TimePoint at = run_.sim_.now() + think_;
    // Nothing is sent in an idle stretch: the next operation waits for its end.
    while (run_.phase_at(at) == KvRun::Phase::kIdle || (run_.phase_at(at) == KvRun::Phase::kWorkload &&
                                                        run_.rate_at(at).idle)) {
      at = run_.next_phase_change(at);
    }
    if (run_.phase_at(at) == KvRun::Phase::kStopped) return;
    think_ = at - run_.sim_.now();
    timer_.arm(think_, [this] { issue(); });
  }

  // Every write to a key lengthens what a run keeps and judges of it: an
  // append key's value holds every append (a one-hour run read, recorded and
  // searched values of 80 KB and used 4.4 GB), and the linearizability
  // search's memory grows with the square of one key's operations. Like
  // Jepsen's max-writes-per-key, the clients move on to fresh keys together
  // after kWritesPerKeyMax writes to a key slot, which bounds both and keeps a
  // run's memory linear in its length; runs of the default length never get
  // there.
  static constexpr uint64_t kWritesPerKeyMax = 1024;
  std::string key_name(const char* prefix, uint64_t k) const {
    const uint64_t generation = run_.writes_issued_[k] / kWritesPerKeyMax;
    return prefix + std::to_string(k) + (generation == 0 ? "" : "." + std::to_string(generation));
  }

  check::Op choose() {
    const TimePoint now = run_.sim_.now();
    const bool reads_only = run_.phase_at(now) == KvRun::Phase::kReadTail ||
                            index_ + run_.config_.read_only_clients >= static_cast<uint32_t>(run_.config_.clients);
    const OperationMix& m = run_.rate_at(now).mix ? *run_.rate_at(now).mix : run_.config_.mix;
    const uint64_t k = choices_.below(run_.config_.keys);
    const std::string key = key_name("k", k), akey = key_name("a", k);
    const std::string value = "c" + std::to_string(index_) + "-" + std::to_string(++count_);
    if (reads_only && m.read + m.read_appends == 0) return check::Op::read(key);
    uint64_t dice = choices_.below(reads_only ? m.read + m.read_appends : m.total());
    if (dice < m.read) return check::Op::read(key);
    if ((dice -= m.read) < m.read_appends) return check::Op::read(akey);
    ++run_.writes_issued_[k];
    if ((dice -= m.read_appends) < m.put) return check::Op::write(key, value);
    if ((dice -= m.put) < m.cas) {
      // Compare against what this client last saw, so some CASes succeed.
      std::optional<std::string> expected;
      if (auto it = seen_.find(key); it != seen_.end()) expected = it->second;
      return check::Op::cas(key, expected, value);
    }
    if ((dice -= m.cas) < m.append) return check::Op::append(akey, value + ";");
    return check::Op::del(key);
  }

  void issue() {
    check::Op op = script() ? (*script())[next_++].op : choose();
    run_.recorded_[index_].push_back({think_, op});
    const std::string key = op.key;
    std::optional<kv::Write> write;
    switch (op.type) {
      case check::OpType::kRead: break;
      case check::OpType::kWrite: write = kv::Put{key, *op.value}; break;
      case check::OpType::kCas: write = kv::Cas{key, op.expected, *op.value}; break;
      case check::OpType::kAppend: write = kv::Append{key, *op.value}; break;
      case check::OpType::kDelete: write = kv::Delete{key}; break;
    }
    const size_t at = run_.history_.invoke(index_, to_ns(run_.sim_.now()), std::move(op));
    run_.records_.push_back(OpRecord{client_.client_id(), write_level_, read_level_});
    ++run_.in_flight_;
    auto done = [this, at, key](const KvOpResult& r) { complete(at, key, r); };
    if (write) {
      client_.write(std::move(*write), done);
    } else {
      client_.read(key, done);
    }
  }

  void complete(size_t at, const std::string& key, const KvOpResult& r) {
    // An accepted leader-level write may yet be lost: to a history checker
    // its effect is unknown (replies-match-log counts what became of it).
    check::Outcome outcome = r.outcome == OpOutcome::kOk     ? check::Outcome::kOk
                             : r.outcome == OpOutcome::kFail ? check::Outcome::kFail
                                                             : check::Outcome::kUnknown;
    check::Result result;
    if (r.outcome == OpOutcome::kOk) {
      switch (r.result.code) {
        case kv::Code::kOk: result.value = r.result.value; break;
        case kv::Code::kNotFound: result.value = std::nullopt; break;
        case kv::Code::kCasFailed: result.applied = false; break;
        default: outcome = check::Outcome::kFail; break;
      }
      if (run_.history_[at].op.type == check::OpType::kRead && outcome == check::Outcome::kOk) {
        if (result.value) seen_[key] = *result.value; else seen_.erase(key);
      }
    }
    run_.history_.complete(at, to_ns(run_.sim_.now()), outcome, result);
    run_.on_client_done(at, r);
    schedule();
  }

  Env& env_;
  KvRun& run_;
  uint32_t index_;
  WriteLevel write_level_;
  ReadLevel read_level_;
  KvClient client_;
  TimerSlot timer_;
  Rng choices_;
  Duration think_{0};
  size_t next_ = 0;  // next scripted operation
  uint64_t count_ = 0;
  std::map<std::string, std::string> seen_;
};

// Forwards every Raft event to the invariant checker and keeps each node's
// role timeline for reports.
class KvRun::Observer final : public RaftObserver {
 public:
  explicit Observer(KvRun& run) : run_(run) {}

  // Group 0 is the run's; the replicas of config.extra_kv_groups are only
  // checked for Raft's invariants (the scenario judges their state).
  void on_start(const RaftNode& n) override {
    if (n.group() != 0) return run_.extra_invariants_.on_start(n);
    run_.invariants_.on_start(n);
    role(n.id(), role_name(n), n.term());
  }
  void on_role(const RaftNode& n) override {
    if (n.group() != 0) return run_.extra_invariants_.on_role(n);
    run_.invariants_.on_role(n);
    if (n.role() == Role::kLeader) run_.leading_since_[n.id()] = run_.sim_.now();
    role(n.id(), role_name(n), n.term());
  }
  void on_commit(const RaftNode& n) override {
    if (n.group() != 0) return run_.extra_invariants_.on_commit(n);
    run_.invariants_.on_commit(n);
  }
  void on_apply(const RaftNode& n, const LogEntry& e) override {
    if (n.group() != 0) return run_.extra_invariants_.on_apply(n, e);
    run_.invariants_.on_apply(n, e);
    run_.on_first_apply(e);
  }
  void on_restore(const RaftNode& n, uint64_t index, uint64_t term) override {
    if (n.group() != 0) return run_.extra_invariants_.on_restore(n, index, term);
    run_.invariants_.on_restore(n, index, term);
  }
  void on_lease_read(const RaftNode& n) override {
    if (n.group() != 0) return run_.extra_invariants_.on_lease_read(n);
    run_.invariants_.on_lease_read(n);
  }
  void on_ack(const RaftNode& n, uint64_t index, Ack ack) override {
    if (n.group() == 0) run_.on_ack(n, index, ack);
  }

  void down(NodeId id) { role(id, "down", 0); }

  std::vector<RoleSpan> finish() {
    std::vector<RoleSpan> out = spans_;
    for (auto& [id, span] : open_) {
      span.end = run_.sim_.now();
      out.push_back(span);
    }
    std::sort(out.begin(), out.end(), [](const RoleSpan& a, const RoleSpan& b) {
      return a.node != b.node ? a.node < b.node : a.start < b.start;
    });
    return out;
  }

 private:
  static std::string role_name(const RaftNode& n) {
    if (!n.membership().is_voter(n.id())) return "learner";
    switch (n.role()) {
      case Role::kLeader: return "leader";
      case Role::kCandidate:
      case Role::kPreCandidate: return "candidate";
      case Role::kFollower: return "follower";
    }
    return "follower";
  }

  void role(NodeId id, std::string name, uint64_t term) {
    const TimePoint now = run_.sim_.now();
    auto it = open_.find(id);
    if (it != open_.end()) {
      if (it->second.role == name && it->second.term == term) return;
      it->second.end = now;
      spans_.push_back(it->second);
    }
    open_[id] = RoleSpan{id, now, now, std::move(name), term};
  }

  KvRun& run_;
  std::map<NodeId, RoleSpan> open_;
  std::vector<RoleSpan> spans_;
};

void validate(const KvRunConfig& c) {
  auto refuse = [&c](const std::string& why) { throw std::invalid_argument(c.name + ": " + why); };
  if (c.nodes < 1) refuse("needs at least 1 node");
  if (c.clients < 1) refuse("needs at least 1 client: a run without operations judges nothing");
  if (c.keys < 1) refuse("needs at least 1 key");
  for (uint32_t g : c.extra_kv_groups) {
    if (g == 0) refuse("an extra KV group cannot be group 0");
  }
  if (c.read_only_clients < 0 || c.read_only_clients >= c.clients) {
    refuse("read_only_clients must leave at least one client that writes");
  }
  if (c.mix.total() == 0) refuse("the operation mix is empty: a run without operations judges nothing");
  if (c.liveness_bound <= Duration(0)) refuse("the liveness bound must be positive");
  if (c.quiet < c.liveness_bound) {
    refuse("the quiet phase (" + format_duration(c.quiet) + ") is shorter than the liveness bound (" +
           format_duration(c.liveness_bound) + "): liveness could not be judged");
  }
  if (c.idle < Duration(0)) refuse("the idle phase cannot be negative");
  if (c.write_levels.empty() || c.read_levels.empty()) refuse("needs at least one write and one read level");
  if (c.rate.empty() || c.rate.front().from != Duration(0)) refuse("the first rate phase must start at 0s");
  for (size_t i = 0; i < c.rate.size(); ++i) {
    const RatePhase& p = c.rate[i];
    if (i > 0 && p.from <= c.rate[i - 1].from) refuse("rate phases must start in increasing order");
    if (p.think_min <= Duration(0) || p.think_max < p.think_min) refuse("a rate phase needs 0 < think_min <= think_max");
    if (p.mix && p.mix->total() == 0 && !p.idle) refuse("a rate phase's mix is empty; mark it idle instead");
  }
}

KvRun::KvRun(const ScenarioOptions& opts, KvRunConfig config)
    : opts_(opts), config_(std::move(config)),
      sim_(opts.seed, sim::SimOptions{.buggify = config_.buggify, .guard = opts.guard}),
      observer_(std::make_unique<Observer>(*this)), reference_(GroupSpec{}.kv) {
  validate(config_);
  if (opts_.tracer) sim_.set_tracer(opts_.tracer);
  sim_.set_crash_observer([this](NodeId id) { observer_->down(id); });
  recorded_.resize(static_cast<size_t>(config_.clients));
  writes_issued_.resize(static_cast<size_t>(config_.keys));
  for (int i = 1; i <= config_.nodes; ++i) nodes_.push_back(static_cast<NodeId>(i));
  config_.raft.initial_voters = nodes_;
  for (NodeId id : nodes_) {
    sim_.add_process(id, "node" + std::to_string(id),
                     [this](Env& env) { return std::make_unique<NodeProcess>(env, node_config(false)); });
  }
  for (int i = 0; i < config_.clients; ++i) {
    const NodeId id = kClientIdBase + 1 + static_cast<NodeId>(i);
    clients_.push_back(id);
    KvClientOptions co;
    co.nodes = nodes_;
    co.client_id = 1000 + static_cast<uint64_t>(i);
    co.attempt_timeout = config_.client_attempt_timeout;
    co.write_level = config_.write_levels[static_cast<size_t>(i) % config_.write_levels.size()];
    co.read_level = config_.read_levels[static_cast<size_t>(i) % config_.read_levels.size()];
    sim_.add_process(id, "client" + std::to_string(i), [this, i, co](Env& env) {
      return std::make_unique<ClientProcess>(env, *this, static_cast<uint32_t>(i), co);
    });
  }
}

KvRun::~KvRun() = default;

NodeConfig KvRun::node_config(bool joiner) {
  NodeConfig c;
  c.members = all_node_ids();
  GroupSpec g;
  g.id = 0;
  g.raft = config_.raft;
  g.snapshot_chunk_bytes = config_.snapshot_chunk_bytes;
  if (joiner) g.raft.initial_voters.clear();
  c.groups.push_back(g);
  for (uint32_t id : config_.extra_kv_groups) {
    g.id = id;
    c.groups.push_back(g);
  }
  c.raft_observer = observer_.get();
  return c;
}

KvRun::Phase KvRun::phase_at(TimePoint t) const {
  if (t < heal_at() + config_.quiet) return Phase::kWorkload;
  if (t < read_tail_at()) return Phase::kIdle;
  if (t < read_tail_at() + config_.liveness_bound) return Phase::kReadTail;
  return Phase::kStopped;
}

const RatePhase& KvRun::rate_at(TimePoint t) const {
  const RatePhase* phase = &config_.rate.front();
  for (const RatePhase& p : config_.rate) {
    if (TimePoint(p.from) <= t) phase = &p;
  }
  return *phase;
}

TimePoint KvRun::next_phase_change(TimePoint t) const {
  TimePoint next = heal_at() + config_.quiet;
  for (TimePoint edge : {read_tail_at(), read_tail_at() + config_.liveness_bound}) {
    if (next <= t) next = edge;
  }
  for (const RatePhase& p : config_.rate) {
    if (TimePoint(p.from) > t && TimePoint(p.from) < next) next = TimePoint(p.from);
  }
  return next > t ? next : read_tail_at() + config_.liveness_bound;
}

void KvRun::on_client_done(size_t at, const KvOpResult& r) {
  OpRecord& rec = records_[at];
  rec.outcome = r.outcome;
  --in_flight_;
  const bool write = history_[at].op.type != check::OpType::kRead;
  if (write && (r.outcome == OpOutcome::kOk || r.outcome == OpOutcome::kAccepted)) rec.index = r.index;
  if (write && r.outcome == OpOutcome::kOk) rec.result = kv::describe(r.result);
  if (on_complete) on_complete(at, r);
}

void KvRun::on_ack(const RaftNode& leader, uint64_t index, Ack ack) {
  if (ack != Ack::kAll || !all_level_check_.ok) return;
  SHOAL_ASSERT(leader.role() == Role::kLeader && leading_since_.contains(leader.id()));
  // The entry was made in this leader's term, so after it took office; a
  // voter whose disk a fault wiped or changed since then may have held the
  // entry durably when it answered and lost it after. A voter that is down
  // cannot be looked at.
  const int64_t since = to_ns(leading_since_.at(leader.id()));
  for (NodeId v : leader.membership().voters) {
    RaftNode* f = v == leader.id() ? nullptr : raft(v);
    if (f == nullptr || f->durable_index() >= index || sim_.disk_lost_at_ns(v) >= since) continue;
    all_level_check_.add({"an all-level write was acknowledged at index " + std::to_string(index) + " by leader " +
                              std::to_string(leader.id()) + " while voter " + std::to_string(v) +
                              " held the log durably only to " + std::to_string(f->durable_index()),
                          {}});
  }
}

void KvRun::on_first_apply(const LogEntry& e) {
  if (e.index <= reference_.applied_index()) return;  // another replica applied it first
  if (e.index != reference_.applied_index() + 1) {
    // Every index is first applied after the one before it: a replica
    // applies in order, and a snapshot holds only what one already applied.
    reference_check_.add({"log index " + std::to_string(e.index) + " was first applied before index " +
                              std::to_string(reference_.applied_index() + 1),
                          {}});
    return;
  }
  AppliedEntry applied;
  applied.first_applied_ns = to_ns(sim_.now());
  auto parsed = parse_entry_data(e.data);
  if (parsed.ok() && parsed->first == EntryKind::kCommand) {
    auto command = kv::decode_command(parsed->second);
    if (command.ok() && command->session) applied.record.client = command->session->client_id;
    auto result = kv::decode_result(reference_.apply(e.index, parsed->second));
    applied.record.result = result.ok() ? kv::describe(*result) : "(undecodable result)";
    if (result.ok()) applied.code = result->code;
    if (on_committed && result.ok()) on_committed(e.index, command.ok() ? &*command : nullptr, *result, reference_);
  } else {
    reference_.skip(e.index);
    if (on_committed) on_committed(e.index, nullptr, kv::Result{}, reference_);
  }
  applied_log_.push_back(std::move(applied));
}

void KvRun::hand_over_leadership() {
  // The read tail starts in a fresh term: the leader hands over to the voter
  // that is furthest along, so the new term holds nothing but its no-op.
  RaftNode* l = raft(leader());
  if (l == nullptr) return;
  NodeId target = kNoNode;
  uint64_t best = 0;
  for (NodeId v : l->membership().voters) {
    if (v == l->id() || raft(v) == nullptr || l->match_index(v) < best) continue;
    target = v;
    best = l->match_index(v);
  }
  if (target == kNoNode) return;
  sim_.note(l->id(), "driver", "hand leadership to " + std::to_string(target));
  metric("read_tail_handover", l->transfer_leadership(target).ok() ? 1 : 0);
}

std::vector<NodeId> KvRun::all_node_ids() const {
  std::vector<NodeId> all = nodes_;
  all.insert(all.end(), config_.joiners.begin(), config_.joiners.end());
  return all;
}

Node* KvRun::node(NodeId id) {
  auto* p = sim_.process_as<NodeProcess>(id);
  return p ? &p->node() : nullptr;
}

RaftNode* KvRun::raft(NodeId id) {
  Node* n = node(id);
  Replica* g = n ? n->group(0) : nullptr;
  return g ? g->raft() : nullptr;
}

const Replica* KvRun::most_applied(GroupId group) {
  const Replica* best = nullptr;
  for (NodeId id : all_node_ids()) {
    Node* n = node(id);
    const Replica* g = n ? n->group(group) : nullptr;
    if (g == nullptr || !g->error().empty()) continue;
    if (best == nullptr || g->raft()->applied_index() > best->raft()->applied_index()) best = g;
  }
  return best;
}

NodeId KvRun::leader() {
  NodeId best = kNoNode;
  uint64_t term = 0;
  for (NodeId id : all_node_ids()) {
    RaftNode* r = raft(id);
    if (r && r->is_leader() && !sim_.paused(id) && r->term() >= term) {
      best = id;
      term = r->term();
    }
  }
  return best;
}

void KvRun::start_joiner(NodeId id) {
  sim_.add_process(id, "node" + std::to_string(id),
                   [this](Env& env) { return std::make_unique<NodeProcess>(env, node_config(true)); });
}

void KvRun::change_membership(MembershipChange change, Duration within, std::function<void(bool)> done) {
  const TimePoint deadline = sim_.now() + within;
  // Each pending retry holds the attempt; the attempt holds itself only
  // weakly, so the chain is freed when it ends.
  auto attempt = std::make_shared<std::function<void()>>();
  std::weak_ptr<std::function<void()>> self = attempt;
  *attempt = [this, change, deadline, done, self] {
    RaftNode* r = raft(leader());
    if (sim_.now() > deadline) return done(false);
    auto retry = [f = self.lock()] { (*f)(); };
    if (r == nullptr) return sim_.after(milliseconds(100), "membership retry", retry);
    r->change_membership(change, [this, done, retry](RaftResult res) {
      if (res.ok()) return done(true);
      sim_.after(milliseconds(100), "membership retry", retry);
    });
  };
  (*attempt)();
}

ScenarioResult KvRun::run(const Nemesis& nemesis) {
  if (nemesis) nemesis(*this);
  sim_.at(heal_at(), "heal everything", [this] {
    if (on_heal) on_heal();
    sim_.heal_all_links();
    for (NodeId id : all_node_ids()) {
      if (!sim_.running(id) && (std::find(nodes_.begin(), nodes_.end(), id) != nodes_.end() ||
                                sim_.incarnation(id) > 0)) {
        sim_.restart(id);
      }
      sim_.resume(id);
    }
  });
  sim_.at(read_tail_at(), "read tail: hand over leadership", [this] { hand_over_leadership(); });
  const TimePoint end = read_tail_at() + config_.liveness_bound;
  sim_.run_until(end);
  // Replicas converge once the last operations in flight settle (each ends
  // by its client's operation timeout): give them that long, then judge.
  const TimePoint settle_by = end + std::max(config_.liveness_bound, KvClientOptions{}.operation_timeout);
  while ((in_flight_ > 0 || !replicas_agree()) && sim_.now() < settle_by) sim_.run_for(milliseconds(50));
  metric("convergence_wait_ms", to_seconds_f(sim_.now() - end) * 1000);
  ScenarioResult r;
  r.nodes = config_.nodes;
  judge(r);
  r.trace_hash = sim_.trace_hash();
  r.stats = sim_.stats();
  r.virtual_time = sim_.now().time_since_epoch();
  for (const auto& [k, v] : metrics_) r.metrics[k] = v;
  r.roles = observer_->finish();
  r.history = std::make_shared<check::History>(history_);
  return r;
}

}  // namespace shoal::scenarios
