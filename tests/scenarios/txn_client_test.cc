// TxnClient (engine/txn) end to end on a simulated 3-node cluster hosting
// txn groups 1 and 2: a txn across both commits whole; intents a crashed
// coordinator left — prepared only, or decided and not yet resolved — are
// resolved by the next txn to meet them, the way the record says; a key held
// by a live txn aborts the newcomer with a typed error; and records are
// garbage-collected as a coordinator goes on.
#include <gtest/gtest.h>

#include <set>

#include "engine/client/kv_client.h"
#include "engine/client/watch_client.h"
#include "engine/txn/txn_client.h"
#include "scenarios/cluster.h"

namespace shoal::txn {
namespace {

using K = TxnOp::Kind;
const std::vector<uint32_t> kGroups{1, 2};

// The first key "<prefix><n>" that lives in `group`.
std::string key_in(const std::string& prefix, uint32_t group) {
  for (int n = 0;; ++n) {
    std::string key = prefix + std::to_string(n);
    if (group_of(key, kGroups) == group) return key;
  }
}

class TxnClientTest : public ::testing::Test {
 protected:
  TxnClientTest() : sim_(7) {
    nodes_ = scenarios::node_ids(3);
    scenarios::add_nodes(sim_, 3, [this](NodeId) { return scenarios::kv_node_config(nodes_, kGroups); });
    sim_.run_for(seconds(3));
  }

  // A process of its own on the simulation, running `body` with its Env.
  template <typename Body>
  void client(NodeId id, Body body) {
    struct P final : sim::Process {
      explicit P(Env& env, Body& b) { b(env); }
    };
    sim_.add_process(id, "client" + std::to_string(id), [body](Env& env) mutable {
      return std::make_unique<P>(env, body);
    });
  }

  TxnClientOptions options(uint64_t id) {
    TxnClientOptions o;
    o.nodes = nodes_;
    o.groups = kGroups;
    o.client_id = id;
    o.intent_patience = milliseconds(300);
    return o;
  }

  // Runs one txn on a fresh client process and the simulation until it answers.
  TxnResult run(std::vector<TxnOp> ops, uint64_t id) {
    std::optional<TxnResult> out;
    std::unique_ptr<TxnClient>* keep = &clients_.emplace_back();
    client(kClientIdBase + static_cast<NodeId>(id), [this, ops, id, &out, keep](Env& env) {
      *keep = std::make_unique<TxnClient>(env, options(id));
      (*keep)->run(ops, [&out](const TxnResult& r) { out = r; });
    });
    sim_.run_until([&] { return out.has_value(); }, sim_.now() + seconds(20));
    EXPECT_TRUE(out.has_value());
    return out.value_or(TxnResult{});
  }

  // Applies raw KV commands to `group` from a client of its own, in order
  // (how a coordinator that then crashed would have left things).
  void raw(uint32_t group, std::vector<kv::Write> writes, uint64_t id) {
    std::vector<KvOpResult> results;
    std::unique_ptr<KvClient>* keep = &raw_.emplace_back();
    auto step = std::make_shared<std::function<void()>>();
    client(kClientIdBase + static_cast<NodeId>(id), [this, group, writes, id, &results, keep, step](Env& env) {
      KvClientOptions o;
      o.nodes = nodes_;
      o.group = group;
      o.client_id = id;
      *keep = std::make_unique<KvClient>(env, o);
      *step = [keep, writes, &results, step] {
        if (results.size() == writes.size()) return;
        (*keep)->write(writes[results.size()], [&results, step](const KvOpResult& r) {
          results.push_back(r);
          (*step)();
        });
      };
      (*step)();
    });
    sim_.run_until([&] { return results.size() == writes.size(); }, sim_.now() + seconds(20));
    ASSERT_EQ(results.size(), writes.size());
    for (const KvOpResult& r : results) ASSERT_EQ(r.result.code, kv::Code::kOk) << kv::describe(r.result);
    *step = nullptr;
  }

  const kv::KvState& state(uint32_t group) {
    const Replica* best = nullptr;
    for (NodeId id : nodes_) {
      const Replica* r = sim_.process_as<scenarios::NodeProcess>(id)->node().group(group);
      if (best == nullptr || r->raft()->applied_index() > best->raft()->applied_index()) best = r;
    }
    return best->kv_state().state();
  }

  sim::Simulation sim_;
  std::vector<NodeId> nodes_;
  std::vector<std::unique_ptr<TxnClient>> clients_;
  std::vector<std::unique_ptr<KvClient>> raw_;
  std::vector<std::unique_ptr<WatchClient>> watches_;
};

TEST_F(TxnClientTest, ATxnAcrossTwoGroupsCommitsWholeAndSeesItsOwnWrites) {
  const std::string a = key_in("a", 1), b = key_in("b", 2);
  const TxnResult w = run({{K::kPut, a, "1"}, {K::kAppend, b, "x"}, {K::kGet, b, ""}, {K::kAppend, b, "y"}}, 10);
  ASSERT_EQ(w.outcome, TxnOutcome::kCommitted) << w.message;
  EXPECT_EQ(w.groups, 2u);
  EXPECT_EQ(w.reads[2], "x");
  const TxnResult r = run({{K::kGet, a, ""}, {K::kGet, b, ""}, {K::kGet, "absent", ""}}, 11);
  ASSERT_EQ(r.outcome, TxnOutcome::kCommitted) << r.message;
  EXPECT_EQ(r.reads[0], "1");
  EXPECT_EQ(r.reads[1], "xy");
  EXPECT_EQ(r.reads[2], std::nullopt);
  EXPECT_EQ(state(1).txns().intent_count() + state(2).txns().intent_count(), 0u);
}

TEST_F(TxnClientTest, ACrashedCoordinatorsPreparedTxnIsAbortedByTheNextToMeetIt) {
  const std::string a = key_in("a", 1), b = key_in("b", 2);
  ASSERT_EQ(run({{K::kPut, a, "old"}, {K::kPut, b, "old"}}, 10).outcome, TxnOutcome::kCommitted);
  // The dead coordinator prepared in both groups and never decided.
  raw(1, {kv::TxnPrepare{"dead", 1, true, {}, {{a, kv::TxnWriteKind::kPut, "new"}}}}, 20);
  raw(2, {kv::TxnPrepare{"dead", 1, false, {}, {{b, kv::TxnWriteKind::kPut, "new"}}}}, 21);
  const TxnResult r = run({{K::kGet, b, ""}, {K::kGet, a, ""}}, 11);
  ASSERT_EQ(r.outcome, TxnOutcome::kCommitted) << r.message;
  EXPECT_EQ(r.reads[0], "old");
  EXPECT_EQ(r.reads[1], "old");
  ASSERT_NE(state(1).txns().record("dead"), nullptr);
  EXPECT_EQ(state(1).txns().record("dead")->status, kv::TxnStatus::kAborted);
  EXPECT_EQ(state(1).txns().intent_count() + state(2).txns().intent_count(), 0u);
  EXPECT_EQ(clients_.back()->stats().pushed, 1u);
}

TEST_F(TxnClientTest, ACommittedTxnsLeftoverIntentIsAppliedByTheNextToMeetIt) {
  const std::string a = key_in("a", 1), b = key_in("b", 2);
  // The dead coordinator decided commit and crashed before resolving group 2.
  raw(1, {kv::TxnPrepare{"done", 1, true, {}, {{a, kv::TxnWriteKind::kPut, "1"}}}}, 20);
  raw(2, {kv::TxnPrepare{"done", 1, false, {}, {{b, kv::TxnWriteKind::kAppend, "2"}}}}, 21);
  raw(1, {kv::TxnDecide{"done", true, {}}}, 22);
  const TxnResult r = run({{K::kGet, b, ""}}, 11);
  ASSERT_EQ(r.outcome, TxnOutcome::kCommitted) << r.message;
  EXPECT_EQ(r.reads[0], "2");
  EXPECT_EQ(state(2).txns().intent_count(), 0u);
  EXPECT_EQ(clients_.back()->stats().resolved_for_others, 1u);
  EXPECT_EQ(clients_.back()->stats().pushed, 0u);
}

TEST_F(TxnClientTest, AKeyHeldByAnotherTxnAbortsTheNewcomerWithATypedError) {
  const std::string a = key_in("a", 1), b = key_in("b", 2);
  raw(1, {kv::TxnPrepare{"holder", 1, true, {}, {{a, kv::TxnWriteKind::kPut, "h"}}}}, 20);
  const TxnResult r = run({{K::kPut, b, "1"}, {K::kPut, a, "2"}}, 11);
  EXPECT_EQ(r.outcome, TxnOutcome::kAborted);
  EXPECT_EQ(r.error, TxnError::kConflict) << r.message;
  // Nothing of it stayed; the holder, abandoned, was aborted on the way out.
  EXPECT_EQ(state(2).find(b), nullptr);
  EXPECT_EQ(state(1).txns().record("holder")->status, kv::TxnStatus::kAborted);
  EXPECT_EQ(state(1).txns().intent_count() + state(2).txns().intent_count(), 0u);
  EXPECT_EQ(run({{K::kPut, b, "1"}, {K::kPut, a, "2"}}, 12).outcome, TxnOutcome::kCommitted);
}

// A txn's writes in one group share a revision; a watch delivers each of
// them once, none lost to the next poll starting after that revision.
TEST_F(TxnClientTest, AWatchDeliversEveryKeyATxnWroteAtOneRevision) {
  const std::string a = key_in("w/a", 1), b = key_in("w/b", 1);
  std::vector<kv::WatchEvent> seen;
  std::unique_ptr<WatchClient>* keep = &watches_.emplace_back();
  client(kClientIdBase + 50, [this, keep, &seen](Env& env) {
    WatchClientOptions o;
    o.nodes = nodes_;
    o.group = 1;
    o.key = "w/";
    o.prefix = true;
    o.batch = 1;  // an answer must still hold the whole revision
    *keep = std::make_unique<WatchClient>(env, o, [&seen](const kv::WatchEvent& e) { seen.push_back(e); },
                                          [](uint64_t) {});
    (*keep)->start();
  });
  sim_.run_for(milliseconds(100));
  const TxnResult w = run({{K::kPut, a, "1"}, {K::kPut, b, "2"}}, 10);
  ASSERT_EQ(w.outcome, TxnOutcome::kCommitted) << w.message;
  ASSERT_EQ(w.groups, 1u);
  const TxnResult later = run({{K::kPut, a, "3"}}, 11);
  ASSERT_EQ(later.outcome, TxnOutcome::kCommitted) << later.message;
  sim_.run_until([&] { return seen.size() >= 3; }, sim_.now() + seconds(5));
  ASSERT_EQ(seen.size(), 3u);
  EXPECT_EQ(seen[0].revision, seen[1].revision);
  EXPECT_EQ(std::set<std::string>({seen[0].key, seen[1].key}), std::set<std::string>({a, b}));
  EXPECT_EQ(seen[2].key, a);
  EXPECT_EQ(seen[2].value, "3");
  EXPECT_GT(seen[2].revision, seen[0].revision);
  (*keep)->stop();
}

TEST_F(TxnClientTest, RecordsAreForgottenAsTheCoordinatorGoesOn) {
  std::optional<size_t> committed;
  std::unique_ptr<TxnClient>* keep = &clients_.emplace_back();
  auto loop = std::make_shared<std::function<void(int)>>();
  client(kClientIdBase + 40, [this, keep, loop, &committed](Env& env) {
    *keep = std::make_unique<TxnClient>(env, options(40));
    *loop = [this, keep, loop, &committed](int left) {
      if (left == 0) return void(committed = (*keep)->stats().committed);
      (*keep)->run({{K::kAppend, key_in("a", 1), "x"}, {K::kAppend, key_in("b", 2), "y"}},
                   [loop, left](const TxnResult&) { (*loop)(left - 1); });
    };
    (*loop)(20);
  });
  sim_.run_until([&] { return committed.has_value(); }, sim_.now() + seconds(60));
  ASSERT_EQ(committed, 20u);
  // Each decision forgets the records before it: at most the last one stays.
  EXPECT_LE(state(1).txns().record_count() + state(2).txns().record_count(), 1u);
  *loop = nullptr;
}

}  // namespace
}  // namespace shoal::txn
