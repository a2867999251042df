// health-basic: crashes, restarts, pauses and partitions against the health
// monitor. Parameters: heartbeat_interval, degraded_after_missed,
// unhealthy_after_missed, claimed_detection_bound, claimed_recovery_bound. Passes when every observer reports each cut-off or dead peer
// unhealthy within the detection bound, reports it healthy again within the
// recovery bound after it is back, and every boot counter counts every start.
#include <algorithm>
#include <map>

#include "absl/strings/str_cat.h"
#include "scenarios/cluster.h"
#include "scenarios/scenario.h"

namespace shoal::scenarios {
namespace {

constexpr Duration kQuietTail = seconds(5);
constexpr Duration kFirstFault = seconds(2);
constexpr size_t kViolationsShown = 3;

using Pair = std::pair<NodeId, NodeId>;  // (observer, peer)

// Ground truth: what each observer *should* see of each peer, as segments.
struct Segment {
  enum Kind { kObserverDown, kPeerDown, kPeerUp } kind;
  TimePoint start, end;
};

class Reachability {
 public:
  Reachability(sim::Simulation& sim, std::vector<NodeId> ids) : sim_(sim), ids_(std::move(ids)) {}

  // Call after anything that may change reachability, at the time it happens.
  void update() {
    for (NodeId o : ids_) {
      for (NodeId p : ids_) {
        if (o == p) continue;
        const Segment::Kind k = state(o, p);
        auto it = open_.find({o, p});
        if (it != open_.end() && it->second.kind == k) continue;
        if (it != open_.end()) close(it->first, it->second);
        open_[{o, p}] = Segment{k, sim_.now(), {}};
      }
    }
  }
  void finish() {
    for (auto& [pair, seg] : open_) close(pair, seg);
    open_.clear();
  }
  const std::map<Pair, std::vector<Segment>>& segments() const { return done_; }

 private:
  Segment::Kind state(NodeId o, NodeId p) const {
    if (!sim_.running(o) || sim_.paused(o)) return Segment::kObserverDown;
    if (!sim_.running(p) || sim_.paused(p) || sim_.is_cut(o, p) || sim_.is_cut(p, o)) {
      return Segment::kPeerDown;
    }
    return Segment::kPeerUp;
  }
  void close(const Pair& pair, Segment seg) {
    seg.end = sim_.now();
    if (seg.end > seg.start) done_[pair].push_back(seg);
  }

  sim::Simulation& sim_;
  std::vector<NodeId> ids_;
  std::map<Pair, Segment> open_;
  std::map<Pair, std::vector<Segment>> done_;
};

// What each observer reported, in virtual time.
class StatusLog {
 public:
  void record(NodeId o, NodeId p, TimePoint t, PeerStatus s) { log_[{o, p}].push_back({t, s}); }
  PeerStatus at(const Pair& pair, TimePoint t) const {
    PeerStatus s = PeerStatus::kUnknown;
    auto it = log_.find(pair);
    if (it == log_.end()) return s;
    for (const auto& [when, status] : it->second) {
      if (when > t) break;
      s = status;
    }
    return s;
  }
  // The first time in [from, to) the status became `s`, if it did.
  std::optional<TimePoint> first(const Pair& pair, PeerStatus s, TimePoint from, TimePoint to) const {
    if (at(pair, from) == s) return from;
    auto it = log_.find(pair);
    if (it == log_.end()) return std::nullopt;
    for (const auto& [when, status] : it->second) {
      if (when >= from && when < to && status == s) return when;
    }
    return std::nullopt;
  }
  bool changed_away(const Pair& pair, PeerStatus s, TimePoint from, TimePoint to) const {
    auto it = log_.find(pair);
    if (it == log_.end()) return false;
    for (const auto& [when, status] : it->second) {
      if (when > from && when < to && status != s) return true;
    }
    return false;
  }

 private:
  std::map<Pair, std::vector<std::pair<TimePoint, PeerStatus>>> log_;
};

// Schedules non-overlapping fault episodes, each followed by a heal.
void schedule_faults(sim::Simulation& sim, const std::vector<NodeId>& ids, Duration duration,
                     Reachability& reach, int& episodes) {
  Rng& rng = sim.rng();
  TimePoint t = TimePoint(kFirstFault);
  const TimePoint last = TimePoint(duration - kQuietTail);
  while (true) {
    const Duration length = rng.range(milliseconds(1500), milliseconds(4000));
    if (t + length >= last) break;
    const int kind = static_cast<int>(rng.below(5));
    const NodeId victim = rng.pick(ids);
    std::vector<NodeId> shuffled = ids;
    rng.shuffle(shuffled);
    const size_t cut_at = 1 + rng.below(ids.size() - 1);
    std::vector<NodeId> a(shuffled.begin(), shuffled.begin() + cut_at);
    std::vector<NodeId> b(shuffled.begin() + cut_at, shuffled.end());
    const NodeId other = shuffled[0] == victim ? shuffled[1] : shuffled[0];
    std::function<void()> fault, heal;
    switch (kind) {
      case 0: fault = [&sim, victim] { sim.crash(victim); };
              heal = [&sim, victim] { sim.restart(victim); }; break;
      case 1: fault = [&sim, victim] { sim.pause(victim); };
              heal = [&sim, victim] { sim.resume(victim); }; break;
      case 2: fault = [&sim, a, b] { sim.partition({a, b}); };
              heal = [&sim] { sim.heal_all_links(); }; break;
      case 3: fault = [&sim, victim, ids] {
                std::vector<NodeId> rest;
                for (NodeId n : ids) if (n != victim) rest.push_back(n);
                sim.partition({{victim}, rest});
              };
              heal = [&sim] { sim.heal_all_links(); }; break;
      default: fault = [&sim, victim, other] { sim.cut(victim, other); };
               heal = [&sim] { sim.heal_all_links(); }; break;
    }
    sim.at(t, "nemesis start", [fault, &reach] { fault(); reach.update(); });
    sim.at(t + length, "nemesis stop", [heal, &reach] { heal(); reach.update(); });
    ++episodes;
    t += length + rng.range(milliseconds(1000), milliseconds(2500));
  }
}

std::string pair_name(const Pair& p) { return absl::StrCat("node ", p.first, " about ", p.second); }

struct Verdicts {
  CheckResult detection{"unhealthy-within-detection-bound", true, ""};
  CheckResult recovery{"healthy-within-recovery-bound", true, ""};
  std::vector<double> detection_ms, recovery_ms;
  size_t detection_failures = 0, recovery_failures = 0;
};

void fail(CheckResult& c, size_t& count, const std::string& what) {
  c.ok = false;
  if (++count <= kViolationsShown) absl::StrAppend(&c.message, c.message.empty() ? "" : "; ", what);
}

struct Bounds {
  Duration detection, recovery;
};

Verdicts judge(const Reachability& reach, const StatusLog& log, const Bounds& b) {
  Verdicts v;
  const Duration bound = b.detection, rbound = b.recovery;
  for (const auto& [pair, segs] : reach.segments()) {
    for (const Segment& s : segs) {
      if (s.kind == Segment::kPeerDown) {
        if (auto t = log.first(pair, PeerStatus::kUnhealthy, s.start, s.end)) {
          v.detection_ms.push_back(to_seconds_f(*t - s.start) * 1000);
        }
        if (s.end - s.start >= bound && log.at(pair, s.start + bound) != PeerStatus::kUnhealthy) {
          fail(v.detection, v.detection_failures,
               absl::StrCat(pair_name(pair), " unreachable at ", format_time(s.start), ", still ",
                            to_string(log.at(pair, s.start + bound)), " after ",
                            format_duration(bound)));
        }
      } else if (s.kind == Segment::kPeerUp) {
        if (auto t = log.first(pair, PeerStatus::kHealthy, s.start, s.end)) {
          v.recovery_ms.push_back(to_seconds_f(*t - s.start) * 1000);
        }
        if (s.end - s.start < rbound) continue;
        const TimePoint due = s.start + rbound;
        if (log.at(pair, due) != PeerStatus::kHealthy || log.changed_away(pair, PeerStatus::kHealthy, due, s.end)) {
          fail(v.recovery, v.recovery_failures,
               absl::StrCat(pair_name(pair), " reachable from ", format_time(s.start),
                            " but not steadily healthy after ", format_duration(rbound)));
        }
      }
    }
  }
  return v;
}

double percentile(std::vector<double> xs, double q) {
  if (xs.empty()) return 0;
  std::sort(xs.begin(), xs.end());
  return xs[static_cast<size_t>(q * static_cast<double>(xs.size() - 1))];
}

ScenarioResult run_health_basic(const ScenarioOptions& opts) {
  const int n = opts.nodes.value_or(5);
  const Duration duration = opts.duration.value_or(seconds(60));
  if (n < 2) throw std::invalid_argument("health-basic needs at least 2 nodes");
  if (duration < kFirstFault + kQuietTail) throw std::invalid_argument("health-basic needs at least 7s");
  Params params(opts.params);
  HealthConfig hc;
  hc.heartbeat_interval = params.duration("heartbeat_interval", hc.heartbeat_interval);
  hc.degraded_after_missed = static_cast<int>(params.integer("degraded_after_missed", hc.degraded_after_missed, 1, 100));
  hc.unhealthy_after_missed = static_cast<int>(
      params.integer("unhealthy_after_missed", hc.unhealthy_after_missed, hc.degraded_after_missed + 1, 1000));
  // The bounds the checker holds the monitor to: by default the ones its
  // configuration promises; a test may claim tighter ones to prove the
  // checker fails a monitor that misses them.
  Bounds bounds{params.duration("claimed_detection_bound", hc.detection_bound()),
                params.duration("claimed_recovery_bound", hc.recovery_bound())};
  params.reject_unknown("health-basic");
  sim::Simulation sim(opts.seed, sim::SimOptions{.guard = opts.guard});
  if (opts.tracer) sim.set_tracer(opts.tracer);
  const std::vector<NodeId> ids = node_ids(n);
  StatusLog log;
  add_nodes(sim, n, [&sim, &log, ids, hc](NodeId self) {
    NodeConfig c;
    c.members = ids;
    c.health = hc;
    for (NodeId p : ids) if (p != self) log.record(self, p, sim.now(), PeerStatus::kUnknown);
    c.on_health_change = [&sim, &log, self](NodeId peer, const PeerHealth& h) {
      log.record(self, peer, sim.now(), h.status);
    };
    return c;
  });
  Reachability reach(sim, ids);
  reach.update();
  int episodes = 0;
  schedule_faults(sim, ids, duration, reach, episodes);
  sim.run_until(TimePoint(duration));
  reach.finish();

  ScenarioResult r;
  r.scenario = "health-basic";
  r.seed = opts.seed;
  r.nodes = n;
  Verdicts v = judge(reach, log, bounds);
  r.checks.push_back(v.detection);
  r.checks.push_back(v.recovery);

  CheckResult boots{"boot-counter-counts-every-start", true, ""};
  std::string not_healthy;
  for (NodeId id : ids) {
    auto* p = sim.process_as<NodeProcess>(id);
    if (p == nullptr) continue;
    const uint64_t expected = sim.incarnation(id) + 1;
    if (p->node().health().boot_count() != expected) {
      boots.ok = false;
      absl::StrAppend(&boots.message, "node ", id, " boot counter ", p->node().health().boot_count(),
                      " after ", expected, " starts; ");
    }
    for (const auto& [peer, h] : p->node().health().peers()) {
      if (h.boot_count != sim.incarnation(peer) + 1) {
        boots.ok = false;
        absl::StrAppend(&boots.message, "node ", id, " sees node ", peer, " at boot ", h.boot_count,
                        ", it is at ", sim.incarnation(peer) + 1, "; ");
      }
      if (h.status != PeerStatus::kHealthy) {
        absl::StrAppend(&not_healthy, "node ", id, " reports node ", peer, " ", to_string(h.status), "; ");
      }
    }
  }
  r.checks.push_back(boots);
  // Liveness: after the quiet tail every node sees every peer healthy again.
  if (!not_healthy.empty()) r.liveness = {"liveness", false, "after faults healed: " + not_healthy};

  r.trace_hash = sim.trace_hash();
  r.stats = sim.stats();
  r.virtual_time = sim.now().time_since_epoch();
  r.metrics["fault_episodes"] = episodes;
  r.metrics["detection_bound_ms"] = to_seconds_f(bounds.detection) * 1000;
  r.metrics["recovery_bound_ms"] = to_seconds_f(bounds.recovery) * 1000;
  r.metrics["detection_p50_ms"] = percentile(v.detection_ms, 0.5);
  r.metrics["detection_max_ms"] = percentile(v.detection_ms, 1.0);
  r.metrics["recovery_p50_ms"] = percentile(v.recovery_ms, 0.5);
  r.metrics["recovery_max_ms"] = percentile(v.recovery_ms, 1.0);
  return r;
}

}  // namespace

Scenario health_basic_scenario() {
  return Scenario{"health-basic",
                  "heartbeat health monitor under crashes, pauses and partitions: "
                  "status follows reality within its bounds",
                  5, seconds(60), run_health_basic};
}

}  // namespace shoal::scenarios
