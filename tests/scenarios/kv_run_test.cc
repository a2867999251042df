// The KvRun harness itself: the workload generator exercises every operation
// kind and level it is given (so every checker has something to judge), the
// liveness phases happen, the checks it names are the checks it runs, and it
// refuses configurations under which a check could pass vacuously.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <set>

#include "scenarios/kv_run.h"

namespace shoal::scenarios {
namespace {

ScenarioResult run_config(KvRunConfig c, uint64_t seed) {
  ScenarioOptions o;
  o.seed = seed;
  KvRun run(o, std::move(c));
  return run.run(nullptr);
}

KvRunConfig short_config() {
  KvRunConfig c;
  c.name = "kv-run-test";
  c.duration = seconds(4);
  c.quiet = seconds(2);
  c.liveness_bound = seconds(2);
  return c;
}

check::OpType type_of(const char* weight) {
  const std::string w = weight;
  if (w == "put") return check::OpType::kWrite;
  if (w == "cas") return check::OpType::kCas;
  if (w == "append") return check::OpType::kAppend;
  if (w == "del") return check::OpType::kDelete;
  return check::OpType::kRead;
}

RC_GTEST_PROP(KvRunWorkload, EveryOperationKindAndLevelItIsGivenIsExercised, ()) {
  KvRunConfig c = short_config();
  std::vector<uint32_t> w = *rc::gen::container<std::vector<uint32_t>>(6, rc::gen::inRange<uint32_t>(0, 4));
  w[*rc::gen::inRange<size_t>(0, 6)] += 1;  // some operation kind, at least
  c.mix = OperationMix{w[0], w[1], w[2], w[3], w[4], w[5]};
  const std::vector<WriteLevel> writes{WriteLevel::kLeader, WriteLevel::kQuorum, WriteLevel::kAll};
  const std::vector<ReadLevel> reads{ReadLevel::kLinearizable, ReadLevel::kLease, ReadLevel::kSession,
                                     ReadLevel::kAny};
  c.write_levels = {writes[*rc::gen::inRange<size_t>(0, 3)]};
  c.read_levels = {reads[*rc::gen::inRange<size_t>(0, 4)], reads[*rc::gen::inRange<size_t>(0, 4)]};
  c.clients = *rc::gen::inRange(2, 5);
  ScenarioOptions o;
  o.seed = *rc::gen::inRange<uint64_t>(1, 1000);
  KvRun run(o, c);
  run.run(nullptr);

  std::set<check::OpType> seen;
  std::set<ReadLevel> read_levels;
  std::set<WriteLevel> write_levels;
  bool tail_reads = false;
  for (size_t i = 0; i < run.history().size(); ++i) {
    const check::Operation& op = run.history()[i];
    seen.insert(op.op.type);
    if (op.op.type == check::OpType::kRead) {
      read_levels.insert(run.read_level_of(i));
    } else {
      write_levels.insert(run.write_level_of(i));
      // The read tail sends nothing but reads, and nothing is sent while idle.
      RC_ASSERT(TimePoint(Duration(op.invoke_ns)) < run.heal_at() + c.quiet);
    }
    if (TimePoint(Duration(op.invoke_ns)) >= run.read_tail_at()) tail_reads = true;
    RC_ASSERT(!(TimePoint(Duration(op.invoke_ns)) >= run.heal_at() + c.quiet &&
                TimePoint(Duration(op.invoke_ns)) < run.read_tail_at()));
  }
  const std::pair<const char*, uint32_t> weights[] = {{"read", c.mix.read + c.mix.read_appends},
                                                      {"put", c.mix.put},
                                                      {"cas", c.mix.cas},
                                                      {"append", c.mix.append},
                                                      {"del", c.mix.del}};
  for (const auto& [name, weight] : weights) {
    if (weight > 0) RC_ASSERT(seen.count(type_of(name)) == 1u);
  }
  // Reads happen in every run (the read tail asks for them) at every level.
  RC_ASSERT(tail_reads);
  for (ReadLevel l : c.read_levels) RC_ASSERT(read_levels.count(l) == 1u);
  if (c.mix.put + c.mix.cas + c.mix.append + c.mix.del > 0) RC_ASSERT(write_levels.count(c.write_levels[0]) == 1u);
}

TEST(KvRun, TheChecksItNamesAreTheChecksItRuns) {
  for (const auto& [w, r] : std::vector<std::pair<std::vector<WriteLevel>, std::vector<ReadLevel>>>{
           {{WriteLevel::kQuorum}, {ReadLevel::kLinearizable}},
           {{WriteLevel::kLeader, WriteLevel::kAll}, {ReadLevel::kSession, ReadLevel::kAny, ReadLevel::kLease}}}) {
    KvRunConfig c = short_config();
    c.write_levels = w;
    c.read_levels = r;
    c.clients = 4;
    const ScenarioResult result = run_config(c, 3);
    std::vector<std::string> ran;
    for (const auto& check : result.checks) ran.push_back(check.name);
    EXPECT_EQ(ran, required_checks(w, r));
    EXPECT_TRUE(result.passed());
  }
}

TEST(KvRun, RefusesConfigurationsThatCouldPassVacuously) {
  auto refused = [](const std::function<void(KvRunConfig&)>& edit) {
    KvRunConfig c = short_config();
    edit(c);
    ScenarioOptions o;
    try {
      KvRun run(o, c);
    } catch (const std::invalid_argument&) {
      return true;
    }
    return false;
  };
  EXPECT_TRUE(refused([](KvRunConfig& c) { c.clients = 0; }));
  EXPECT_TRUE(refused([](KvRunConfig& c) { c.mix = OperationMix{0, 0, 0, 0, 0, 0}; }));
  EXPECT_TRUE(refused([](KvRunConfig& c) { c.quiet = c.liveness_bound / 2; }));
  EXPECT_TRUE(refused([](KvRunConfig& c) { c.read_levels.clear(); }));
  EXPECT_FALSE(refused([](KvRunConfig&) {}));
}

// A run whose clients never get an answer serves nothing: it must fail (as
// liveness and as every-kind-served), not pass with nothing judged.
TEST(KvRun, ARunThatServedNothingFails) {
  KvRunConfig c = short_config();
  ScenarioOptions o;
  o.seed = 5;
  KvRun run(o, c);
  // Every node is cut off from every client for the whole run, the heal
  // included (the cuts are made again just after it).
  auto cut_clients_off = [&run] {
    for (NodeId n : run.node_ids()) {
      for (NodeId client = kClientIdBase + 1; client <= kClientIdBase + 3; ++client) {
        run.sim().cut(n, client);
        run.sim().cut(client, n);
      }
    }
  };
  cut_clients_off();
  run.sim().at(run.heal_at() + milliseconds(1), "cut the clients off again", cut_clients_off);
  const ScenarioResult r = run.run(nullptr);
  EXPECT_FALSE(r.passed());
  EXPECT_FALSE(r.liveness.ok);
  bool served_check_failed = false;
  for (const auto& check : r.checks) served_check_failed |= check.name == "every-kind-served" && !check.ok;
  EXPECT_TRUE(served_check_failed);
}

}  // namespace
}  // namespace shoal::scenarios
