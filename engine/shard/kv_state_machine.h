// KvStateMachine: the replicated key-value store of one Raft group — an
// ordered map from keys to values with get, put, delete, compare-and-set and
// append, whose writes a client can retry and still have applied exactly once.
//
// Raft calls apply() with each committed command (kv_command.h's encoding) in
// log order, and query() for reads it has already made safe; both return an
// encoded Result. apply() depends on nothing but the state and the command:
// no clock, no randomness, no I/O. The machine is single-threaded, like every
// engine component: one event loop owns it.
//
// Exactly-once sessions. A client names itself with a client id (one id per
// client incarnation, never reused) and numbers its writes 1, 2, 3, ... (gaps
// are allowed; one write in flight at a time). For each client the machine
// remembers the last applied sequence and its result. A command from client C
// with sequence S is
//   * applied, and its result remembered, when S is above C's last sequence,
//     or when C has no session and S == 1 (the session starts);
//   * answered with the remembered result, without applying, when S equals
//     C's last sequence (a retry whose first answer was lost);
//   * answered kStaleSequence, without applying, when S is below it (a late
//     duplicate; the client already has that answer);
//   * answered kSessionExpired, without applying, when C has no session and
//     S > 1: the session was evicted, so a retry can no longer be recognised
//     and the client must treat that write's outcome as unknown and continue
//     under a new client id.
// A command without a session is always applied.
//
// Session expiry (bounded table). The table keeps at most
// KvOptions::max_sessions sessions and KvOptions::max_session_bytes of
// remembered results; beyond either, the session whose last write applied at
// the lowest log index is evicted (least recently applied first). Recency is
// the log index, so eviction is the same on every replica. The one case
// exactly-once cannot cover: a first write (S == 1) whose duplicate reaches
// the log only after its session was evicted is applied again — which takes
// max_sessions other clients' writes (or max_session_bytes of results) in
// between.
//
// Applied index. Every committed entry moves it — a command through apply(),
// a leader's no-op or a configuration change through skip() — so it is the
// Raft log index of the last entry this replica applied, on every replica.
//
// Locks (kv_locks.cc). Acquire, release, extend, force-release and expire
// change only the lock table; a data write with a fence applies only while
// its token holds the lock, else it answers kFenced and changes nothing —
// the fence is judged at apply, in log order, so a write that waited out a
// lease (in a paused client, on a slow link) cannot land after the lock
// moved on. Within a session the fence is judged once, at first apply; a
// retry gets the remembered answer.
//
// User sessions (kv_user_sessions.cc): create, touch, update, extend,
// delete, delete-by-user, and the leader's expiry, with get, by-user and
// stats reads; like locks, a lease ends only by the leader's expiry command,
// in log order.
//
// Transactions (kv_txn.cc): intents, records and their resolution; a data
// write to a key an intent holds is refused kTxnIntent, and so is a read of a
// key a txn may write.
//
// Watches. Every change applied is kept in a bounded WatchHistory (a cache
// of the log, outside the replicated state), which answers Watch queries;
// restoring a snapshot starts the history afresh at the snapshot's index.
//
// Reads. query() answers a Get with the value and the machine's applied
// index, or kBehind (with the applied index) when the Get asks for a higher
// min_applied_index — how a replica serves a session's read-your-writes token.
//
// Snapshots and fingerprint. snapshot() encodes the applied index, the data
// and the session table (equal states give equal bytes); restore() accepts
// only intact snapshots (checksummed) that satisfy this machine's limits and
// leaves the state unchanged otherwise. fingerprint() is a stable hash of the
// same three things, updated incrementally (O(1)).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "engine/raft/state_machine.h"
#include "engine/shard/kv_command.h"
#include "engine/shard/kv_state.h"
#include "engine/shard/watch_history.h"

namespace shoal::kv {

// A result with its message cut to kMaxMessageBytes, so it always encodes
// (shared by the machine's source files).
Result make_result(Code code, uint64_t index, std::string message = {});
// kTxnIntent: `key` is held by `intent`'s txn (value names it: IntentRef).
Result intent_refusal(uint64_t index, const std::string& key, const Intent& intent);

class KvStateMachine final : public StateMachine {
 public:
  // REQUIRES: options.max_sessions >= 1 and
  // options.max_session_bytes >= kMaxSessionCostBytes.
  explicit KvStateMachine(KvOptions options = {});

  // REQUIRES: index > applied_index(). PROMISES: applied_index() == index, and
  // an encoded Result; malformed bytes give kError and change nothing else.
  std::string apply(uint64_t index, std::string_view command) override;
  // REQUIRES: index > applied_index(). PROMISES: applied_index() == index.
  void skip(uint64_t index) override;
  // PROMISES: an encoded Result; malformed bytes give kError.
  std::string query(std::string_view request) const override;
  std::string snapshot() const override;
  bool accepts_command(std::string_view command) const override { return decode_command(command).ok(); }
  bool accepts_query(std::string_view request) const override { return decode_query(request).ok(); }
  // PROMISES: on error (DataLoss) the state is exactly as before.
  absl::Status restore(std::string_view bytes) override;
  uint64_t fingerprint() const override;

  // apply() and query() without the encoding, for in-process callers.
  // REQUIRES (apply_command): index > applied_index(). A command over the
  // limits (check_command) gives kError.
  Result apply_command(uint64_t index, const Command& command);
  Result read(const Query& query) const;

  uint64_t applied_index() const override { return state_.applied_index(); }
  size_t key_count() const { return state_.data().size(); }
  size_t session_count() const { return state_.sessions().size(); }
  size_t session_bytes() const { return state_.session_bytes(); }
  const KvOptions& options() const { return options_; }
  // The whole state, read-only: for invariant checks and tests.
  const KvState& state() const { return state_; }
  // The client's session, or nullptr when it has none (never had, or evicted).
  const SessionEntry* session(uint64_t client_id) const { return state_.session(client_id); }

  // The changes this replica can answer watches from (not replicated state).
  const WatchHistory& watch_history() const { return history_; }

  // The invariants checker (see KvState::check_invariants); O(state bytes).
  absl::Status check_invariants() const { return state_.check_invariants(options_); }

 private:
  // The session rules above: apply, replay the remembered result, or refuse.
  Result apply_in_session(uint64_t index, const Command& command);
  // A command's effect once the session rules let it apply: the fence, then the write.
  Result apply_guarded(uint64_t index, const Command& command);
  Result apply_write(uint64_t index, const Write& write);
  // kv_locks.cc: the lock commands and reads.
  Result apply_lock(uint64_t index, const Write& write);
  std::optional<Result> refuse_by_fence(uint64_t index, const Fence& fence) const;
  Result read_locks(const Query& query) const;
  // kv_user_sessions.cc: the user-session commands and reads.
  Result apply_session(uint64_t index, const Write& write);
  Result create_session(uint64_t index, const SessionCreate& create);
  template <typename T>
  Result change_session(uint64_t index, const SessionInfo& live, const T& op);
  Result read_user_sessions(const Query& query) const;
  // kv_txn.cc: the transaction commands and the intents' hold on keys.
  Result apply_txn(uint64_t index, const Write& write);
  Result prepare_txn(uint64_t index, const TxnPrepare& prepare);
  Result decide_txn(uint64_t index, const TxnDecide& decide);
  void resolve_intents(uint64_t index, const std::string& txn, bool commit);
  void apply_txn_write(uint64_t index, const TxnWrite& write);
  // kTxnIntent when another txn than `txn` (empty: any) holds the key.
  std::optional<Result> refuse_by_intent(uint64_t index, const std::string& key, const std::string& txn) const;
  std::optional<Result> check_txn_keys(uint64_t index, const std::string& txn, const std::vector<TxnRead>& reads,
                                       const std::vector<TxnWrite>& writes) const;
  Result read_txn_status(const TxnStatusQuery& query) const;
  Result apply_cas(uint64_t index, const Cas& cas);
  Result apply_append(uint64_t index, const Append& append);

  // Records a change to `key` made by the entry at `index` (its new value,
  // or deleted) for watches.
  void changed(uint64_t index, const std::string& key, bool deleted);

  KvOptions options_;
  KvState state_;
  WatchHistory history_;
};

}  // namespace shoal::kv
