// A watch parked on a replica (Replica::park_watch) is answered by the first
// apply that gives it something to report, with what a fresh read would
// say: changes it does not cover leave it waiting, its own change answers
// it, and so does the history dropping the changes after its revision while
// it waits (kCompacted, though nothing it covers changed). Three simulated
// nodes, no faults; the watch waits on a follower.
#include <gtest/gtest.h>

#include "engine/client/kv_client.h"
#include "engine/rpc/group_protocol.h"
#include "scenarios/cluster.h"

namespace shoal::scenarios {
namespace {

constexpr int kNodes = 3;
constexpr Duration kWatchWait = seconds(30);
constexpr Duration kStepMax = seconds(10);  // far below kWatchWait
constexpr NodeId kClientId = kClientIdBase + 1;

// A client process: one Rpc, shared by a KvClient and raw watch calls.
class Client final : public sim::Process {
 public:
  Client(Env& env, const std::vector<NodeId>& nodes) : rpc_(env), kv_(env, options(nodes), rpc_) {}
  KvClient& kv() { return kv_; }

  // Sends `watch` to `node`; `answer` is set when its reply comes.
  void watch(NodeId node, const kv::Watch& watch, std::optional<kv::Result>& answer) {
    ClientRequest request{0, false, static_cast<uint8_t>(ReadLevel::kAny), 0, 0, kv::encode_query(watch)};
    rpc_.call(node, kGroupRequestMethod, encode_request(request), kWatchWait + seconds(5), [&answer](Reply reply) {
      ASSERT_TRUE(reply.ok()) << reply.error.message;
      auto served = decode_reply(reply.payload);
      ASSERT_TRUE(served.ok());
      auto result = kv::decode_result(served->payload);
      ASSERT_TRUE(result.ok());
      answer = *result;
    });
  }

 private:
  static KvClientOptions options(const std::vector<NodeId>& nodes) {
    KvClientOptions o;
    o.nodes = nodes;
    return o;
  }

  Rpc rpc_;
  KvClient kv_;
};

class ParkedWatch : public ::testing::Test {
 protected:
  void SetUp() override {
    add_nodes(sim_, kNodes, [this](NodeId) { return kv_node_config(nodes_, {0}); });
    ASSERT_TRUE(sim_.run_until([this] { return leader() != kNoNode; }, sim_.now() + kStepMax));
    follower_ = leader() == nodes_[0] ? nodes_[1] : nodes_[0];
    sim_.add_process(kClientId, "client", [this](Env& env) { return std::make_unique<Client>(env, nodes_); });
    client_ = sim_.process_as<Client>(kClientId);
  }

  NodeId leader() { return serving_leader(sim_, nodes_, 0); }

  const kv::KvStateMachine& kv_on(NodeId id) { return sim_.process_as<NodeProcess>(id)->node().group(0)->kv_state(); }

  // Puts and waits for the acknowledgement; the entry's index.
  uint64_t put(std::string key, std::string value) {
    std::optional<KvOpResult> done;
    client_->kv().write(kv::Put{std::move(key), std::move(value)}, [&done](const KvOpResult& r) { done = r; });
    EXPECT_TRUE(sim_.run_until([&done] { return done.has_value(); }, sim_.now() + kStepMax));
    EXPECT_TRUE(done && done->outcome == OpOutcome::kOk);
    return done ? done->index : 0;
  }

  // A watch of one key after what the follower has applied, waiting there.
  kv::Watch park(std::optional<kv::Result>& answer) {
    const kv::Watch w{"k", false, kv_on(follower_).applied_index(), kv::kMaxWatchEvents,
                      static_cast<uint32_t>(to_ms(kWatchWait))};
    client_->watch(follower_, w, answer);
    sim_.run_for(milliseconds(50));
    EXPECT_FALSE(answer.has_value()) << "nothing to report yet: the watch waits";
    return w;
  }

  sim::Simulation sim_{1};
  std::vector<NodeId> nodes_ = node_ids(kNodes);
  NodeId follower_ = kNoNode;
  Client* client_ = nullptr;
};

TEST_F(ParkedWatch, WaitsThroughOtherChangesAndWakesForItsOwn) {
  std::optional<kv::Result> answer;
  const kv::Watch w = park(answer);
  for (int i = 0; i < 20; ++i) put("other/" + std::to_string(i), "x");
  sim_.run_for(milliseconds(100));
  EXPECT_FALSE(answer.has_value()) << "changes the watch does not cover leave it waiting";
  const uint64_t index = put("k", "v");
  ASSERT_TRUE(sim_.run_until([&answer] { return answer.has_value(); }, sim_.now() + kStepMax));
  EXPECT_EQ(answer->code, kv::Code::kOk);
  EXPECT_EQ(answer->events, (std::vector<kv::WatchEvent>{{index, "k", false, "v"}}));
  EXPECT_GE(answer->index, index);
  // A fresh read of the same watch now lists the same change.
  EXPECT_EQ(kv_on(follower_).read(w).events, answer->events);
}

TEST_F(ParkedWatch, AnswersCompactedWhenTheChangesAfterItsRevisionAreDropped) {
  constexpr size_t kValueBytes = 100 << 10;
  constexpr size_t kPuts = kv::kWatchHistoryBytesMax / kValueBytes + 2;
  std::optional<kv::Result> answer;
  const kv::Watch w = park(answer);
  for (size_t i = 0; i < kPuts && !answer; ++i) put("other/" + std::to_string(i), std::string(kValueBytes, 'x'));
  ASSERT_TRUE(sim_.run_until([&answer] { return answer.has_value(); }, sim_.now() + kStepMax));
  EXPECT_EQ(answer->code, kv::Code::kCompacted) << answer->message;
  EXPECT_GT(answer->index, w.after_revision);
  EXPECT_NE(answer->message.find("asked after " + std::to_string(w.after_revision)), std::string::npos)
      << answer->message;
  EXPECT_EQ(kv_on(follower_).read(w).code, kv::Code::kCompacted);
}

}  // namespace
}  // namespace shoal::scenarios
