// The byte forms of the key-value state machine's commands, queries and
// results: what a client proposes through the Raft log, what a read asks, and
// what either gets back. Raft moves these as opaque bytes; only the client and
// KvStateMachine look inside.
//
// Commands are writes: put, delete, compare-and-set and append, and the lock
// commands (acquire, release, extend, force-release, and the leader's expiry;
// kv_locks.cc has their rules). A data write may carry a fence — a lock's
// (resource, token) — and then applies only while that token holds the lock.
// A command
// proposed by a client carries its session — (client id, sequence number) —
// so that KvStateMachine applies a retried proposal at most once and answers
// the retry with the first answer (see kv_state_machine.h for the rules). A
// command without a session is applied every time it reaches the log; it is
// for internal writers that never retry blindly.
//
// Queries are reads served by KvStateMachine::query(): get a key, optionally
// only from a replica that has applied at least a given log index (a session
// "read-your-writes" token).
//
// Results carry a code, a value where one is read, and a log index: for a
// write, the index of the log entry whose apply produced the result (for a
// retried sequence, the original entry's index, so a client's token is the
// same however often it retried); for a read, the replica's applied index.
//
// Decoding never trusts its input: every decoder is bounds-checked, rejects
// unknown tags, oversized fields and trailing bytes, and accepts only the one
// canonical encoding of a value (decode(b) succeeds only if encode of the
// result is b again). Malformed bytes are an error, never a crash. The
// encoders REQUIRE well-formed values (within the limits below); they do not
// check, because everything they are given was built by Shoal code.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "absl/status/statusor.h"
#include "engine/core/codec.h"

namespace shoal::kv {

// Keys are 1..kMaxKeyBytes bytes; values (and a CAS's expected value, and an
// append's suffix) at most kMaxValueBytes; an append that would grow a value
// past kMaxValueBytes fails. Result messages are cut to kMaxMessageBytes.
inline constexpr size_t kMaxKeyBytes = 4 << 10;
inline constexpr size_t kMaxValueBytes = 1 << 20;
inline constexpr size_t kMaxMessageBytes = 1 << 10;

// Client id 0 is never a client; sequence numbers start at 1.
inline constexpr uint64_t kNoClient = 0;
inline constexpr uint64_t kFirstSequence = 1;

// ---- Writes -----------------------------------------------------------------

struct Put {
  std::string key;
  std::string value;
  bool operator==(const Put&) const = default;
};

struct Delete {
  std::string key;
  bool operator==(const Delete&) const = default;
};

// Sets `key` to `value` only if its current value equals `expected`; an
// absent `expected` means "only if the key does not exist".
struct Cas {
  std::string key;
  std::optional<std::string> expected;
  std::string value;
  bool operator==(const Cas&) const = default;
};

// Appends `suffix` to the key's value, creating the key if it is absent.
struct Append {
  std::string key;
  std::string suffix;
  bool operator==(const Append&) const = default;
};

// ---- Locks ------------------------------------------------------------------
//
// A lock is held on a named resource by a holder (a client's name) under a
// fencing token: the log index of the command that granted it, so tokens grow
// with every grant, across resources and leaders. A lease keeps the lock
// until the group's leader expires it (LockExpire) ttl_ms after it first saw
// the lease's latest grant or extension by its own clock; only that command
// ends a lease, so every replica agrees when it ended.

// Grants the lock if it is free (or already this holder's: the lease is
// renewed, the token kept); otherwise kLocked with the current holder.
struct LockAcquire {
  std::string resource;
  std::string holder;
  uint64_t ttl_ms = 0;
  bool operator==(const LockAcquire&) const = default;
};

// Frees the lock if `token` holds it; otherwise kNotHolder.
struct LockRelease {
  std::string resource;
  uint64_t token = 0;
  bool operator==(const LockRelease&) const = default;
};

// Renews the lease (a new ttl from now) if `token` holds it; otherwise kNotHolder.
struct LockExtend {
  std::string resource;
  uint64_t token = 0;
  uint64_t ttl_ms = 0;
  bool operator==(const LockExtend&) const = default;
};

// An administrator frees the lock whoever holds it (kNotFound if free).
struct LockForceRelease {
  std::string resource;
  bool operator==(const LockForceRelease&) const = default;
};

// Proposed by the leader when the lease granted or renewed at `lease_index`
// ran out by its clock (`leader_time_ms`, recorded for the history). Frees
// the lock only if that lease is still the current one: an extension that
// committed meanwhile wins, and the expiry answers kNotHolder.
struct LockExpire {
  std::string resource;
  uint64_t token = 0;
  uint64_t lease_index = 0;
  uint64_t leader_time_ms = 0;
  bool operator==(const LockExpire&) const = default;
};

// ---- Sessions ---------------------------------------------------------------
//
// User sessions with a TTL (kv_user_sessions.cc has the rules): an id the
// client chose, the user it belongs to, a small map of data, and a lease
// that every touch, update or extension renews and that only the leader's
// expiry command (SessionExpire) ends — like a lock's. A session that ended
// (expired or deleted) is gone: touching it answers kNotFound, never brings
// it back.
using SessionData = std::vector<std::pair<std::string, std::string>>;  // keys ascending, unique

struct SessionCreate {
  std::string id;
  std::string user;
  SessionData data;
  uint64_t ttl_ms = 0;
  bool operator==(const SessionCreate&) const = default;
};
// get(id, touch): renews the lease and answers the session.
struct SessionTouch {
  std::string id;
  bool operator==(const SessionTouch&) const = default;
};
// Merges `data` into the session's (a key given replaces the old value) and
// renews the lease, with a new ttl unless ttl_ms is 0.
struct SessionUpdate {
  std::string id;
  SessionData data;
  uint64_t ttl_ms = 0;
  bool operator==(const SessionUpdate&) const = default;
};
// A new lease of ttl_ms from now.
struct SessionExtend {
  std::string id;
  uint64_t ttl_ms = 0;
  bool operator==(const SessionExtend&) const = default;
};
struct SessionDelete {
  std::string id;
  bool operator==(const SessionDelete&) const = default;
};
// Logout everywhere: every session of the user ends (Result::sessions lists them).
struct SessionDeleteByUser {
  std::string user;
  bool operator==(const SessionDeleteByUser&) const = default;
};
// The leader's expiry of the lease begun at lease_index (see LockExpire).
struct SessionExpire {
  std::string id;
  uint64_t lease_index = 0;
  uint64_t leader_time_ms = 0;
  bool operator==(const SessionExpire&) const = default;
};

// ---- Transactions -----------------------------------------------------------
//
// Cross-group transactions (kv_txn.cc has the rules; engine/txn the
// coordinator). A transaction, named by an id its coordinator chose, places
// an intent on every key it read or writes in each group it touches
// (TxnPrepare): the key is then held for it — other prepares, plain writes
// and reads of a key it will write answer kTxnIntent naming the txn — and
// the group checked that every read value is still the one the txn saw. Its
// record, PENDING from the prepare in the group of its first key, is decided
// once by TxnDecide: COMMITTED (the commit point) or ABORTED; that group's
// own intents are resolved in the same entry. Every other group's intents are
// resolved by TxnResolve with the record's outcome — by the coordinator, or by
// whoever meets them next. A txn of one group needs no record: TxnCommitLocal
// checks and applies it in one entry.

enum class TxnWriteKind : uint8_t { kPut = 1, kDelete = 2, kAppend = 3 };
struct TxnWrite {
  std::string key;
  TxnWriteKind kind = TxnWriteKind::kPut;
  std::string value;  // put: the value; append: the suffix; delete: empty
  bool operator==(const TxnWrite&) const = default;
};
// A read the txn made, to be checked: the key's value still hashes to
// value_hash (txn_value_hash), or the key is still absent (nullopt).
struct TxnRead {
  std::string key;
  std::optional<uint64_t> value_hash;
  bool operator==(const TxnRead&) const = default;
};
uint64_t txn_value_hash(std::string_view value);

struct TxnPrepare {
  std::string txn;
  uint32_t record_group = 0;  // where the txn's record is
  bool holds_record = false;  // this group is record_group: create the record PENDING
  std::vector<TxnRead> reads;
  std::vector<TxnWrite> writes;
  bool operator==(const TxnPrepare&) const = default;
};
// `forget` names earlier txns whose record this group holds and whose every
// intent their coordinator saw resolved: their decided records are dropped
// (a coordinator's garbage collection, riding on its next decision here). A
// record still pending is kept.
struct TxnDecide {
  std::string txn;
  bool commit = false;
  std::vector<std::string> forget;
  bool operator==(const TxnDecide&) const = default;
};
struct TxnResolve {
  std::string txn;
  bool commit = false;
  bool operator==(const TxnResolve&) const = default;
};
struct TxnCommitLocal {
  std::vector<TxnRead> reads;
  std::vector<TxnWrite> writes;
  bool operator==(const TxnCommitLocal&) const = default;
};

// Txn ids are 1..kMaxTxnIdBytes bytes; a txn names at most kMaxTxnKeys keys
// per group (reads and writes together).
inline constexpr size_t kMaxTxnIdBytes = 128;
inline constexpr size_t kMaxTxnKeys = 256;
// A decision forgets at most this many records.
inline constexpr size_t kMaxTxnForget = 64;

using Write = std::variant<Put, Delete, Cas, Append, LockAcquire, LockRelease, LockExtend, LockForceRelease,
                           LockExpire, SessionCreate, SessionTouch, SessionUpdate, SessionExtend, SessionDelete,
                           SessionDeleteByUser, SessionExpire, TxnPrepare, TxnDecide, TxnResolve,
                           TxnCommitLocal>;

// Whether a write is one of the data writes (put, delete, CAS, append), the
// only kind a fence may guard; whether it is a session command.
bool is_data_write(const Write& write);
bool is_session_write(const Write& write);
bool is_txn_write(const Write& write);

// A data write guarded by a lock: it applies only if `token` holds
// `resource`'s lock when the write reaches the log; otherwise kFenced and
// nothing changes (the store, not the client, decides whether a lease ran out).
struct Fence {
  std::string resource;
  uint64_t token = 0;
  bool operator==(const Fence&) const = default;
};

// Lock names and holders are at most these many bytes; a lease is 1 ms to
// kMaxLockTtlMs long; a listing of locks answers at most kMaxLocksListed.
inline constexpr size_t kMaxResourceBytes = 1 << 10;
inline constexpr size_t kMaxHolderBytes = 256;
inline constexpr uint64_t kMaxLockTtlMs = 24ull * 3600 * 1000;
inline constexpr size_t kMaxLocksListed = 1000;
// Session ids and users at most kMaxSessionNameBytes; data at most
// kMaxSessionDataEntries entries of kMaxSessionDataBytes in all; a lease 1 ms
// to kMaxSessionTtlMs; a user at most kMaxSessionsPerUser live sessions; a
// group at most kMaxUserSessions.
inline constexpr size_t kMaxSessionNameBytes = 256;
inline constexpr size_t kMaxSessionDataEntries = 32;
inline constexpr size_t kMaxSessionDataBytes = 16 << 10;
inline constexpr uint64_t kMaxSessionTtlMs = 30ull * 24 * 3600 * 1000;
inline constexpr size_t kMaxSessionsPerUser = 1000;
inline constexpr size_t kMaxUserSessions = 100'000;

// The client session a command belongs to. REQUIRES (for encoding):
// client_id != kNoClient and sequence >= kFirstSequence.
struct Session {
  uint64_t client_id = kNoClient;
  uint64_t sequence = 0;
  bool operator==(const Session&) const = default;
};

struct Command {
  std::optional<Session> session;  // absent: an internal, session-less write
  Write write;
  std::optional<Fence> fence;      // only on a data write
  bool operator==(const Command&) const = default;
};

// ---- Reads ------------------------------------------------------------------

// Reads one key. A replica that has applied fewer than `min_applied_index`
// entries answers Code::kBehind instead of a possibly older value; 0 asks for
// no particular index.
struct Get {
  std::string key;
  uint64_t min_applied_index = 0;
  bool operator==(const Get&) const = default;
};

// The lock on one resource: kOk with it in Result::locks, or kNotFound when free.
struct LockStatus {
  std::string resource;
  uint64_t min_applied_index = 0;
  bool operator==(const LockStatus&) const = default;
};

// Every held lock, in resource order, from `after` (exclusive; empty: from
// the first), at most kMaxLocksListed of them.
struct ActiveLocks {
  std::string after;
  uint64_t min_applied_index = 0;
  bool operator==(const ActiveLocks&) const = default;
};

// Watches: the changes to one key, or to every key under a prefix, after a
// revision. A revision is the log index of the entry that made the change.
// The answer lists, in revision order, every matching change in
// (after_revision, Result::index] — Result::index is how far the answer is
// complete, so the next watch asks after it and nothing falls between two
// answers. At most `limit` events (and kMaxWatchAnswerBytes of them) per
// answer. A replica that no longer holds the changes just after
// after_revision (it restored a snapshot past them, or dropped its oldest)
// answers kCompacted with Result::index = the oldest revision it can still
// answer after: the watcher must reload the keys and watch from there.
// A revision may hold several changes (a txn's keys in this group, at most
// kMaxTxnKeys); an answer never splits one, so it may list up to
// limit + kMaxTxnKeys - 1 events.
// A replica waits up to wait_ms for a first matching change (a long poll).
struct Watch {
  std::string key;       // the key, or the prefix
  bool prefix = false;
  uint64_t after_revision = 0;
  uint32_t limit = 0;    // 1..kMaxWatchEvents
  uint32_t wait_ms = 0;  // 0..kMaxWatchWaitMs
  bool operator==(const Watch&) const = default;
};
inline constexpr uint32_t kMaxWatchEvents = 1000;
inline constexpr uint32_t kMaxWatchWaitMs = 60'000;
inline constexpr size_t kMaxWatchAnswerBytes = 4 << 20;

// A session without touching it (get / exists): kOk with it in
// Result::sessions, or kNotFound.
struct SessionGet {
  std::string id;
  uint64_t min_applied_index = 0;
  bool operator==(const SessionGet&) const = default;
};
// Every live session of a user, in id order.
struct SessionsByUser {
  std::string user;
  uint64_t min_applied_index = 0;
  bool operator==(const SessionsByUser&) const = default;
};
// Counts (Result::stats).
struct SessionStatsQuery {
  uint64_t min_applied_index = 0;
  bool operator==(const SessionStatsQuery&) const = default;
};

// A txn record's status: kOk with value = txn_status_name (pending,
// committed, aborted), or kNotFound when this group holds no record of it.
struct TxnStatusQuery {
  std::string txn;
  uint64_t min_applied_index = 0;
  bool operator==(const TxnStatusQuery&) const = default;
};

using Query = std::variant<Get, LockStatus, ActiveLocks, Watch, SessionGet, SessionsByUser, SessionStatsQuery,
                           TxnStatusQuery>;
// A read's session token (0 for a watch: it names its revision instead).
uint64_t min_applied_index(const Query& query);

// One change to a key, as a watch reports it: a put (put, a CAS that
// matched, an append; value = the key's new value) or a delete of a key that
// existed.
struct WatchEvent {
  uint64_t revision = 0;
  std::string key;
  bool deleted = false;
  std::string value;  // !deleted
  bool operator==(const WatchEvent&) const = default;
};

// One live session, as reads and session commands report it.
struct SessionInfo {
  std::string id;
  std::string user;
  SessionData data;
  uint64_t ttl_ms = 0;
  uint64_t created_index = 0;
  uint64_t lease_index = 0;  // the create, touch, update or extension that began the current lease
  bool operator==(const SessionInfo&) const = default;
};

struct SessionStats {
  uint64_t active = 0, created = 0, expired = 0, deleted = 0;
  uint64_t users = 0;  // with at least one live session
  // (live sessions per user, how many users have that many), ascending.
  std::vector<std::pair<uint64_t, uint64_t>> per_user;
  bool operator==(const SessionStats&) const = default;
};

// One held lock, as a read or a refused acquire reports it.
struct LockInfo {
  std::string resource;
  std::string holder;
  uint64_t token = 0;        // the log index that granted it
  uint64_t ttl_ms = 0;       // of the current lease
  uint64_t lease_index = 0;  // the log index of the grant or renewal that started the current lease
  bool operator==(const LockInfo&) const = default;
};

// ---- Results ----------------------------------------------------------------

enum class Code : uint8_t {
  kOk = 0,              // the write applied / the key was read (value set)
  kNotFound = 1,        // get or delete of an absent key (a delete still applied)
  kCasFailed = 2,       // CAS did not match; value = the current value, absent if no key
  kError = 3,           // malformed or over a limit; nothing changed; message says why
  kStaleSequence = 4,   // a sequence older than the session's last; not applied now
  kSessionExpired = 5,  // no session for this client and sequence > 1; not applied now
  kBehind = 6,          // a read needing a higher applied index; index = applied index
  kLocked = 7,          // acquire: another holder has the lock (Result::locks names it)
  kNotHolder = 8,       // release / extend / expire: the token does not hold the lock now
  kFenced = 9,          // a fenced write whose token does not hold the lock; nothing changed
  kCompacted = 10,      // a watch from a revision this replica no longer holds; index = oldest it can
  kExists = 11,         // a session create of an id that is live
  kTxnIntent = 12,      // the key is held by another txn's intent; value = encode_intent_ref of it
  kTxnStale = 13,       // a txn's read no longer holds (the key changed); nothing changed
  kTxnDecided = 14,     // the txn's record is decided the other way; value = its status name
};
inline constexpr uint8_t kMaxCode = static_cast<uint8_t>(Code::kTxnDecided);

// What a kTxnIntent answer names: the txn holding the key and the group
// holding its record, so the asker can resolve it.
struct IntentRef {
  std::string txn;
  uint32_t record_group = 0;
  bool operator==(const IntentRef&) const = default;
};
std::string encode_intent_ref(const IntentRef& ref);
absl::StatusOr<IntentRef> decode_intent_ref(std::string_view bytes);

enum class TxnStatus : uint8_t { kPending = 1, kCommitted = 2, kAborted = 3 };
std::string_view txn_status_name(TxnStatus status);
std::optional<TxnStatus> parse_txn_status(std::string_view name);

std::string_view code_name(Code code);

struct Result {
  Code code = Code::kOk;
  std::optional<std::string> value;  // get: the value; kCasFailed: the current value
  uint64_t index = 0;                // see the contract above
  std::string message;               // set for kError, kStaleSequence, kSessionExpired, kBehind, kFenced
  // Acquire: the granted lock (kOk) or the holder's (kLocked); LockStatus:
  // the lock; ActiveLocks: every listed lock. At most kMaxLocksListed.
  std::vector<LockInfo> locks;
  // Watch: the matching changes, in revision order (see Watch).
  std::vector<WatchEvent> events;
  // Session commands and reads: the sessions concerned (by-user: all of
  // the user's, at most kMaxSessionsPerUser); stats: the counts.
  std::vector<SessionInfo> sessions;
  std::optional<SessionStats> stats;
  bool operator==(const Result&) const = default;
};

// ---- Encoding ---------------------------------------------------------------

// A lock's bytes, as results and snapshots hold them: bytes resource, bytes
// holder, varint token, varint ttl_ms, varint lease_index. The reader leaves
// checking r.ok() and the limits to its caller.
void write_lock_info(Writer& w, const LockInfo& lock);
LockInfo read_lock_info(Reader& r);

// PROMISES: decode_command(encode_command(c)) == c, and likewise for queries
// and results. REQUIRES: the value obeys the limits above.
std::string encode_command(const Command& command);
std::string encode_query(const Query& query);
std::string encode_result(const Result& result);

// PROMISES: an error (InvalidArgument) for anything but a canonical encoding
// of a value within the limits; never reads out of bounds.
absl::StatusOr<Command> decode_command(std::string_view bytes);
absl::StatusOr<Query> decode_query(std::string_view bytes);
absl::StatusOr<Result> decode_result(std::string_view bytes);

// Whether a value obeys the limits above (and a session has a client id and
// a sequence >= 1): what the decoders check after parsing, for callers that
// build values in memory instead of decoding them.
absl::Status check_command(const Command& command);
absl::Status check_query(const Query& query);

// A short human-readable form, for logs and test failures.
std::string describe(const Command& command);
std::string describe(const Result& result);

}  // namespace shoal::kv
