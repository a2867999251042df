// `shoal bench txns`: transactions per second across KV groups, and the abort
// rate under contention, in the simulator.
//
// Three simulated nodes host txn groups 1 and 2 on the simulator's default
// links (0.5-5 ms one way) and disks (syncs of 0.1-2 ms). Once both groups
// have a leader, --clients TxnClients (engine/txn) run back to back for
// --duration of virtual time, in three runs:
//   one-group    each client appends to a key of its own in one group: the
//                one-entry commit (TxnCommitLocal);
//   two-group    each client reads one key of its own and appends to
//                another, in the other group: two-phase commit, no conflicts;
//   contended    every client reads one of --hot keys and appends to two
//                others (across both groups): conflicts abort txns, which
//                are retried as new txns.
// Figures are in virtual time — committed txns per virtual second, latency
// from run() to its answer — so they measure the protocol on the simulated
// network, not this machine; the wall time is printed beside them. A
// benchmark: nothing is asserted.
#include <algorithm>
#include <cstdio>
#include <iostream>
#include <memory>

#include <boost/json.hpp>

#include "engine/txn/txn_client.h"
#include "scenarios/cluster.h"
#include "tools/cli_util.h"
#include "tools/command.h"

namespace shoal::tools {
namespace {

namespace json = boost::json;

constexpr int kNodes = 3;
constexpr int kClientsMax = 1000;
constexpr Duration kLeaderWaitMax = seconds(30);
constexpr NodeId kTxnClientIdBase = kClientIdBase + 1;
const std::vector<uint32_t> kGroups{1, 2};

struct TxnBenchFlags {
  std::string duration = "10s";
  int clients = 8;
  int hot = 4;
  uint64_t seed = 1;
  bool json = false;
};

enum class Shape { kOneGroup, kTwoGroup, kContended };

struct TxnBenchRun {
  sim::Simulation* sim = nullptr;
  TimePoint stop_at{};
  Shape shape = Shape::kTwoGroup;
  int hot = 4;
  std::vector<double> latency_ms;  // committed txns
  uint64_t committed = 0, aborted = 0, unknown = 0, conflicts = 0, multi_group = 0;
  bool open() const { return sim->now() < stop_at; }
};

// The first key "<prefix><n>" that lives in `group`.
std::string key_in(const std::string& prefix, uint32_t group) {
  for (int n = 0;; ++n) {
    std::string key = prefix + std::to_string(n);
    if (txn::group_of(key, kGroups) == group) return key;
  }
}

class TxnRunner final : public sim::Process {
 public:
  TxnRunner(Env& env, TxnBenchRun& run, size_t index, txn::TxnClientOptions options)
      : run_(run), client_(env, std::move(options)), rng_(env.random().fork(index)) {
    const std::string mine = "c" + std::to_string(index) + "-";
    own_[0] = key_in(mine, kGroups[0]);
    own_[1] = key_in(mine, kGroups[1]);
    next();
  }

 private:
  std::vector<txn::TxnOp> ops() {
    using K = txn::TxnOp::Kind;
    switch (run_.shape) {
      case Shape::kOneGroup: return {{K::kAppend, own_[0], "x"}};
      case Shape::kTwoGroup: return {{K::kGet, own_[0], ""}, {K::kAppend, own_[1], "x"}};
      case Shape::kContended: {
        auto hot = [this] { return "hot" + std::to_string(rng_.below(static_cast<uint64_t>(run_.hot))); };
        return {{K::kGet, hot(), ""}, {K::kAppend, hot(), "x"}, {K::kAppend, hot(), "y"}};
      }
    }
    return {};
  }

  void next() {
    if (!run_.open()) return;
    const TimePoint asked = run_.sim->now();
    client_.run(ops(), [this, asked](const txn::TxnResult& r) {
      if (run_.open()) {
        switch (r.outcome) {
          case txn::TxnOutcome::kCommitted:
            ++run_.committed;
            if (r.groups > 1) ++run_.multi_group;
            run_.latency_ms.push_back(to_seconds_f(run_.sim->now() - asked) * 1e3);
            break;
          case txn::TxnOutcome::kAborted: ++run_.aborted; break;
          case txn::TxnOutcome::kUnknown: ++run_.unknown; break;
        }
        if (r.error == txn::TxnError::kConflict || r.error == txn::TxnError::kStale) ++run_.conflicts;
      }
      next();
    });
  }

  TxnBenchRun& run_;
  txn::TxnClient client_;
  Rng rng_;
  std::string own_[2];
};

bool leaders(sim::Simulation& sim, const std::vector<NodeId>& nodes) {
  return std::all_of(kGroups.begin(), kGroups.end(),
                     [&](uint32_t g) { return scenarios::serving_leader(sim, nodes, g) != kNoNode; });
}

std::optional<json::object> run_shape(const TxnBenchFlags& f, Shape shape, Duration duration) {
  TxnBenchRun run;  // outlives the simulation, whose clients refer to it
  sim::Simulation sim(f.seed);
  const std::vector<NodeId> nodes = scenarios::node_ids(kNodes);
  scenarios::add_nodes(sim, kNodes, [&nodes](NodeId) { return scenarios::kv_node_config(nodes, kGroups); });
  if (!sim.run_until([&] { return leaders(sim, nodes); }, sim.now() + kLeaderWaitMax)) return std::nullopt;
  run.sim = &sim;
  run.stop_at = sim.now() + duration;
  run.shape = shape;
  run.hot = f.hot;
  const double wall_start = wall_seconds();
  for (int i = 0; i < f.clients; ++i) {
    txn::TxnClientOptions o;
    o.nodes = nodes;
    o.groups = kGroups;
    o.client_id = 1 + static_cast<uint64_t>(i);
    sim.add_process(kTxnClientIdBase + static_cast<NodeId>(i), "txn" + std::to_string(i), [&run, i, o](Env& env) {
      return std::make_unique<TxnRunner>(env, run, static_cast<size_t>(i), o);
    });
  }
  sim.run_until(run.stop_at);
  const uint64_t finished = run.committed + run.aborted + run.unknown;
  return json::object{{"clients", f.clients},
                      {"virtual_seconds", to_seconds_f(duration)},
                      {"wall_seconds", wall_seconds() - wall_start},
                      {"committed", run.committed},
                      {"committed_across_groups", run.multi_group},
                      {"committed_per_second", static_cast<double>(run.committed) / to_seconds_f(duration)},
                      {"aborted", run.aborted},
                      {"unknown", run.unknown},
                      {"abort_rate", finished ? static_cast<double>(run.aborted) / static_cast<double>(finished) : 0.0},
                      {"aborts_by_conflict", run.conflicts},
                      {"latency_ms_p50", percentile(run.latency_ms, 0.50)},
                      {"latency_ms_p99", percentile(run.latency_ms, 0.99)}};
}

void print_row(const char* name, const json::object& r) {
  std::printf("%-11s clients %3lld  virtual %.0fs  committed %6llu (%llu across groups)  txns/s %8.1f  "
              "abort rate %5.1f%%  latency p50 %6.2fms p99 %7.2fms  (wall %.2fs)\n",
              name, static_cast<long long>(r.at("clients").as_int64()), r.at("virtual_seconds").as_double(),
              static_cast<unsigned long long>(r.at("committed").as_uint64()),
              static_cast<unsigned long long>(r.at("committed_across_groups").as_uint64()),
              r.at("committed_per_second").as_double(), 100 * r.at("abort_rate").as_double(),
              r.at("latency_ms_p50").as_double(), r.at("latency_ms_p99").as_double(), r.at("wall_seconds").as_double());
}

int bench(const TxnBenchFlags& f) {
  const auto duration = parse_duration(f.duration);
  if (!duration || *duration < seconds(1) || *duration > hours(1)) return usage_error("--duration must be 1s..1h");
  if (f.clients < 1 || f.clients > kClientsMax) return usage_error("--clients must be 1..1000");
  if (f.hot < 3 || f.hot > 10000) return usage_error("--hot must be 3..10000");
  json::object out;
  const std::pair<const char*, Shape> runs[] = {
      {"one-group", Shape::kOneGroup}, {"two-group", Shape::kTwoGroup}, {"contended", Shape::kContended}};
  for (const auto& [name, shape] : runs) {
    const auto r = run_shape(f, shape, *duration);
    if (!r) {
      std::cerr << "shoal: bench txns: the groups elected no leaders in " << format_duration(kLeaderWaitMax) << "\n";
      return kExitLiveness;
    }
    if (!f.json) print_row(name, *r);
    out[name] = *r;
  }
  if (f.json) std::cout << json::serialize(out) << "\n";
  return kExitPass;
}

CommandRegistration reg("bench-txns", [](CLI::App& root) {
  CLI::App& b = group(root, "bench", "benchmarks (figures are printed, never asserted)");
  auto f = std::make_shared<TxnBenchFlags>();
  CLI::App* s = b.add_subcommand(
      "txns", "transactions per virtual second in one group, across two, and the abort rate on hot keys (simulated)");
  s->add_option("--duration", f->duration, "virtual time each run measures")->capture_default_str();
  s->add_option("--clients", f->clients, "transaction clients, each running txns back to back")->capture_default_str();
  s->add_option("--hot", f->hot, "keys the contended run's txns share")->capture_default_str();
  s->add_option("--seed", f->seed, "the simulation's seed")->check(seed_validator())->capture_default_str();
  s->add_flag("--json", f->json, "print the figures as JSON instead");
  set_action(*s, [f] { return bench(*f); });
});

}  // namespace
}  // namespace shoal::tools
