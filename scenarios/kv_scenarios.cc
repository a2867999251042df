// The replicated key-value scenarios of the catalogue (SCENARIOS.md:
// cluster membership and leadership, replication and consistency).
#include <algorithm>
#include <set>

#include "absl/strings/str_cat.h"
#include "scenarios/kv_run.h"

namespace shoal::scenarios {
namespace {

KvRunConfig base_config(const ScenarioOptions& o, const std::string& name, int nodes, Duration duration) {
  KvRunConfig c;
  c.name = name;
  c.nodes = o.nodes.value_or(nodes);
  c.duration = o.duration.value_or(duration);
  if (c.nodes < 1) throw std::invalid_argument(name + " needs at least 1 node");
  if (c.duration < seconds(2)) throw std::invalid_argument(name + " needs at least 2s");
  Params p(o.params);
  c.clients = static_cast<int>(p.integer("clients", c.clients, 1, 64));
  c.keys = static_cast<int>(p.integer("keys", c.keys, 1, 1000));
  c.raft.election_timeout_min = p.duration("election_timeout_min", c.raft.election_timeout_min);
  c.raft.heartbeat_interval = p.duration("heartbeat_interval", c.raft.heartbeat_interval);
  p.reject_unknown(name);
  return c;
}

// Watches for the first leader after `from` and fails the check when none
// appears within `bound`.
void expect_leader_within(KvRun& run, TimePoint from, Duration bound, CheckResult* check,
                          std::vector<double>* times) {
  run.sim().repeat(from, "leader poll", [&run, from, bound, check, times]() -> std::optional<Duration> {
    if (run.leader() != kNoNode) {
      times->push_back(to_seconds_f(run.sim().now() - from) * 1000);
      return std::nullopt;
    }
    if (run.sim().now() - from > bound) {
      check->ok = false;
      absl::StrAppend(&check->message, "no leader within ", format_duration(bound), " of ", format_time(from), "; ");
      return std::nullopt;
    }
    return milliseconds(5);
  });
}

ScenarioResult leader_election(const ScenarioOptions& o) {
  KvRunConfig c = base_config(o, "leader-election", 3, seconds(12));
  KvRun run(o, c);
  auto check = std::make_shared<CheckResult>(CheckResult{"leader-within-5s", true, ""});
  auto times = std::make_shared<std::vector<double>>();
  const Duration restart_at = c.duration / 2;
  expect_leader_within(run, TimePoint{}, seconds(5), check.get(), times.get());
  // A second cold start: every node dies at once and comes back.
  run.sim().at(TimePoint(restart_at), "kill all", [&run] {
    for (NodeId id : run.node_ids()) run.sim().crash(id);
    for (NodeId id : run.node_ids()) run.sim().restart(id);
  });
  expect_leader_within(run, TimePoint(restart_at), seconds(5), check.get(), times.get());
  ScenarioResult r = run.run(nullptr);
  r.checks.insert(r.checks.begin(), *check);
  for (size_t i = 0; i < times->size(); ++i) r.metrics["election_" + std::to_string(i) + "_ms"] = (*times)[i];
  return r;
}

ScenarioResult leader_failover(const ScenarioOptions& o) {
  KvRunConfig c = base_config(o, "leader-failover", 5, seconds(30));
  KvRun run(o, c);
  auto check = std::make_shared<CheckResult>(CheckResult{"writes-again-within-2s", true, ""});
  auto detect = std::make_shared<CheckResult>(CheckResult{"new-leader-within-1s", true, ""});
  auto kills = std::make_shared<std::vector<TimePoint>>();
  auto recover_ms = std::make_shared<std::vector<double>>();
  auto detect_ms = std::make_shared<std::vector<double>>();
  for (Duration t = seconds(4); t + seconds(4) < c.duration; t += seconds(6)) {
    run.sim().at(TimePoint(t), "kill leader", [&run, kills, detect, detect_ms] {
      const NodeId l = run.leader();
      if (l == kNoNode) return;
      run.sim().crash(l);
      kills->push_back(run.sim().now());
      expect_leader_within(run, run.sim().now(), seconds(1), detect.get(), detect_ms.get());
      run.sim().after(seconds(3), "restart old leader", [&run, l] { run.sim().restart(l); });
    });
  }
  ScenarioResult r = run.run(nullptr);
  // For each kill: the first acknowledged write that completed after it.
  for (TimePoint k : *kills) {
    std::optional<int64_t> first;
    for (const auto& op : run.history().operations()) {
      if (!op.ok() || op.op.type == check::OpType::kRead || op.invoke_ns < to_ns(k)) continue;
      first = first ? std::min(*first, op.complete_ns) : op.complete_ns;
    }
    const double ms = first ? static_cast<double>(*first - to_ns(k)) / 1e6 : 1e9;
    recover_ms->push_back(ms);
    if (ms > 2000) {
      check->ok = false;
      absl::StrAppend(&check->message, "after the kill at ", format_time(k), " writes resumed only after ",
                      first ? absl::StrCat(ms, "ms") : "never", "; ");
    }
  }
  r.checks.insert(r.checks.begin(), {*check, *detect});
  double worst = 0, worst_detect = 0;
  for (double m : *recover_ms) worst = std::max(worst, m);
  for (double m : *detect_ms) worst_detect = std::max(worst_detect, m);
  r.metrics["failovers"] = static_cast<double>(kills->size());
  r.metrics["write_recovery_max_ms"] = worst;
  r.metrics["new_leader_max_ms"] = worst_detect;
  return r;
}

// Components of the undirected graph of links that work both ways.
std::vector<std::set<NodeId>> components(sim::Simulation& sim, const std::vector<NodeId>& ids) {
  std::vector<std::set<NodeId>> out;
  std::set<NodeId> seen;
  for (NodeId start : ids) {
    if (seen.count(start)) continue;
    std::set<NodeId> comp{start};
    std::vector<NodeId> stack{start};
    while (!stack.empty()) {
      NodeId a = stack.back();
      stack.pop_back();
      for (NodeId b : ids) {
        if (comp.count(b) || sim.is_cut(a, b) || sim.is_cut(b, a)) continue;
        comp.insert(b);
        stack.push_back(b);
      }
    }
    seen.insert(comp.begin(), comp.end());
    out.push_back(comp);
  }
  return out;
}

ScenarioResult split_brain(const ScenarioOptions& o) {
  KvRunConfig c = base_config(o, "split-brain", 5, seconds(30));
  c.clients = std::max(c.clients, 4);
  KvRun run(o, c);
  auto check = std::make_shared<CheckResult>(CheckResult{"minority-never-commits", true, ""});
  const std::vector<NodeId> ids = run.node_ids();
  const size_t quorum = ids.size() / 2 + 1;
  auto shapes = std::make_shared<int>(0);
  for (Duration t = seconds(2); t + seconds(3) < c.duration; t += seconds(4)) {
    const int shape = static_cast<int>(run.rng().below(5));
    run.sim().at(TimePoint(t), "partition", [&run, ids, shape, quorum, check, shapes] {
      auto& sim = run.sim();
      std::vector<NodeId> v = ids;
      run.rng().shuffle(v);
      const NodeId l = run.leader() != kNoNode ? run.leader() : v[0];
      const size_t half = v.size() / 2;
      switch (shape) {
        case 0:  // random halves
          sim.partition({{v.begin(), v.begin() + static_cast<std::ptrdiff_t>(half)},
                         {v.begin() + static_cast<std::ptrdiff_t>(half), v.end()}});
          break;
        case 1: {  // isolate the leader
          std::vector<NodeId> rest;
          for (NodeId n : ids) if (n != l) rest.push_back(n);
          sim.partition({{l}, rest});
          break;
        }
        case 2:  // bridge: two sides that only v[0] joins
          sim.partition({{v.begin() + 1, v.begin() + 1 + static_cast<std::ptrdiff_t>(half)},
                         {v.begin() + 1 + static_cast<std::ptrdiff_t>(half), v.end()}});
          break;
        case 3:  // majority ring: each node reaches its two ring neighbours only
          sim.heal_all_links();
          for (size_t i = 0; i < v.size(); ++i) {
            for (size_t j = 0; j < v.size(); ++j) {
              const size_t d = (i + v.size() - j) % v.size();
              if (i != j && d != 1 && d != v.size() - 1) sim.cut(v[i], v[j]);
            }
          }
          break;
        default:  // one way: the leader cannot send to half the cluster
          sim.heal_all_links();
          for (size_t i = 0; i < half; ++i) if (v[i] != l) sim.cut(l, v[i]);
          break;
      }
      ++*shapes;
      // The highest commit anywhere now bounds what a minority may reach.
      uint64_t bound = 0;
      for (NodeId n : ids) if (RaftNode* r = run.raft(n)) bound = std::max(bound, r->commit_index());
      auto comps = components(sim, ids);
      for (const auto& comp : comps) {
        if (comp.size() >= quorum) continue;
        for (NodeId n : comp) {
          // Sample the minority node until the partition ends.
          const TimePoint until = sim.now() + seconds(3) - milliseconds(1);
          auto watch = [&run, n, bound, until, check, ids, quorum]() -> std::optional<Duration> {
            RaftNode* r = run.raft(n);
            if (r && r->commit_index() > bound) {
              // Acknowledgements that arrived before the cut may still let a
              // minority leader commit (its own sync finishing later). What
              // must never happen is a commit that a majority does not hold.
              const uint64_t c = r->commit_index();
              const auto t = r->log().term(c);
              size_t holders = 0;
              for (NodeId v : ids) {
                RaftNode* o = run.raft(v);
                if (o && t.ok() && o->log().term(c).ok() && *o->log().term(c) == *t) ++holders;
              }
              if (holders < quorum) {
                check->ok = false;
                absl::StrAppend(&check->message, "node ", n, " in a minority committed ", c, " held by only ",
                                holders, " voters at ", format_time(run.sim().now()), "; ");
                return std::nullopt;
              }
            }
            if (run.sim().now() < until) return milliseconds(50);
            return std::nullopt;
          };
          sim.repeat(sim.now() + milliseconds(1), "minority watch", watch);
        }
      }
    });
    run.sim().at(TimePoint(t + seconds(3)), "heal", [&run] { run.sim().heal_all_links(); });
  }
  ScenarioResult r = run.run(nullptr);
  r.checks.insert(r.checks.begin(), *check);
  r.metrics["partitions"] = *shapes;
  return r;
}

ScenarioResult partition_heal(const ScenarioOptions& o) {
  KvRunConfig c = base_config(o, "partition-heal", 3, seconds(20));
  c.raft.snapshot_threshold = 100;
  c.raft.snapshot_keep_entries = 20;
  c.rate.front().think_max = milliseconds(15);
  KvRun run(o, c);
  auto check = std::make_shared<CheckResult>(CheckResult{"lagging-replica-catches-up-by-snapshot", true, ""});
  auto lagger = std::make_shared<NodeId>(kNoNode);
  auto lag_applied = std::make_shared<uint64_t>(0);
  run.sim().at(TimePoint(seconds(3)), "isolate a follower", [&run, lagger, lag_applied] {
    for (NodeId n : run.node_ids()) {
      if (n != run.leader()) *lagger = n;
    }
    std::vector<NodeId> rest;
    for (NodeId n : run.node_ids()) if (n != *lagger) rest.push_back(n);
    run.sim().partition({{*lagger}, rest});
    *lag_applied = run.raft(*lagger)->applied_index();
  });
  const Duration heal_at = c.duration - seconds(4);
  run.sim().at(TimePoint(heal_at), "heal", [&run] { run.sim().heal_all_links(); });
  run.sim().at(TimePoint(heal_at + seconds(3)), "check catch-up", [&run, lagger, lag_applied, check] {
    RaftNode* lag = run.raft(*lagger);
    RaftNode* lead = run.raft(run.leader());
    if (lag == nullptr || lead == nullptr) {
      check->ok = false;
      check->message = "no leader or lagging replica 3s after heal";
      return;
    }
    if (lead->log().first_index() <= *lag_applied + 1) {
      check->ok = false;
      check->message = "the leader never compacted past the lagging replica (too little load)";
    } else if (!lag->snapshots().latest() || lag->snapshots().latest()->meta.index <= *lag_applied) {
      check->ok = false;
      check->message = "the lagging replica did not install a snapshot";
    } else if (lag->applied_index() + 50 < lead->commit_index()) {
      check->ok = false;
      check->message = absl::StrCat("the lagging replica applied ", lag->applied_index(), " of ", lead->commit_index(),
                                   " 3s after heal");
    }
  });
  ScenarioResult r = run.run(nullptr);
  r.checks.insert(r.checks.begin(), *check);
  return r;
}

ScenarioResult crash_recovery(const ScenarioOptions& o) {
  KvRunConfig c = base_config(o, "crash-recovery", 3, seconds(25));
  KvRun run(o, c);
  int crashes = 0;
  for (Duration t = seconds(4); t + seconds(3) < c.duration; t += seconds(5)) {
    ++crashes;
    run.sim().at(TimePoint(t), "kill every node", [&run] {
      for (NodeId id : run.node_ids()) run.sim().crash(id);
      for (NodeId id : run.node_ids()) {
        run.sim().after(run.rng().range(milliseconds(100), milliseconds(1500)), "restart",
                        [&run, id] { run.sim().restart(id); });
      }
    });
  }
  ScenarioResult r = run.run(nullptr);
  r.metrics["whole_cluster_crashes"] = crashes;
  return r;
}

ScenarioResult disk_corruption(const ScenarioOptions& o) {
  KvRunConfig c = base_config(o, "disk-corruption", 3, seconds(15));
  KvRun run(o, c);
  auto check = std::make_shared<CheckResult>(CheckResult{"corruption-found-named-never-served", true, ""});
  auto victim = std::make_shared<NodeId>(kNoNode);
  run.sim().at(TimePoint(seconds(5)), "corrupt a follower's WAL", [&run, victim, check] {
    for (NodeId n : run.node_ids()) if (n != run.leader()) *victim = n;
    run.sim().crash(*victim);
    auto& files = run.sim().disk_state(*victim).files;
    for (const auto& [path, f] : files) {
      if (path.rfind("raft/g0/wal/", 0) != 0 || f->data.size() < 4096) continue;
      // Well before the tail, so it cannot pass for a torn write.
      const uint64_t offset = run.rng().range(64, static_cast<int64_t>(f->data.size() / 2));
      run.sim().flip_bit(*victim, path, offset, static_cast<int>(run.rng().below(8)));
      run.sim().restart(*victim);
      const std::string err = run.node(*victim)->error();
      if (err.find(path) == std::string::npos || err.find("offset") == std::string::npos) {
        check->ok = false;
        check->message = "the corrupt replica did not name " + path + " and an offset: '" + err + "'";
      }
      run.metric("corrupted_offset", static_cast<double>(offset));
      return;
    }
    check->ok = false;
    check->message = "no WAL segment large enough to corrupt";
    run.sim().restart(*victim);
  });
  run.on_complete = [&run, victim, check](size_t, const KvOpResult& r) {
    if (r.outcome == OpOutcome::kOk && r.served_by == *victim && run.sim().now() > TimePoint(seconds(5))) {
      check->ok = false;
      check->message = "the corrupt replica served a request";
    }
  };
  ScenarioResult r = run.run(nullptr);
  r.checks.insert(r.checks.begin(), *check);
  return r;
}

CheckResult no_failures(const KvRun& run, const char* name) {
  CheckResult c{name, true, ""};
  for (const auto& op : run.history().operations()) {
    if (!op.ok()) {
      c.ok = false;
      c.message = "operation " + check::describe(op) + " did not succeed";
      break;
    }
  }
  return c;
}

ScenarioResult node_add(const ScenarioOptions& o) {
  KvRunConfig c = base_config(o, "node-add", 3, seconds(15));
  const NodeId joiner = static_cast<NodeId>(c.nodes + 1);
  c.joiners = {joiner};
  KvRun run(o, c);
  auto check = std::make_shared<CheckResult>(CheckResult{"new-member-caught-up-then-voter", true, ""});
  run.sim().at(TimePoint(seconds(4)), "add a node", [&run, joiner, check] {
    run.start_joiner(joiner);
    run.change_membership({ChangeKind::kAddLearner, joiner}, seconds(5), [&run, joiner, check](bool ok) {
      if (!ok) { check->ok = false; check->message = "learner was never added"; return; }
      run.change_membership({ChangeKind::kPromote, joiner}, seconds(5), [&run, joiner, check](bool ok2) {
        RaftNode* l = run.raft(run.leader());
        RaftNode* j = run.raft(joiner);
        if (!ok2 || l == nullptr || j == nullptr) {
          check->ok = false;
          check->message = "learner was never promoted";
        } else if (j->applied_index() + 50 < l->commit_index()) {
          check->ok = false;
          check->message = "promoted before catching up";
        }
        run.metric("promoted_at_ms", to_seconds_f(run.sim().now().time_since_epoch()) * 1000);
      });
    });
  });
  ScenarioResult r = run.run(nullptr);
  RaftNode* l = run.raft(run.leader());
  if (check->ok && (l == nullptr || !l->membership().is_voter(joiner))) {
    check->ok = false;
    check->message = "the new node is not a voter at the end";
  }
  r.checks.insert(r.checks.begin(), {*check, no_failures(run, "no-failed-request")});
  return r;
}

ScenarioResult node_remove(const ScenarioOptions& o) {
  KvRunConfig c = base_config(o, "node-remove", 5, seconds(15));
  KvRun run(o, c);
  auto check = std::make_shared<CheckResult>(CheckResult{"removed-members-gone", true, ""});
  auto removed = std::make_shared<std::vector<NodeId>>();
  auto remove = [&run, check, removed](bool leader) {
    NodeId victim = run.leader();
    if (!leader) {
      for (NodeId n : run.node_ids()) {
        if (n != run.leader() && std::find(removed->begin(), removed->end(), n) == removed->end()) victim = n;
      }
    }
    removed->push_back(victim);
    run.change_membership({ChangeKind::kRemove, victim}, seconds(5), [check, victim](bool ok) {
      if (!ok) { check->ok = false; absl::StrAppend(&check->message, "node ", victim, " was never removed; "); }
    });
  };
  run.sim().at(TimePoint(seconds(4)), "remove a follower", [remove] { remove(false); });
  run.sim().at(TimePoint(seconds(8)), "remove the leader", [remove] { remove(true); });
  ScenarioResult r = run.run(nullptr);
  RaftNode* l = run.raft(run.leader());
  for (NodeId n : *removed) {
    if (l == nullptr || l->membership().contains(n)) {
      check->ok = false;
      absl::StrAppend(&check->message, "node ", n, " is still a member; ");
    }
  }
  r.checks.insert(r.checks.begin(), {*check, no_failures(run, "no-failed-request")});
  return r;
}

}  // namespace

std::vector<Scenario> kv_scenarios() {
  return {
      {"leader-election", "cold starts of a 3/5/7-node group: one leader within 5 s, never two in a term", 3,
       seconds(12), leader_election},
      {"leader-failover", "the leader is killed under load: writes again within 2 s, nothing acknowledged lost",
       5, seconds(30), leader_failover},
      {"split-brain", "partitions of every shape while clients write: a minority never commits", 5, seconds(30),
       split_brain},
      {"partition-heal", "a follower cut off while the log is compacted catches up by snapshot", 3, seconds(20),
       partition_heal},
      {"crash-recovery", "every node killed at once, repeatedly: nothing acknowledged is lost", 3, seconds(25),
       crash_recovery},
      {"disk-corruption", "a bit flipped in a replica's WAL is found, named, and never served", 3, seconds(15),
       disk_corruption},
      {"node-add", "a node joins under load as a learner, catches up, becomes a voter", 3, seconds(15), node_add},
      {"node-remove", "a follower then the leader are removed under load", 5, seconds(15), node_remove},
  };
}

}  // namespace shoal::scenarios
