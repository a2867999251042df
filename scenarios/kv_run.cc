#include "scenarios/kv_run.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
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
      : env_(env), run_(run), index_(index), client_(env, std::move(options)), timer_(env.clock()),
        choices_(env.random().fork(kWorkloadStreamSalt)) {
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
    if (!run_.workload_on_) return;
    if (const auto* s = script()) {
      if (next_ >= s->size()) return;  // the script is done
      think_ = (*s)[next_].think;
    } else {
      const RatePhase* phase = &run_.config_.rate.front();
      for (const RatePhase& p : run_.config_.rate) {
        if (TimePoint(p.from) <= run_.sim_.now()) phase = &p;
      }
      think_ = choices_.range(phase->think_min, phase->think_max);
    }
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
    const OperationMix& m = run_.config_.mix;
    const uint64_t k = choices_.below(run_.config_.keys);
    const std::string key = key_name("k", k), akey = key_name("a", k);
    const std::string value = "c" + std::to_string(index_) + "-" + std::to_string(++count_);
    uint64_t dice = choices_.below(m.total());
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
    auto done = [this, at, key](const KvOpResult& r) { complete(at, key, r); };
    if (write) {
      client_.write(std::move(*write), done);
    } else {
      client_.read(key, done);
    }
  }

  void complete(size_t at, const std::string& key, const KvOpResult& r) {
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
    if (run_.on_complete) run_.on_complete(at, r);
    schedule();
  }

  Env& env_;
  KvRun& run_;
  uint32_t index_;
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

  void on_start(const RaftNode& n) override {
    run_.invariants_.on_start(n);
    role(n.id(), role_name(n), n.term());
  }
  void on_role(const RaftNode& n) override {
    run_.invariants_.on_role(n);
    role(n.id(), role_name(n), n.term());
  }
  void on_commit(const RaftNode& n) override { run_.invariants_.on_commit(n); }
  void on_apply(const RaftNode& n, const LogEntry& e) override { run_.invariants_.on_apply(n, e); }
  void on_restore(const RaftNode& n, uint64_t index, uint64_t term) override {
    run_.invariants_.on_restore(n, index, term);
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

KvRun::KvRun(const ScenarioOptions& opts, KvRunConfig config)
    : opts_(opts), config_(std::move(config)),
      sim_(opts.seed, sim::SimOptions{.buggify = config_.buggify, .guard = opts.guard}), observer_(std::make_unique<Observer>(*this)) {
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
  if (joiner) g.raft.initial_voters.clear();
  c.groups.push_back(g);
  c.raft_observer = observer_.get();
  return c;
}

WriteLevel KvRun::write_level_of(size_t op_index) const {
  const auto& levels = config_.write_levels;
  return levels[history_[op_index].process % levels.size()];
}

ReadLevel KvRun::read_level_of(size_t op_index) const {
  const auto& levels = config_.read_levels;
  return levels[history_[op_index].process % levels.size()];
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
  KvGroup* g = n ? n->group(0) : nullptr;
  return g ? g->raft() : nullptr;
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
  auto attempt = std::make_shared<std::function<void()>>();
  *attempt = [this, change, deadline, done, attempt] {
    RaftNode* r = raft(leader());
    if (sim_.now() > deadline) return done(false);
    if (r == nullptr) return sim_.after(milliseconds(100), "membership retry", *attempt);
    r->change_membership(change, [this, done, attempt](RaftResult res) {
      if (res.status.ok()) return done(true);
      sim_.after(milliseconds(100), "membership retry", *attempt);
    });
  };
  (*attempt)();
}

ScenarioResult KvRun::run(const Nemesis& nemesis) {
  if (nemesis) nemesis(*this);
  const TimePoint quiet_at = TimePoint(config_.duration);
  const TimePoint end = quiet_at + config_.quiet;
  sim_.at(quiet_at, "heal everything", [this] {
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
  // The workload stops a little before the end so replicas can converge.
  sim_.at(end - seconds(2), "stop workload", [this] { workload_on_ = false; });
  sim_.run_until(end);
  // Replicas converge once the last operations in flight settle: give them
  // up to the liveness bound, then judge.
  const TimePoint settle_by = end + config_.liveness_bound;
  while (config_.check_convergence && !check_convergence().ok && sim_.now() < settle_by) {
    sim_.run_for(milliseconds(50));
  }
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
