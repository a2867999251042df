// session-replication and session-isolation: application sessions with TTLs
// in a KV group, created, touched, updated, extended, deleted and logged out
// everywhere by many clients through any node, while ordinary KV clients run
// beside them, under partitions, kills, pauses and clock drift.
//
// Session clients read at linearizable and at any level (a follower may
// serve, and is judged at the applied index it answered from). Leases are
// short (0.2-1.5 s), so the leaders' expiries run all through the faults.
//   session-replication  a few users, many operations on each session;
//   session-isolation    many users, frequent logout-everywhere
//                        (delete by user) and by-user listings.
// Judged by scenarios/checkers/session_semantics.h over the commands as the
// log first applied them (from KvRun's reference state machine) and every
// read (expiry at most once, in log order with non-decreasing leader times;
// nothing touched back to life; reads agree with the log at the index they
// were served at; by-user complete and holding no other user's session),
// by sessions-exercised (sessions created, expired, read), and by everything
// a KvRun judges — convergence among them: every replica holds the same
// sessions.
#include <memory>

#include "absl/strings/str_cat.h"
#include "engine/client/kv_client.h"
#include "scenarios/checkers/session_semantics.h"
#include "scenarios/kv_run.h"
#include "scenarios/kv_swarm.h"

namespace shoal::scenarios {
namespace {

constexpr uint64_t kSessionStreamSalt = 0x73657373;
constexpr uint64_t kNemesisStreamSalt = 0x73736e6d;
constexpr NodeId kSessionClientIdBase = kClientIdBase + 900;

struct SessionShape {
  int clients = 4;
  int users = 4;
  uint32_t delete_by_user_weight = 2;
  uint32_t by_user_weight = 10;
};

struct SessionShared {
  KvRun* run = nullptr;
  SessionShape shape;
  std::vector<check::SessionEvent> events;
  std::vector<check::SessionRead> reads;
  uint64_t created = 0, expired = 0;
  int64_t now_ns() const { return to_ns(run->sim().now()); }
};

// The checker's view of a session command that reached the log: whether it
// applied now (not a session retry answered from memory) and, if so, as what.
std::optional<check::SessionEvent> event_of(uint64_t index, const kv::Command& c, const kv::Result& r,
                                            const kv::KvStateMachine& reference) {
  if (!kv::is_session_write(c.write)) return std::nullopt;
  if (c.session) {
    const kv::SessionEntry* s = reference.session(c.session->client_id);
    if (s == nullptr || s->result.index != index) return std::nullopt;
  }
  using K = check::SessionEvent::Kind;
  check::SessionEvent e;
  e.index = index;
  e.applied = r.code == kv::Code::kOk;
  std::visit(
      [&e](const auto& op) {
        using T = std::decay_t<decltype(op)>;
        if constexpr (std::is_same_v<T, kv::SessionCreate>) {
          e.kind = K::kCreate, e.id = op.id, e.user = op.user;
        } else if constexpr (std::is_same_v<T, kv::SessionTouch>) {
          e.kind = K::kTouch, e.id = op.id;
        } else if constexpr (std::is_same_v<T, kv::SessionUpdate>) {
          e.kind = K::kUpdate, e.id = op.id;
        } else if constexpr (std::is_same_v<T, kv::SessionExtend>) {
          e.kind = K::kExtend, e.id = op.id;
        } else if constexpr (std::is_same_v<T, kv::SessionDelete>) {
          e.kind = K::kDelete, e.id = op.id;
        } else if constexpr (std::is_same_v<T, kv::SessionDeleteByUser>) {
          e.kind = K::kDeleteByUser, e.user = op.user;
        } else if constexpr (std::is_same_v<T, kv::SessionExpire>) {
          e.kind = K::kExpire, e.id = op.id, e.leader_time_ms = static_cast<int64_t>(op.leader_time_ms);
        }
      },
      c.write);
  return e;
}

class SessionClientProcess final : public sim::Process {
 public:
  SessionClientProcess(Env& env, SessionShared& shared, uint32_t index, KvClientOptions options)
      : shared_(shared), index_(index), kv_(env, std::move(options)), rng_(env.random().fork(kSessionStreamSalt)),
        timer_(env.clock()) {
    next();
  }

 private:
  bool stopping() const { return shared_.run->sim().now() >= shared_.run->heal_at() + shared_.run->config().quiet; }

  void next() {
    if (stopping()) return;
    timer_.arm(rng_.range(milliseconds(5), milliseconds(40)), [this] { issue(); });
  }

  std::string user() { return "u" + std::to_string(rng_.below(static_cast<uint64_t>(shared_.shape.users))); }
  std::string known_id() {
    if (ids_.empty() || rng_.chance(0.05)) return "s-none-" + std::to_string(rng_.below(3));  // never created
    return ids_[rng_.below(ids_.size())];
  }
  uint64_t ttl_ms() { return 200 + rng_.below(1300); }

  void issue() {
    const SessionShape& s = shared_.shape;
    const uint32_t weights[] = {20, 12, 8, 6, 5, s.delete_by_user_weight, 15, s.by_user_weight, 6};
    uint32_t total = 0;
    for (uint32_t w : weights) total += w;
    uint32_t dice = static_cast<uint32_t>(rng_.below(total));
    size_t kind = 0;
    while (dice >= weights[kind]) dice -= weights[kind++];
    switch (kind) {
      case 0: {
        const std::string id = absl::StrCat("s", index_, "-", ++created_);
        ids_.push_back(id);
        return write(kv::SessionCreate{id, user(), {{"n", std::to_string(created_)}}, ttl_ms()});
      }
      case 1: return write(kv::SessionTouch{known_id()});
      case 2: return write(kv::SessionUpdate{known_id(), {{"m", std::to_string(rng_.below(100))}}, 0});
      case 3: return write(kv::SessionExtend{known_id(), ttl_ms()});
      case 4: return write(kv::SessionDelete{known_id()});
      case 5: return write(kv::SessionDeleteByUser{user()});
      case 6: return read(check::SessionRead::Kind::kGet, kv::SessionGet{known_id(), 0});
      case 7: return read(check::SessionRead::Kind::kByUser, kv::SessionsByUser{user(), 0});
      default: return read(check::SessionRead::Kind::kCount, kv::SessionStatsQuery{0});
    }
  }

  void write(kv::Write w) {
    kv_.write(std::move(w), [this](const KvOpResult&) { next(); });
  }

  void read(check::SessionRead::Kind kind, kv::Query q) {
    check::SessionRead r;
    r.client = index_;
    r.kind = kind;
    r.invoke_ns = shared_.now_ns();
    std::visit(
        [&r](const auto& query) {
          using T = std::decay_t<decltype(query)>;
          if constexpr (std::is_same_v<T, kv::SessionGet>) r.id_or_user = query.id;
          if constexpr (std::is_same_v<T, kv::SessionsByUser>) r.id_or_user = query.user;
        },
        q);
    kv_.query(std::move(q), [this, r](const KvOpResult& res) mutable {
      if (res.outcome == OpOutcome::kOk && (res.result.code == kv::Code::kOk || res.result.code == kv::Code::kNotFound)) {
        r.complete_ns = shared_.now_ns();
        r.served_index = res.result.index;
        r.found = res.result.code == kv::Code::kOk;
        for (const kv::SessionInfo& s : res.result.sessions) r.ids.push_back(s.id);
        if (const auto& st = res.result.stats) {
          r.count = st->active;
          r.counters = check::SessionRead::Counters{st->created, st->expired, st->deleted, st->users, st->per_user};
        }
        shared_.reads.push_back(std::move(r));
      }
      next();
    });
  }

  SessionShared& shared_;
  uint32_t index_;
  KvClient kv_;
  Rng rng_;
  TimerSlot timer_;
  std::vector<std::string> ids_;
  uint64_t created_ = 0;
};

ScenarioResult run_sessions(const ScenarioOptions& o, const std::string& name, SessionShape shape) {
  KvRunConfig c;
  c.name = name;
  c.nodes = o.nodes.value_or(3);
  c.duration = o.duration.value_or(seconds(20));
  if (c.duration < seconds(4)) throw std::invalid_argument(name + " needs at least 4s");
  Params p(o.params);
  shape.clients = static_cast<int>(p.integer("session_clients", shape.clients, 1, 50));
  shape.users = static_cast<int>(p.integer("users", shape.users, 1, 1000));
  p.reject_unknown(c.name);
  c.clients = 2;
  KvRun run(o, c);

  auto shared = std::make_shared<SessionShared>();
  shared->run = &run;
  shared->shape = shape;
  run.on_committed = [shared](uint64_t index, const kv::Command* command, const kv::Result& result,
                              const kv::KvStateMachine& reference) {
    if (command == nullptr) return;
    if (auto e = event_of(index, *command, result, reference)) {
      if (e->applied && e->kind == check::SessionEvent::Kind::kCreate) ++shared->created;
      if (e->applied && e->kind == check::SessionEvent::Kind::kExpire) ++shared->expired;
      shared->events.push_back(std::move(*e));
    }
  };
  for (int i = 0; i < shape.clients; ++i) {
    KvClientOptions co;
    co.nodes = run.node_ids();
    co.client_id = 7000 + static_cast<uint64_t>(i);
    co.read_level = i % 2 == 0 ? ReadLevel::kLinearizable : ReadLevel::kAny;
    run.sim().add_process(kSessionClientIdBase + static_cast<NodeId>(i), "sessions" + std::to_string(i),
                          [shared, i, co](Env& env) {
                            return std::make_unique<SessionClientProcess>(env, *shared, static_cast<uint32_t>(i), co);
                          });
  }
  const KvSwarm swarm(run, o.seed, kNemesisStreamSalt,
                      coordination_faults());
  ScenarioResult r = run.run(nullptr);
  swarm.report(r);
  r.metrics["sessions_created"] = static_cast<double>(shared->created);
  r.metrics["sessions_expired"] = static_cast<double>(shared->expired);
  r.metrics["session_commands"] = static_cast<double>(shared->events.size());
  r.metrics["session_reads"] = static_cast<double>(shared->reads.size());
  std::vector<CheckResult> checks;
  checks.push_back(check::check_session_semantics(shared->events, shared->reads));
  checks.push_back({"sessions-exercised", shared->created > 0 && shared->expired > 0 && !shared->reads.empty(),
                    absl::StrCat(shared->created, " sessions created, ", shared->expired, " expired by leaders, ",
                                 shared->reads.size(), " reads")});
  r.checks.insert(r.checks.begin(), checks.begin(), checks.end());
  return r;
}

}  // namespace

std::vector<Scenario> session_scenarios() {
  return {{"session-replication",
           "sessions with short TTLs created, touched, updated, extended and deleted through any node under "
           "partitions, kills, pauses and clock drift: expiry once and in log order, nothing touched back to life, "
           "every replica the same",
           3, seconds(20), [](const ScenarioOptions& o) { return run_sessions(o, "session-replication", {}); }},
          {"session-isolation",
           "many users, frequent logout-everywhere and by-user listings under faults: no user sees another's "
           "session, delete-by-user removes them all",
           3, seconds(20), [](const ScenarioOptions& o) {
             return run_sessions(o, "session-isolation", SessionShape{4, 40, 8, 20});
           }}};
}

}  // namespace shoal::scenarios
