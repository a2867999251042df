// CacheInvalidator (engine/client/cache_invalidator.h) against a fake KV
// group in the simulator: published invalidations arrive in order with their
// revisions; a change that is not an invalidation arrives as "everything";
// a compacted subscription ends and may be followed again from inside its
// callback; unsubscribing from inside a callback stops delivery; and the
// process's one Rpc serves its KvClient and its watches together.
#include "engine/client/cache_invalidator.h"

#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "engine/rpc/group_protocol.h"
#include "sim/simulation.h"

namespace shoal {
namespace {

constexpr NodeId kGroupNode = 1;
constexpr NodeId kAppNode = kClientIdBase + 1;

// One node that applies puts and deletes in order (revision = log index,
// from 1) and answers watches from every change it has, holding a poll
// with nothing to answer until a change comes or its wait runs out. A
// watch after a revision below compacted_through is answered kCompacted.
class FakeGroup final : public sim::Process {
 public:
  explicit FakeGroup(Env& env) : env_(env), rpc_(env) {
    rpc_.serve(kGroupRequestMethod, [this](Request q, Responder r) { handle(std::move(q), std::move(r)); });
  }
  uint64_t compacted_through = 0;

 private:
  struct Parked {
    kv::Watch watch;
    Responder responder;
  };

  void handle(Request q, Responder r) {
    auto request = decode_request(q.payload);
    ASSERT_TRUE(request.ok());
    if (request->write) return write(*request, std::move(r));
    auto query = kv::decode_query(request->payload);
    ASSERT_TRUE(query.ok());
    const auto& watch = std::get<kv::Watch>(*query);
    if (watch.after_revision >= revision_ && watch.after_revision >= compacted_through) {
      parked_.push_back({watch, r});
      env_.clock().after(milliseconds(watch.wait_ms), [this] { answer_parked(); });
      return;
    }
    answer(watch, r);
  }

  void write(const ClientRequest& request, Responder r) {
    auto command = kv::decode_command(request.payload);
    ASSERT_TRUE(command.ok());
    kv::WatchEvent e;
    e.revision = ++revision_;
    if (const auto* put = std::get_if<kv::Put>(&command->write)) {
      e.key = put->key;
      e.value = put->value;
    } else {
      e.key = std::get<kv::Delete>(command->write).key;
      e.deleted = true;
    }
    events_.push_back(e);
    kv::Result result;
    result.index = revision_;
    r.reply(encode_reply(ClientReply{false, revision_, kv::encode_result(result)}));
    answer_parked();
  }

  void answer_parked() {
    std::vector<Parked> parked;
    parked.swap(parked_);
    for (Parked& p : parked) answer(p.watch, p.responder);
  }

  void answer(const kv::Watch& watch, Responder& r) {
    kv::Result result;
    if (watch.after_revision < compacted_through) {
      result.code = kv::Code::kCompacted;
      result.index = compacted_through;
    } else {
      result.index = revision_;
      for (const kv::WatchEvent& e : events_) {
        if (e.revision > watch.after_revision && e.key == watch.key) result.events.push_back(e);
      }
    }
    r.reply(encode_reply(ClientReply{false, revision_, kv::encode_result(result)}));
  }

  Env& env_;
  Rpc rpc_;
  uint64_t revision_ = 0;
  std::vector<kv::WatchEvent> events_;
  std::vector<Parked> parked_;
};

// An application process: one Rpc, shared by its KvClient and its invalidator.
class App final : public sim::Process {
 public:
  explicit App(Env& env)
      : rpc_(env), kv_(env, KvClientOptions{.nodes = {kGroupNode}, .client_id = 7}, rpc_),
        invalidator_(env, rpc_, CacheInvalidatorOptions{.nodes = {kGroupNode}, .watch_wait = milliseconds(200)},
                     &kv_) {}
  Rpc rpc_;
  KvClient kv_;
  CacheInvalidator invalidator_;
};

struct Delivered {
  Invalidation inv;
  uint64_t revision = 0;
};

class CacheInvalidatorTest : public ::testing::Test {
 protected:
  CacheInvalidatorTest() : sim_(1) {
    sim_.add_process(kGroupNode, "group", [](Env& env) { return std::make_unique<FakeGroup>(env); });
    sim_.add_process(kAppNode, "app", [](Env& env) { return std::make_unique<App>(env); });
  }
  App& app() { return *sim_.process_as<App>(kAppNode); }
  FakeGroup& group() { return *sim_.process_as<FakeGroup>(kGroupNode); }
  CacheInvalidator& invalidator() { return app().invalidator_; }

  // Publishes and runs until the put is answered; returns its index.
  uint64_t publish(const Invalidation& inv) {
    std::optional<KvOpResult> got;
    EXPECT_TRUE(invalidator().publish("c", inv, [&got](const KvOpResult& r) { got = r; }).ok());
    sim_.run_until([&got] { return got.has_value(); }, sim_.now() + seconds(5));
    EXPECT_TRUE(got.has_value());
    return got ? got->result.index : 0;
  }
  // A raw write to the channel key, as another client might make.
  void write_channel_key(kv::Write w) {
    bool done = false;
    app().kv_.write(std::move(w), [&done](const KvOpResult&) { done = true; });
    sim_.run_until([&done] { return done; }, sim_.now() + seconds(5));
  }
  absl::Status subscribe(uint64_t after) {
    return invalidator().subscribe(
        "c", after, [this](const Invalidation& inv, uint64_t revision) { delivered_.push_back({inv, revision}); },
        [this](uint64_t oldest) { compacted_.push_back(oldest); });
  }

  sim::Simulation sim_;
  std::vector<Delivered> delivered_;
  std::vector<uint64_t> compacted_;
};

TEST_F(CacheInvalidatorTest, PublishedInvalidationsArriveInOrderWithTheirRevisions) {
  ASSERT_TRUE(subscribe(0).ok());
  const std::vector<Invalidation> sent{{"d1", false, "a"}, {"d1*", true, "b"}, {"d2", false, ""}};
  std::vector<uint64_t> revisions;
  for (const Invalidation& inv : sent) revisions.push_back(publish(inv));
  sim_.run_for(seconds(1));
  ASSERT_EQ(delivered_.size(), sent.size());
  for (size_t i = 0; i < sent.size(); ++i) {
    EXPECT_EQ(delivered_[i].inv, sent[i]);
    EXPECT_EQ(delivered_[i].revision, revisions[i]);
  }
  EXPECT_EQ(invalidator().revision("c"), revisions.back());
  const ChannelStats st = invalidator().stats("c");
  EXPECT_EQ(st.sent, 3u);
  EXPECT_EQ(st.delivered, 3u);
  EXPECT_EQ(st.undecodable, 0u);
  EXPECT_EQ(invalidator().stats("never").sent, 0u);
}

TEST_F(CacheInvalidatorTest, AChangeThatIsNotAnInvalidationArrivesAsEverything) {
  ASSERT_TRUE(subscribe(0).ok());
  write_channel_key(kv::Put{channel_key("c"), "not an invalidation"});
  write_channel_key(kv::Delete{channel_key("c")});
  sim_.run_for(seconds(1));
  ASSERT_EQ(delivered_.size(), 2u);
  for (const Delivered& d : delivered_) EXPECT_EQ(d.inv, (Invalidation{"*", true, ""}));
  EXPECT_EQ(invalidator().stats("c").undecodable, 2u);
}

TEST_F(CacheInvalidatorTest, ACompactedSubscriptionEndsAndIsFollowedAgainFromItsCallback) {
  publish({"d1", false, ""});
  publish({"d2", false, ""});
  group().compacted_through = 2;
  ASSERT_TRUE(invalidator()
                  .subscribe(
                      "c", 0, [this](const Invalidation& inv, uint64_t r) { delivered_.push_back({inv, r}); },
                      [this](uint64_t oldest) {
                        compacted_.push_back(oldest);
                        // Reload, then follow again from where the store can answer.
                        EXPECT_TRUE(subscribe(oldest).ok());
                      })
                  .ok());
  sim_.run_for(seconds(1));
  ASSERT_EQ(compacted_, (std::vector<uint64_t>{2}));
  const uint64_t later = publish({"d3", false, ""});
  sim_.run_for(seconds(1));
  ASSERT_EQ(delivered_.size(), 1u);
  EXPECT_EQ(delivered_[0].inv.key_or_pattern, "d3");
  EXPECT_EQ(delivered_[0].revision, later);
  EXPECT_EQ(invalidator().stats("c").compacted, 1u);
}

TEST_F(CacheInvalidatorTest, UnsubscribingFromInsideACallbackStopsDelivery) {
  ASSERT_TRUE(invalidator()
                  .subscribe(
                      "c", 0,
                      [this](const Invalidation& inv, uint64_t r) {
                        delivered_.push_back({inv, r});
                        EXPECT_TRUE(invalidator().unsubscribe("c"));
                      },
                      [](uint64_t) {})
                  .ok());
  publish({"d1", false, ""});
  publish({"d2", false, ""});
  sim_.run_for(seconds(1));
  EXPECT_EQ(delivered_.size(), 1u);
  EXPECT_FALSE(invalidator().unsubscribe("c"));
  EXPECT_EQ(invalidator().revision("c"), 0u);
}

TEST_F(CacheInvalidatorTest, BadInputIsRefusedAtOnce) {
  bool called = false;
  auto done = [&called](const KvOpResult&) { called = true; };
  EXPECT_EQ(invalidator().publish("", {"d1", false, ""}, done).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(invalidator().publish(std::string(kChannelBytesMax + 1, 'c'), {"d1", false, ""}, done).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(invalidator().publish("c", {"d[", true, ""}, done).code(), absl::StatusCode::kInvalidArgument);
  sim_.run_for(seconds(1));
  EXPECT_FALSE(called);
  ASSERT_TRUE(subscribe(0).ok());
  EXPECT_EQ(subscribe(0).code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(invalidator().subscribe("", 0, nullptr, nullptr).code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace shoal
