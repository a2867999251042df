// Real mode: three nodes on loopback, 1,000 keys, the leader SIGKILLed while
// writes go on, restarted; every acknowledged key must be on every node.
#include <gtest/gtest.h>

#include <sys/wait.h>
#include <unistd.h>

#include <fstream>

#include "tests/real/cluster_harness.h"

namespace shoal::testing {
namespace {

struct ShellRun {
  int rc;
  std::string out;
};

ShellRun shell(const std::string& cmd) {
  FILE* p = ::popen((cmd + " 2>&1").c_str(), "r");
  std::string out;
  char buf[4096];
  while (size_t n = std::fread(buf, 1, sizeof buf, p)) out.append(buf, n);
  const int status = ::pclose(p);
  return {WEXITSTATUS(status), out};
}

std::string endpoints(const LocalCluster& c) {
  std::string e;
  for (int i = 1; i <= c.size(); ++i) e += (i > 1 ? "," : "") + std::to_string(i) + "=" + c.endpoint(i);
  return e;
}

int leader_of(const LocalCluster& c) {
  for (int i = 1; i <= c.size(); ++i) {
    if (!c.alive(i)) continue;
    auto s = c.status(i);
    if (!s) continue;
    for (const auto& g : s->at("groups").as_array()) {
      const auto& o = g.as_object();
      if (o.contains("role") && o.at("role").as_string() == "leader") return i;
    }
  }
  return 0;
}

TEST(RealKv, AcknowledgedKeysSurviveALeaderKillOnEveryNode) {
  LocalCluster c(3);
  for (int i = 1; i <= 3; ++i) c.start(i);
  ASSERT_TRUE(LocalCluster::eventually(15, [&] { return leader_of(c) != 0; })) << "no leader; see " << c.dir();
  const std::string bin = LocalCluster::shoal_binary();
  const std::string e = endpoints(c);

  ShellRun first = shell(bin + " kv put --prefix k --count 1000 --endpoints " + e);
  ASSERT_EQ(first.rc, 0) << first.out;

  const int leader = leader_of(c);
  ASSERT_NE(leader, 0);
  // Writes go on while the leader dies: each acknowledged key is recorded.
  const std::string acked = c.dir() + "/acked.txt";
  const std::string history = c.dir() + "/history.jsonl";
  FILE* writer = ::popen((bin + " kv put --prefix m --count 500 --timeout 10s --acked-file " + acked +
                          " --history " + history +
                          " --endpoints " + e + " >/dev/null 2>&1").c_str(), "r");
  ASSERT_NE(writer, nullptr);
  ::usleep(100 * 1000);
  c.kill(leader, SIGKILL);
  ASSERT_EQ(WEXITSTATUS(::pclose(writer)), 0) << "some writes failed during the failover";
  c.start(leader);

  for (int node = 1; node <= 3; ++node) {
    const std::string one = std::to_string(node) + "=" + c.endpoint(node);
    // A restarted replica catches up: poll until it has everything.
    ShellRun k, m;
    const bool all_there = LocalCluster::eventually(20, [&] {
      k = shell(bin + " kv get --read any --prefix k --count 1000 --endpoints " + one);
      m = shell(bin + " kv get --read any --prefix m --keys-file " + acked + " --endpoints " + one);
      return k.rc == 0 && m.rc == 0;
    });
    EXPECT_TRUE(all_there) << "node " << node << " lacks acknowledged keys:\n"
                           << k.out.substr(0, 2000) << m.out.substr(0, 2000);
  }
  std::ifstream in(acked);
  int lines = 0;
  for (std::string l; std::getline(in, l);) ++lines;
  EXPECT_EQ(lines, 500) << "every write during the failover should be acknowledged after retries";
  // The client's own record of the failover is a history the checker accepts.
  ShellRun check = shell(bin + " check linearizable --model kv --format shoal " + history);
  EXPECT_EQ(check.rc, 0) << check.out;
  EXPECT_NE(check.out.find("500 operations"), std::string::npos) << check.out;
}

}  // namespace
}  // namespace shoal::testing
