#include "chaos/nemesis.h"

#include <algorithm>

#include "absl/strings/str_cat.h"

namespace shoal::chaos {

// Edge faults drift clocks this close to the bound the engine is promised.
constexpr double kEdgeDriftFraction = 0.999;

namespace {

std::string node_list(const std::vector<NodeId>& v) {
  std::string s;
  for (NodeId n : v) absl::StrAppend(&s, s.empty() ? "n" : ",n", n);
  return s;
}

std::string group_list(const std::vector<std::vector<NodeId>>& groups) {
  std::string s;
  for (const auto& g : groups) absl::StrAppend(&s, s.empty() ? "{" : " | {", node_list(g), "}");
  return s;
}

}  // namespace

Nemesis::Nemesis(sim::Simulation& sim, std::vector<NodeId> nodes, std::function<NodeId()> leader,
                 NemesisLimits limits)
    : sim_(sim), nodes_(std::move(nodes)), leader_(std::move(leader)), limits_(limits),
      base_link_(sim.options().link) {
  std::sort(nodes_.begin(), nodes_.end());
}

void Nemesis::schedule(const std::vector<Fault>& faults) {
  for (const Fault& f : faults) {
    sim_.at(TimePoint(f.at), absl::StrCat("nemesis ", kind_name(f.kind)), [this, f] { apply(f); });
  }
}

NodeId Nemesis::leader_or(Rng& pick) {
  const NodeId l = leader_();
  return l != kNoNode ? l : pick.pick(nodes_);
}

std::vector<NodeId> Nemesis::shuffled(Rng& pick) const {
  std::vector<NodeId> v = nodes_;
  pick.shuffle(v);
  return v;
}

void Nemesis::window(const Fault& f, std::string detail, std::function<void()> revert) {
  applied_.push_back({sim_.now(), sim_.now() + f.length, f.kind, std::move(detail)});
  sim_.note(kNoNode, "nemesis", absl::StrCat(kind_name(f.kind), " for ", format_duration(f.length), ": ",
                                             applied_.back().detail));
  if (!revert) return;
  sim_.after(f.length, absl::StrCat("nemesis end ", kind_name(f.kind)), [this, revert = std::move(revert)] {
    if (!stopped_) revert();
  });
}

std::vector<Nemesis::Link> Nemesis::cuts_between(const std::vector<std::vector<NodeId>>& groups) {
  std::vector<Link> links;
  for (size_t i = 0; i < groups.size(); ++i) {
    for (size_t j = 0; j < groups.size(); ++j) {
      if (i == j) continue;
      for (NodeId a : groups[i]) {
        for (NodeId b : groups[j]) links.emplace_back(a, b);
      }
    }
  }
  return links;
}

void Nemesis::cut_links(const std::vector<Link>& links) {
  for (const Link& l : links) {
    if (cuts_[l]++ == 0) sim_.cut(l.first, l.second);
  }
}

void Nemesis::heal_links(const std::vector<Link>& links) {
  for (const Link& l : links) {
    if (--cuts_[l] == 0) {
      cuts_.erase(l);
      sim_.heal(l.first, l.second);
    }
  }
}

void Nemesis::take_down(NodeId node) {
  if (down_[node]++ == 0) sim_.crash(node);
}

void Nemesis::bring_up(NodeId node) {
  if (--down_[node] > 0) return;
  down_.erase(node);
  sim_.restart(node);
}

void Nemesis::refresh_links() {
  sim::LinkConfig c = base_link_;
  for (const auto& [salt, b] : bursts_) {
    c.loss_probability = std::max(c.loss_probability, b.loss_probability);
    c.duplicate_probability = std::max(c.duplicate_probability, b.duplicate_probability);
    c.reorder_probability = std::max(c.reorder_probability, b.reorder_probability);
    c.reorder_delay_max = std::max(c.reorder_delay_max, b.reorder_delay_max);
  }
  sim_.set_all_links(c);
}

void Nemesis::corrupt_at_rest(NodeId node, Rng& pick, std::string* detail) {
  std::vector<std::string> files;
  for (const auto& [path, f] : sim_.disk_state(node).files) {
    if (path.rfind("raft/", 0) == 0 && f->data.size() >= 1024) files.push_back(path);
  }
  if (files.empty()) {
    *detail = absl::StrCat("n", node, ": no replica file large enough, nothing flipped");
    return;
  }
  std::sort(files.begin(), files.end());  // the map's order is not stable
  const std::string& path = pick.pick(files);
  // In the first half of the file: corruption of data at rest, not a torn
  // tail (which recovery rightly treats as an unfinished write).
  const uint64_t size = sim_.disk_state(node).files.at(path)->data.size();
  const uint64_t offset = pick.below(size / 2);
  const int bit = static_cast<int>(pick.below(8));
  // The replica meets the damage when it next opens its storage.
  const bool was_up = sim_.running(node) && down_.count(node) == 0;
  if (was_up) sim_.crash(node);
  sim_.flip_bit(node, path, offset, bit);
  if (was_up) sim_.restart(node);
  damaged_.insert(node);
  *detail = absl::StrCat("n", node, " ", path, " offset ", offset, " bit ", bit);
}

void Nemesis::apply(const Fault& f) {
  if (stopped_) return;
  Rng pick(f.salt);
  const size_t n = nodes_.size();
  switch (f.kind) {
    case FaultKind::kPartitionHalves:
    case FaultKind::kIsolateLeader:
    case FaultKind::kBridge: {
      std::vector<NodeId> v = shuffled(pick);
      std::vector<std::vector<NodeId>> groups;
      if (f.kind == FaultKind::kIsolateLeader) {
        const NodeId l = leader_or(pick);
        std::vector<NodeId> rest;
        for (NodeId x : nodes_) {
          if (x != l) rest.push_back(x);
        }
        groups = {{l}, rest};
      } else {
        // A bridge leaves v[0] out of both sides: it reaches everyone.
        const size_t skip = f.kind == FaultKind::kBridge ? 1 : 0;
        const auto mid = v.begin() + static_cast<std::ptrdiff_t>(skip + (n - skip) / 2);
        groups = {{v.begin() + static_cast<std::ptrdiff_t>(skip), mid}, {mid, v.end()}};
      }
      const auto links = cuts_between(groups);
      cut_links(links);
      window(f, group_list(groups) + (f.kind == FaultKind::kBridge ? absl::StrCat(" bridged by n", v[0]) : ""),
             [this, links] { heal_links(links); });
      break;
    }
    case FaultKind::kMajorityRing: {
      std::vector<NodeId> v = shuffled(pick);
      std::vector<Link> links;
      for (size_t i = 0; i < n; ++i) {
        for (size_t j = 0; j < n; ++j) {
          const size_t d = (i + n - j) % n;
          if (i != j && d != 1 && d != n - 1) links.emplace_back(v[i], v[j]);
        }
      }
      cut_links(links);
      window(f, "ring " + node_list(v), [this, links] { heal_links(links); });
      break;
    }
    case FaultKind::kOneWay: {
      const NodeId l = leader_or(pick);
      std::vector<Link> links;
      for (NodeId x : shuffled(pick)) {
        if (x != l && links.size() < n / 2) links.emplace_back(l, x);
      }
      cut_links(links);
      std::vector<NodeId> deaf;
      for (const Link& k : links) deaf.push_back(k.second);
      window(f, absl::StrCat("n", l, " cannot send to ", node_list(deaf)), [this, links] { heal_links(links); });
      break;
    }
    case FaultKind::kClogLink: {
      std::vector<NodeId> v = shuffled(pick);
      if (n < 2) break;
      sim_.clog_link(v[0], v[1], f.length);
      window(f, absl::StrCat("n", v[0], "->n", v[1]), nullptr);
      break;
    }
    case FaultKind::kClogNode: {
      const NodeId x = pick.pick(nodes_);
      sim_.clog_node(x, f.length);
      window(f, absl::StrCat("n", x), nullptr);
      break;
    }
    case FaultKind::kLossBurst:
    case FaultKind::kDuplicateBurst:
    case FaultKind::kReorderBurst: {
      sim::LinkConfig b;
      std::string detail;
      if (f.kind == FaultKind::kLossBurst) {
        b.loss_probability = 0.05 + 0.25 * pick.real01();
        detail = absl::StrCat("loss ", b.loss_probability);
      } else if (f.kind == FaultKind::kDuplicateBurst) {
        b.duplicate_probability = 0.05 + 0.25 * pick.real01();
        detail = absl::StrCat("duplicates ", b.duplicate_probability);
      } else {
        b.reorder_probability = 0.1 + 0.4 * pick.real01();
        b.reorder_delay_max = pick.range(milliseconds(20), milliseconds(200));
        detail = absl::StrCat("reorder ", b.reorder_probability, " up to ", format_duration(b.reorder_delay_max));
      }
      bursts_[f.salt] = b;
      refresh_links();
      window(f, detail, [this, salt = f.salt] {
        bursts_.erase(salt);
        refresh_links();
      });
      break;
    }
    case FaultKind::kKillOne:
    case FaultKind::kKillMinority:
    case FaultKind::kKillAll: {
      std::vector<NodeId> victims = shuffled(pick);
      if (f.kind == FaultKind::kKillOne) {
        victims.resize(1);
        if (pick.chance(0.5)) victims[0] = leader_or(pick);
      } else if (f.kind == FaultKind::kKillMinority) {
        victims.resize(std::max<size_t>(1, (n - 1) / 2));
      }
      for (NodeId x : victims) take_down(x);
      window(f, node_list(victims), [this, victims] {
        for (NodeId x : victims) bring_up(x);
      });
      break;
    }
    case FaultKind::kRollingRestart: {
      const std::vector<NodeId> order = shuffled(pick);
      const Duration slice = f.length / static_cast<int64_t>(std::max<size_t>(n, 1));
      for (size_t i = 0; i < order.size(); ++i) {
        const NodeId x = order[i];
        const TimePoint down_at = sim_.now() + slice * static_cast<int64_t>(i);
        sim_.at(down_at, "nemesis rolling down", [this, x] {
          if (!stopped_) take_down(x);
        });
        sim_.at(down_at + slice, "nemesis rolling up", [this, x] {
          if (!stopped_) bring_up(x);
        });
      }
      window(f, "in order " + node_list(order), nullptr);
      break;
    }
    case FaultKind::kPause: {
      const NodeId x = pick.chance(0.5) ? leader_or(pick) : pick.pick(nodes_);
      if (paused_[x]++ == 0) sim_.pause(x);
      window(f, absl::StrCat("n", x), [this, x] {
        if (--paused_[x] == 0) {
          paused_.erase(x);
          sim_.resume(x);
        }
      });
      break;
    }
    case FaultKind::kBitFlip: {
      std::vector<NodeId> candidates;
      if (damaged_.size() < limits_.damage_budget) {
        candidates = nodes_;
      } else {
        candidates.assign(damaged_.begin(), damaged_.end());
      }
      std::string detail = "no damage budget: nothing flipped";
      if (!candidates.empty()) corrupt_at_rest(pick.pick(candidates), pick, &detail);
      window(f, detail, nullptr);
      break;
    }
    case FaultKind::kWipeDisk: {
      // A wiped replica rebuilds from its peers, but until it has, its data
      // is gone: it counts against the damage budget like a corrupt one.
      std::vector<NodeId> candidates = nodes_;
      if (damaged_.size() >= limits_.damage_budget) candidates.assign(damaged_.begin(), damaged_.end());
      if (candidates.empty()) {
        window(f, "no damage budget: nothing wiped", nullptr);
        break;
      }
      const NodeId x = pick.pick(candidates);
      damaged_.insert(x);
      take_down(x);
      sim_.wipe_disk(x);
      window(f, absl::StrCat("n", x), [this, x] { bring_up(x); });
      break;
    }
    case FaultKind::kReadCorruption:
    case FaultKind::kDiskFull: {
      const NodeId x = pick.pick(nodes_);
      const double p = 0.001 + 0.01 * pick.real01();
      // The node restarts into the fault (a read fault meets recovery's
      // reads) and, once it is over, out of it, as an operator would after
      // freeing space or replacing a cable.
      auto bounce = [this, x] {
        if (sim_.running(x) && down_.count(x) == 0) {
          sim_.crash(x);
          sim_.restart(x);
        }
      };
      auto set = [this, x, kind = f.kind, p](bool on) {
        if (kind == FaultKind::kDiskFull) return sim_.set_disk_full(x, on);
        sim::DiskConfig c = sim_.disk_state(x).config;
        c.read_corruption_probability = on ? p : 0;
        sim_.set_disk(x, c);
      };
      set(true);
      if (f.kind == FaultKind::kReadCorruption) bounce();
      window(f, f.kind == FaultKind::kDiskFull ? absl::StrCat("n", x) : absl::StrCat("n", x, " p=", p),
             [set, bounce] {
               set(false);
               bounce();
             });
      break;
    }
    case FaultKind::kSlowSync: {
      const NodeId x = pick.pick(nodes_);
      const double factor = static_cast<double>(pick.range(10, 100));
      sim_.slow_sync(x, factor);
      window(f, absl::StrCat("n", x, " x", factor), [this, x] { sim_.slow_sync(x, 1); });
      break;
    }
    case FaultKind::kClockOffset:
    case FaultKind::kClockJump: {
      const NodeId x = pick.pick(nodes_);
      const Duration d = f.kind == FaultKind::kClockOffset ? pick.range(seconds(60), seconds(48 * 3600))
                                                          : pick.range(milliseconds(50), seconds(5));
      sim_.jump_clock(x, d);
      window(f, absl::StrCat("n", x, " +", format_duration(d)), nullptr);
      break;
    }
    case FaultKind::kClockDrift: {
      const NodeId x = pick.pick(nodes_);
      const double d = limits_.clock_drift_max * 0.9 * (2 * pick.real01() - 1);
      set_drift(x, d);
      window(f, absl::StrCat("n", x, " drift ", d), [this, x] { clear_drift(x); });
      break;
    }
    case FaultKind::kClockDriftEdge: {
      // Just inside the bound (the engine is promised no more), leader slow,
      // everyone else fast: the widest gap between its lease and the voters'
      // promise to ignore candidates.
      const NodeId l = leader_or(pick);
      set_edge_drifts(l);
      window(f, absl::StrCat("n", l, " slow, the rest fast, by ", limits_.clock_drift_max * kEdgeDriftFraction),
             [this] {
               for (NodeId x : nodes_) clear_drift(x);
             });
      break;
    }
    case FaultKind::kLeaseEdge: {
      // The drift edge, and the leader cut off from the other nodes and half
      // the clients, again and again: whether a new leader wins before the
      // old one's lease ends is a race of a few milliseconds, so one fault
      // window gives it many tries. A cycle under way when the window ends
      // runs to its end (a cut shorter than an election tries nothing).
      lease_window_open_ = true;
      window(f, "the leader, slow by the drift edge, cut off again and again",
             [this] { lease_window_open_ = false; });
      if (lease_links_.empty()) lease_edge_cycle(++lease_generation_, f.salt, 0);
      break;
    }
    case FaultKind::kLeaderMinority: {
      const NodeId l = leader_or(pick);
      std::vector<NodeId> rest;
      NodeId buddy = kNoNode;
      for (NodeId x : shuffled(pick)) {
        if (x == l) continue;
        if (buddy == kNoNode) buddy = x; else rest.push_back(x);
      }
      std::vector<std::vector<NodeId>> groups{{l}, rest};
      if (buddy != kNoNode) groups[0].push_back(buddy);
      const auto links = cuts_between(groups);
      cut_links(links);
      window(f, group_list(groups), [this, links] { heal_links(links); });
      break;
    }
    case FaultKind::kLeaderFlap: {
      window(f, "each new leader cut off moments after it wins", nullptr);
      flap_leaders(sim_.now() + f.length, f.salt, 0);
      break;
    }
    case FaultKind::kCrashMidSync: {
      window(f, "one node after another crashes during a sync and returns within moments", [this] {
        ++trap_generation_;  // the chain stops here
        for (NodeId x : nodes_) sim_.crash_in_next_sync(x, nullptr);
      });
      trap_syncs(sim_.now() + f.length, f.salt, 0);
      break;
    }
  }
}

void Nemesis::set_drift(NodeId node, double drift) {
  drift_[node] = drift;
  sim_.set_clock(node, {sim_.clock_offset(node), drift});
}

void Nemesis::clear_drift(NodeId node) {
  drift_.erase(node);
  sim_.set_clock(node, {sim_.clock_offset(node), 0});
}

void Nemesis::flap_leaders(TimePoint until, uint64_t salt, uint64_t step) {
  if (stopped_ || sim_.now() >= until) return;
  Rng pick(hash_combine(salt, step));
  const NodeId l = leader_();
  Duration next = milliseconds(1);
  if (l != kNoNode && l != flapped_) {
    // A leader that just won loses the cluster a moment after it may have
    // appended (its no-op, a client's write, an old entry sent on): either
    // it is cut off but for one follower, or it crashes and comes back.
    flapped_ = l;
    const Duration delay = pick.range(Duration(0), milliseconds(15));
    const Duration hold = pick.range(milliseconds(100), milliseconds(600));
    if (pick.chance(0.5)) {
      sim_.after(delay, "nemesis leader-flap crash", [this, l, hold] {
        if (stopped_) return;
        take_down(l);
        sim_.after(hold, "nemesis leader-flap restart", [this, l] {
          if (!stopped_) bring_up(l);
        });
      });
    } else {
      std::vector<NodeId> rest;
      NodeId buddy = kNoNode;
      for (NodeId x : shuffled(pick)) {
        if (x == l) continue;
        if (buddy == kNoNode && pick.chance(0.5)) buddy = x; else rest.push_back(x);
      }
      std::vector<std::vector<NodeId>> groups{{l}, rest};
      if (buddy != kNoNode) groups[0].push_back(buddy);
      const auto links = cuts_between(groups);
      sim_.after(delay, "nemesis leader-flap cut", [this, links, hold] {
        if (stopped_) return;
        cut_links(links);
        sim_.after(hold, "nemesis leader-flap heal", [this, links] {
          if (!stopped_) heal_links(links);
        });
      });
    }
    next = delay + milliseconds(1);
  }
  sim_.after(next, "nemesis leader-flap watch", [this, until, salt, step] { flap_leaders(until, salt, step + 1); });
}

void Nemesis::set_edge_drifts(NodeId leader) {
  const double edge = limits_.clock_drift_max * kEdgeDriftFraction;
  for (NodeId x : nodes_) set_drift(x, x == leader ? -edge : edge);
}

void Nemesis::lease_edge_cycle(uint64_t generation, uint64_t salt, uint64_t step) {
  if (stopped_ || generation != lease_generation_) return;
  if (!lease_window_open_) {
    for (NodeId x : nodes_) clear_drift(x);
    return;
  }
  Rng pick(hash_combine(salt, step));
  const NodeId l = leader_();
  if (l == kNoNode) {
    sim_.after(milliseconds(20), "nemesis lease-edge wait for a leader",
               [this, generation, salt, step] { lease_edge_cycle(generation, salt, step + 1); });
    return;
  }
  // The drifts first: election timers and leases already running were
  // measured at the old rates, so the cut waits until both were renewed
  // (a few heartbeats) under the new ones.
  set_edge_drifts(l);
  const Duration renew = limits_.election_timeout_min / 2;
  sim_.after(renew, "nemesis lease-edge cut", [this, generation, salt, step, l] {
    if (stopped_ || generation != lease_generation_) return;
    lease_edge_cut(generation, salt, step, l);
  });
}

void Nemesis::lease_edge_cut(uint64_t generation, uint64_t salt, uint64_t step, NodeId l) {
  Rng pick(hash_combine(salt, step) ^ 0x1ea5e);
  // The other nodes go, and so do half the clients: those time out, find
  // the new leader and write there, while the rest keep reading from the
  // old one for as long as its lease lets it.
  std::vector<NodeId> rest;
  for (NodeId x : nodes_) {
    if (x != l) rest.push_back(x);
  }
  for (NodeId c : sim_.process_ids()) {
    if (is_client_id(c) && pick.chance(0.5)) rest.push_back(c);
  }
  lease_links_ = cuts_between({{l}, rest});
  cut_links(lease_links_);
  // Long enough for the others to elect a leader (their timeouts are drawn
  // from [min, 2 min)); then a pause for the new one to settle in.
  const Duration timeout = limits_.election_timeout_min;
  const Duration hold = timeout + pick.range(timeout / 4, timeout * 3 / 2);
  const Duration gap = pick.range(timeout / 2, timeout);
  sim_.after(hold, "nemesis lease-edge heal", [this, generation, salt, step, gap] {
    if (stopped_ || generation != lease_generation_) return;
    heal_links(lease_links_);
    lease_links_.clear();
    sim_.after(gap, "nemesis lease-edge next",
               [this, generation, salt, step] { lease_edge_cycle(generation, salt, step + 1); });
  });
}

void Nemesis::trap_syncs(TimePoint until, uint64_t salt, uint64_t step) {
  if (stopped_) return;
  // One chain of traps at a time: a newer call retires the older one.
  const uint64_t generation = ++trap_generation_;
  for (NodeId x : nodes_) sim_.crash_in_next_sync(x, nullptr);
  if (sim_.now() >= until) return;
  Rng pick(hash_combine(salt, step));
  // The leader a third of the time (it counts its own copy toward a
  // quorum), any node otherwise (followers vote and acknowledge). Half the
  // trapped syncs are stretched, so that answers from others, a commit, a
  // reply to a client can come while the trapped one is still in flight.
  const NodeId leader = leader_();
  const NodeId x = leader != kNoNode && pick.chance(1.0 / 3) ? leader : pick.pick(nodes_);
  const Duration down_for = pick.range(milliseconds(1), milliseconds(80));
  const double stretch = pick.chance(0.5) ? 1 : 5 + 45 * pick.real01();
  sim_.crash_in_next_sync(x, [this, x, down_for, until, salt, step, generation] {
    ++down_[x];  // the simulator crashed it
    sim_.after(down_for, "nemesis crash-mid-sync restart", [this, x] {
      if (stopped_) {
        sim_.restart(x);  // crashed as the faults were healed
      } else {
        bring_up(x);
      }
    });
    if (trap_generation_ == generation) trap_syncs(until, salt, step + 1);
  }, stretch);
  // A node that syncs nothing for a while (idle, down, cut off) does not
  // hold the fault up: the trap moves on.
  sim_.after(pick.range(milliseconds(20), milliseconds(200)), "nemesis crash-mid-sync move",
             [this, until, salt, step, generation] {
               if (trap_generation_ == generation) trap_syncs(until, salt, step + 1);
             });
}

void Nemesis::stop() {
  if (stopped_) return;
  stopped_ = true;
  for (NodeId x : nodes_) sim_.crash_in_next_sync(x, nullptr);
  sim_.note(kNoNode, "nemesis", "stop: every fault healed");
  for (const auto& [link, count] : cuts_) sim_.heal(link.first, link.second);
  cuts_.clear();
  bursts_.clear();
  refresh_links();
  for (NodeId x : nodes_) {
    sim::DiskConfig c = sim_.disk_state(x).config;
    if (c.read_corruption_probability != 0) {
      c.read_corruption_probability = 0;
      sim_.set_disk(x, c);
      if (sim_.running(x)) sim_.crash(x);
    }
    if (sim_.disk_state(x).full) {
      sim_.set_disk_full(x, false);
      if (sim_.running(x)) sim_.crash(x);
    }
    sim_.slow_sync(x, 1);
    if (drift_.count(x)) sim_.set_clock(x, {sim_.clock_offset(x), 0});
    if (sim_.paused(x)) sim_.resume(x);
    if (!sim_.running(x)) sim_.restart(x);
  }
  drift_.clear();
  down_.clear();
  paused_.clear();
  for (AppliedFault& a : applied_) a.end = std::min(a.end, sim_.now());
}

}  // namespace shoal::chaos
