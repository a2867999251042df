// Transactions across KV groups (engine/txn): the list-append workload Elle
// judges, on keys spread over several groups, under the coordination faults.
//
//   txn-atomicity   a few clients run txns of 1-4 reads and appends over
//                   keys in three groups; now and then a coordinator crashes
//                   mid-txn (at a random moment: before, during or after its
//                   prepares, its decision, its resolves) and a new
//                   incarnation goes on. Others meet its intents and must
//                   resolve them from its record.
//   txn-conflicts   many clients on three keys in two groups: most txns
//                   collide, and every collision must abort one side cleanly.
//
// Each client ends with a read of every key (resolving whatever intents are
// left on its way). Judged by scenarios/checkers/: txn-serializable (Elle's
// list-append analysis with real-time edges: strict serializability; G0,
// G1a-c, G-single, G2 named), txn-atomicity (every txn whole or absent in the
// final state, every ok txn present, no failed txn visible), the txn groups'
// convergence, and everything a KvRun judges of group 0's own clients.
#include <algorithm>
#include <cmath>
#include <memory>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "engine/txn/txn_client.h"
#include "scenarios/checkers/convergence.h"
#include "scenarios/checkers/txn_anomalies.h"
#include "scenarios/checkers/txn_atomicity.h"
#include "scenarios/kv_run.h"
#include "scenarios/kv_swarm.h"

namespace shoal::scenarios {
namespace {

constexpr uint64_t kTxnStreamSalt = 0x74786e73;
constexpr uint64_t kNemesisStreamSalt = 0x74786e6e;
constexpr NodeId kTxnClientIdBase = kClientIdBase + 700;
constexpr uint64_t kTxnSessionBase = 7000;
// Where the txn's coordinator may crash: within this long after it began.
constexpr int64_t kCrashWithinMs = 60;
// How long the txn groups' replicas get to catch up before they are compared.
constexpr Duration kSettleMax = seconds(10);

struct TxnStats {
  int txns = 0, committed = 0, aborted = 0, unknown = 0, crashed = 0, multi_group_committed = 0;
  int conflicts = 0, stale = 0, pushed_aside = 0, unavailable = 0;
  uint64_t intents_met = 0, pushed = 0, resolved_for_others = 0;
};

struct TxnShared {
  KvRun* run = nullptr;
  std::vector<uint32_t> groups;
  std::vector<std::string> keys;
  int mops_max = 4;
  double crash_probability = 0;
  std::vector<check::Txn> history;
  TxnStats stats;
  int64_t next_value = 0;  // appended values are unique across the run
  int64_t now_ns() const { return to_ns(run->sim().now()); }
  TimePoint stop_at() const { return run->heal_at() + run->config().quiet / 2; }
};

// A list as the store holds it: values appended as " v", in order.
std::vector<int64_t> parse_list(const std::optional<std::string>& text) {
  std::vector<int64_t> list;
  if (!text) return list;
  for (absl::string_view part : absl::StrSplit(*text, ' ', absl::SkipEmpty())) {
    int64_t v = 0;
    // A value no txn could have written reads as -1: garbage to the checkers.
    list.push_back(absl::SimpleAtoi(part, &v) ? v : -1);
  }
  return list;
}

class TxnProcess final : public sim::Process {
 public:
  TxnProcess(Env& env, TxnShared& shared, uint32_t index, txn::TxnClientOptions options)
      : shared_(shared), index_(index), client_(env, std::move(options)), rng_(env.random().fork(kTxnStreamSalt)),
        timer_(env.clock()), crash_timer_(env.clock()) {
    next(milliseconds(300));
  }

 private:
  void next(Duration think) {
    timer_.arm(think, [this] {
      if (shared_.run->sim().now() < shared_.stop_at()) return begin(random_ops(), true);
      if (!final_read_done_) {
        final_read_done_ = true;
        std::vector<txn::TxnOp> all;
        for (const std::string& k : shared_.keys) all.push_back({txn::TxnOp::Kind::kGet, k, ""});
        begin(std::move(all), false);
      }
    });
  }

  std::vector<txn::TxnOp> random_ops() {
    std::vector<txn::TxnOp> ops;
    const int n = 1 + static_cast<int>(rng_.below(static_cast<uint64_t>(shared_.mops_max)));
    for (int i = 0; i < n; ++i) {
      const std::string& key = rng_.pick(shared_.keys);
      if (rng_.chance(0.5)) {
        ops.push_back({txn::TxnOp::Kind::kGet, key, ""});
      } else {
        ops.push_back({txn::TxnOp::Kind::kAppend, key, absl::StrCat(" ", ++shared_.next_value)});
      }
    }
    return ops;
  }

  void begin(std::vector<txn::TxnOp> ops, bool may_crash) {
    const size_t at = shared_.history.size();
    check::Txn& t = shared_.history.emplace_back();
    t.process = index_;
    t.invoke_ns = shared_.now_ns();
    t.outcome = check::Txn::Outcome::kUnknown;
    for (const txn::TxnOp& op : ops) {
      check::TxnMop m;
      m.kind = op.kind == txn::TxnOp::Kind::kGet ? check::TxnMop::kRead : check::TxnMop::kAppend;
      m.key = op.key;
      if (m.kind == check::TxnMop::kAppend) m.value = std::stoll(op.value.substr(1));
      t.mops.push_back(std::move(m));
    }
    ++shared_.stats.txns;
    if (may_crash && rng_.chance(shared_.crash_probability)) {
      crash_timer_.arm(milliseconds(static_cast<int64_t>(rng_.below(kCrashWithinMs))), [this] {
        if (!client_.busy()) return;
        // The coordinator dies mid-txn; a new incarnation goes on. What it
        // sent stays sent: the txn's outcome is unknown.
        client_.crash();
        ++shared_.stats.crashed;
        ++shared_.stats.unknown;
        next(rng_.range(milliseconds(5), milliseconds(30)));
      });
    }
    client_.run(std::move(ops), [this, at](const txn::TxnResult& r) { done(at, r); });
  }

  void done(size_t at, const txn::TxnResult& r) {
    crash_timer_.cancel();
    check::Txn& t = shared_.history[at];
    t.complete_ns = shared_.now_ns();
    TxnStats& s = shared_.stats;
    switch (r.outcome) {
      case txn::TxnOutcome::kCommitted:
        t.outcome = check::Txn::Outcome::kOk;
        ++s.committed;
        if (r.groups > 1) ++s.multi_group_committed;
        for (size_t i = 0; i < t.mops.size(); ++i) {
          if (t.mops[i].kind == check::TxnMop::kRead) t.mops[i].read = parse_list(r.reads[i]);
        }
        break;
      case txn::TxnOutcome::kAborted: t.outcome = check::Txn::Outcome::kFail; ++s.aborted; break;
      case txn::TxnOutcome::kUnknown: ++s.unknown; break;
    }
    switch (r.error) {
      case txn::TxnError::kConflict: ++s.conflicts; break;
      case txn::TxnError::kStale: ++s.stale; break;
      case txn::TxnError::kPushedAside: ++s.pushed_aside; break;
      case txn::TxnError::kUnavailable: ++s.unavailable; break;
      default: break;
    }
    next(rng_.range(milliseconds(2), milliseconds(30)));
  }


 public:
  const txn::TxnClient& client() const { return client_; }

 private:
  TxnShared& shared_;
  uint32_t index_;
  txn::TxnClient client_;
  Rng rng_;
  TimerSlot timer_;
  TimerSlot crash_timer_;
  bool final_read_done_ = false;
};

// Every key's final list: the committed value, with any intent still on it
// resolved the way its record says (pending or unrecorded: not applied, as
// the next txn to meet it would abort it). Counts the intents left.
absl::Status final_lists(KvRun& run, const TxnShared& shared, std::map<std::string, std::vector<int64_t>>* out,
                         int* intents_left) {
  for (const std::string& key : shared.keys) {
    const Replica* r = run.most_applied(txn::group_of(key, shared.groups));
    if (r == nullptr) return absl::UnavailableError("no replica holds the group of " + key);
    const kv::KvState& state = r->kv_state().state();
    const std::string* value = state.find(key);
    std::optional<std::string> text = value ? std::optional(*value) : std::nullopt;
    if (const kv::Intent* intent = state.txns().intent(key)) {
      ++*intents_left;
      const Replica* home = run.most_applied(intent->record_group);
      const kv::TxnRecord* record = home ? home->kv_state().state().txns().record(intent->txn) : nullptr;
      if (record && record->status == kv::TxnStatus::kCommitted && intent->write) {
        SHOAL_ASSERT(intent->write->kind == kv::TxnWriteKind::kAppend);
        text = text.value_or("") + intent->write->value;
      }
    }
    (*out)[key] = parse_list(text);
  }
  return absl::OkStatus();
}

// Each txn group's live replicas, as the convergence checker reads them:
// their keys, and their fingerprint as one more entry (intents, records and
// sessions are state too: replicas that differ there differ).
std::vector<check::ReplicaState> group_replicas(KvRun& run, GroupId group) {
  std::vector<check::ReplicaState> replicas;
  for (NodeId id : run.node_ids()) {
    Node* n = run.node(id);
    const Replica* r = n ? n->group(group) : nullptr;
    if (r == nullptr || !r->error().empty()) continue;
    check::ReplicaState state{absl::StrCat("n", id, "/g", group), {}};
    for (const auto& [k, v] : r->kv_state().state().data()) state.data[k] = v;
    state.data["#fingerprint"] = std::to_string(r->kv_state().fingerprint());
    replicas.push_back(std::move(state));
  }
  return replicas;
}

// The txn groups' replicas hold the same state once they have caught up
// (waiting at most kSettleMax for the last of them).
CheckResult txn_groups_converge(KvRun& run, const TxnShared& shared) {
  auto agree = [&] {
    for (GroupId g : shared.groups) {
      std::set<std::string> fingerprints;
      for (const auto& r : group_replicas(run, g)) fingerprints.insert(r.data.at("#fingerprint"));
      if (fingerprints.size() > 1) return false;
    }
    return true;
  };
  const TimePoint settle_by = run.sim().now() + kSettleMax;
  while (!agree() && run.sim().now() < settle_by) run.sim().run_for(milliseconds(50));
  CheckResult all{"txn-groups-converge", true, ""};
  size_t judged = 0;
  for (GroupId g : shared.groups) {
    const std::vector<check::ReplicaState> replicas = group_replicas(run, g);
    if (replicas.empty()) continue;
    ++judged;
    for (auto& v : check::check_convergence(replicas).violations) all.add(std::move(v));
  }
  all.summarise("txn-groups-converge", judged, "groups");
  return all;
}

struct TxnScenarioConfig {
  std::string name;
  int clients = 4;
  int keys = 8;
  int groups = 3;
  int mops_max = 4;
  double crash_probability = 0;
  Duration duration = seconds(15);
};

ScenarioResult run_txns(const ScenarioOptions& o, const TxnScenarioConfig& t) {
  KvRunConfig c;
  c.name = t.name;
  c.nodes = o.nodes.value_or(3);
  c.duration = o.duration.value_or(t.duration);
  if (c.duration < seconds(4)) throw std::invalid_argument(t.name + " needs at least 4s");
  c.clients = 2;
  for (int g = 1; g <= t.groups; ++g) c.extra_kv_groups.push_back(static_cast<uint32_t>(g));
  KvRun run(o, c);

  auto shared = std::make_shared<TxnShared>();
  shared->run = &run;
  shared->groups = c.extra_kv_groups;
  for (int i = 0; i < t.keys; ++i) shared->keys.push_back("x" + std::to_string(i));
  shared->mops_max = t.mops_max;
  shared->crash_probability = t.crash_probability;
  std::vector<NodeId> ids;
  for (int i = 0; i < t.clients; ++i) {
    const NodeId id = kTxnClientIdBase + static_cast<NodeId>(i);
    ids.push_back(id);
    txn::TxnClientOptions co;
    co.nodes = run.node_ids();
    co.groups = shared->groups;
    co.client_id = kTxnSessionBase + static_cast<uint64_t>(i);
    run.sim().add_process(id, "txn" + std::to_string(i), [shared, i, co](Env& env) {
      return std::make_unique<TxnProcess>(env, *shared, static_cast<uint32_t>(i), co);
    });
  }
  const KvSwarm swarm(run, o.seed, kNemesisStreamSalt, coordination_faults());
  ScenarioResult r = run.run(nullptr);
  swarm.report(r);

  TxnStats& s = shared->stats;
  for (NodeId id : ids) {
    if (auto* p = run.sim().process_as<TxnProcess>(id)) {
      const txn::TxnClient::Stats& cs = p->client().stats();
      s.intents_met += cs.intents_met;
      s.pushed += cs.pushed;
      s.resolved_for_others += cs.resolved_for_others;
    }
  }
  std::vector<CheckResult> checks;
  std::map<std::string, std::vector<int64_t>> lists;
  int intents_left = 0;
  if (absl::Status st = final_lists(run, *shared, &lists, &intents_left); !st.ok()) {
    checks.push_back({"txn-final-state-readable", false, std::string(st.message())});
  }
  check::ListAppendOptions lo;
  lo.real_time = true;
  checks.push_back(check::check_list_append(shared->history, lo));
  const check::TxnAtomicityReport atomicity = check::analyse_txn_atomicity(shared->history, lists);
  checks.push_back(atomicity.result);
  checks.push_back(txn_groups_converge(run, *shared));
  // A run that committed no txn across groups judged nothing of the protocol.
  checks.push_back({"txns-exercised", s.multi_group_committed > 0 && atomicity.judged > 0,
                    absl::StrCat(s.committed, " txns committed (", s.multi_group_committed, " across groups), ",
                                 atomicity.judged, " judged for atomicity")});
  if (t.crash_probability > 0) {
    checks.push_back({"coordinators-crashed", s.crashed > 0,
                      absl::StrCat(s.crashed, " coordinators crashed mid-txn; ", s.intents_met,
                                   " intents met, ", s.pushed, " txns pushed at their record")});
  } else {
    checks.push_back({"conflicts-exercised", s.conflicts + s.stale > 0,
                      absl::StrCat(s.conflicts, " txns aborted by a held key, ", s.stale, " by a changed read")});
  }
  r.checks.insert(r.checks.begin(), checks.begin(), checks.end());
  r.metrics["txns"] = s.txns;
  r.metrics["txns_committed"] = s.committed;
  r.metrics["txns_committed_multi_group"] = s.multi_group_committed;
  r.metrics["txns_aborted"] = s.aborted;
  r.metrics["txns_unknown"] = s.unknown;
  r.metrics["txn_coordinators_crashed"] = s.crashed;
  r.metrics["txn_aborts_conflict"] = s.conflicts;
  r.metrics["txn_aborts_stale_read"] = s.stale;
  r.metrics["txn_aborts_pushed_aside"] = s.pushed_aside;
  r.metrics["txn_aborts_unavailable"] = s.unavailable;
  r.metrics["txn_intents_met"] = static_cast<double>(s.intents_met);
  r.metrics["txn_pushed"] = static_cast<double>(s.pushed);
  r.metrics["txn_intents_resolved_for_others"] = static_cast<double>(s.resolved_for_others);
  r.metrics["txn_intents_left"] = intents_left;
  r.metrics["txn_abort_rate"] = s.txns > 0 ? static_cast<double>(s.aborted) / s.txns : 0;
  return r;
}

// A scenario's defaults, overridden by its parameters: clients, keys,
// groups, and crash_percent where coordinators crash.
ScenarioResult run_with_params(const ScenarioOptions& o, TxnScenarioConfig t) {
  Params p(o.params);
  // Without crashes, conflicts need two clients at least.
  t.clients = static_cast<int>(p.integer("clients", t.clients, t.crash_probability > 0 ? 1 : 2, 50));
  t.keys = static_cast<int>(p.integer("keys", t.keys, 2, 1000));
  t.groups = static_cast<int>(p.integer("groups", t.groups, 2, 16));
  if (t.crash_probability > 0) {
    const int64_t percent = p.integer("crash_percent", std::lround(t.crash_probability * 100), 1, 100);
    t.crash_probability = static_cast<double>(percent) / 100;
  }
  p.reject_unknown(t.name);
  return run_txns(o, t);
}

ScenarioResult txn_atomicity(const ScenarioOptions& o) {
  return run_with_params(o, TxnScenarioConfig{.name = "txn-atomicity",
                                              .clients = 4,
                                              .keys = 8,
                                              .groups = 3,
                                              .mops_max = 4,
                                              .crash_probability = 0.15,
                                              .duration = seconds(15)});
}

ScenarioResult txn_conflicts(const ScenarioOptions& o) {
  return run_with_params(o, TxnScenarioConfig{.name = "txn-conflicts",
                                              .clients = 5,
                                              .keys = 3,
                                              .groups = 2,
                                              .mops_max = 3,
                                              .crash_probability = 0,
                                              .duration = seconds(12)});
}

}  // namespace

std::vector<Scenario> txn_scenarios() {
  return {{"txn-atomicity",
           "list-append txns over keys in three KV groups, coordinators crashing mid-commit: every txn whole or "
           "absent, strictly serializable (Elle), intents of the dead resolved by whoever meets them",
           3, seconds(15), txn_atomicity},
          {"txn-conflicts",
           "many clients' list-append txns on three keys in two groups: collisions abort one side cleanly, "
           "the history stays strictly serializable and no aborted txn leaves a trace",
           3, seconds(12), txn_conflicts}};
}

}  // namespace shoal::scenarios
