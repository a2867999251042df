// RaftNode: one replica of one Raft replication group.
//
// The node runs on its Env's event loop. It owns the replica's storage (a
// LogStorage and a SnapshotStore, disk-backed or their memory twins) and
// drives a StateMachine it does not own. Many RaftNodes may share one Env
// (one node hosts many groups): each sends on its own channel.
//
// Protocol, as in Ongaro's dissertation, with the extensions production
// systems need:
//  * randomized election timeouts and pre-vote (a partitioned node does not
//    inflate terms and disturb a healthy leader on return);
//  * check-quorum (a leader that cannot reach a quorum steps down) and vote
//    stickiness (a voter that heard from a leader within the minimum election
//    timeout ignores other candidates, which is what makes leases safe);
//  * ReadIndex reads and lease reads;
//  * batched, pipelined replication with a bounded number of appends in flight;
//  * snapshots taken every snapshot_threshold entries, sent in chunks;
//  * one-at-a-time membership changes with learners that catch up first;
//  * leadership transfer (TimeoutNow).
// Durability: a vote or a new term is saved before any message that depends
// on it is sent; a follower acknowledges entries only once they are durable;
// a leader counts itself toward a quorum only for durable entries.
//
// Lost state. A replica that starts with no durable state at all — a new
// node, or one whose data directory was wiped — cannot know whether it voted
// before, nor what it acknowledged; if it voted again in a term where it had
// voted, two leaders could win that term, and if it voted before it caught
// up, a committed entry it once held could be lost. So it starts with its
// votes suspended: it neither votes nor campaigns (it does replicate: what
// it acknowledges it holds). It asks every voter of its configuration for
// its term and the end of its log (StateQuery / StateReport), and lifts the
// suspension only once every voter answered and its own durable log is at
// least as up to date as the best log reported; it then never votes in a
// term at or below the highest term reported (the vote floor, durable in the
// hard state). Why the log: an entry this replica held and acknowledged may
// now be held by one other voter only; a candidate that wins this replica's
// vote must be at least as up to date as that voter, which Raft's own vote
// rule ensures once this replica's log is. (Commit indices would not do: they
// are not durable, so a restarted peer reports less than was committed.)
// A brand-new cluster passes at once: everyone reports term 0 and an empty
// log. A voter that cannot be reached keeps the replica suspended, and it
// says so in its log.
#pragma once

#include <algorithm>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "engine/env/env.h"
#include "engine/raft/membership.h"
#include "engine/raft/messages.h"
#include "engine/raft/state_machine.h"
#include "engine/storage/log_storage.h"
#include "engine/storage/snapshot_store.h"

namespace shoal {

using GroupId = uint32_t;

struct RaftOptions {
  GroupId group = 0;
  Duration election_timeout_min = milliseconds(300);  // randomized in [min, 2*min)
  Duration heartbeat_interval = milliseconds(50);
  // The most a clock may run fast or slow relative to another (a fraction).
  // Leases are shortened by it.
  double clock_drift_max = 0.05;
  bool pre_vote = true;
  bool check_quorum = true;
  size_t max_inflight_appends = 64;
  uint64_t max_append_bytes = 256u << 10;
  size_t max_append_entries = 512;
  size_t max_pending_proposals = 4096;
  // Take a snapshot when this many entries were applied since the last one;
  // keep this many entries behind it for slow followers.
  uint64_t snapshot_threshold = 2000;
  uint64_t snapshot_keep_entries = 200;
  // A learner is promoted only once it is within this many entries of the leader.
  uint64_t learner_catchup_entries = 50;
  // The voters a brand-new group starts with. Empty for a node that joins an
  // existing group: it waits for a leader to send it the configuration.
  std::vector<NodeId> initial_voters;
};

enum class Role { kFollower, kPreCandidate, kCandidate, kLeader };
const char* to_string(Role r);

// Why a proposal, a read or a membership change was not done. Callers decide
// what to do by this code, never by the message text.
enum class RaftError : uint8_t {
  kNone,
  kNotLeader,       // not done: this replica does not lead; leader_hint may name who does
  kUnavailable,     // not done: cannot serve now (not caught up, storage failed,
                    // leadership being transferred); retry, here or elsewhere
  kOverloaded,      // not done: over a bound on pending work; retry here later
  kOutcomeUnknown,  // a write that may or may not take effect: leadership was
                    // lost after it was appended, or its entry was replaced
  kRejected,        // not done and never will be as asked (an impossible
                    // membership change, a change while another is in flight)
};
const char* to_string(RaftError e);

// What a proposal or a read came to.
struct RaftResult {
  RaftError error = RaftError::kNone;
  std::string message;         // why, when error != kNone
  uint64_t index = 0;          // the entry's log index (writes) or the read index
  std::string value;           // the state machine's result or query answer
  NodeId leader_hint = kNoNode;
  // Writes: whether the entry was applied when the answer left. A write at
  // Ack::kLeader may be answered once the leader's copy is durable and before
  // it is applied: then it has no result (value is empty) — the write was
  // accepted, and what it does (a CAS's comparison) is decided at apply.
  bool applied = true;

  bool ok() const { return error == RaftError::kNone; }
};
using RaftCallback = std::function<void(RaftResult)>;

// When a write is acknowledged (engine/client names these consistency levels).
enum class Ack {
  kLeader,  // the leader's own copy is durable: may be lost if the leader dies
  kQuorum,  // committed and applied
  kAll,     // committed, applied, and every voter holds it
};

class RaftNode;

// Observes replicas for invariant checkers and reports. Called synchronously
// at the moment of each transition, so a checker runs after every step.
class RaftObserver {
 public:
  virtual ~RaftObserver() = default;
  virtual void on_start(const RaftNode& node) {}
  virtual void on_role(const RaftNode& node) {}
  virtual void on_commit(const RaftNode& node) {}
  virtual void on_apply(const RaftNode& node, const LogEntry& entry) {}
  virtual void on_restore(const RaftNode& node, uint64_t index, uint64_t term) {}
  // A read is being served on the strength of the leader's lease alone.
  virtual void on_lease_read(const RaftNode& node) {}
  // A write at index is being acknowledged to its client at level ack.
  virtual void on_ack(const RaftNode& node, uint64_t index, Ack ack) {}
};

class RaftNode {
 public:
  // REQUIRES: log and snapshots opened successfully (status OK); sm outlives
  // the node. The node restores sm from the latest snapshot and replays
  // nothing else: committed entries are re-applied as the commit index is
  // learned again.
  RaftNode(Env& env, RaftOptions options, std::unique_ptr<LogStorage> log,
           std::unique_ptr<SnapshotStore> snapshots, StateMachine& sm,
           RaftObserver* observer = nullptr);
  ~RaftNode();
  RaftNode(const RaftNode&) = delete;
  RaftNode& operator=(const RaftNode&) = delete;

  void start();

  // ---- client operations (leader only; others answer Unavailable + hint)
  void propose(std::string command, Ack ack, RaftCallback done);
  // A linearizable read via ReadIndex: done runs once a quorum confirmed this
  // node still leads and the state machine applied the read index.
  void read_index(std::string query, RaftCallback done);
  // A lease read: served at once from the leader's state when its lease holds,
  // else falls back to read_index.
  void read_lease(std::string query, RaftCallback done);
  // A read of this replica's state as it is (possibly stale), with the applied index.
  RaftResult read_local(const std::string& query) const;
  // Waits until this replica applied `index`, then reads (session reads).
  // Gives up with Unavailable after `timeout`.
  void read_after(uint64_t index, std::string query, Duration timeout, RaftCallback done);

  void change_membership(MembershipChange change, RaftCallback done);
  // Hands leadership to `target` once it is caught up.
  absl::Status transfer_leadership(NodeId target);

  // ---- state, for servers, tests and invariant checkers
  NodeId id() const { return env_.self(); }
  GroupId group() const { return options_.group; }
  Role role() const { return role_; }
  bool is_leader() const { return role_ == Role::kLeader; }
  // A leader that has applied an entry of its own term: its state machine
  // holds everything committed before it led.
  bool committed_in_current_term() const { return role_ == Role::kLeader && committed_in_term_; }
  uint64_t term() const { return term_; }
  NodeId leader() const { return leader_; }
  uint64_t commit_index() const { return commit_; }
  uint64_t applied_index() const { return applied_; }
  uint64_t last_index() const { return log_->last_index(); }
  const Membership& membership() const { return config_; }
  // This replica holds the log durably up to here: in its log on disk, or
  // in a snapshot (a follower snapshots what it applied, which may be past
  // what its own log has synced).
  uint64_t durable_index() const { return std::max(durable_index_, log_->first_index() - 1); }
  const LogStorage& log() const { return *log_; }
  const SnapshotStore& snapshots() const { return *snapshots_; }
  // Non-OK once storage failed: the replica stops serving and must be rebuilt.
  absl::Status health() const { return failure_; }
  // The vote floor (kVotesSuspended while this replica may not vote at all).
  uint64_t vote_floor() const { return vote_floor_; }
  bool votes_suspended() const { return vote_floor_ == kVotesSuspended; }
  // The leader's view of a follower's replication (0 when unknown).
  uint64_t match_index(NodeId peer) const;

 private:
  struct Progress {
    uint64_t match = 0;
    uint64_t next = 1;
    enum class State { kProbe, kReplicate, kSnapshot } state = State::kProbe;
    size_t inflight = 0;
    TimePoint last_contact{};
    bool probe_sent = false;
    uint64_t snapshot_index = 0;  // kSnapshot: the snapshot being sent
    uint64_t snapshot_chunk = 0;  // kSnapshot: the next chunk to send
    uint64_t acked_seq = 0;       // the newest heartbeat round it answered
    TimePoint last_progress{};    // when match last advanced (or replication began)
  };
  struct PendingWrite {
    uint64_t index = 0, term = 0;
    Ack ack = Ack::kQuorum;
    RaftCallback done;
    bool applied = false;
    std::string result;
  };
  struct PendingRead {
    uint64_t index = 0;  // the commit index the read waits for
    uint64_t seq = 0;    // the heartbeat round a quorum must answer (0: none)
    std::string query;
    RaftCallback done;
  };
  struct WaitingRead {
    uint64_t index = 0;
    std::string query;
    RaftCallback done;
    TimerId timeout = kNoTimer;
  };

  // raft.cc: roles, terms, messages in and out
  void on_message(Message&& m);
  void step(RaftMessage&& m);
  void send(NodeId to, RaftMessage m);
  void become_follower(uint64_t term, NodeId leader);
  void become_leader();
  void set_role(Role r);
  void persist_then(HardState hs, std::function<void()> then);
  void fail(const absl::Status& st);
  void reset_election_timer();
  Duration random_election_timeout();
  bool heard_from_leader_recently() const;
  // Follows the sender of an append or snapshot of the current term and
  // starts the response of type `response`.
  RaftMessage accept_leader(const RaftMessage& m, MsgType response);

  // raft_election.cc
  void on_election_timeout();
  void campaign(bool pre, bool transfer);
  void on_vote_request(const RaftMessage& m);
  void on_vote_response(const RaftMessage& m);
  bool log_up_to_date(uint64_t last_index, uint64_t last_term) const;

  // raft_replication.cc
  void on_heartbeat_timer();
  void broadcast_append(bool heartbeat);
  void send_append(NodeId to, bool heartbeat);
  void on_append(RaftMessage&& m);
  void on_append_response(const RaftMessage& m);
  void maybe_commit();
  void advance_commit(uint64_t commit);
  void apply_committed();
  void apply_entry(const LogEntry& e);
  void complete_writes();
  void on_own_append_durable(uint64_t index, uint64_t term);

  // raft_snapshot.cc
  void maybe_snapshot();
  void send_snapshot_chunk(NodeId to);
  void on_snapshot(RaftMessage&& m);
  void on_snapshot_response(const RaftMessage& m);
  void restore_from_snapshot_store();
  Membership config_at(uint64_t index) const;

  // raft_read.cc and raft_membership.cc
  void serve_reads();
  // Moves the lease start to the newest round a quorum answered; returns it.
  uint64_t renew_lease();
  void serve_waiting_reads();
  bool lease_valid() const;
  void on_config_entry(uint64_t index, const Membership& m);

  // raft_lost_state.cc
  void query_peer_states();
  void on_state_query(const RaftMessage& m);
  void on_state_report(const RaftMessage& m);
  void maybe_lift_vote_suspension();
  HardState hard_state() const { return HardState{term_, vote_, vote_floor_}; }
  // Records `e` (at `index`) as the newest configuration if it is one.
  void note_config_entry(uint64_t index, const LogEntry& e);
  void rebuild_config_after_truncation();
  void fail_pending(const std::string& why);
  // The term of entry `index`. REQUIRES: first_index() - 1 <= index <=
  // last_index() (a term the log keeps in memory, so it cannot fail).
  uint64_t term_at(uint64_t index) const;
  // The node's own invariants, checked after every step (TigerBeetle-style:
  // cheap, always on): applied <= commit <= last index, durable <= last,
  // and for a leader, per follower, match < next, match <= last and
  // in-flight appends within max_inflight_appends.
  void check_invariants() const;
  // A refusal: no effect, a code, a reason and who this node thinks leads.
  RaftResult refusal(RaftError error, std::string why) const;

  Env& env_;
  RaftOptions options_;
  ChannelId channel_;
  std::unique_ptr<LogStorage> log_;
  std::unique_ptr<SnapshotStore> snapshots_;
  StateMachine& sm_;
  RaftObserver* observer_;
  absl::Status failure_;

  // Persistent state mirrored in memory (term_ and vote_ are durable only
  // once persist_then's continuation ran).
  uint64_t term_ = 0;
  NodeId vote_ = kNoNode;
  uint64_t vote_floor_ = 0;
  bool persisting_ = false;  // a hard-state save is in flight
  std::deque<std::function<void()>> after_persist_;

  Role role_ = Role::kFollower;
  NodeId leader_ = kNoNode;
  uint64_t commit_ = 0;
  uint64_t applied_ = 0;
  uint64_t durable_index_ = 0;  // this replica's log is durable up to here

  // Configuration: the newest config entry in the log wins; history keeps
  // (index -> membership) for snapshots and truncation.
  Membership config_;
  std::map<uint64_t, Membership> config_history_;
  Membership snapshot_config_;

  TimerSlot election_timer_;
  TimerSlot heartbeat_timer_;
  TimePoint last_leader_contact_{};
  TimePoint started_at_{};

  // Candidate state.
  std::map<NodeId, bool> votes_;

  // Leader state.
  std::map<NodeId, Progress> progress_;
  uint64_t heartbeat_seq_ = 0;
  std::map<uint64_t, TimePoint> round_sent_at_;  // heartbeat round -> send time
  TimePoint lease_start_{};                      // send time of the newest quorum-acked round
  bool committed_in_term_ = false;
  uint64_t term_start_index_ = 0;  // the no-op that opened this leader's term
  NodeId transfer_target_ = kNoNode;
  TimePoint transfer_deadline_{};

  std::deque<PendingWrite> writes_;
  std::deque<PendingRead> reads_;
  std::vector<WaitingRead> waiting_reads_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);

  // Lost state: what each peer reported (term, commit) to this incarnation.
  struct PeerState {
    uint64_t term = 0;
    uint64_t last_term = 0, last_index = 0;  // the end of its log
  };
  std::map<NodeId, PeerState> peer_states_;
  uint64_t state_query_seq_ = 0;
  TimePoint last_state_query_{};

  uint64_t snapshot_inflight_index_ = 0;  // a local snapshot save in flight
  bool installing_ = false;
};

}  // namespace shoal
