// Real mode: three nodes on loopback, 1,000 keys, the leader SIGKILLed while
// writes go on, restarted; every acknowledged key must be on every node.
#include <gtest/gtest.h>

#include <sys/wait.h>
#include <unistd.h>

#include <fstream>

#include "tests/real/cluster_harness.h"

namespace shoal::testing {
namespace {

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

namespace shoal::testing {
namespace {

// Bug 1 in real mode: a leader-level CAS whose comparison fails must not be
// reported as done. It is accepted (exit 1: its outcome is unknown when the
// answer leaves) and the value stays.
TEST(RealKv, ALeaderLevelCasIsNeverReportedDoneBeforeItsComparison) {
  LocalCluster c(3);
  for (int i = 1; i <= 3; ++i) c.start(i);
  ASSERT_TRUE(LocalCluster::eventually(15, [&] { return leader_of(c) != 0; })) << "no leader; see " << c.dir();
  const std::string bin = LocalCluster::shoal_binary();
  const std::string e = " --endpoints " + endpoints(c);
  ASSERT_EQ(shell(bin + " kv put k a" + e).rc, 0);
  for (const std::string cas : {"kv cas k x y --level leader", "kv cas k y --expect-absent --level leader"}) {
    ShellRun r = shell(bin + " " + cas + e);
    EXPECT_NE(r.rc, 0) << cas << ": " << r.out;
    EXPECT_EQ(r.out.find("ok\n"), std::string::npos) << cas << ": " << r.out;
  }
  ShellRun get = shell(bin + " kv get k" + e);
  EXPECT_EQ(get.out, "a\n");
  // A leader-level put is accepted and exits 0, saying so.
  ShellRun put = shell(bin + " kv put k b --level leader" + e);
  EXPECT_EQ(put.rc, 0) << put.out;
  EXPECT_NE(put.out.find("accepted"), std::string::npos) << put.out;
}

// Bug 2 in real mode: session reads on a fresh cluster (a term with no
// write) answer, every one of them.
TEST(RealKv, SessionReadsAnswerInATermWithoutWrites) {
  LocalCluster c(3);
  for (int i = 1; i <= 3; ++i) c.start(i);
  ASSERT_TRUE(LocalCluster::eventually(15, [&] { return leader_of(c) != 0; })) << "no leader; see " << c.dir();
  ShellRun r = shell(LocalCluster::shoal_binary() + " kv get --prefix m --count 3 --read session --timeout 3s" +
                     " --endpoints " + endpoints(c));
  // The keys do not exist: each read answers "not found" (reported as
  // missing), none times out.
  EXPECT_EQ(r.out.find("timed out"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("get: 0 ok, 3 not ok"), std::string::npos) << r.out;
}

// Bug 4 in real mode: a node whose data directory is wiped and restarted with
// the same id catches up, says in its log that its votes are suspended, and
// earns them back; every acknowledged key is on it.
TEST(RealKv, AWipedNodeRejoinsCatchesUpAndVotesAgain) {
  LocalCluster c(3);
  for (int i = 1; i <= 3; ++i) c.start(i);
  ASSERT_TRUE(LocalCluster::eventually(15, [&] { return leader_of(c) != 0; })) << "no leader; see " << c.dir();
  const std::string bin = LocalCluster::shoal_binary();
  ASSERT_EQ(shell(bin + " kv put --prefix k --count 300 --endpoints " + endpoints(c)).rc, 0);
  const int leader = leader_of(c);
  const int wiped = leader == 3 ? 2 : 3;
  c.kill(wiped, SIGKILL);
  ASSERT_EQ(shell("rm -rf " + c.dir() + "/data" + std::to_string(wiped)).rc, 0);
  c.start(wiped);
  const std::string one = " --endpoints " + std::to_string(wiped) + "=" + c.endpoint(wiped);
  ShellRun k;
  EXPECT_TRUE(LocalCluster::eventually(20, [&] {
    k = shell(bin + " kv get --read any --prefix k --count 300" + one);
    return k.rc == 0;
  })) << "the wiped node never caught up:\n" << k.out.substr(0, 1000);
  EXPECT_TRUE(LocalCluster::eventually(10, [&] {
    auto s = c.status(wiped);
    return s && s->at("groups").as_array()[0].as_object().at("votes").as_string() == "ok";
  })) << "the wiped node never earned its vote back; see " << c.log_path(wiped);
  ShellRun log = shell("grep -c 'votes suspended' " + c.log_path(wiped));
  EXPECT_NE(log.out, "0\n") << "the wiped node did not say why it does not vote";
}

}  // namespace
}  // namespace shoal::testing
