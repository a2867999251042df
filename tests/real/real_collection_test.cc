// Real mode, sharded: three `shoal node` processes on loopback, a 6-shard
// RF-3 collection, 20,000 documents with 32-dimensional vectors loaded in
// bulks of 1,000 while one node is SIGKILLed and restarted. Afterwards every
// acknowledged document is found, and a flat k-NN answer equals the one this
// test computes by brute force.
#include <gtest/gtest.h>

#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <set>
#include <sstream>

#include <boost/json.hpp>

#include "engine/core/random.h"
#include "tests/real/cluster_harness.h"

namespace shoal::testing {
namespace {

namespace json = boost::json;

constexpr int kDocuments = 20000;
constexpr int kDims = 32;


// Document i: a vector near one of 8 centres, a category.
std::vector<float> vector_of(int i) {
  Rng centre_rng(1000 + static_cast<uint64_t>(i % 8));
  Rng noise(static_cast<uint64_t>(i) * 7919 + 1);
  std::vector<float> v;
  for (int d = 0; d < kDims; ++d) {
    v.push_back(static_cast<float>(centre_rng.real01() * 10 - 5 + noise.real01() - 0.5));
  }
  return v;
}

std::string id_of(int i) {
  char name[16];
  std::snprintf(name, sizeof name, "d%05d", i);
  return name;
}

TEST(RealCollection, AcknowledgedDocumentsSurviveAKillAndKnnEqualsBruteForce) {
  LocalCluster c(3, "sharded = true\n");
  for (int i = 1; i <= 3; ++i) c.start(i);
  const std::string bin = LocalCluster::shoal_binary();
  const std::string e = " --endpoints " + endpoints(c);
  const std::string schema = R"({"properties": {"cat": {"type": "keyword"}, "v": {"type": "dense_vector", "dims": 32,
      "similarity": "l2_norm", "index_options": {"type": "flat"}}}})";
  {
    std::ofstream s(c.dir() + "/schema.json");
    s << schema;
  }
  ShellRun created = shell(bin + " collection create docs --schema @" + c.dir() + "/schema.json --shards 6 --replicas 3 --timeout 30s" + e);
  ASSERT_EQ(created.rc, 0) << created.out << "; see " << c.dir();

  const std::string docs = c.dir() + "/docs.jsonl";
  {
    std::ofstream out(docs);
    for (int i = 0; i < kDocuments; ++i) {
      json::array v;
      for (float x : vector_of(i)) v.push_back(static_cast<double>(x));
      out << json::serialize(json::object{{"_id", id_of(i)}, {"cat", "c" + std::to_string(i % 5)}, {"v", v}}) << "\n";
    }
  }
  // Shards are created on every node once the map reaches it: the first
  // upsert waits for that within its timeout.
  const std::string acked = c.dir() + "/acked.txt";
  FILE* loader = ::popen((bin + " collection upsert docs --file " + docs + " --bulk 1000 --timeout 30s --acked-file " +
                          acked + e + " >" + c.dir() + "/upsert.out 2>&1").c_str(), "r");
  ASSERT_NE(loader, nullptr);
  // Node 2 dies once the load is under way, and comes back while it goes on.
  auto acked_lines = [&] {
    std::ifstream in(acked);
    size_t n = 0;
    for (std::string l; std::getline(in, l);) ++n;
    return n;
  };
  ASSERT_TRUE(LocalCluster::eventually(30, [&] { return acked_lines() >= 3000; })) << "the load did not start";
  c.kill(2, SIGKILL);
  const size_t at_kill = acked_lines();
  ::usleep(500 * 1000);
  c.start(2);
  const int rc = WEXITSTATUS(::pclose(loader));
  std::ifstream upsert_out(c.dir() + "/upsert.out");
  std::stringstream upsert_text;
  upsert_text << upsert_out.rdbuf();
  ASSERT_EQ(rc, 0) << upsert_text.str();
  EXPECT_LT(at_kill, static_cast<size_t>(kDocuments)) << "the kill came after the load";

  std::set<std::string> acknowledged;
  {
    std::ifstream in(acked);
    for (std::string l; std::getline(in, l);) acknowledged.insert(l);
  }
  EXPECT_EQ(acknowledged.size(), static_cast<size_t>(kDocuments));

  // Every acknowledged document is found (paged with a point in time).
  ShellRun ids;
  const bool all_found = LocalCluster::eventually(30, [&] {
    ids = shell(bin + " collection ids docs" + e + " 2>/dev/null");
    if (ids.rc != 0) return false;
    std::set<std::string> found;
    std::istringstream lines(ids.out);
    for (std::string l; std::getline(lines, l);) found.insert(l);
    return std::includes(found.begin(), found.end(), acknowledged.begin(), acknowledged.end());
  });
  EXPECT_TRUE(all_found) << "acknowledged documents missing; last listing: " << ids.out.substr(0, 500);

  // A flat k-NN answer equals brute force over the same documents.
  std::vector<float> q = vector_of(12345);
  for (float& x : q) x += 0.25f;
  json::array qv;
  for (float x : q) qv.push_back(static_cast<double>(x));
  const std::string request = json::serialize(json::object{
      {"knn", json::object{{"field", "v"}, {"query_vector", qv}, {"k", 10}, {"num_candidates", 100}}},
      {"size", 10},
      {"_source", false}});
  ShellRun knn = shell(bin + " collection search docs --strict --query '" + request + "'" + e);
  ASSERT_EQ(knn.rc, 0) << knn.out;
  json::value body = json::parse(knn.out);
  std::vector<std::string> got;
  for (const auto& h : body.at("hits").at("hits").as_array()) got.emplace_back(h.at("_id").as_string());

  std::vector<std::pair<double, std::string>> all;
  for (int i = 0; i < kDocuments; ++i) {
    const std::vector<float> v = vector_of(i);
    float d = 0;
    for (int k = 0; k < kDims; ++k) d += (v[k] - q[k]) * (v[k] - q[k]);
    all.emplace_back(d, id_of(i));
  }
  std::sort(all.begin(), all.end());
  std::vector<std::string> expected;
  for (int i = 0; i < 10; ++i) expected.push_back(all[i].second);
  EXPECT_EQ(got, expected) << knn.out.substr(0, 1000);
}

}  // namespace
}  // namespace shoal::testing
