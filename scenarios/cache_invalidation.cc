// cache-invalidation: watchers follow keys and prefixes of a KV group while
// its clients write, through partitions, kills, pauses and leader changes.
//
// Each watcher watches one key or one prefix with a WatchClient (long polls
// to any node, resuming after the revision it delivered through). Every few
// seconds a watcher also drops its connection and starts a new WatchClient
// from where it got — the reconnect an application makes — and a watcher
// whose replicas all answer "compacted" reloads and watches again after the
// revision they can still serve. The run's committed changes are taken from
// the reference state machine that KvRun feeds with each log index as it is
// first applied (a change is a data write the entry applied: its session
// had not seen it before, and it answered ok).
//
// Beside them runs a cache application (cache_app.h): publishers write data
// keys and publish an invalidation after each write on one channel key;
// subscribers serve the keys from LocalCaches that the channel's
// invalidations keep, reading what they miss from any replica.
//
// Judged by scenarios/checkers/watch_delivery.h per watch, the subscribers'
// channel watches among them (ordered, no duplicates, no gaps, each change
// as committed; a compacted end only where the store could no longer serve),
// by watch-caught-up (each watcher and subscriber, at the end, delivered
// through the last committed change), watches-exercised (changes delivered),
// by scenarios/checkers/cache_never_stale.h per subscriber (no serve of a
// value read before an invalidation of its key already delivered),
// caches-exercised (serves and invalidations happened), and by everything a
// KvRun judges of its clients.
#include <memory>

#include "absl/strings/str_cat.h"
#include "engine/client/watch_client.h"
#include "scenarios/cache_app.h"
#include "scenarios/checkers/watch_delivery.h"
#include "scenarios/kv_run.h"
#include "scenarios/kv_swarm.h"

namespace shoal::scenarios {
namespace {

constexpr uint64_t kWatcherStreamSalt = 0x77617463;
constexpr uint64_t kNemesisStreamSalt = 0x77a7656d;
constexpr NodeId kWatcherIdBase = kClientIdBase + 700;
// The watcher that starts late (see WatcherProcess).
constexpr size_t kLateWatcher = 5;

struct WatchShared {
  KvRun* run = nullptr;
  std::vector<check::KeyEvent> committed;
  std::vector<check::WatchLog> logs;
  uint64_t reconnects = 0, reloads = 0;
  int64_t now_ns() const { return to_ns(run->sim().now()); }
};

// One change, if the entry made one: a data write that applied now (not a
// session's retry, answered from memory) and answered ok.
std::optional<check::KeyEvent> change_of(uint64_t index, const kv::Command& command, const kv::Result& result,
                                         const kv::KvStateMachine& reference) {
  if (!kv::is_data_write(command.write) || result.code != kv::Code::kOk) return std::nullopt;
  if (command.session) {
    const kv::SessionEntry* s = reference.session(command.session->client_id);
    if (s == nullptr || s->result.index != index) return std::nullopt;
  }
  const std::string key = std::visit(
      [](const auto& w) -> std::string {
        if constexpr (requires { w.key; }) {
          return w.key;
        } else {
          return {};
        }
      },
      command.write);
  check::KeyEvent e{index, key, check::KeyEvent::Kind::kPut, std::nullopt};
  if (std::holds_alternative<kv::Delete>(command.write)) {
    e.kind = check::KeyEvent::Kind::kDelete;
  } else if (const std::string* v = reference.state().find(key)) {
    e.value = *v;
  }
  return e;
}

class WatcherProcess final : public sim::Process {
 public:
  // Starts watching after a random delay up to `start_max`, from the first
  // revision on (a late start from revision 0 is how a watcher meets a
  // cluster whose every replica has compacted past it).
  WatcherProcess(Env& env, WatchShared& shared, std::vector<NodeId> nodes, check::WatchSpec spec, Duration start_max)
      : env_(env), shared_(shared), nodes_(std::move(nodes)), spec_(std::move(spec)),
        rng_(env.random().fork(kWatcherStreamSalt)), timer_(env.clock()) {
    timer_.arm(rng_.range(Duration(0), start_max), [this] { open(0); });
  }

 private:
  // Starts a watch log and a client delivering after `after`.
  void open(uint64_t after) {
    check::WatchSpec spec = spec_;
    spec.start_revision = after + 1;
    log_ = shared_.logs.size();
    shared_.logs.push_back(check::WatchLog{spec, {}, false, 0, 0});
    WatchClientOptions o;
    o.nodes = nodes_;
    o.key = spec_.key_or_prefix;
    o.prefix = spec_.prefix;
    o.after_revision = after;
    o.wait = milliseconds(800);
    // One Rpc per process: the old client (and its handlers) goes first.
    client_.reset();
    client_ = std::make_unique<WatchClient>(
        env_, o,
        [this](const kv::WatchEvent& e) {
          shared_.logs[log_].delivered.push_back(
              {e.revision, e.key, e.deleted ? check::KeyEvent::Kind::kDelete : check::KeyEvent::Kind::kPut,
               e.deleted ? std::nullopt : std::optional<std::string>(e.value), shared_.now_ns()});
        },
        [this](uint64_t oldest) {
          // Every replica has compacted past us: the application reloads
          // (reads its keys at a revision it can watch from) and goes on.
          check::WatchLog& log = shared_.logs[log_];
          log.compacted_error = true;
          log.compacted_at = oldest + 1;
          ++shared_.reloads;
          timer_.arm(milliseconds(10), [this, oldest] { open(oldest); });
        });
    client_->start();
    timer_.arm(rng_.range(seconds(2), seconds(6)), [this] { reconnect(); });
  }

  // The application drops its connection and resumes from where it got.
  void reconnect() {
    if (!client_ || !client_->running()) return;
    const uint64_t through = client_->revision();
    client_->stop();
    ++shared_.reconnects;
    // The old log is complete through `through`; the new one starts after.
    shared_.logs[log_].observed_through = through;
    open(through);
  }

 public:
  // At the end: how far the current watch is complete.
  void finish(uint64_t last_committed, std::vector<std::string>* behind) {
    if (!client_) return;
    check::WatchLog& log = shared_.logs[log_];
    if (log.compacted_error) return;
    log.observed_through = last_committed;
    if (client_->revision() < last_committed) {
      behind->push_back(absl::StrCat("watch ", spec_.watcher, " (", spec_.prefix ? "prefix " : "key ", "\"",
                                     spec_.key_or_prefix, "\") delivered through ", client_->revision(),
                                     " of ", last_committed));
    }
  }

 private:
  Env& env_;
  WatchShared& shared_;
  std::vector<NodeId> nodes_;
  check::WatchSpec spec_;
  Rng rng_;
  TimerSlot timer_;
  std::unique_ptr<WatchClient> client_;
  size_t log_ = 0;
};

ScenarioResult cache_invalidation(const ScenarioOptions& o) {
  KvRunConfig c;
  c.name = "cache-invalidation";
  c.nodes = o.nodes.value_or(3);
  c.duration = o.duration.value_or(seconds(20));
  if (c.duration < seconds(4)) throw std::invalid_argument("cache-invalidation needs at least 4s");
  Params p(o.params);
  CacheAppConfig app;
  app.publishers = static_cast<int>(p.integer("publishers", app.publishers, 0, 8));
  app.subscribers = static_cast<int>(p.integer("subscribers", app.subscribers, 0, 8));
  p.reject_unknown(c.name);
  c.clients = 3;
  c.mix.del = 5;
  // Frequent snapshots: a restarted replica's watch history starts at its
  // snapshot, so watchers meet "compacted" answers and must move on.
  c.raft.snapshot_threshold = 150;
  c.raft.snapshot_keep_entries = 30;
  c.scenario_key_prefixes = kCacheAppKeyPrefixes;
  KvRun run(o, c);

  auto shared = std::make_shared<WatchShared>();
  shared->run = &run;
  run.on_committed = [shared](uint64_t index, const kv::Command* command, const kv::Result& result,
                              const kv::KvStateMachine& reference) {
    if (command == nullptr) return;
    if (auto e = change_of(index, *command, result, reference)) shared->committed.push_back(std::move(*e));
  };
  const std::vector<check::WatchSpec> specs{{0, "k0", false, 0}, {1, "k", true, 0}, {2, "a", true, 0},
                                            {3, "", true, 0},    {4, "a1", false, 0}, {5, "k", true, 0}};
  const Duration late = c.duration / 2;
  std::vector<WatcherProcess*> watchers(specs.size(), nullptr);
  for (size_t i = 0; i < specs.size(); ++i) {
    const NodeId id = kWatcherIdBase + static_cast<NodeId>(i);
    run.sim().add_process(id, "watcher" + std::to_string(i),
                          [shared, &watchers, i, late, spec = specs[i], nodes = run.node_ids()](Env& env) {
                            const Duration start_max = i == kLateWatcher ? late : seconds(3);
                            auto w = std::make_unique<WatcherProcess>(env, *shared, nodes, spec, start_max);
                            watchers[i] = w.get();
                            return w;
                          });
  }

  CacheApp cache_app(run, app, shared->logs);

  const KvSwarm swarm(run, o.seed, kNemesisStreamSalt,
                      {chaos::FaultKind::kPartitionHalves, chaos::FaultKind::kIsolateLeader, chaos::FaultKind::kKillOne,
                       chaos::FaultKind::kPause, chaos::FaultKind::kClogNode, chaos::FaultKind::kLeaderMinority,
                       chaos::FaultKind::kLossBurst, chaos::FaultKind::kRollingRestart});

  ScenarioResult r = run.run(nullptr);
  // The watchers' last polls may be on their way: a moment more to arrive.
  run.sim().run_for(seconds(2));
  swarm.report(r);
  const uint64_t last = shared->committed.empty() ? 0 : shared->committed.back().revision;
  std::vector<std::string> behind;
  for (WatcherProcess* w : watchers) {
    if (w != nullptr) w->finish(last, &behind);
  }
  cache_app.finish(last, &behind);
  size_t delivered = 0;
  for (const check::WatchLog& log : shared->logs) delivered += log.delivered.size();
  r.metrics["watch_changes_committed"] = static_cast<double>(shared->committed.size());
  r.metrics["watch_events_delivered"] = static_cast<double>(delivered);
  r.metrics["watch_reconnects"] = static_cast<double>(shared->reconnects);
  r.metrics["watch_reloads"] = static_cast<double>(shared->reloads);
  cache_app.add_metrics(r.metrics);

  std::vector<CheckResult> checks;
  checks.push_back(check::check_watch_delivery(shared->committed, shared->logs));
  CheckResult caught_up{"watch-caught-up", behind.empty(),
                        behind.empty() ? absl::StrCat("every watch delivered through revision ", last) : behind.front()};
  checks.push_back(caught_up);
  checks.push_back({"watches-exercised", delivered > 0 && !shared->committed.empty(),
                    absl::StrCat(shared->committed.size(), " changes committed, ", delivered, " delivered to ",
                                 shared->logs.size(), " watch logs")});
  for (CheckResult& check : cache_app.checks()) checks.push_back(std::move(check));
  r.checks.insert(r.checks.begin(), checks.begin(), checks.end());
  return r;
}

}  // namespace

std::vector<Scenario> watch_scenarios() {
  return {{"cache-invalidation",
           "watchers on keys and prefixes (reconnecting, resuming, reloading when compacted) while writers run "
           "through partitions, kills, pauses and restarts: every change delivered once, in order, no gaps; "
           "caches kept by published invalidations never serve a value older than one delivered",
           3, seconds(20), cache_invalidation}};
}

}  // namespace shoal::scenarios
