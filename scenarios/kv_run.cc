#include "scenarios/kv_run.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "scenarios/checkers/linearizability.h"
#include "scenarios/cluster.h"

namespace shoal::scenarios {

// A simulated client: one KvClient issuing random operations until the
// workload stops, recording each in the run's history.
class ClientProcess final : public sim::Process {
 public:
  ClientProcess(Env& env, KvRun& run, uint32_t index, KvClientOptions options)
      : env_(env), run_(run), index_(index), client_(env, std::move(options)), timer_(env.clock()) {
    schedule();
  }

 private:
  void schedule() {
    if (!run_.workload_on_) return;
    timer_.arm(env_.random().range(run_.config_.think_min, run_.config_.think_max), [this] { issue(); });
  }

  void issue() {
    // Appends get keys of their own ("a..."), which nothing overwrites, so
    // every acknowledged append must survive into the final state.
    const uint64_t k = env_.random().below(run_.config_.keys);
    std::string key = "k" + std::to_string(k);
    const std::string value = "c" + std::to_string(index_) + "-" + std::to_string(++count_);
    const uint64_t dice = env_.random().below(100);
    check::Op op;
    std::optional<kv::Write> write;
    if (dice < 35) {
      op = check::Op::read(key);
    } else if (dice < 40) {
      key = "a" + std::to_string(k);
      op = check::Op::read(key);
    } else if (dice < 65) {
      op = check::Op::write(key, value);
      write = kv::Put{key, value};
    } else if (dice < 80) {
      // Compare against what this client last saw, so some CASes succeed.
      std::optional<std::string> expected;
      if (auto it = seen_.find(key); it != seen_.end()) expected = it->second;
      op = check::Op::cas(key, expected, value);
      write = kv::Cas{key, expected, value};
    } else {
      key = "a" + std::to_string(k);
      op = check::Op::append(key, value + ";");
      write = kv::Append{key, value + ";"};
    }
    const size_t at = run_.history_.invoke(index_, to_ns(run_.sim_.now()), op);
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
  uint64_t count_ = 0;
  std::map<std::string, std::string> seen_;
};

KvRun::KvRun(const ScenarioOptions& opts, KvRunConfig config)
    : opts_(opts), config_(std::move(config)), sim_(opts.seed) {
  if (opts_.tracer) sim_.set_tracer(opts_.tracer);
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
  c.raft_observer = &invariants_;
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
  ScenarioResult r;
  r.nodes = config_.nodes;
  judge(r);
  r.trace_hash = sim_.trace_hash();
  r.stats = sim_.stats();
  r.virtual_time = sim_.now().time_since_epoch();
  for (const auto& [k, v] : metrics_) r.metrics[k] = v;
  return r;
}

}  // namespace shoal::scenarios
