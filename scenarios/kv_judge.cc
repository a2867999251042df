// KvRun's end-of-run checks.
#include <algorithm>

#include "absl/strings/str_cat.h"
#include "scenarios/checkers/linearizability.h"
#include "scenarios/cluster.h"
#include "scenarios/kv_run.h"

namespace shoal::scenarios {

namespace {
std::optional<std::string> read_key(const kv::KvStateMachine& sm, const std::string& key) {
  auto res = kv::decode_result(sm.query(kv::encode_query(kv::Get{key, 0})));
  if (!res.ok() || res->code != kv::Code::kOk) return std::nullopt;
  return res->value;
}
}  // namespace

CheckResult KvRun::check_appends_present() {
  CheckResult c{"no-acknowledged-write-lost", true, ""};
  RaftNode* l = raft(leader());
  if (l == nullptr) {
    c.ok = false;
    c.message = "no leader at the end to read the final state from";
    return c;
  }
  const kv::KvStateMachine& sm = node(leader())->group(0)->state();
  size_t lost = 0, checked = 0, leader_level = 0, leader_level_lost = 0;
  for (size_t i = 0; i < history_.size(); ++i) {
    const check::Operation& op = history_[i];
    if (op.op.type != check::OpType::kAppend || !op.ok()) continue;
    const auto value = read_key(sm, op.op.key);
    const bool present = value && value->find(*op.op.value) != std::string::npos;
    // A leader-level write promises only the leader's copy: its loss is
    // measured, not a failure.
    if (write_level_of(i) == WriteLevel::kLeader) {
      ++leader_level;
      leader_level_lost += present ? 0 : 1;
      continue;
    }
    ++checked;
    if (!present) {
      if (++lost <= 3) {
        absl::StrAppend(&c.message, c.message.empty() ? "" : "; ", "acknowledged ", check::describe(op),
                        " is not in the final value of ", op.op.key);
      }
    }
  }
  c.ok = lost == 0;
  metric("appends_acknowledged", static_cast<double>(checked));
  metric("appends_lost", static_cast<double>(lost));
  if (leader_level > 0) {
    metric("leader_level_appends_acknowledged", static_cast<double>(leader_level));
    metric("leader_level_appends_lost", static_cast<double>(leader_level_lost));
  }
  return c;
}

CheckResult KvRun::check_convergence() {
  CheckResult c{"convergence", true, ""};
  std::optional<uint64_t> fingerprint, applied;
  RaftNode* l = raft(leader());
  if (l == nullptr) {
    c.ok = false;
    c.message = "no leader at the end";
    return c;
  }
  auto position = [](NodeId id, const RaftNode& r) {
    return absl::StrCat("node ", id, " (applied ", r.applied_index(), ", commit ", r.commit_index(), ", log ",
                        r.log().last_index(), ", term ", r.term(), ")");
  };
  std::string reference;
  for (NodeId id : all_node_ids()) {
    RaftNode* r = raft(id);
    if (r == nullptr || !node(id)->group(0)->error().empty()) continue;
    if (!l->membership().contains(id)) continue;  // removed from the group
    const uint64_t fp = node(id)->group(0)->state().fingerprint();
    if (!fingerprint) {
      fingerprint = fp;
      applied = r->applied_index();
      reference = position(id, *r);
    } else if (fp != *fingerprint || r->applied_index() != *applied) {
      c.ok = false;
      absl::StrAppend(&c.message, position(id, *r), " differs from ", reference,
                      (fp != *fingerprint ? " in state; " : "; "));
    }
  }
  if (!c.ok) absl::StrAppend(&c.message, "leader ", position(leader(), *l));
  return c;
}

CheckResult KvRun::check_liveness() {
  CheckResult c{"liveness", true, ""};
  const int64_t from = to_ns(TimePoint(config_.duration));
  const int64_t bound = config_.liveness_bound.count();
  // A scripted workload (a shrunk schedule) may end before the faults do:
  // when no write was in flight or asked for after they stopped, there was
  // nothing to serve and nothing to judge.
  const bool asked = std::any_of(history_.operations().begin(), history_.operations().end(),
                                 [from](const check::Operation& op) {
                                   return op.op.type != check::OpType::kRead && op.complete_ns >= from;
                                 });
  if (!asked) {
    c.message = "not judged: no write was asked for after the faults stopped";
    return c;
  }
  std::optional<int64_t> first;
  for (size_t i = 0; i < history_.size(); ++i) {
    const check::Operation& op = history_[i];
    if (!op.ok() || op.op.type == check::OpType::kRead || op.complete_ns < from) continue;
    first = first ? std::min(*first, op.complete_ns) : op.complete_ns;
  }
  if (!first || *first - from > bound) {
    c.ok = false;
    c.message = absl::StrCat("no write succeeded within ", format_duration(config_.liveness_bound),
                            " of the faults stopping at ", format_duration(config_.duration));
  } else {
    metric("recovery_after_heal_ms", static_cast<double>(*first - from) / 1e6);
  }
  return c;
}

void KvRun::judge(ScenarioResult& r) {
  std::vector<const RaftNode*> replicas;
  for (NodeId id : all_node_ids()) {
    if (RaftNode* n = raft(id)) replicas.push_back(n);
  }
  invariants_.check_log_matching(replicas);
  CheckResult inv{"raft-invariants", invariants_.ok(), ""};
  for (const auto& v : invariants_.violations()) absl::StrAppend(&inv.message, v, "; ");
  r.checks.push_back(inv);
  if (config_.check_linearizable) {
    // An exhausted search budget is not a pass: the run fails with the
    // budget named, and the seed replays the same search.
    check::LinearizabilityOptions lo;
    lo.model = check::Model::kKv;
    lo.budget.steps_max = kLinearizabilitySteps;
    const auto lin = check::check_linearizable(history_, lo);
    CheckResult c{"linearizable", lin.verdict == check::Verdict::kLinearizable, lin.message};
    if (lin.verdict == check::Verdict::kUnknown) c.message = "search budget exhausted: " + lin.message;
    r.checks.push_back(c);
  }
  if (config_.check_lost_writes) r.checks.push_back(check_appends_present());
  for (auto& c : extra_checks_) r.checks.push_back(c);
  if (config_.check_convergence) r.checks.push_back(check_convergence());
  r.liveness = check_liveness();
  size_t ok = 0, fail = 0, unknown = 0;
  std::vector<double> latency_ms;
  for (const auto& op : history_.operations()) {
    if (op.ok()) {
      ++ok;
      latency_ms.push_back(static_cast<double>(op.complete_ns - op.invoke_ns) / 1e6);
    } else if (op.outcome == check::Outcome::kFail) {
      ++fail;
    } else {
      ++unknown;
    }
  }
  std::sort(latency_ms.begin(), latency_ms.end());
  auto pct = [&](double q) {
    return latency_ms.empty() ? 0.0 : latency_ms[static_cast<size_t>(q * static_cast<double>(latency_ms.size() - 1))];
  };
  metric("ops_ok", static_cast<double>(ok));
  metric("ops_fail", static_cast<double>(fail));
  metric("ops_unknown", static_cast<double>(unknown));
  metric("latency_p50_ms", pct(0.5));
  metric("latency_p99_ms", pct(0.99));
  metric("terms", static_cast<double>(invariants_.leaders().size()));
}

}  // namespace shoal::scenarios
