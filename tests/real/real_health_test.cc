// Real mode: three `shoal node` processes on loopback watch each other.
#include <gtest/gtest.h>

#include "tests/real/cluster_harness.h"

namespace shoal::testing {
namespace {

std::string peer_status(const LocalCluster& c, int observer, int peer) {
  auto s = c.status(observer);
  if (!s) return "no-answer";
  const auto* p = peer_entry(*s, peer);
  return p ? std::string(p->at("status").as_string().c_str()) : "missing";
}

int64_t field(const boost::json::object& o, const char* name) { return o.at(name).to_number<int64_t>(); }

TEST(RealHealth, KilledNodeIsReportedUnhealthyAndItsRestartIsCounted) {
  LocalCluster c(3);
  for (int i = 1; i <= 3; ++i) c.start(i);
  ASSERT_TRUE(LocalCluster::eventually(15, [&] {
    for (int o = 1; o <= 3; ++o)
      for (int p = 1; p <= 3; ++p)
        if (o != p && peer_status(c, o, p) != "healthy") return false;
    return true;
  })) << "the cluster never became healthy; see " << c.dir();

  c.kill(3, SIGKILL);
  for (int o : {1, 2}) {
    ASSERT_TRUE(LocalCluster::eventually(10, [&] { return peer_status(c, o, 3) == "unhealthy"; }))
        << "node " << o << " never reported the killed node 3 unhealthy";
    // The node's own record: unhealthy at most the detection bound after the
    // newest heartbeat node 3 answered (default: 100 ms x (5 + 1)), plus
    // scheduling slack for a loaded test machine.
    auto s = c.status(o);
    ASSERT_TRUE(s);
    const auto* p = peer_entry(*s, 3);
    const int64_t detection_ms = field(*p, "since_ms") - field(*p, "newest_echo_ms");
    std::printf("node %d detected node 3 unhealthy %lld ms after its last answered heartbeat\n", o,
                static_cast<long long>(detection_ms));
    EXPECT_GE(detection_ms, 500);
    EXPECT_LE(detection_ms, 600 + 250);
  }

  c.start(3);
  for (int o : {1, 2}) {
    ASSERT_TRUE(LocalCluster::eventually(10, [&] {
      auto s = c.status(o);
      if (!s) return false;
      const auto* p = peer_entry(*s, 3);
      return p->at("status").as_string() == "healthy" && field(*p, "boot_count") == 2 &&
             field(*p, "restarts_seen") == 1;
    })) << "node " << o << " never saw node 3 back with boot counter 2";
  }
  auto s3 = c.status(3);
  ASSERT_TRUE(s3);
  EXPECT_EQ(field(*s3, "boot_count"), 2);
}

TEST(RealHealth, BadConfigFileGetsOneLineAndExitCode2) {
  LocalCluster c(1, "no_such_setting = 3\n");
  const std::string cmd = LocalCluster::shoal_binary() + " node --config " + c.dir() +
                          "/node1.toml 2>&1; echo rc=$?";
  FILE* p = ::popen(cmd.c_str(), "r");
  char buf[1024] = {};
  std::string out;
  while (size_t n = std::fread(buf, 1, sizeof buf, p)) out.append(buf, n);
  ::pclose(p);
  EXPECT_NE(out.find("no_such_setting"), std::string::npos) << out;
  EXPECT_NE(out.find("rc=2"), std::string::npos) << out;
}

}  // namespace
}  // namespace shoal::testing
