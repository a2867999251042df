// KvRun's verdicts: every check is computed by scenarios/checkers/; this file
// only gathers what each checker needs from the run.
#include <algorithm>
#include <set>

#include "absl/strings/str_cat.h"
#include "scenarios/checkers/convergence.h"
#include "scenarios/checkers/linearizability.h"
#include "scenarios/checkers/lost_writes.h"
#include "scenarios/checkers/session_guarantees.h"
#include "scenarios/checkers/written_values.h"
#include "scenarios/cluster.h"
#include "scenarios/kv_run.h"

namespace shoal::scenarios {

namespace {

// The message and the first violations: one terminal line says enough.
std::string one_line(const CheckResult& c) {
  std::string line = c.message;
  for (size_t i = 0; i < c.violations.size() && i < 2; ++i) line += "; " + c.violations[i].what;
  return line;
}

// The check under its scenario name, its message without the checker's own
// name in front (the report prints the name already).
CheckResult named(std::string name, CheckResult c) {
  c.message = one_line(c);
  if (c.message.rfind(name + ": ", 0) == 0) c.message.erase(0, name.size() + 2);
  c.name = std::move(name);
  return c;
}

bool is_read(const check::Operation& op) { return op.op.type == check::OpType::kRead; }

}  // namespace

std::vector<std::string> required_checks(const std::vector<WriteLevel>& write_levels,
                                         const std::vector<ReadLevel>& read_levels) {
  auto has = [&](ReadLevel l) { return std::find(read_levels.begin(), read_levels.end(), l) != read_levels.end(); };
  std::vector<std::string> names{"raft-invariants", "linearizable"};
  if (has(ReadLevel::kSession)) names.insert(names.end(), {"read-your-writes", "monotonic-reads"});
  if (has(ReadLevel::kAny)) names.push_back("only-written-values");
  names.push_back("replies-match-log");
  if (std::find(write_levels.begin(), write_levels.end(), WriteLevel::kAll) != write_levels.end()) {
    names.push_back("all-level-held-by-every-voter");
  }
  names.insert(names.end(), {"no-lost-writes", "convergence", "every-kind-served"});
  return names;
}

check::History KvRun::judged_history(const std::function<bool(size_t)>& keep) const {
  check::History h;
  for (size_t i = 0; i < history_.size(); ++i) {
    if (keep(i)) h.add(history_[i]);
  }
  return h;
}

check::History KvRun::history_of_reads_at(ReadLevel level) const {
  return judged_history([this, level](size_t i) { return !is_read(history_[i]) || records_[i].read_level == level; });
}

check::History KvRun::resolved_history(const std::function<bool(size_t)>& keep) const {
  check::History h;
  for (size_t i = 0; i < history_.size(); ++i) {
    if (!keep(i)) continue;
    check::Operation op = history_[i];
    const OpRecord& rec = records_[i];
    if (rec.outcome == OpOutcome::kAccepted && rec.index >= 1 && rec.index <= applied_log_.size()) {
      const AppliedEntry& entry = applied_log_[rec.index - 1];
      const bool took_effect = entry.record.client == rec.session && entry.code &&
                               (*entry.code == kv::Code::kOk || *entry.code == kv::Code::kNotFound ||
                                *entry.code == kv::Code::kCasFailed);
      if (!took_effect) {
        // Another entry took its index, or its session refused it: it
        // never applied.
        op.outcome = check::Outcome::kFail;
      } else {
        op.outcome = check::Outcome::kOk;
        op.complete_ns = std::max(op.invoke_ns, entry.first_applied_ns);
        op.result = check::Result{};
        op.result.applied = *entry.code != kv::Code::kCasFailed;
      }
    }
    h.add(std::move(op));
  }
  return h;
}

std::vector<check::ServiceKind> KvRun::service_kinds() const {
  std::vector<check::ServiceKind> kinds;
  auto served = [this](size_t i) {
    return records_[i].outcome == OpOutcome::kOk || records_[i].outcome == OpOutcome::kAccepted;
  };
  for (WriteLevel l : config_.write_levels) {
    const std::string name = std::string(to_string(l)) + " writes";
    if (std::any_of(kinds.begin(), kinds.end(), [&](const auto& k) { return k.name == name; })) continue;
    kinds.push_back({name, [this, l](size_t i) { return !is_read(history_[i]) && records_[i].write_level == l; },
                     served});
  }
  for (ReadLevel l : config_.read_levels) {
    const std::string name = std::string(to_string(l)) + " reads";
    if (std::any_of(kinds.begin(), kinds.end(), [&](const auto& k) { return k.name == name; })) continue;
    kinds.push_back({name, [this, l](size_t i) { return is_read(history_[i]) && records_[i].read_level == l; },
                     served});
  }
  return kinds;
}

bool KvRun::replicas_agree() {
  std::optional<uint64_t> fingerprint;
  RaftNode* l = raft(leader());
  if (l == nullptr) return false;
  for (NodeId id : all_node_ids()) {
    RaftNode* r = raft(id);
    if (r == nullptr || !node(id)->group(0)->error().empty() || !l->membership().contains(id)) continue;
    const uint64_t fp = node(id)->group(0)->kv_state().fingerprint();
    if (fingerprint && fp != *fingerprint) return false;
    fingerprint = fp;
  }
  return true;
}

// Each client's history by the checker of its levels.
void KvRun::judge_levels(ScenarioResult& r) {
  auto level_used = [this](ReadLevel l) {
    return std::find(config_.read_levels.begin(), config_.read_levels.end(), l) != config_.read_levels.end();
  };
  // Every write, with the reads that promise linearizability. An exhausted
  // search budget is not a pass: the run fails with the budget named.
  check::LinearizabilityOptions lo;
  lo.model = check::Model::kKv;
  lo.budget.steps_max = kLinearizabilitySteps;
  const check::History strong = resolved_history([this](size_t i) {
    return !is_read(history_[i]) || records_[i].read_level == ReadLevel::kLinearizable ||
           records_[i].read_level == ReadLevel::kLease;
  });
  const auto lin = check::check_linearizable(strong, lo);
  CheckResult c{"linearizable", lin.verdict == check::Verdict::kLinearizable, lin.message};
  if (lin.verdict == check::Verdict::kUnknown) c.message = "search budget exhausted: " + lin.message;
  r.checks.push_back(named("linearizable", c));

  if (level_used(ReadLevel::kSession)) {
    const check::History session = history_of_reads_at(ReadLevel::kSession);
    r.checks.push_back(named("read-your-writes", check::check_read_your_writes(session)));
    r.checks.push_back(named("monotonic-reads", check::check_monotonic_reads(session)));
  }
  if (level_used(ReadLevel::kAny)) {
    const check::History any = history_of_reads_at(ReadLevel::kAny);
    r.checks.push_back(named("only-written-values", check::check_reads_return_written_values(any)));
  }

  // What every write's reply said against what its entry really did.
  std::vector<check::ReplyClaim> claims;
  size_t leader_level = 0;
  for (size_t i = 0; i < history_.size(); ++i) {
    const OpRecord& rec = records_[i];
    if (is_read(history_[i]) || (rec.outcome != OpOutcome::kOk && rec.outcome != OpOutcome::kAccepted)) continue;
    check::ReplyClaim claim{i, rec.index, rec.session, std::nullopt, rec.outcome == OpOutcome::kAccepted};
    if (rec.outcome == OpOutcome::kOk) claim.result = rec.result;
    leader_level += rec.write_level == WriteLevel::kLeader ? 1 : 0;
    claims.push_back(std::move(claim));
  }
  const check::ReplyAudit audit = check::check_replies_match_log(history_, claims, [this](uint64_t index) {
    return index >= 1 && index <= applied_log_.size() ? &applied_log_[index - 1].record : nullptr;
  });
  r.checks.push_back(named("replies-match-log", audit.check));
  if (!reference_check_.ok) r.checks.push_back(named("reference-replay", reference_check_));
  if (std::find(config_.write_levels.begin(), config_.write_levels.end(), WriteLevel::kAll) !=
      config_.write_levels.end()) {
    r.checks.push_back(named("all-level-held-by-every-voter", all_level_check_));
  }
  if (leader_level > 0) {
    metric("leader_level_writes_acknowledged", static_cast<double>(leader_level));
    metric("leader_level_writes_lost", static_cast<double>(audit.lost));
  }
}

// The final state, read back from every replica: nothing acknowledged is
// missing anywhere, and every replica holds the same.
void KvRun::judge_final_state(ScenarioResult& r) {
  std::vector<check::ReplicaState> replicas;
  std::string fingerprints;
  std::set<uint64_t> distinct;
  RaftNode* l = raft(leader());
  for (NodeId id : all_node_ids()) {
    RaftNode* rn = raft(id);
    if (rn == nullptr || !node(id)->group(0)->error().empty()) continue;
    if (l != nullptr && !l->membership().contains(id)) continue;  // removed from the group
    const kv::KvStateMachine& sm = node(id)->group(0)->kv_state();
    check::ReplicaState state{absl::StrCat("n", id, "@", rn->applied_index())};
    for (const auto& [k, v] : sm.state().data()) state.data.emplace(k, v);
    distinct.insert(sm.fingerprint());
    replicas.push_back(std::move(state));
  }
  // A write whose outcome the client could not know (or that the leader
  // accepted and may have lost) may or may not show; acknowledged ones must.
  CheckResult lost{"no-lost-writes", true, ""};
  if (replicas.empty()) lost.add({"no replica is left to read the final state from", {}});
  for (const check::ReplicaState& replica : replicas) {
    check::KeyValues final_values;
    for (const auto& [k, v] : replica.data) {
      const bool scenario_key = std::any_of(
          config_.scenario_key_prefixes.begin(), config_.scenario_key_prefixes.end(),
          [&k](const std::string& prefix) { return !prefix.empty() && k.compare(0, prefix.size(), prefix) == 0; });
      if (!scenario_key) final_values.emplace(k, v);
    }
    CheckResult one = check::check_no_lost_writes(history_, final_values);
    if (!one.ok) {
      for (auto& v : one.violations) lost.add({"on " + replica.replica + ": " + v.what, v.ops});
      break;  // the first replica that lost something says enough
    }
    lost.message = one.message;
  }
  r.checks.push_back(named("no-lost-writes", lost));

  CheckResult converged{"convergence", true, ""};
  if (replicas.empty()) {
    converged.add({"no replica is left", {}});
  } else {
    converged = check::check_convergence(replicas);
    // Equal data but different fingerprints: the replicas differ in what
    // clients cannot read directly (the session table, the applied index).
    if (converged.ok && distinct.size() > 1) {
      converged.add({"replicas hold the same keys but differ in session tables or applied index", {}});
    }
  }
  r.checks.push_back(named("convergence", converged));
}

void KvRun::judge_liveness(ScenarioResult& r) {
  const auto kinds = service_kinds();
  r.checks.push_back(named("every-kind-served", check::check_every_kind_served(history_, kinds)));
  // An all-level write needs every voter: while one is damaged beyond
  // repair (its storage failed, and nothing rebuilds it yet) that level
  // cannot serve, by its promise.
  std::string damaged;
  if (RaftNode* l = raft(leader())) {
    for (NodeId v : l->membership().voters) {
      if (node(v) == nullptr || !node(v)->group(0)->error().empty()) absl::StrAppend(&damaged, damaged.empty() ? "" : ",", v);
    }
  }
  std::vector<check::ServiceKind> writes, reads;
  for (const auto& k : kinds) {
    if (k.name == "all writes" && !damaged.empty()) continue;
    (k.name.find("writes") != std::string::npos ? writes : reads).push_back(k);
  }
  const CheckResult after_heal = check::check_serves_again(history_, writes, to_ns(heal_at()), config_.liveness_bound);
  const CheckResult after_handover =
      check::check_serves_again(history_, reads, to_ns(read_tail_at()), config_.liveness_bound);
  r.liveness.name = "liveness";
  r.liveness.ok = after_heal.ok && after_handover.ok;
  r.liveness.message = "after the faults: " + one_line(after_heal) +
                       "; reads after the read tail's failover: " + one_line(after_handover);
  if (!damaged.empty()) r.liveness.message += "; all writes not judged: voter(s) " + damaged + " damaged";
  // How much of the fault phase the cluster served, per kind.
  for (const auto& k : kinds) {
    std::string key = "availability_" + k.name;
    std::replace(key.begin(), key.end(), ' ', '_');
    metric(key, check::availability(history_, k, 0, to_ns(heal_at()), seconds(1)));
  }
}

void KvRun::judge(ScenarioResult& r) {
  std::vector<const RaftNode*> replicas;
  for (NodeId id : all_node_ids()) {
    if (RaftNode* n = raft(id)) replicas.push_back(n);
  }
  invariants_.check_log_matching(replicas);
  std::vector<const RaftNode*> extra;
  for (NodeId id : all_node_ids()) {
    Node* n = node(id);
    for (uint32_t g : config_.extra_kv_groups) {
      if (Replica* rep = n ? n->group(g) : nullptr; rep != nullptr && rep->raft() != nullptr) extra.push_back(rep->raft());
    }
  }
  extra_invariants_.check_log_matching(extra);
  CheckResult inv{"raft-invariants", invariants_.ok() && extra_invariants_.ok(), ""};
  for (const auto& v : invariants_.violations()) absl::StrAppend(&inv.message, v, "; ");
  for (const auto& v : extra_invariants_.violations()) absl::StrAppend(&inv.message, v, "; ");
  r.checks.push_back(inv);
  judge_levels(r);
  judge_final_state(r);
  for (auto& c : extra_checks_) r.checks.push_back(c);
  judge_liveness(r);
  size_t ok = 0, fail = 0, unknown = 0;
  std::vector<double> latency_ms;
  for (size_t i = 0; i < history_.size(); ++i) {
    const check::Operation& op = history_[i];
    if (op.ok() || records_[i].outcome == OpOutcome::kAccepted) {
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
