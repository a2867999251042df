// Real mode: locks with fencing tokens on three nodes on loopback, through
// the `shoal lock` and `shoal kv --fence` commands.
//
// Three workers take one lock in turns, each holding it for a few fenced
// appends to one log key, then releasing it; midway the leader is SIGKILLed
// and restarted. Then: the tokens granted grow strictly in the order the
// grants arrived; the log holds every append acknowledged ok, once, none
// refused, in non-decreasing token order; no append acknowledged ok was sent
// after a newer token's grant arrived (scenarios/checkers/lock_safety.h). And
// at the end a holder that stops without releasing loses the lock when its
// lease runs out: its next fenced write is refused, and is not in the log.
#include <gtest/gtest.h>

#include <chrono>
#include <iostream>
#include <map>
#include <mutex>
#include <thread>

#include <boost/json.hpp>

#include "scenarios/checkers/lock_safety.h"
#include "tests/real/cluster_harness.h"

namespace shoal::testing {
namespace {

constexpr int kWorkers = 3;
constexpr int kRoundsPerWorker = 5;
constexpr int kAppendsPerRound = 3;
const std::string kResource = "job";
const std::string kLogKey = "job-log";

int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// The JSON object a `--json` command printed (its stdout line that is one).
std::optional<boost::json::object> json_line(const std::string& out) {
  size_t at = 0;
  while (at < out.size()) {
    const size_t end = std::min(out.find('\n', at), out.size());
    boost::system::error_code ec;
    auto v = boost::json::parse(out.substr(at, end - at), ec);
    if (!ec && v.is_object()) return v.as_object();
    at = end + 1;
  }
  return std::nullopt;
}

// What the workers saw, in the order they saw it.
struct Record {
  std::mutex mu;
  std::vector<uint64_t> grant_order;  // tokens, as grants arrived
  check::LockHistory history;
};

class Workers {
 public:
  Workers(const LocalCluster& c, Record& record)
      : bin_(LocalCluster::shoal_binary()), e_(" --endpoints " + endpoints(c)), record_(record) {}

  // One worker's rounds: acquire, append under the fence, release.
  void run(int worker) {
    for (int round = 0; round < kRoundsPerWorker; ++round) {
      // A holder name per attempt: a grant whose answer was lost is then
      // never renewed by a later attempt, only expired by the store.
      const std::string holder = "w" + std::to_string(worker) + "-" + std::to_string(round);
      const auto grant = acquire(holder, "4s");
      if (!grant) continue;
      for (int i = 0; i < kAppendsPerRound; ++i) append(worker, *grant, holder + "-" + std::to_string(i));
      shell(bin_ + " lock release " + kResource + " --token " + std::to_string(*grant) + e_);
    }
  }

  // A holder that never releases: it appends within its lease, waits until
  // the leader has expired the lease (the lock shows free), and appends
  // again. Returns the late append's outcome (it must be refused: kFenced).
  std::optional<check::FencedOutcome> sleeper() {
    const auto grant = acquire("sleeper", "1s");
    if (!grant) return std::nullopt;
    append(kWorkers, *grant, "sleeper-0");
    ShellRun status;
    const bool expired = LocalCluster::eventually(15, [&] {
      status = shell(bin_ + " lock status " + kResource + e_);
      return status.rc == 1 && status.out.find("free: " + kResource + " is not held") != std::string::npos;
    });
    if (!expired) return std::nullopt;
    return append(kWorkers, *grant, "sleeper-1");
  }

 private:
  std::optional<uint64_t> acquire(const std::string& holder, const std::string& ttl) {
    const ShellRun r = shell(bin_ + " lock acquire " + kResource + " --ttl " + ttl + " --wait 30s --holder " + holder +
                             " --json" + e_);
    const auto o = json_line(r.out);
    // A grant that came back too late to use (valid_ms 0) is not ours to act on.
    if (r.rc != 0 || !o || !o->contains("token") || o->at("valid_ms").to_number<int64_t>() <= 0) return std::nullopt;
    const uint64_t token = o->at("token").to_number<uint64_t>();
    std::lock_guard<std::mutex> lock(record_.mu);
    record_.grant_order.push_back(token);
    record_.history.leases.push_back({0, kResource, token, now_ns(), now_ns()});
    return token;
  }

  check::FencedOutcome append(int worker, uint64_t token, const std::string& tag) {
    const std::string entry = check::fenced_log_entry(token, tag);
    const int64_t invoked = now_ns();
    const ShellRun r = shell(bin_ + " kv append " + kLogKey + " '" + entry + "' --fence " + kResource + ":" +
                             std::to_string(token) + e_);
    check::FencedOutcome outcome = check::FencedOutcome::kUnknown;
    if (r.rc == 0) outcome = check::FencedOutcome::kOk;
    else if (r.out.find("fenced: append") != std::string::npos) outcome = check::FencedOutcome::kFenced;
    else if (r.out.find(": fail: ") != std::string::npos) outcome = check::FencedOutcome::kFail;
    std::lock_guard<std::mutex> lock(record_.mu);
    record_.history.writes.push_back({static_cast<size_t>(worker), kResource, token, tag, invoked, now_ns(), outcome});
    return outcome;
  }

  std::string bin_, e_;
  Record& record_;
};

size_t grants_so_far(Record& record) {
  std::lock_guard<std::mutex> lock(record.mu);
  return record.grant_order.size();
}

TEST(RealLock, TokensGrowAndFencedAppendsHoldAcrossALeaderKillAndAnExpiredLeaseIsFenced) {
  LocalCluster c(3);
  for (int i = 1; i <= 3; ++i) c.start(i);
  ASSERT_TRUE(LocalCluster::eventually(15, [&] { return leader_of(c) != 0; })) << "no leader; see " << c.dir();
  const std::string bin = LocalCluster::shoal_binary();
  const std::string e = " --endpoints " + endpoints(c);

  Record record;
  Workers workers(c, record);
  std::vector<std::thread> threads;
  for (int w = 0; w < kWorkers; ++w) threads.emplace_back([&workers, w] { workers.run(w); });
  // Midway, the leader dies and comes back.
  const bool midway =
      LocalCluster::eventually(60, [&] { return grants_so_far(record) >= kWorkers * kRoundsPerWorker / 3; });
  const int leader = leader_of(c);
  const size_t grants_before_kill = grants_so_far(record);
  if (leader != 0) c.kill(leader, SIGKILL);
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  if (leader != 0) c.start(leader);
  for (auto& t : threads) t.join();
  ASSERT_TRUE(midway) << "the workers got too few grants before the kill; see " << c.dir();
  ASSERT_NE(leader, 0) << "no leader to kill";
  EXPECT_GT(record.grant_order.size(), grants_before_kill) << "no grant after the leader was killed";

  for (size_t i = 1; i < record.grant_order.size(); ++i) {
    EXPECT_LT(record.grant_order[i - 1], record.grant_order[i]) << "grant " << i << " did not get a higher token";
  }
  // A holder whose lease ran out, after the failover: its next write is refused.
  EXPECT_EQ(workers.sleeper(), check::FencedOutcome::kFenced) << "a holder past its lease was not fenced";
  const ShellRun log = shell(bin + " kv get " + kLogKey + e);
  ASSERT_EQ(log.rc, 0) << log.out;
  std::string error;
  auto& final_log = record.history.final_logs[kResource];
  ASSERT_TRUE(check::parse_fenced_log(log.out.substr(0, log.out.find('\n')), &final_log, &error)) << error;
  for (const check::CheckResult& r : {check::check_fenced_writes_in_token_order(record.history),
                                      check::check_stale_token_writes_refused(record.history)}) {
    EXPECT_TRUE(r.ok) << r.message << (r.violations.empty() ? "" : ": " + r.violations.front().what);
  }
  std::map<check::FencedOutcome, size_t> outcomes;
  for (const auto& w : record.history.writes) ++outcomes[w.outcome];
  const size_t acknowledged = outcomes[check::FencedOutcome::kOk];
  EXPECT_GT(acknowledged, 0u) << "no fenced append was acknowledged: nothing was judged";
  EXPECT_GE(final_log.size(), acknowledged);
  std::cout << record.grant_order.size() << " grants (" << grants_before_kill << " before leader " << leader
            << " was killed), appends: " << acknowledged << " ok, " << outcomes[check::FencedOutcome::kFenced]
            << " fenced, " << outcomes[check::FencedOutcome::kFail] << " failed, "
            << outcomes[check::FencedOutcome::kUnknown] << " unknown; " << final_log.size() << " in the log\n";
}

}  // namespace
}  // namespace shoal::testing
