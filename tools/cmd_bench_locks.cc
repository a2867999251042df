// `shoal bench locks`: acquire/release pairs per second through a KV group's
// lock table, in the simulator.
//
// Three simulated nodes host group 0 on the simulator's default links
// (0.5-5 ms one way) and disks (syncs of 0.1-2 ms). Once the group has a
// leader, lockers start: each acquires the resource (LockClient, waiting as
// long as it takes), holds it for --hold, releases it, and asks again at
// once. Two runs: one locker on one resource (uncontended), then --contenders
// lockers on one resource. Every figure is in virtual time — pairs per
// virtual second, acquire latency from the first ask to the grant (waiting
// included) — so it measures the protocol on the simulated network, not this
// machine; the wall time is printed beside it. Contended, a locker that
// finds the lock held asks again after a random 20-200 ms pause
// (LockClientOptions::retry_min/max), so fairness is reported as the fewest
// and the most grants any one locker got. A benchmark: nothing is asserted.
#include <algorithm>
#include <cstdio>
#include <iostream>
#include <memory>

#include <boost/json.hpp>

#include "engine/client/lock_client.h"
#include "scenarios/cluster.h"
#include "tools/cli_util.h"
#include "tools/command.h"

namespace shoal::tools {
namespace {

namespace json = boost::json;

constexpr int kNodes = 3;
constexpr int kContendersMax = 1000;
constexpr Duration kLeaderWaitMax = seconds(30);
constexpr NodeId kLockerIdBase = kClientIdBase + 1;

struct LockBenchFlags {
  std::string duration = "10s", hold = "0s", ttl = "5s";
  int contenders = 50;
  uint64_t seed = 1;
  bool json = false;
};

// What one run measured, shared by its lockers.
struct LockBenchRun {
  sim::Simulation* sim = nullptr;
  TimePoint stop_at{};
  Duration ttl{0}, hold{0};
  std::vector<double> acquire_ms;  // virtual, first ask to grant
  std::vector<uint64_t> grants;    // per locker
  uint64_t pairs = 0, unlocked = 0, failed = 0;
  bool open() const { return sim->now() < stop_at; }
};

// One locker: acquire, hold, release, again, until the run closes.
class Locker final : public sim::Process {
 public:
  Locker(Env& env, LockBenchRun& run, size_t index, KvClientOptions options)
      : run_(run), index_(index), kv_(env, std::move(options)), locks_(env, kv_, "locker" + std::to_string(index)),
        timer_(env.clock()) {
    acquire();
  }

 private:
  void acquire() {
    if (!run_.open()) return;
    const TimePoint asked = run_.sim->now();
    locks_.acquire("r0", run_.ttl, hours(1), [this, asked](const LockResult& r) {
      if (!r.grant) {
        ++run_.failed;
        // A failed ask (no leader for a moment) is asked again after a pause.
        return timer_.arm(milliseconds(50), [this] { acquire(); });
      }
      if (run_.open()) {
        run_.acquire_ms.push_back(to_seconds_f(run_.sim->now() - asked) * 1e3);
        ++run_.grants[index_];
      }
      timer_.arm(run_.hold, [this, grant = *r.grant] { release(grant); });
    });
  }

  void release(const LockGrant& grant) {
    locks_.release(grant, [this](const LockResult& r) {
      const bool released = r.outcome == OpOutcome::kOk && r.code == kv::Code::kOk;
      if (released && run_.open()) ++run_.pairs;
      if (!released) ++run_.unlocked;
      acquire();
    });
  }

  LockBenchRun& run_;
  size_t index_;
  KvClient kv_;
  LockClient locks_;
  TimerSlot timer_;
};

// One run of `lockers` lockers on one resource; its figures as JSON.
std::optional<json::object> run_lockers(const LockBenchFlags& f, int lockers, Duration duration, Duration hold,
                                        Duration ttl) {
  // The run outlives the simulation, whose lockers refer to it.
  LockBenchRun run;
  sim::Simulation sim(f.seed);
  const std::vector<NodeId> nodes = scenarios::node_ids(kNodes);
  scenarios::add_nodes(sim, kNodes, [&nodes](NodeId) { return scenarios::kv_node_config(nodes, {0}); });
  if (!sim.run_until([&] { return scenarios::serving_leader(sim, nodes, 0) != kNoNode; }, sim.now() + kLeaderWaitMax)) {
    return std::nullopt;
  }
  run.sim = &sim;
  run.stop_at = sim.now() + duration;
  run.ttl = ttl;
  run.hold = hold;
  run.grants.assign(static_cast<size_t>(lockers), 0);
  const double wall_start = wall_seconds();
  for (int i = 0; i < lockers; ++i) {
    KvClientOptions o;
    o.nodes = nodes;
    o.client_id = 1 + static_cast<uint64_t>(i);
    sim.add_process(kLockerIdBase + static_cast<NodeId>(i), "locker" + std::to_string(i), [&run, i, o](Env& env) {
      return std::make_unique<Locker>(env, run, static_cast<size_t>(i), o);
    });
  }
  sim.run_until(run.stop_at);
  const auto [fewest, most] = std::minmax_element(run.grants.begin(), run.grants.end());
  return json::object{{"lockers", lockers},
                      {"virtual_seconds", to_seconds_f(duration)},
                      {"wall_seconds", wall_seconds() - wall_start},
                      {"pairs", run.pairs},
                      {"pairs_per_second", static_cast<double>(run.pairs) / to_seconds_f(duration)},
                      {"acquire_ms_p50", percentile(run.acquire_ms, 0.50)},
                      {"acquire_ms_p99", percentile(run.acquire_ms, 0.99)},
                      {"grants_min", *fewest},
                      {"grants_max", *most},
                      {"acquire_failures", run.failed},
                      {"release_refusals", run.unlocked}};
}

void print_row(const char* name, const json::object& r) {
  std::printf("%-12s lockers %3lld  virtual %.0fs  pairs %6llu  pairs/s %8.1f  acquire p50 %7.2fms p99 %8.2fms"
              "  grants per locker min %llu max %llu  (wall %.2fs)\n",
              name, static_cast<long long>(r.at("lockers").as_int64()), r.at("virtual_seconds").as_double(),
              static_cast<unsigned long long>(r.at("pairs").as_uint64()), r.at("pairs_per_second").as_double(),
              r.at("acquire_ms_p50").as_double(), r.at("acquire_ms_p99").as_double(),
              static_cast<unsigned long long>(r.at("grants_min").as_uint64()),
              static_cast<unsigned long long>(r.at("grants_max").as_uint64()), r.at("wall_seconds").as_double());
}

int bench(const LockBenchFlags& f) {
  const auto duration = parse_duration(f.duration);
  const auto hold = parse_duration(f.hold);
  const auto ttl = parse_duration(f.ttl);
  if (!duration || *duration < seconds(1) || *duration > hours(1)) return usage_error("--duration must be 1s..1h");
  if (!hold || *hold > minutes(1)) return usage_error("--hold must be 0s..1m");
  if (!ttl || *ttl < milliseconds(1) || *ttl > milliseconds(kv::kMaxLockTtlMs)) {
    return usage_error("--ttl must be 1ms..24h");
  }
  if (f.contenders < 2 || f.contenders > kContendersMax) return usage_error("--contenders must be 2..1000");
  json::object out;
  const std::pair<const char*, int> runs[] = {{"uncontended", 1}, {"contended", f.contenders}};
  for (const auto& [name, lockers] : runs) {
    const auto r = run_lockers(f, lockers, *duration, *hold, *ttl);
    if (!r) {
      std::cerr << "shoal: bench locks: the group elected no leader in " << format_duration(kLeaderWaitMax) << "\n";
      return kExitLiveness;
    }
    if (!f.json) print_row(name, *r);
    out[name] = *r;
  }
  if (f.json) std::cout << json::serialize(out) << "\n";
  return kExitPass;
}

CommandRegistration reg("bench-locks", [](CLI::App& root) {
  CLI::App& b = group(root, "bench", "benchmarks (figures are printed, never asserted)");
  auto f = std::make_shared<LockBenchFlags>();
  CLI::App* s =
      b.add_subcommand("locks", "lock acquire/release pairs per virtual second, latency, fairness (simulated)");
  s->add_option("--duration", f->duration, "virtual time each run measures")->capture_default_str();
  s->add_option("--contenders", f->contenders, "lockers on the one resource in the contended run")
      ->capture_default_str();
  s->add_option("--hold", f->hold, "virtual time a locker holds the lock before releasing")->capture_default_str();
  s->add_option("--ttl", f->ttl, "each lease's ttl")->capture_default_str();
  s->add_option("--seed", f->seed, "the simulation's seed")->check(seed_validator())->capture_default_str();
  s->add_flag("--json", f->json, "print the figures as JSON instead");
  set_action(*s, [f] { return bench(*f); });
});

}  // namespace
}  // namespace shoal::tools
