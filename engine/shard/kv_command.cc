#include "engine/shard/kv_command.h"

#include <type_traits>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "engine/core/codec.h"
#include "engine/shard/kv_session_codec.h"
#include "engine/shard/kv_txn_codec.h"

namespace shoal::kv {
namespace {

// Byte layouts (integers little-endian; "bytes" is a varint length then the
// bytes; "bool" is one byte, 0 or 1):
//
//   command := 'C'  bool has_session  [u64 client_id  varint sequence]  write
//            | 'F'  bytes resource  varint token  (then as 'C')      a fenced write
//   write   := u8 1 (put)     bytes key  bytes value
//            | u8 2 (delete)  bytes key
//            | u8 3 (cas)     bytes key  bool has_expected [bytes expected]  bytes value
//            | u8 4 (append)  bytes key  bytes suffix
//            | u8 5 (acquire) bytes resource  bytes holder  varint ttl_ms
//            | u8 6 (release) bytes resource  varint token
//            | u8 7 (extend)  bytes resource  varint token  varint ttl_ms
//            | u8 8 (force release) bytes resource
//            | u8 9 (expire)  bytes resource  varint token  varint lease_index  varint leader_time_ms
//            | u8 10..16 (sessions: kv_session_codec.cc)  | u8 17..20 (txns: kv_txn_codec.cc)
//   query   := 'Q'  u8 1 (get)  bytes key  varint min_applied_index
//            | 'Q'  u8 2 (lock status)  bytes resource  varint min_applied_index
//            | 'Q'  u8 3 (active locks)  bytes after  varint min_applied_index
//            | 'Q'  u8 8 (txn status)  bytes txn  varint min_applied_index
//            | 'Q'  u8 4 (watch)  bytes key  bool prefix  varint after_revision
//                               varint limit  varint wait_ms
//   result  := 'R'  u8 code  bool has_value [bytes value]  varint index  bytes message
//            | 'L'  (as 'R')  varint lock_count  lock_count x (bytes resource  bytes holder
//                                  varint token  varint ttl_ms  varint lease_index)
//              varint event_count  event_count x (varint revision  bytes key
//                                  bool deleted  bytes value)
//   A result that lists no locks and no events is always an 'R': the form
//   results had before locks and watches, which snapshots taken then hold
//   in their session tables.
//
// The leading letter names the kind (and version) of message, so bytes of one
// kind handed to the decoder of another are rejected at the first byte.
constexpr uint8_t kCommandTag = 'C';
constexpr uint8_t kFencedCommandTag = 'F';
constexpr uint8_t kQueryTag = 'Q';
constexpr uint8_t kResultTag = 'R';
constexpr uint8_t kListingResultTag = 'L';

constexpr uint8_t kPutTag = 1;
constexpr uint8_t kDeleteTag = 2;
constexpr uint8_t kCasTag = 3;
constexpr uint8_t kAppendTag = 4;
constexpr uint8_t kAcquireTag = 5;
constexpr uint8_t kReleaseTag = 6;
constexpr uint8_t kExtendTag = 7;
constexpr uint8_t kForceReleaseTag = 8;
constexpr uint8_t kExpireTag = 9;
constexpr uint8_t kGetTag = 1;
constexpr uint8_t kLockStatusTag = 2;
constexpr uint8_t kActiveLocksTag = 3;
constexpr uint8_t kWatchTag = 4;
constexpr uint8_t kSessionGetTag = 5;
constexpr uint8_t kSessionsByUserTag = 6;
constexpr uint8_t kSessionStatsTag = 7;
constexpr uint8_t kTxnStatusTag = 8;

absl::Status invalid(const std::string& what) { return absl::InvalidArgumentError(what); }

absl::Status check_key(const std::string& key) {
  if (key.empty()) return invalid("kv key is empty");
  if (key.size() > kMaxKeyBytes) {
    return invalid(
        absl::StrCat("kv key has ", key.size(), " bytes, more than the limit of ", kMaxKeyBytes));
  }
  return absl::OkStatus();
}

absl::Status check_value(const char* what, const std::string& value) {
  if (value.size() > kMaxValueBytes) {
    return invalid(absl::StrCat("kv ", what, " has ", value.size(), " bytes, more than the limit of ",
                                kMaxValueBytes));
  }
  return absl::OkStatus();
}

void write_optional(Writer& w, const std::optional<std::string>& v) {
  w.boolean(v.has_value());
  if (v) w.bytes(*v);
}

std::optional<std::string> read_optional(Reader& r) {
  if (!r.boolean()) return std::nullopt;
  return r.bytes();
}

void write_write(Writer& w, const Write& write) {
  if (is_session_write(write)) return session_codec::write(w, write);
  if (is_txn_write(write)) return txn_codec::write(w, write);
  std::visit(
      [&w](const auto& op) {
        using T = std::decay_t<decltype(op)>;
        if constexpr (std::is_same_v<T, Put>) {
          w.u8(kPutTag);
          w.bytes(op.key);
          w.bytes(op.value);
        } else if constexpr (std::is_same_v<T, Delete>) {
          w.u8(kDeleteTag);
          w.bytes(op.key);
        } else if constexpr (std::is_same_v<T, Cas>) {
          w.u8(kCasTag);
          w.bytes(op.key);
          write_optional(w, op.expected);
          w.bytes(op.value);
        } else if constexpr (std::is_same_v<T, Append>) {
          w.u8(kAppendTag);
          w.bytes(op.key);
          w.bytes(op.suffix);
        } else if constexpr (std::is_same_v<T, LockAcquire>) {
          w.u8(kAcquireTag);
          w.bytes(op.resource);
          w.bytes(op.holder);
          w.varint(op.ttl_ms);
        } else if constexpr (std::is_same_v<T, LockRelease>) {
          w.u8(kReleaseTag);
          w.bytes(op.resource);
          w.varint(op.token);
        } else if constexpr (std::is_same_v<T, LockExtend>) {
          w.u8(kExtendTag);
          w.bytes(op.resource);
          w.varint(op.token);
          w.varint(op.ttl_ms);
        } else if constexpr (std::is_same_v<T, LockForceRelease>) {
          w.u8(kForceReleaseTag);
          w.bytes(op.resource);
        } else if constexpr (std::is_same_v<T, LockExpire>) {
          w.u8(kExpireTag);
          w.bytes(op.resource);
          w.varint(op.token);
          w.varint(op.lease_index);
          w.varint(op.leader_time_ms);
        }
      },
      write);
}

// Reads one write; the caller checks r.ok() and the limits afterwards.
absl::StatusOr<Write> read_write(Reader& r) {
  const uint8_t tag = r.u8();
  if (tag >= session_codec::kFirstTag && tag <= session_codec::kLastTag) return session_codec::read(tag, r);
  if (tag >= txn_codec::kFirstTag && tag <= txn_codec::kLastTag) return txn_codec::read(tag, r);
  switch (tag) {
    case kPutTag: {
      Put p{r.bytes(), {}};
      p.value = r.bytes();
      return p;
    }
    case kDeleteTag: return Delete{r.bytes()};
    case kCasTag: {
      Cas c;
      c.key = r.bytes();
      c.expected = read_optional(r);
      c.value = r.bytes();
      return c;
    }
    case kAppendTag: {
      Append a{r.bytes(), {}};
      a.suffix = r.bytes();
      return a;
    }
    case kAcquireTag: {
      LockAcquire a{r.bytes(), {}, 0};
      a.holder = r.bytes();
      a.ttl_ms = r.varint();
      return a;
    }
    case kReleaseTag: {
      LockRelease l{r.bytes(), 0};
      l.token = r.varint();
      return l;
    }
    case kExtendTag: {
      LockExtend e{r.bytes(), 0, 0};
      e.token = r.varint();
      e.ttl_ms = r.varint();
      return e;
    }
    case kForceReleaseTag: return LockForceRelease{r.bytes()};
    case kExpireTag: {
      LockExpire e{r.bytes(), 0, 0, 0};
      e.token = r.varint();
      e.lease_index = r.varint();
      e.leader_time_ms = r.varint();
      return e;
    }
    default:
      if (!r.ok()) return invalid("kv command is truncated");
      return invalid(absl::StrCat("kv command has unknown write kind ", tag));
  }
}

absl::Status check_resource(const std::string& resource) {
  if (resource.empty()) return invalid("lock resource is empty");
  if (resource.size() > kMaxResourceBytes) {
    return invalid(absl::StrCat("lock resource has ", resource.size(), " bytes, more than the limit of ",
                                kMaxResourceBytes));
  }
  return absl::OkStatus();
}

absl::Status check_ttl(uint64_t ttl_ms) {
  if (ttl_ms == 0 || ttl_ms > kMaxLockTtlMs) {
    return invalid(absl::StrCat("lock ttl of ", ttl_ms, " ms is outside 1..", kMaxLockTtlMs));
  }
  return absl::OkStatus();
}

absl::Status check_token(uint64_t token) {
  return token == 0 ? invalid("lock token 0 was never granted") : absl::OkStatus();
}

absl::Status check_lock_write(const Write& write) {
  return std::visit(
      [](const auto& op) -> absl::Status {
        using T = std::decay_t<decltype(op)>;
        if constexpr (std::is_same_v<T, LockAcquire> || std::is_same_v<T, LockRelease> ||
                      std::is_same_v<T, LockExtend> || std::is_same_v<T, LockForceRelease> ||
                      std::is_same_v<T, LockExpire>) {
          if (auto st = check_resource(op.resource); !st.ok()) return st;
        }
        if constexpr (std::is_same_v<T, LockAcquire>) {
          if (op.holder.empty() || op.holder.size() > kMaxHolderBytes) {
            return invalid(absl::StrCat("lock holder must have 1..", kMaxHolderBytes, " bytes"));
          }
          return check_ttl(op.ttl_ms);
        } else if constexpr (std::is_same_v<T, LockRelease>) {
          return check_token(op.token);
        } else if constexpr (std::is_same_v<T, LockExtend>) {
          if (auto st = check_token(op.token); !st.ok()) return st;
          return check_ttl(op.ttl_ms);
        } else if constexpr (std::is_same_v<T, LockExpire>) {
          if (auto st = check_token(op.token); !st.ok()) return st;
          return op.lease_index < op.token ? invalid("lock lease index below its token") : absl::OkStatus();
        } else {
          return absl::OkStatus();
        }
      },
      write);
}

absl::Status check_write(const Write& write) {
  if (is_session_write(write)) return session_codec::check(write);
  if (is_txn_write(write)) return txn_codec::check(write);
  if (!is_data_write(write)) return check_lock_write(write);
  return std::visit(
      [](const auto& op) -> absl::Status {
        using T = std::decay_t<decltype(op)>;
        if constexpr (std::is_same_v<T, Put> || std::is_same_v<T, Delete> || std::is_same_v<T, Cas> ||
                      std::is_same_v<T, Append>) {
          if (auto st = check_key(op.key); !st.ok()) return st;
        }
        if constexpr (std::is_same_v<T, Put>) {
          return check_value("value", op.value);
        } else if constexpr (std::is_same_v<T, Cas>) {
          if (op.expected) {
            if (auto st = check_value("expected value", *op.expected); !st.ok()) return st;
          }
          return check_value("value", op.value);
        } else if constexpr (std::is_same_v<T, Append>) {
          return check_value("suffix", op.suffix);
        } else {
          return absl::OkStatus();
        }
      },
      write);
}

absl::Status check_session(const Session& s) {
  if (s.client_id == kNoClient) return invalid("kv command names client id 0");
  if (s.sequence < kFirstSequence) return invalid("kv command has sequence number 0");
  return absl::OkStatus();
}

// Text for describe(): printable, and short even for a long key.
std::string quoted(const std::string& s) {
  constexpr size_t kShownBytes = 32;
  const std::string shown = absl::CHexEscape(s.substr(0, kShownBytes));
  return absl::StrCat("\"", shown, s.size() > kShownBytes ? "\"..." : "\"");
}

std::string describe_write(const Write& write) {
  if (is_session_write(write)) return session_codec::describe(write);
  if (is_txn_write(write)) return txn_codec::describe(write);
  return std::visit(
      [](const auto& op) -> std::string {
        using T = std::decay_t<decltype(op)>;
        if constexpr (std::is_same_v<T, Put>) {
          return absl::StrCat("put(", quoted(op.key), ", ", quoted(op.value), ")");
        } else if constexpr (std::is_same_v<T, Delete>) {
          return absl::StrCat("delete(", quoted(op.key), ")");
        } else if constexpr (std::is_same_v<T, Cas>) {
          const std::string expected = op.expected ? quoted(*op.expected) : std::string("absent");
          return absl::StrCat("cas(", quoted(op.key), ", ", expected, " -> ", quoted(op.value), ")");
        } else if constexpr (std::is_same_v<T, Append>) {
          return absl::StrCat("append(", quoted(op.key), ", ", quoted(op.suffix), ")");
        } else if constexpr (std::is_same_v<T, LockAcquire>) {
          return absl::StrCat("acquire(", quoted(op.resource), ", ", quoted(op.holder), ", ", op.ttl_ms, "ms)");
        } else if constexpr (std::is_same_v<T, LockRelease>) {
          return absl::StrCat("release(", quoted(op.resource), ", token ", op.token, ")");
        } else if constexpr (std::is_same_v<T, LockExtend>) {
          return absl::StrCat("extend(", quoted(op.resource), ", token ", op.token, ", ", op.ttl_ms, "ms)");
        } else if constexpr (std::is_same_v<T, LockForceRelease>) {
          return absl::StrCat("force_release(", quoted(op.resource), ")");
        } else if constexpr (std::is_same_v<T, LockExpire>) {
          return absl::StrCat("expire(", quoted(op.resource), ", token ", op.token, ", lease @", op.lease_index,
                              ", leader time ", op.leader_time_ms, "ms)");
        } else {
          return "?";  // session writes are described above
        }
      },
      write);
}

// A query's key, resource or cursor, with the limit that fits it.
absl::Status check_query_name(const Query& query) {
  if (const auto* get = std::get_if<Get>(&query)) return check_key(get->key);
  if (const auto* status = std::get_if<LockStatus>(&query)) return check_resource(status->resource);
  if (const auto* get = std::get_if<SessionGet>(&query)) return session_codec::check_name("id", get->id);
  if (const auto* by = std::get_if<SessionsByUser>(&query)) return session_codec::check_name("user", by->user);
  if (std::holds_alternative<SessionStatsQuery>(query)) return absl::OkStatus();
  if (const auto* status = std::get_if<TxnStatusQuery>(&query)) return txn_codec::check_txn_id(status->txn);
  if (const auto* watch = std::get_if<Watch>(&query)) {
    // An empty prefix watches every key; a single key must be a key.
    if (!watch->prefix || !watch->key.empty()) {
      if (auto st = check_key(watch->key); !st.ok()) return st;
    }
    if (watch->limit == 0 || watch->limit > kMaxWatchEvents) {
      return invalid(absl::StrCat("watch limit ", watch->limit, " is outside 1..", kMaxWatchEvents));
    }
    if (watch->wait_ms > kMaxWatchWaitMs) {
      return invalid(absl::StrCat("watch wait of ", watch->wait_ms, " ms is over the limit of ", kMaxWatchWaitMs));
    }
    return absl::OkStatus();
  }
  const auto& active = std::get<ActiveLocks>(query);
  return active.after.empty() ? absl::OkStatus() : check_resource(active.after);
}

}  // namespace

std::string_view code_name(Code code) {
  switch (code) {
    case Code::kOk: return "ok";
    case Code::kNotFound: return "not_found";
    case Code::kCasFailed: return "cas_failed";
    case Code::kError: return "error";
    case Code::kStaleSequence: return "stale_sequence";
    case Code::kSessionExpired: return "session_expired";
    case Code::kBehind: return "behind";
    case Code::kLocked: return "locked";
    case Code::kNotHolder: return "not_holder";
    case Code::kFenced: return "fenced";
    case Code::kCompacted: return "compacted";
    case Code::kExists: return "exists";
    case Code::kTxnIntent: return "txn_intent";
    case Code::kTxnStale: return "txn_stale";
    case Code::kTxnDecided: return "txn_decided";
  }
  return "unknown";
}

void write_lock_info(Writer& w, const LockInfo& l) {
  w.bytes(l.resource);
  w.bytes(l.holder);
  w.varint(l.token);
  w.varint(l.ttl_ms);
  w.varint(l.lease_index);
}

LockInfo read_lock_info(Reader& r) {
  LockInfo l;
  l.resource = r.bytes();
  l.holder = r.bytes();
  l.token = r.varint();
  l.ttl_ms = r.varint();
  l.lease_index = r.varint();
  return l;
}

bool is_session_write(const Write& write) {
  return std::holds_alternative<SessionCreate>(write) || std::holds_alternative<SessionTouch>(write) ||
         std::holds_alternative<SessionUpdate>(write) || std::holds_alternative<SessionExtend>(write) ||
         std::holds_alternative<SessionDelete>(write) || std::holds_alternative<SessionDeleteByUser>(write) ||
         std::holds_alternative<SessionExpire>(write);
}

bool is_data_write(const Write& write) {
  return std::holds_alternative<Put>(write) || std::holds_alternative<Delete>(write) ||
         std::holds_alternative<Cas>(write) || std::holds_alternative<Append>(write);
}

absl::Status check_command(const Command& command) {
  if (command.session) {
    if (auto st = check_session(*command.session); !st.ok()) return st;
  }
  if (command.fence) {
    if (!is_data_write(command.write)) return invalid("only a data write may carry a fence");
    if (auto st = check_resource(command.fence->resource); !st.ok()) return st;
    if (auto st = check_token(command.fence->token); !st.ok()) return st;
  }
  return check_write(command.write);
}

absl::Status check_query(const Query& query) { return check_query_name(query); }

std::string encode_command(const Command& command) {
  Writer w;
  if (command.fence) {
    w.u8(kFencedCommandTag);
    w.bytes(command.fence->resource);
    w.varint(command.fence->token);
  } else {
    w.u8(kCommandTag);
  }
  w.boolean(command.session.has_value());
  if (command.session) {
    w.u64(command.session->client_id);
    w.varint(command.session->sequence);
  }
  write_write(w, command.write);
  return w.take();
}

absl::StatusOr<Command> decode_command(std::string_view bytes) {
  Reader r(bytes);
  const uint8_t tag = r.u8();
  if (tag != kCommandTag && tag != kFencedCommandTag) return invalid("not a kv command (bad leading byte)");
  Command command;
  if (tag == kFencedCommandTag) {
    Fence fence;
    fence.resource = r.bytes();
    fence.token = r.varint();
    command.fence = std::move(fence);
  }
  if (r.boolean()) {
    Session s;
    s.client_id = r.u64();
    s.sequence = r.varint();
    command.session = s;
  }
  absl::StatusOr<Write> write = read_write(r);
  if (!write.ok()) return write.status();
  if (!r.finished_ok()) return invalid("kv command is truncated or has trailing bytes");
  command.write = *std::move(write);
  if (auto st = check_command(command); !st.ok()) return st;
  // Only the canonical encoding is accepted (e.g. no overlong varints), so a
  // command has exactly one byte form and equal bytes mean equal commands.
  if (encode_command(command) != bytes) return invalid("kv command is not canonically encoded");
  return command;
}

std::string encode_query(const Query& query) {
  Writer w;
  w.u8(kQueryTag);
  if (const auto* get = std::get_if<Get>(&query)) {
    w.u8(kGetTag);
    w.bytes(get->key);
    w.varint(get->min_applied_index);
  } else if (const auto* status = std::get_if<LockStatus>(&query)) {
    w.u8(kLockStatusTag);
    w.bytes(status->resource);
    w.varint(status->min_applied_index);
  } else if (const auto* get = std::get_if<SessionGet>(&query)) {
    w.u8(kSessionGetTag);
    w.bytes(get->id);
    w.varint(get->min_applied_index);
  } else if (const auto* by = std::get_if<SessionsByUser>(&query)) {
    w.u8(kSessionsByUserTag);
    w.bytes(by->user);
    w.varint(by->min_applied_index);
  } else if (const auto* txn = std::get_if<TxnStatusQuery>(&query)) {
    w.u8(kTxnStatusTag);
    w.bytes(txn->txn);
    w.varint(txn->min_applied_index);
  } else if (const auto* stats = std::get_if<SessionStatsQuery>(&query)) {
    w.u8(kSessionStatsTag);
    w.bytes("");
    w.varint(stats->min_applied_index);
  } else if (const auto* watch = std::get_if<Watch>(&query)) {
    w.u8(kWatchTag);
    w.bytes(watch->key);
    w.boolean(watch->prefix);
    w.varint(watch->after_revision);
    w.varint(watch->limit);
    w.varint(watch->wait_ms);
  } else {
    const auto& active = std::get<ActiveLocks>(query);
    w.u8(kActiveLocksTag);
    w.bytes(active.after);
    w.varint(active.min_applied_index);
  }
  return w.take();
}

uint64_t min_applied_index(const Query& query) {
  return std::visit(
      [](const auto& q) -> uint64_t {
        if constexpr (std::is_same_v<std::decay_t<decltype(q)>, Watch>) {
          return 0;
        } else {
          return q.min_applied_index;
        }
      },
      query);
}

absl::StatusOr<Query> decode_query(std::string_view bytes) {
  Reader r(bytes);
  if (r.u8() != kQueryTag) return invalid("not a kv query (bad leading byte)");
  const uint8_t kind = r.u8();
  if (!r.ok()) return invalid("kv query is truncated");
  Query query;
  std::string name = r.bytes();
  if (kind == kWatchTag) {
    Watch watch{std::move(name), false, 0, 0, 0};
    watch.prefix = r.boolean();
    watch.after_revision = r.varint();
    const uint64_t limit = r.varint(), wait_ms = r.varint();
    if (limit > kMaxWatchEvents || wait_ms > kMaxWatchWaitMs) return invalid("kv watch is over a limit");
    watch.limit = static_cast<uint32_t>(limit);
    watch.wait_ms = static_cast<uint32_t>(wait_ms);
    query = std::move(watch);
  }
  const uint64_t min_index = kind == kWatchTag ? 0 : r.varint();
  switch (kind) {
    case kWatchTag: break;
    case kSessionGetTag: query = SessionGet{std::move(name), min_index}; break;
    case kSessionsByUserTag: query = SessionsByUser{std::move(name), min_index}; break;
    case kSessionStatsTag:
      if (!name.empty()) return invalid("kv session stats query names something");
      query = SessionStatsQuery{min_index};
      break;
    case kGetTag: query = Get{std::move(name), min_index}; break;
    case kTxnStatusTag: query = TxnStatusQuery{std::move(name), min_index}; break;
    case kLockStatusTag: query = LockStatus{std::move(name), min_index}; break;
    case kActiveLocksTag: query = ActiveLocks{std::move(name), min_index}; break;
    default: return invalid(absl::StrCat("kv query has unknown kind ", kind));
  }
  if (!r.finished_ok()) return invalid("kv query is truncated or has trailing bytes");
  if (auto st = check_query(query); !st.ok()) return st;
  if (encode_query(query) != bytes) return invalid("kv query is not canonically encoded");
  return query;
}

std::string encode_result(const Result& result) {
  Writer w;
  const bool listing =
      !result.locks.empty() || !result.events.empty() || !result.sessions.empty() || result.stats.has_value();
  w.u8(listing ? kListingResultTag : kResultTag);
  w.u8(static_cast<uint8_t>(result.code));
  write_optional(w, result.value);
  w.varint(result.index);
  w.bytes(result.message);
  if (!listing) return w.take();
  w.varint(result.locks.size());
  for (const LockInfo& l : result.locks) write_lock_info(w, l);
  w.varint(result.events.size());
  for (const WatchEvent& e : result.events) {
    w.varint(e.revision);
    w.bytes(e.key);
    w.boolean(e.deleted);
    w.bytes(e.value);
  }
  w.varint(result.sessions.size());
  for (const SessionInfo& info : result.sessions) session_codec::write_info(w, info);
  w.boolean(result.stats.has_value());
  if (result.stats) session_codec::write_stats(w, *result.stats);
  return w.take();
}

namespace {

absl::Status check_listed_lock(const LockInfo& l) {
  if (auto st = check_resource(l.resource); !st.ok()) return st;
  if (l.holder.empty() || l.holder.size() > kMaxHolderBytes) return invalid("kv result lists a lock with a bad holder");
  if (l.token == 0 || l.lease_index < l.token) return invalid("kv result lists a lock with impossible indexes");
  return check_ttl(l.ttl_ms);
}

// Reads the locks and events of an 'L' result.
absl::Status read_listings(Reader& r, Result& result) {
  const uint64_t lock_count = r.varint();
  if (lock_count > kMaxLocksListed) return invalid("kv result lists too many locks");
  for (uint64_t i = 0; i < lock_count && r.ok(); ++i) result.locks.push_back(read_lock_info(r));
  const uint64_t event_count = r.varint();
  if (event_count > kMaxWatchEvents + kMaxTxnKeys) return invalid("kv result lists too many watch events");
  for (uint64_t i = 0; i < event_count && r.ok(); ++i) {
    WatchEvent e;
    e.revision = r.varint();
    e.key = r.bytes();
    e.deleted = r.boolean();
    e.value = r.bytes();
    if (r.ok() && (e.key.size() > kMaxKeyBytes || e.value.size() > kMaxValueBytes)) {
      return invalid("kv result lists a watch event over the limits");
    }
    result.events.push_back(std::move(e));
  }
  const uint64_t session_count = r.varint();
  if (session_count > kMaxSessionsPerUser) return invalid("kv result lists too many sessions");
  for (uint64_t i = 0; i < session_count && r.ok(); ++i) result.sessions.push_back(session_codec::read_info(r));
  if (r.boolean()) result.stats = session_codec::read_stats(r);
  if (!r.ok()) return invalid("kv result is truncated");
  for (const SessionInfo& info : result.sessions) {
    if (auto st = session_codec::check_info(info); !st.ok()) return st;
  }
  for (const LockInfo& l : result.locks) {
    if (auto st = check_listed_lock(l); !st.ok()) return st;
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<Result> decode_result(std::string_view bytes) {
  Reader r(bytes);
  const uint8_t tag = r.u8();
  if (tag != kResultTag && tag != kListingResultTag) return invalid("not a kv result (bad leading byte)");
  const uint8_t code = r.u8();
  Result result;
  result.value = read_optional(r);
  result.index = r.varint();
  result.message = r.bytes();
  if (tag == kListingResultTag) {
    if (auto st = read_listings(r, result); !st.ok()) return st;
  }
  if (!r.finished_ok()) return invalid("kv result is truncated or has trailing bytes");
  if (code > kMaxCode) return invalid(absl::StrCat("kv result has unknown code ", code));
  result.code = static_cast<Code>(code);
  if (result.value) {
    if (auto st = check_value("result value", *result.value); !st.ok()) return st;
  }
  if (result.message.size() > kMaxMessageBytes) return invalid("kv result message is too long");
  if (encode_result(result) != bytes) return invalid("kv result is not canonically encoded");
  return result;
}


std::string describe(const Command& command) {
  std::string out = describe_write(command.write);
  if (command.fence) absl::StrAppend(&out, " fenced by ", quoted(command.fence->resource), "#", command.fence->token);
  if (command.session) {
    absl::StrAppend(&out, " [client ", command.session->client_id, " seq ", command.session->sequence,
                    "]");
  }
  return out;
}

std::string describe(const Result& result) {
  std::string out = absl::StrCat(std::string(code_name(result.code)), " @", result.index);
  if (result.value) absl::StrAppend(&out, " value=", quoted(*result.value));
  if (!result.message.empty()) absl::StrAppend(&out, " (", result.message, ")");
  for (const LockInfo& l : result.locks) {
    absl::StrAppend(&out, " lock ", quoted(l.resource), " held by ", quoted(l.holder), " token ", l.token);
  }
  return out;
}

}  // namespace shoal::kv
