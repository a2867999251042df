// lock-contention: many clients take turns on a few locks through a KV group
// under partitions, kills, paused nodes and drifting clocks, while ordinary
// KV clients run beside them.
//
// Each locker acquires a random resource (a random ttl, waiting up to a
// bound), then acts as its holder a few times — each act first checks that
// its lease is still certainly valid (LockClient::valid, shortened by the
// drift bound) — appending a tagged entry to the resource's log under the
// lock's fence, or extending the lease; then it releases the lock, or
// sometimes abandons it for the leader to expire. Now and then a holder is
// paused between its check and its write, for up to twice its ttl: the
// classic way to get two holders (a GC pause), which only the store's
// fencing can catch. Clients' clocks drift within the bound, as nodes' do.
//
// Between leases a locker sometimes reads the lock table instead — one
// resource's status, or every held lock.
//
// Judged by scenarios/checkers/lock_safety.h (holders never overlap and
// tokens grow as the lock changes hands; an acknowledged fenced write was
// never sent after a newer token was granted; each resource's final log is
// in token order, holds every acknowledged write once and no refused one),
// by lock_reads.h (every status and listing agrees with the lock table the
// committed log implies at the index it was served at),
// and by everything a KvRun judges of the KV clients and the group.
#include <algorithm>
#include <memory>

#include "absl/strings/str_cat.h"
#include "engine/client/lock_client.h"
#include "scenarios/checkers/lock_reads.h"
#include "scenarios/checkers/lock_safety.h"
#include "scenarios/kv_run.h"
#include "scenarios/kv_swarm.h"

namespace shoal::scenarios {
namespace {

constexpr uint64_t kLockerStreamSalt = 0x6c6f636b;
constexpr uint64_t kNemesisStreamSalt = 0x6c6e656d;
constexpr uint64_t kClockStreamSalt = 0x6c636c6b;
constexpr NodeId kLockerIdBase = kClientIdBase + 500;

struct LockStats {
  int acquires = 0, granted = 0, timed_out = 0, unknown = 0, extends = 0, releases = 0, abandoned = 0;
  int paused_writes = 0, fenced = 0, written = 0, late_grants = 0;
};

struct LockShared {
  KvRun* run = nullptr;
  std::vector<std::string> resources;
  Duration ttl_min{0}, ttl_max{0}, wait{0};
  double pause_probability = 0;
  check::LockHistory history;
  std::vector<check::LockChange> changes;  // the lock table as the committed log changes it
  std::map<std::string, uint64_t> table;   // ... as of the last change
  std::vector<check::LockRead> reads;      // status and active-locks reads that answered
  LockStats stats;
  int64_t now_ns() const { return to_ns(run->sim().now()); }
};

std::string log_key(const std::string& resource) { return "fence/" + resource; }

// One locker: acquire, act as holder a few times, release (or abandon).
class LockerProcess final : public sim::Process {
 public:
  LockerProcess(Env& env, LockShared& shared, uint32_t index, KvClientOptions options)
      : env_(env), shared_(shared), index_(index), kv_(env, std::move(options)),
        locks_(env, kv_, "locker" + std::to_string(index)), rng_(env.random().fork(kLockerStreamSalt)),
        timer_(env.clock()) {
    next(milliseconds(200));
  }

 private:
  bool stopping() const { return shared_.run->sim().now() >= shared_.run->heal_at() + shared_.run->config().quiet; }

  void next(Duration think) {
    if (stopping()) return;
    timer_.arm(think, [this] { rng_.chance(0.25) ? read_table() : acquire(); });
  }

  // Between leases, a look at the lock table: one resource's status or the
  // whole listing, judged against the log at the index it was served at.
  void read_table() {
    const bool active = rng_.chance(0.3);
    check::LockRead read{index_, active, active ? std::string() : rng_.pick(shared_.resources), 0, {}};
    auto judged = [this, read](const LockResult& r) mutable {
      if (r.outcome == OpOutcome::kOk && (r.code == kv::Code::kOk || r.code == kv::Code::kNotFound)) {
        read.served_index = r.index;
        for (const kv::LockInfo& l : r.locks) read.held[l.resource] = l.token;
        shared_.reads.push_back(std::move(read));
      }
      acquire();
    };
    if (active) return locks_.active(std::move(judged));
    locks_.status(read.resource, std::move(judged));
  }

  void acquire() {
    const std::string resource = rng_.pick(shared_.resources);
    ttl_ = rng_.range(shared_.ttl_min, shared_.ttl_max);
    ++shared_.stats.acquires;
    locks_.acquire(resource, ttl_, shared_.wait, [this](const LockResult& r) {
      if (!r.grant) {
        (r.outcome == OpOutcome::kUnknown ? shared_.stats.unknown : shared_.stats.timed_out)++;
        return next(rng_.range(milliseconds(10), milliseconds(100)));
      }
      ++shared_.stats.granted;
      grant_ = *r.grant;
      // A grant whose answer came after its lease may have run out (a lost
      // reply, retried) was never ours to use: it is released unused.
      if (!locks_.valid(grant_)) {
        ++shared_.stats.late_grants;
        lease_.reset();
        return finish();
      }
      lease_ = shared_.history.leases.size();
      shared_.history.leases.push_back(
          {index_, grant_.resource, grant_.token, shared_.now_ns(), shared_.now_ns()});
      acts_left_ = 1 + static_cast<int>(rng_.below(4));
      act();
    });
  }

  // The holder checks its lease before every act; a lease no longer
  // certainly valid is never acted on again.
  bool still_holding() {
    if (!locks_.valid(grant_)) return false;
    shared_.history.leases[*lease_].held_until_ns = shared_.now_ns();
    return true;
  }

  void act() {
    if (acts_left_-- <= 0 || !still_holding()) return finish();
    if (rng_.chance(0.15)) return extend();
    const bool pause = rng_.chance(shared_.pause_probability);
    const Duration delay = pause ? rng_.range(Duration(0), 2 * ttl_) : Duration(0);
    if (pause) ++shared_.stats.paused_writes;
    timer_.arm(delay, [this] { write(); });
  }

  void write() {
    const std::string tag = absl::StrCat("c", index_, "-", ++writes_);
    const size_t at = shared_.history.writes.size();
    shared_.history.writes.push_back({index_, grant_.resource, grant_.token, tag, shared_.now_ns(), 0,
                                      check::FencedOutcome::kUnknown});
    kv::Append append{log_key(grant_.resource), check::fenced_log_entry(grant_.token, tag)};
    locks_.fenced_write(grant_, std::move(append), [this, at](const KvOpResult& r) {
      check::FencedWriteRecord& w = shared_.history.writes[at];
      w.complete_ns = shared_.now_ns();
      w.outcome = outcome_of(r);
      if (w.outcome == check::FencedOutcome::kFenced) ++shared_.stats.fenced;
      if (w.outcome == check::FencedOutcome::kOk) ++shared_.stats.written;
      timer_.arm(rng_.range(milliseconds(5), milliseconds(40)), [this] { act(); });
    });
  }

  static check::FencedOutcome outcome_of(const KvOpResult& r) {
    switch (r.outcome) {
      case OpOutcome::kOk:
        if (r.result.code == kv::Code::kOk) return check::FencedOutcome::kOk;
        if (r.result.code == kv::Code::kFenced) return check::FencedOutcome::kFenced;
        return check::FencedOutcome::kFail;
      case OpOutcome::kFail: return check::FencedOutcome::kFail;
      case OpOutcome::kAccepted:
      case OpOutcome::kUnknown: return check::FencedOutcome::kUnknown;
    }
    return check::FencedOutcome::kUnknown;
  }

  void extend() {
    ++shared_.stats.extends;
    locks_.extend(grant_, ttl_, [this](const LockResult& r) {
      if (r.grant && locks_.valid(*r.grant)) {
        // A renewed lease is the same token's, valid for longer.
        grant_ = *r.grant;
        shared_.history.leases.push_back(
            {index_, grant_.resource, grant_.token, shared_.now_ns(), shared_.now_ns()});
        lease_ = shared_.history.leases.size() - 1;
      }
      act();
    });
  }

  void finish() {
    if (rng_.chance(0.2)) {
      // Abandoned: the store's leader must expire the lease.
      ++shared_.stats.abandoned;
      return next(rng_.range(milliseconds(10), milliseconds(100)));
    }
    ++shared_.stats.releases;
    if (lease_ && locks_.valid(grant_)) shared_.history.leases[*lease_].held_until_ns = shared_.now_ns();
    locks_.release(grant_, [this](const LockResult&) { next(rng_.range(milliseconds(10), milliseconds(100))); });
  }

  Env& env_;
  LockShared& shared_;
  uint32_t index_;
  KvClient kv_;
  LockClient locks_;
  Rng rng_;
  TimerSlot timer_;
  LockGrant grant_;
  Duration ttl_{0};
  std::optional<size_t> lease_;  // this lease's record, once it was usable
  int acts_left_ = 0;
  uint64_t writes_ = 0;
};

// Each resource's log as the most advanced replica holds it.
absl::Status read_final_logs(KvRun& run, LockShared& shared) {
  const Replica* best = run.most_applied(0);
  if (best == nullptr) return absl::UnavailableError("no replica to read the fenced logs from");
  for (const std::string& resource : shared.resources) {
    std::vector<check::FencedLogEntry>& log = shared.history.final_logs[resource];
    const std::string* text = best->kv_state().state().find(log_key(resource));
    std::string error;
    if (text != nullptr && !check::parse_fenced_log(*text, &log, &error)) {
      return absl::DataLossError("fenced log of " + resource + ": " + error);
    }
  }
  return absl::OkStatus();
}

ScenarioResult lock_contention(const ScenarioOptions& o) {
  KvRunConfig c;
  c.name = "lock-contention";
  c.nodes = o.nodes.value_or(3);
  c.duration = o.duration.value_or(seconds(20));
  if (c.duration < seconds(4)) throw std::invalid_argument("lock-contention needs at least 4s");
  Params p(o.params);
  const int lockers = static_cast<int>(p.integer("lockers", 5, 1, 50));
  const int resources = static_cast<int>(p.integer("resources", 2, 1, 20));
  p.reject_unknown(c.name);
  c.clients = 2;
  c.scenario_key_prefixes = {"fence/"};
  KvRun run(o, c);

  auto shared = std::make_shared<LockShared>();
  shared->run = &run;
  for (int i = 0; i < resources; ++i) shared->resources.push_back("r" + std::to_string(i));
  shared->ttl_min = milliseconds(300);
  shared->ttl_max = milliseconds(1500);
  shared->wait = seconds(2);
  shared->pause_probability = 0.12;
  Rng clocks(hash_combine(o.seed, kClockStreamSalt));
  const double drift_max = chaos::NemesisLimits{}.clock_drift_max;
  for (int i = 0; i < lockers; ++i) {
    const NodeId id = kLockerIdBase + static_cast<NodeId>(i);
    KvClientOptions co;
    co.nodes = run.node_ids();
    co.client_id = 5000 + static_cast<uint64_t>(i);
    run.sim().add_process(id, "locker" + std::to_string(i), [shared, i, co](Env& env) {
      return std::make_unique<LockerProcess>(env, *shared, static_cast<uint32_t>(i), co);
    });
    // Just inside the bound, as a holder's clock may be.
    run.sim().set_clock(id, sim::ClockConfig{Duration(0), (clocks.chance(0.5) ? 1 : -1) * drift_max * 0.9});
  }

  run.on_committed = [shared](uint64_t index, const kv::Command* command, const kv::Result&,
                              const kv::KvStateMachine& reference) {
    if (command == nullptr || kv::is_data_write(command->write) || kv::is_session_write(command->write) ||
        kv::is_txn_write(command->write)) {
      return;
    }
    for (const std::string& resource : shared->resources) {
      const kv::LockInfo* l = reference.state().lock(resource);
      const uint64_t token = l == nullptr ? 0 : l->token;
      uint64_t& known = shared->table[resource];
      if (token != known) shared->changes.push_back({index, resource, token});
      known = token;
    }
  };
  const KvSwarm swarm(run, o.seed, kNemesisStreamSalt,
                      coordination_faults());
  ScenarioResult r = run.run(nullptr);
  swarm.report(r);
  const LockStats& s = shared->stats;
  r.metrics["lock_acquires"] = s.acquires;
  r.metrics["lock_grants"] = s.granted;
  r.metrics["lock_acquire_timeouts"] = s.timed_out;
  r.metrics["lock_acquire_unknown"] = s.unknown;
  r.metrics["lock_extends"] = s.extends;
  r.metrics["lock_releases"] = s.releases;
  r.metrics["lock_abandoned"] = s.abandoned;
  r.metrics["fenced_writes_ok"] = s.written;
  r.metrics["fenced_writes_refused"] = s.fenced;
  r.metrics["paused_writes"] = s.paused_writes;
  r.metrics["lock_grants_too_late"] = s.late_grants;

  std::vector<CheckResult> checks;
  if (absl::Status st = read_final_logs(run, *shared); !st.ok()) {
    checks.push_back({"fenced-logs-readable", false, std::string(st.message())});
  }
  for (CheckResult& check : check::check_lock_safety(shared->history)) checks.push_back(std::move(check));
  checks.push_back(check::check_lock_reads(shared->changes, shared->reads));
  // A run that granted nothing, or wrote nothing under a lock, judged nothing.
  checks.push_back({"locks-exercised", s.granted > 0 && s.written > 0 && !shared->reads.empty(),
                    absl::StrCat(s.granted, " leases granted, ", s.written, " fenced writes acknowledged, ", s.fenced,
                                 " refused, ", shared->reads.size(), " lock table reads")});
  r.checks.insert(r.checks.begin(), checks.begin(), checks.end());
  return r;
}

}  // namespace

std::vector<Scenario> lock_scenarios() {
  return {{"lock-contention",
           "lockers take turns on a few locks (acquire, fenced writes, extend, release or abandon; some holders "
           "paused past their lease) under partitions, kills, pauses and clock drift: holders never overlap, stale "
           "tokens are refused",
           3, seconds(20), lock_contention}};
}

}  // namespace shoal::scenarios
