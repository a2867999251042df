// `shoal bench watch`: how soon watchers hear of a change, in the simulator.
//
// Three simulated nodes host KV group 0 on the simulator's default links
// (0.5-5 ms one way) and disks (syncs of 0.1-2 ms). Once the group has a
// leader, --watchers watchers start, each a WatchClient on its own process
// following every key under "w/" through one node: watcher i polls node
// i mod 3, so about a third of them poll the leader and the rest followers.
// Then one writer puts keys under the prefix at --rate puts per virtual
// second for --duration, and the run goes on until every watcher has
// received the last acknowledged put (for at most kDrainMax more). With
// --unwatched-rate, a second writer puts keys under "u/" beside it: changes
// no watcher covers, which every replica must still look at for its parked
// watches — the load of a store where watches follow a small corner.
//
// An event's latency is the virtual time from the first apply of the put's
// log entry on any replica to the watcher's callback receiving it. The first
// apply (the leader's, in practice) is the earliest moment any watch could
// see the change; timing from there leaves out the put's own replication and
// commit, which the writer's invoke would mostly measure, and keeps all that
// is the watch's: a follower learning of the commit, a parked poll waking,
// the answer's trip back and the client. The wall time is printed beside it:
// the virtual figures measure the protocol on the simulated network, the
// wall time what the replicas' watch handling costs this machine.
//
// The delivery is checked before any figure is printed: every watcher must
// have received every acknowledged put exactly once, in revision order, with
// the key and value written. A run that fails this says what went wrong and
// exits 1 without figures. Speed is never asserted.
#include <algorithm>
#include <cstdio>
#include <iostream>
#include <memory>

#include <boost/json.hpp>

#include "engine/client/kv_client.h"
#include "engine/client/watch_client.h"
#include "engine/core/assert.h"
#include "scenarios/cluster.h"
#include "tools/cli_util.h"
#include "tools/command.h"

namespace shoal::tools {
namespace {

namespace json = boost::json;

constexpr int kNodes = 3;
constexpr int kWatchersMax = 2000;
constexpr int kRateMax = 5000;
// Events the run may owe (puts × watchers): each one's latency is kept.
constexpr double kExpectedEventsMax = 20e6;
// The writer's sessions: a put waits for a free one, so this bounds the puts
// in flight; a tick that finds none free is skipped and counted.
constexpr size_t kWriterSessions = 128;
// Puts cycle over this many keys, so the store stays small however long the run.
constexpr uint64_t kKeysDistinct = 1000;
constexpr size_t kProblemsShownMax = 10;
constexpr Duration kLeaderWaitMax = seconds(30);
constexpr Duration kDrainMax = seconds(30);
constexpr NodeId kWriterId = kClientIdBase + 1;
constexpr NodeId kUnwatchedWriterId = kClientIdBase + 2;
constexpr NodeId kWatcherIdBase = kClientIdBase + 100;
constexpr uint64_t kUnwatchedSessionBase = 1'000'000;
const std::string kPrefix = "w/";
const std::string kUnwatchedPrefix = "u/";

struct WatchBenchFlags {
  std::string duration = "10s";
  int rate = 200;
  int unwatched_rate = 0;
  int watchers = 10;
  uint64_t seed = 1;
  bool json = false;
};

struct Delivery {
  kv::WatchEvent event;
  TimePoint at{};  // virtual
};

// One writer's puts: under the watched prefix, or under one no watcher
// covers (each of those still wakes every parked watch on every replica).
struct PutStream {
  std::string prefix;
  Duration interval{0};
  uint64_t issued = 0, acked = 0, failed = 0, skipped = 0, in_flight = 0;
};

// What one run observed, shared by its processes.
struct WatchBenchRun {
  sim::Simulation* sim = nullptr;
  TimePoint stop_at{};
  PutStream watched{kPrefix}, unwatched{kUnwatchedPrefix};
  std::vector<std::vector<Delivery>> delivered;    // per watcher, in the order received
  std::vector<std::optional<uint64_t>> compacted;  // per watcher: the watch ended compacted there
  std::vector<kv::WatchEvent> acked;               // the acknowledged watched puts, as acknowledged
  uint64_t acked_through = 0;                      // the highest acknowledged watched revision

  bool open() const { return sim->now() < stop_at; }
};

// Every replica's observer: when any replica first applied each log index.
class FirstApplies final : public RaftObserver {
 public:
  explicit FirstApplies(const WatchBenchRun& run) : run_(run) {}
  void on_apply(const RaftNode&, const LogEntry& entry) override {
    if (at_.size() <= entry.index) at_.resize(entry.index + 1);
    if (!at_[entry.index]) at_[entry.index] = run_.sim->now();
  }
  std::optional<TimePoint> at(uint64_t index) const { return index < at_.size() ? at_[index] : std::nullopt; }

 private:
  const WatchBenchRun& run_;
  std::vector<std::optional<TimePoint>> at_;  // by log index, virtual
};

// One watcher: every change under the prefix, through one node.
class Watcher final : public sim::Process {
 public:
  Watcher(Env& env, WatchBenchRun& run, size_t index, NodeId node)
      : watch_(env, options(node),
               [&run, index](const kv::WatchEvent& e) { run.delivered[index].push_back({e, run.sim->now()}); },
               [&run, index](uint64_t oldest) { run.compacted[index] = oldest; }) {
    watch_.start();
  }

 private:
  static WatchClientOptions options(NodeId node) {
    WatchClientOptions o;
    o.nodes = {node};
    o.key = kPrefix;
    o.prefix = true;
    return o;
  }

  WatchClient watch_;
};

// A writer: a put of its stream every interval while the run is open, each
// on a free session of its pool (one operation at a time per KvClient).
class Writer final : public sim::Process {
 public:
  Writer(Env& env, WatchBenchRun& run, PutStream& stream, const std::vector<NodeId>& nodes, uint64_t session_base)
      : run_(run), stream_(stream), rpc_(env), tick_(env.clock()) {
    for (size_t i = 0; i < kWriterSessions; ++i) {
      KvClientOptions o;
      o.nodes = nodes;
      o.client_id = session_base + i;
      sessions_.push_back(std::make_unique<KvClient>(env, o, rpc_));
    }
    tick();
  }

 private:
  void tick() {
    if (!run_.open()) return;
    tick_.arm(stream_.interval, [this] { tick(); });
    auto free = std::find_if(sessions_.begin(), sessions_.end(), [](const auto& c) { return !c->busy(); });
    if (free == sessions_.end()) {
      ++stream_.skipped;
      return;
    }
    const uint64_t number = stream_.issued++;
    kv::Put put{stream_.prefix + std::to_string(number % kKeysDistinct), std::to_string(number)};
    ++stream_.in_flight;
    (*free)->write(put, [this, put](const KvOpResult& r) { acknowledged(put, r); });
  }

  void acknowledged(const kv::Put& put, const KvOpResult& r) {
    --stream_.in_flight;
    if (r.outcome != OpOutcome::kOk || r.result.code != kv::Code::kOk) {
      ++stream_.failed;
      return;
    }
    ++stream_.acked;
    if (&stream_ != &run_.watched) return;
    run_.acked.push_back(kv::WatchEvent{r.index, put.key, false, put.value});
    run_.acked_through = std::max(run_.acked_through, r.index);
  }

  WatchBenchRun& run_;
  PutStream& stream_;
  Rpc rpc_;  // the process's one Rpc, shared by its sessions
  std::vector<std::unique_ptr<KvClient>> sessions_;
  TimerSlot tick_;
};

NodeId leader(sim::Simulation& sim, const std::vector<NodeId>& nodes) { return scenarios::serving_leader(sim, nodes, 0); }

// Whether every watcher has received the last acknowledged put, or ended.
bool drained(const WatchBenchRun& run) {
  if (run.watched.in_flight > 0) return false;
  for (size_t i = 0; i < run.delivered.size(); ++i) {
    const std::vector<Delivery>& got = run.delivered[i];
    const uint64_t through = got.empty() ? 0 : got.back().event.revision;
    if (!run.compacted[i] && through < run.acked_through) return false;
  }
  return true;
}

// What the delivery check found wrong: every problem counted, the first
// kProblemsShownMax kept to print.
struct Problems {
  uint64_t count = 0;
  std::vector<std::string> shown;
  void add(std::string problem) {
    if (shown.size() < kProblemsShownMax) shown.push_back(std::move(problem));
    ++count;
  }
};

// One watcher's deliveries against the acknowledged puts (sorted by
// revision): each exactly once, in order, as written. Appends what is wrong.
void check_watcher(const WatchBenchRun& run, size_t index, const std::vector<kv::WatchEvent>& acked,
                   Problems& problems) {
  const std::string who = "watcher " + std::to_string(index) + ": ";
  if (run.compacted[index]) {
    problems.add(who + "ended compacted at revision " + std::to_string(*run.compacted[index]));
  }
  const std::vector<Delivery>& got = run.delivered[index];
  for (size_t i = 0; i < got.size(); ++i) {
    const kv::WatchEvent& e = got[i].event;
    if (i > 0 && e.revision <= got[i - 1].event.revision) {
      problems.add(who + "revision " + std::to_string(e.revision) + " came after " +
                         std::to_string(got[i - 1].event.revision) + " (repeated or out of order)");
    }
    if (e.key.compare(0, kPrefix.size(), kPrefix) != 0) problems.add(who + "got unwatched key " + e.key);
  }
  // Both lists ascend (the deliveries when the loop above found nothing), so
  // one pass pairs each acknowledged put with its delivery.
  size_t next = 0;
  for (const kv::WatchEvent& want : acked) {
    while (next < got.size() && got[next].event.revision < want.revision) ++next;
    if (next == got.size() || got[next].event.revision != want.revision) {
      problems.add(who + "never received the put at revision " + std::to_string(want.revision));
    } else if (!(got[next].event == want)) {
      problems.add(who + "revision " + std::to_string(want.revision) + " arrived as " + got[next].event.key +
                         "=" + got[next].event.value + ", written as " + want.key + "=" + want.value);
    }
  }
}

void check_delivery(const WatchBenchRun& run, Problems& problems) {
  std::vector<kv::WatchEvent> acked = run.acked;
  std::sort(acked.begin(), acked.end(), [](const auto& a, const auto& b) { return a.revision < b.revision; });
  for (size_t i = 0; i < run.delivered.size(); ++i) check_watcher(run, i, acked, problems);
}

// Every delivery's latency from its entry's first apply, in virtual ms.
std::vector<double> latencies_ms(const WatchBenchRun& run, const FirstApplies& applies) {
  std::vector<double> ms;
  for (const auto& got : run.delivered) {
    for (const Delivery& d : got) {
      // A watch reports only applied changes, so its entry has a first apply.
      const std::optional<TimePoint> applied = applies.at(d.event.revision);
      SHOAL_ASSERT(applied.has_value());
      ms.push_back(to_seconds_f(d.at - *applied) * 1e3);
    }
  }
  return ms;
}

json::object figures(const WatchBenchRun& run, const FirstApplies& applies, const WatchBenchFlags& f,
                     Duration duration, int on_followers, double wall) {
  const std::vector<double> ms = latencies_ms(run, applies);
  const double max_ms = ms.empty() ? 0.0 : *std::max_element(ms.begin(), ms.end());
  return json::object{{"watchers", f.watchers},
                      {"watchers_on_followers", on_followers},
                      {"virtual_seconds", to_seconds_f(duration)},
                      {"rate_per_second", f.rate},
                      {"unwatched_rate_per_second", f.unwatched_rate},
                      {"puts_issued", run.watched.issued},
                      {"puts_acked", run.watched.acked},
                      {"puts_failed", run.watched.failed},
                      {"puts_skipped", run.watched.skipped},
                      {"unwatched_puts_acked", run.unwatched.acked},
                      {"events_delivered", ms.size()},
                      {"events_expected", run.acked.size() * static_cast<uint64_t>(f.watchers)},
                      {"latency_ms_p50", percentile(ms, 0.50)},
                      {"latency_ms_p90", percentile(ms, 0.90)},
                      {"latency_ms_p99", percentile(ms, 0.99)},
                      {"latency_ms_max", max_ms},
                      {"wall_seconds", wall}};
}

void start_watchers(sim::Simulation& sim, WatchBenchRun& run, const std::vector<NodeId>& nodes, int watchers) {
  run.delivered.resize(static_cast<size_t>(watchers));
  run.compacted.resize(static_cast<size_t>(watchers));
  for (int i = 0; i < watchers; ++i) {
    const NodeId node = nodes[static_cast<size_t>(i) % nodes.size()];
    sim.add_process(kWatcherIdBase + static_cast<NodeId>(i), "watcher" + std::to_string(i), [&run, i, node](Env& env) {
      return std::make_unique<Watcher>(env, run, static_cast<size_t>(i), node);
    });
  }
}

void start_writers(sim::Simulation& sim, WatchBenchRun& run, const std::vector<NodeId>& nodes,
                   const WatchBenchFlags& f) {
  run.watched.interval = Duration(seconds(1)) / f.rate;
  sim.add_process(kWriterId, "writer", [&run, &nodes](Env& env) {
    return std::make_unique<Writer>(env, run, run.watched, nodes, 1);
  });
  if (f.unwatched_rate == 0) return;
  run.unwatched.interval = Duration(seconds(1)) / f.unwatched_rate;
  sim.add_process(kUnwatchedWriterId, "unwatched-writer", [&run, &nodes](Env& env) {
    return std::make_unique<Writer>(env, run, run.unwatched, nodes, kUnwatchedSessionBase);
  });
}

struct WatchBenchOutcome {
  bool elected = false;
  Problems problems;
  json::object figures;
};

WatchBenchOutcome run_watch_bench(const WatchBenchFlags& f, Duration duration) {
  // The run and the observer outlive the simulation, whose processes and
  // replicas refer to them.
  WatchBenchRun run;
  FirstApplies applies(run);
  sim::Simulation sim(f.seed);
  run.sim = &sim;
  const std::vector<NodeId> nodes = scenarios::node_ids(kNodes);
  scenarios::add_nodes(sim, kNodes,
                       [&nodes, &applies](NodeId) { return scenarios::kv_node_config(nodes, {0}, &applies); });
  WatchBenchOutcome out;
  if (!sim.run_until([&] { return leader(sim, nodes) != kNoNode; }, sim.now() + kLeaderWaitMax)) return out;
  out.elected = true;
  const NodeId led = leader(sim, nodes);
  int on_followers = 0;
  for (int i = 0; i < f.watchers; ++i) on_followers += nodes[static_cast<size_t>(i) % nodes.size()] != led;
  const double wall_start = wall_seconds();
  start_watchers(sim, run, nodes, f.watchers);
  run.stop_at = sim.now() + duration;
  start_writers(sim, run, nodes, f);
  sim.run_until(run.stop_at);
  if (!sim.run_until([&] { return drained(run); }, sim.now() + kDrainMax)) {
    out.problems.add("the watchers had not caught up with the writer " + format_duration(kDrainMax) +
                           " after it stopped");
  }
  const double wall = wall_seconds() - wall_start;
  check_delivery(run, out.problems);
  out.figures = figures(run, applies, f, duration, on_followers, wall);
  return out;
}

void print_figures(const json::object& r) {
  auto u = [&r](const char* k) { return static_cast<unsigned long long>(r.at(k).to_number<uint64_t>()); };
  auto d = [&r](const char* k) { return r.at(k).to_number<double>(); };
  std::printf("watchers %llu (%llu on followers)  virtual %.0fs  rate %llu/s  puts issued %llu acked %llu failed %llu"
              " skipped %llu  unwatched %llu/s acked %llu\n",
              u("watchers"), u("watchers_on_followers"), d("virtual_seconds"), u("rate_per_second"), u("puts_issued"),
              u("puts_acked"), u("puts_failed"), u("puts_skipped"), u("unwatched_rate_per_second"),
              u("unwatched_puts_acked"));
  std::printf("events delivered %llu of %llu expected  latency p50 %.2fms p90 %.2fms p99 %.2fms max %.2fms"
              "  (wall %.2fs)\n",
              u("events_delivered"), u("events_expected"), d("latency_ms_p50"), d("latency_ms_p90"),
              d("latency_ms_p99"), d("latency_ms_max"), d("wall_seconds"));
}

int bench(const WatchBenchFlags& f) {
  const auto duration = parse_duration(f.duration);
  if (!duration || *duration < seconds(1) || *duration > minutes(10)) return usage_error("--duration must be 1s..10m");
  if (f.watchers < 1 || f.watchers > kWatchersMax) return usage_error("--watchers must be 1..2000");
  if (f.rate < 1 || f.rate > kRateMax) return usage_error("--rate must be 1..5000");
  if (f.unwatched_rate < 0 || f.unwatched_rate > kRateMax) return usage_error("--unwatched-rate must be 0..5000");
  if (f.rate * to_seconds_f(*duration) * f.watchers > kExpectedEventsMax) {
    return usage_error("--rate x --duration x --watchers must owe at most 20000000 events");
  }
  const WatchBenchOutcome out = run_watch_bench(f, *duration);
  if (!out.elected) {
    std::cerr << "shoal: bench watch: the group elected no leader in " << format_duration(kLeaderWaitMax) << "\n";
    return kExitLiveness;
  }
  if (out.problems.count > 0) {
    std::cerr << "shoal: bench watch: the delivery was broken (" << out.problems.count
              << " problems), so no figures are printed:\n";
    for (const std::string& p : out.problems.shown) std::cerr << "  " << p << "\n";
    if (out.problems.count > out.problems.shown.size()) std::cerr << "  ...\n";
    return kExitCheckFailed;
  }
  if (f.json) {
    std::cout << json::serialize(out.figures) << "\n";
  } else {
    print_figures(out.figures);
  }
  return kExitPass;
}

CommandRegistration reg("bench-watch", [](CLI::App& root) {
  CLI::App& b = group(root, "bench", "benchmarks (figures are printed, never asserted)");
  auto f = std::make_shared<WatchBenchFlags>();
  CLI::App* s = b.add_subcommand("watch", "watch event delivery latency and its exactness (simulated)");
  s->add_option("--duration", f->duration, "virtual time the writer puts for")->capture_default_str();
  s->add_option("--rate", f->rate, "puts per virtual second under the watched prefix")->capture_default_str();
  s->add_option("--unwatched-rate", f->unwatched_rate, "puts per virtual second under a prefix no one watches")
      ->capture_default_str();
  s->add_option("--watchers", f->watchers, "watchers of the prefix, spread over the three nodes")
      ->capture_default_str();
  s->add_option("--seed", f->seed, "the simulation's seed")->check(seed_validator())->capture_default_str();
  s->add_flag("--json", f->json, "print the figures as JSON instead");
  set_action(*s, [f] { return bench(*f); });
});

}  // namespace
}  // namespace shoal::tools
