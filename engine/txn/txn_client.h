// TxnClient: multi-key transactions over KV groups, atomic and serializable,
// with the client as the coordinator (kv_command.h, "Transactions", has the
// commands; kv_txn.cc the rules each group applies).
//
// A transaction is a list of operations — get, put, delete, append — run in
// order. Keys are spread over the configured groups by group_of(). Gets read
// the committed value (a key another txn may be writing answers kTxnIntent:
// that txn is resolved first, see below); writes are buffered, and a get
// after a write of the same txn sees it. Then the commit:
//
//   one group     TxnCommitLocal: the reads are checked and the writes
//                 applied in one log entry.
//   several       two-phase commit. The group of the txn's first key holds
//                 its record. (1) TxnPrepare in every group at once (the
//                 record's creates the record PENDING): each checks the
//                 txn's reads there still hold and places intents on its
//                 keys. (2) TxnDecide(commit) at the record — the commit
//                 point; the record's group resolves its own intents in the
//                 same entry. (3) TxnResolve(commit) in every other group,
//                 at once. An intent placed before its record exists is
//                 unrecorded to whoever meets it — aborted, creating the
//                 record ABORTED — so the record's own prepare then fails.
//
// A prepare refused (a key held by another txn, a read that changed) aborts
// the txn: the record is decided ABORTED and the intents placed are dropped,
// best effort — whatever is left is resolved by whoever meets it. Nothing is
// ever waited on while holding intents, so there are no deadlocks; the
// caller retries an aborted txn.
//
// Recovery. A txn that meets an intent of another txn T asks T's record:
// decided — it resolves T's intent that way; PENDING — it waits (T's
// coordinator is usually finishing) up to `intent_patience`, then aborts T at
// its record (TxnDecide(abort): one entry decides, so a coordinator's commit
// and a pusher's abort cannot both win) and resolves the intent; no record —
// T was resolved already (the intent is a late duplicate) or never prepared
// there: it is aborted. So a crashed coordinator's txn is never left
// half-applied and never blocks anyone for longer than the patience.
//
// Outcomes: kCommitted (the record said so, or the one-group commit
// applied); kAborted (certainly not applied — this coordinator never asked to
// commit, or the record refused); kUnknown (the commit was asked and no
// answer came: it may have committed). `done` runs later, on the event loop,
// exactly once — unless crash() is called first.
//
// Records are garbage-collected: once the coordinator saw every intent of a
// txn resolved, the next decision it sends to that record's group names the
// txn in TxnDecide::forget. (A crashed coordinator's records stay.)
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/client/kv_client.h"
#include "engine/env/env.h"
#include "engine/rpc/rpc.h"
#include "engine/shard/kv_command.h"

namespace shoal::txn {

struct TxnOp {
  enum class Kind { kGet, kPut, kDelete, kAppend };
  Kind kind = Kind::kGet;
  std::string key;
  std::string value;  // put: the value; append: the suffix
};
const char* to_string(TxnOp::Kind kind);

enum class TxnOutcome { kCommitted, kAborted, kUnknown };
const char* to_string(TxnOutcome outcome);

// Why a txn did not commit (kNone when it did).
enum class TxnError {
  kNone,
  kConflict,     // a key was held by another txn's intent
  kStale,        // a read changed before the txn could commit
  kPushedAside,  // another txn's recovery aborted this one (it looked abandoned)
  kUnavailable,  // a group did not answer in time
  kBadRequest,   // over a limit, or a key no group holds
};
const char* to_string(TxnError error);

struct TxnResult {
  TxnOutcome outcome = TxnOutcome::kAborted;
  TxnError error = TxnError::kNone;
  std::string message;  // why, for people
  std::string txn;      // the txn's id
  // Per operation: a get's value (nullopt: the key was absent, or not a get).
  std::vector<std::optional<std::string>> reads;
  size_t groups = 0;  // how many groups it touched
};
using TxnCallback = std::function<void(const TxnResult&)>;

struct TxnClientOptions {
  std::vector<NodeId> nodes;    // where the groups are
  std::vector<uint32_t> groups; // the KV groups keys are spread over; REQUIRES: non-empty, distinct
  uint64_t client_id = 1;       // REQUIRES: != 0; unique among clients
  Duration attempt_timeout = milliseconds(500);
  Duration operation_timeout = seconds(5);  // per command, and for the txn's reads as a whole
  Duration intent_patience = seconds(1);
  Duration resolve_backoff = milliseconds(20);
};

// The group of `groups` that holds `key` (a stable hash; every client must
// be given the same list in the same order).
uint32_t group_of(std::string_view key, const std::vector<uint32_t>& groups);

class TxnClient {
 public:
  TxnClient(Env& env, TxnClientOptions options);
  ~TxnClient();
  TxnClient(const TxnClient&) = delete;
  TxnClient& operator=(const TxnClient&) = delete;

  // REQUIRES: !busy().
  void run(std::vector<TxnOp> ops, TxnCallback done);
  bool busy() const { return txn_ != nullptr; }
  // The coordinator dies where it stands: what it sent stays sent, nothing
  // more is sent, `done` never runs. The next run() is a new incarnation
  // (new client sessions, new txn ids).
  void crash();

  struct Stats {
    uint64_t committed = 0, aborted = 0, unknown = 0;
    uint64_t intents_met = 0;     // another txn's intent stood in the way
    uint64_t pushed = 0;          // ... and this client aborted that txn at its record
    uint64_t resolved_for_others = 0;
  };
  const Stats& stats() const { return stats_; }

 private:
  struct Txn;
  struct Part {
    std::vector<kv::TxnRead> reads;
    std::vector<kv::TxnWrite> writes;
  };
  using Then = std::function<void()>;
  struct Blocker {
    kv::IntentRef ref;
    uint32_t group = 0;  // where its intent was met
  };
  // Bounds the pending txns remembered as waited on.
  static constexpr size_t kFirstMetMax = 1024;

  KvClient& kv(uint32_t group);
  // Runs `write` / `query` on the group's client; `next` only while this txn
  // (this incarnation's) is still the one running.
  void write(uint32_t group, kv::Write w, std::function<void(const KvOpResult&)> next);
  void query(uint32_t group, kv::Query q, std::function<void(const KvOpResult&)> next);

  void step(size_t op);
  void read_key(const std::string& key, Then then);
  void commit();
  std::map<uint32_t, Part> parts() const;
  // How one group's prepare went.
  struct Prepare {
    enum State { kNotPlaced, kPlaced, kMaybe } state = kNotPlaced;
    TxnError error = TxnError::kNone;
    std::string message;
    std::optional<Blocker> blocker;
  };
  void prepare_all(std::map<uint32_t, Part> by_group);
  Prepare prepare_outcome(uint32_t group, const KvOpResult& r);
  void prepared();
  bool any_placed() const;  // some group may hold the txn's intents
  void decide_commit();
  void resolve_others(bool commit, Then then);
  // Gives the txn up: its record is decided aborted and its intents dropped
  // (best effort), then — with a blocker — that txn is resolved, then done.
  void abort(TxnError error, std::string message, std::optional<Blocker> blocker = std::nullopt);
  void finish(TxnOutcome outcome, TxnError error, std::string message);
  // Resolves the txn named by a kTxnIntent answer met in `group`, then runs `then`.
  void resolve_blocker(const kv::IntentRef& ref, uint32_t group, Then then);
  void push_blocker(const kv::IntentRef& ref, uint32_t group, Then then);
  void resolve_as(const kv::IntentRef& ref, uint32_t group, std::optional<kv::TxnStatus> status, Then then);
  bool past_deadline() const;

  Env& env_;
  TxnClientOptions options_;
  std::unique_ptr<Rpc> rpc_;
  std::map<uint32_t, std::unique_ptr<KvClient>> kvs_;
  uint64_t incarnation_ = 0;
  uint64_t txn_count_ = 0;
  std::unique_ptr<Txn> txn_;
  std::shared_ptr<const void> alive_;  // replaced on crash: older callbacks then do nothing
  TimerSlot timer_;
  // When this client first met each pending txn it is waiting on.
  std::map<std::string, TimePoint> first_met_;
  // Per record group: this client's finished txns whose every intent it saw
  // resolved, whose records the next decision sent there forgets.
  std::map<uint32_t, std::vector<std::string>> forget_;
  // The forget list for a decision to `group` (taken out of forget_).
  std::vector<std::string> take_forget(uint32_t group);
  // Puts a list back when its decision may not have been applied.
  void restore_forget(uint32_t group, std::vector<std::string> txns);
  Stats stats_;
};

}  // namespace shoal::txn
