// One Raft replica driven by hand-built messages, following the rules of the
// Raft paper's Figure 2 and the situations of Figures 7 and 8. Peers 2..5 are
// puppets: the test writes their messages and reads what node 1 sends them.
#include <gtest/gtest.h>

#include "engine/core/channels.h"
#include "engine/storage/memory_log.h"
#include "engine/storage/memory_snapshot_store.h"
#include "tests/raft/raft_harness.h"

namespace shoal::testing {
namespace {

struct Sent {
  NodeId to;
  RaftMessage m;
};

// A peer the test speaks for. It answers a state query on its own, as a
// replica of a brand-new cluster would (term 0, nothing committed), so a
// subject that starts empty may vote; everything else is the test's to say.
class Puppet final : public sim::Process {
 public:
  Puppet(Env& env, std::vector<Sent>& inbox) {
    env.network().set_handler(kRaftChannelBase, [&env, &inbox](Message&& m) {
      auto d = decode_message(m.payload);
      if (!d.ok()) return;
      if (d->type == MsgType::kStateQuery) {
        RaftMessage report;
        report.type = MsgType::kStateReport;
        report.seq = d->seq;
        env.network().send(m.from, kRaftChannelBase, encode_message(report));
        return;
      }
      inbox.push_back({env.self(), *d});
    });
  }
};

class SubjectProcess final : public sim::Process {
 public:
  SubjectProcess(Env& env, std::vector<LogEntry> log, HardState hs, RaftOptions o, Duration sync_delay) {
    auto storage = std::make_unique<MemoryLog>(env.clock(), sync_delay);
    if (hs.term > 0) (void)storage->save_hard_state(hs, [](absl::Status) {});
    if (!log.empty()) (void)storage->append(std::move(log), [](absl::Status) {});
    raft = std::make_unique<RaftNode>(env, o, std::move(storage), std::make_unique<MemorySnapshotStore>(env.clock()),
                                      sm, &invariants);
    raft->start();
  }
  ListMachine sm;
  RaftInvariants invariants;
  std::unique_ptr<RaftNode> raft;
};

LogEntry entry(uint64_t index, uint64_t term, const std::string& cmd = "x") {
  return LogEntry{index, term, make_entry_data(EntryKind::kCommand, cmd)};
}

struct Paper : ::testing::Test {
  void build(std::vector<LogEntry> log, HardState hs = {}, int n = 3, Duration sync_delay = Duration(0)) {
    RaftOptions o;
    for (int i = 1; i <= n; ++i) o.initial_voters.push_back(static_cast<NodeId>(i));
    o.election_timeout_min = seconds(10);  // nothing fires unless the test waits
    o.pre_vote = false;
    sim.add_process(1, "subject", [this, log, hs, o, sync_delay](Env& env) {
      return std::make_unique<SubjectProcess>(env, log, hs, o, sync_delay);
    });
    for (NodeId p = 2; p <= static_cast<NodeId>(n); ++p) {
      sim.add_process(p, "puppet", [this](Env& env) { return std::make_unique<Puppet>(env, inbox); });
    }
    sim.run_for(milliseconds(10));
  }
  RaftNode& node() { return *sim.process_as<SubjectProcess>(1)->raft; }
  void deliver(NodeId from, RaftMessage m) {
    sim.env(from)->network().send(1, kRaftChannelBase, encode_message(m));
    sim.run_for(milliseconds(20));
  }
  // The last message node 1 sent to `to` of type t.
  std::optional<RaftMessage> last(NodeId to, MsgType t) {
    for (auto it = inbox.rbegin(); it != inbox.rend(); ++it) {
      if (it->to == to && it->m.type == t) return it->m;
    }
    return std::nullopt;
  }
  RaftMessage vote(uint64_t term, uint64_t last_index, uint64_t last_term) {
    RaftMessage m;
    m.type = MsgType::kVote;
    m.term = term;
    m.last_index = last_index;
    m.last_term = last_term;
    return m;
  }
  RaftMessage append(uint64_t term, uint64_t prev_index, uint64_t prev_term, std::vector<LogEntry> e,
                     uint64_t commit) {
    RaftMessage m;
    m.type = MsgType::kAppend;
    m.term = term;
    m.prev_index = prev_index;
    m.prev_term = prev_term;
    m.entries = std::move(e);
    m.commit = commit;
    return m;
  }

  sim::Simulation sim{42};
  std::vector<Sent> inbox;
};

// Figure 2, RequestVote: one vote per term, only for an up-to-date log.
TEST_F(Paper, VotesOncePerTermAndOnlyForUpToDateLogs) {
  build({entry(1, 1), entry(2, 2)}, {2, kNoNode});
  sim.run_for(seconds(11));  // leave the stickiness window: no leader was heard
  inbox.clear();
  deliver(2, vote(3, 1, 1));  // last term 1 < 2: behind
  ASSERT_TRUE(last(2, MsgType::kVoteResp));
  EXPECT_FALSE(last(2, MsgType::kVoteResp)->granted);
  deliver(2, vote(3, 2, 2));  // equal log: up to date
  EXPECT_TRUE(last(2, MsgType::kVoteResp)->granted);
  EXPECT_EQ(node().log().hard_state(), (HardState{3, 2}));
  deliver(3, vote(3, 5, 2));  // same term, already voted for 2
  EXPECT_FALSE(last(3, MsgType::kVoteResp)->granted);
  deliver(3, vote(4, 1, 3));  // higher last term wins even with a shorter log
  EXPECT_TRUE(last(3, MsgType::kVoteResp)->granted);
  EXPECT_EQ(node().term(), 4u);
}

// Figure 2, AppendEntries receiver rules 1-2: stale terms and missing
// predecessors are refused; the refusal carries the current term.
TEST_F(Paper, AppendEntriesRefusesStaleTermsAndMissingPredecessors) {
  build({entry(1, 1), entry(2, 1)}, {3, kNoNode});
  deliver(2, append(2, 2, 1, {entry(3, 2)}, 0));
  auto r = last(2, MsgType::kAppendResp);
  ASSERT_TRUE(r);
  EXPECT_FALSE(r->success);
  EXPECT_EQ(r->term, 3u);
  deliver(2, append(3, 5, 3, {entry(6, 3)}, 0));  // no entry 5
  r = last(2, MsgType::kAppendResp);
  EXPECT_FALSE(r->success);
  EXPECT_EQ(r->hint, 2u);  // its last index, so the leader backs up at once
  EXPECT_EQ(node().last_index(), 2u);
}

// Figure 7 (f): a follower with extra entries of old terms has them
// replaced by the leader's, and only from the first conflict on.
TEST_F(Paper, ConflictingSuffixIsReplacedFromTheFirstConflict) {
  build({entry(1, 1), entry(2, 1), entry(3, 1), entry(4, 2), entry(5, 2), entry(6, 2), entry(7, 3),
         entry(8, 3)}, {3, kNoNode});
  // The leader of term 8 holds terms 1,1,1,4,4,5,5,6 at 1..8: its entry 4 conflicts.
  deliver(2, append(8, 3, 1, {entry(4, 4, "a"), entry(5, 4, "b"), entry(6, 5, "c")}, 6));
  auto r = last(2, MsgType::kAppendResp);
  ASSERT_TRUE(r);
  EXPECT_TRUE(r->success);
  EXPECT_EQ(r->index, 6u);
  EXPECT_EQ(node().last_index(), 6u);
  EXPECT_EQ(*node().log().term(4), 4u);
  EXPECT_EQ(*node().log().term(6), 5u);
  // Commit follows min(leaderCommit, index of the last new entry).
  EXPECT_EQ(node().commit_index(), 6u);
  EXPECT_EQ(sim.process_as<SubjectProcess>(1)->sm.items(), (std::vector<std::string>{"x", "x", "x", "a", "b", "c"}));
}

// Figure 7: a follower refuses when its entry at prev_index has another term,
// and its hint skips the whole conflicting term.
TEST_F(Paper, RefusalHintSkipsTheConflictingTerm) {
  build({entry(1, 1), entry(2, 2), entry(3, 2), entry(4, 2), entry(5, 2)}, {2, kNoNode});
  deliver(2, append(3, 5, 3, {}, 0));
  auto r = last(2, MsgType::kAppendResp);
  ASSERT_TRUE(r);
  EXPECT_FALSE(r->success);
  EXPECT_EQ(r->hint, 1u);  // entries 2..5 are all of term 2
}

// Figure 8: a leader never commits an entry of an earlier term by counting
// replicas; it commits it only together with an entry of its own term.
TEST_F(Paper, LeaderDoesNotCommitEarlierTermsByCounting) {
  build({entry(1, 1), entry(2, 2)}, {3, kNoNode}, 3);
  sim.run_for(seconds(21));  // election timeout: node 1 campaigns in term 4
  ASSERT_EQ(node().role(), Role::kCandidate);
  const uint64_t term = node().term();
  RaftMessage grant;
  grant.type = MsgType::kVoteResp;
  grant.term = term;
  grant.granted = true;
  inbox.clear();
  deliver(2, grant);
  ASSERT_TRUE(node().is_leader());
  // The new leader appended its no-op at 3. A follower acknowledges only up
  // to 2 (the old term's entry), which a majority now holds — still no commit.
  RaftMessage ack;
  ack.type = MsgType::kAppendResp;
  ack.term = term;
  ack.success = true;
  ack.index = 2;
  deliver(2, ack);
  EXPECT_EQ(node().commit_index(), 0u) << "committed an earlier term's entry by counting replicas";
  ack.index = 3;  // now the leader's own-term entry is on a majority
  deliver(2, ack);
  EXPECT_EQ(node().commit_index(), 3u);
  EXPECT_EQ(sim.process_as<SubjectProcess>(1)->sm.items().size(), 2u);  // the no-op applies no command
}

// Figure 2, "If RPC request or response contains term T > currentTerm: set
// currentTerm = T, convert to follower" — a leader learning of a newer term.
TEST_F(Paper, LeaderStepsDownOnANewerTerm) {
  build({}, {}, 3);
  sim.run_for(seconds(21));
  RaftMessage grant;
  grant.type = MsgType::kVoteResp;
  grant.term = node().term();
  grant.granted = true;
  deliver(2, grant);
  ASSERT_TRUE(node().is_leader());
  RaftMessage newer;
  newer.type = MsgType::kAppendResp;
  newer.term = node().term() + 5;
  deliver(3, newer);
  EXPECT_EQ(node().role(), Role::kFollower);
  EXPECT_EQ(node().log().hard_state().term, grant.term + 5);
}

// Durability: the vote is on stable storage before the candidate hears of it.
// With a storage sync of 200 ms, no answer may leave before 200 ms.
TEST_F(Paper, VoteIsDurableBeforeTheAnswerLeaves) {
  build({}, {}, 3, milliseconds(200));
  sim.run_for(seconds(11));
  inbox.clear();
  sim.env(2)->network().send(1, kRaftChannelBase, encode_message(vote(1, 0, 0)));
  sim.run_for(milliseconds(150));
  EXPECT_FALSE(last(2, MsgType::kVoteResp)) << "answered before the vote was durable";
  sim.run_for(milliseconds(200));
  ASSERT_TRUE(last(2, MsgType::kVoteResp));
  EXPECT_TRUE(last(2, MsgType::kVoteResp)->granted);
}

// Durability: a follower acknowledges entries only once they are durable.
TEST_F(Paper, FollowerAcknowledgesOnlyDurableEntries) {
  build({}, {}, 3, milliseconds(200));
  inbox.clear();
  sim.env(2)->network().send(1, kRaftChannelBase, encode_message(append(1, 0, 0, {entry(1, 1)}, 0)));
  sim.run_for(milliseconds(150));
  EXPECT_FALSE(last(2, MsgType::kAppendResp)) << "acknowledged an entry before it was durable";
  sim.run_for(milliseconds(300));
  ASSERT_TRUE(last(2, MsgType::kAppendResp));
  EXPECT_TRUE(last(2, MsgType::kAppendResp)->success);
}

}  // namespace
}  // namespace shoal::testing
