// The checker against real Jepsen histories whose verdicts are known (see
// ../shared/data/histories/README.md): one test per history.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "scenarios/checkers/history_io.h"
#include "scenarios/checkers/linearizability.h"

namespace shoal::check {
namespace {

const std::string kHistoriesDir = SHOAL_SOURCE_DIR "/../shared/data/histories";

struct SharedHistory {
  std::string folder;  // "jepsen-etcd" or "jepsen-kv"
  std::string file;
  bool linearizable = false;
};

// Reads every folder's VERDICTS file: "FILE linearizable|not-linearizable".
std::vector<SharedHistory> load_verdicts() {
  std::vector<SharedHistory> all;
  for (const char* folder : {"jepsen-etcd", "jepsen-kv"}) {
    std::ifstream in(kHistoriesDir + "/" + folder + "/VERDICTS");
    std::string file, verdict;
    while (in >> file >> verdict) all.push_back({folder, file, verdict == "linearizable"});
  }
  return all;
}

std::string test_name(const testing::TestParamInfo<SharedHistory>& info) {
  std::string name = info.param.file;
  for (char& c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
  }
  return name;
}

class SharedHistoryTest : public testing::TestWithParam<SharedHistory> {};

TEST_P(SharedHistoryTest, CheckerAgreesWithTheKnownVerdict) {
  const SharedHistory& h = GetParam();
  const bool etcd = h.folder == "jepsen-etcd";
  auto history = read_history_file(kHistoriesDir + "/" + h.folder + "/" + h.file,
                                   etcd ? HistoryFormat::kJepsenLog : HistoryFormat::kJepsenEdn);
  ASSERT_TRUE(history.ok()) << history.status();
  LinearizabilityOptions options;
  options.model = etcd ? Model::kCasRegister : Model::kKv;
  LinearizabilityResult r = check_linearizable(*history, options);
  EXPECT_EQ(r.verdict, h.linearizable ? Verdict::kLinearizable : Verdict::kNotLinearizable) << r.message;
}

INSTANTIATE_TEST_SUITE_P(Jepsen, SharedHistoryTest, testing::ValuesIn(load_verdicts()), test_name);

// Without this, a missing data folder would silently instantiate no tests,
// and a history added without a verdict would go unchecked.
TEST(SharedHistories, EveryHistoryFileHasAVerdict) {
  std::vector<SharedHistory> all = load_verdicts();
  for (const char* folder : {"jepsen-etcd", "jepsen-kv"}) {
    size_t files = 0;
    for (const auto& entry : std::filesystem::directory_iterator(kHistoriesDir + "/" + folder)) {
      const std::string name = entry.path().filename().string();
      if (name == "VERDICTS") continue;
      ++files;
      EXPECT_TRUE(std::any_of(all.begin(), all.end(), [&](const SharedHistory& h) { return h.file == name; }))
          << name << " has no verdict";
    }
    EXPECT_GE(files, 4u) << folder;
  }
  EXPECT_GE(all.size(), 56u);
}

}  // namespace
}  // namespace shoal::check
