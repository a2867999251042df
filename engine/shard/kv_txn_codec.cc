#include "engine/shard/kv_txn_codec.h"

#include <set>
#include <type_traits>

#include "absl/strings/str_cat.h"
#include "engine/core/random.h"

namespace shoal::kv {

// Layouts (after the write's tag byte):
//   17 prepare       bytes txn  varint record_group  bool holds_record  reads  writes
//   18 decide        bytes txn  bool commit  varint n  n x bytes forgotten txn
//   19 resolve       bytes txn  bool commit
//   20 commit local  reads  writes
//   reads  := varint n  n x (bytes key  bool has_hash  [u64 hash])
//   writes := varint n  n x (bytes key  u8 kind  bytes value)
//   intent ref := 'I'  bytes txn  varint record_group
namespace txn_codec {
namespace {

constexpr uint8_t kPrepare = 17, kDecide = 18, kResolve = 19, kCommitLocal = 20;
static_assert(kCommitLocal == kLastTag);
// A txn's writes in one group carry at most this many value bytes, so a
// prepare stays a modest log entry.
constexpr size_t kMaxTxnValueBytes = 4 << 20;

absl::Status invalid(const std::string& what) { return absl::InvalidArgumentError(what); }

void write_reads(Writer& w, const std::vector<TxnRead>& reads) {
  w.varint(reads.size());
  for (const TxnRead& r : reads) {
    w.bytes(r.key);
    w.boolean(r.value_hash.has_value());
    if (r.value_hash) w.u64(*r.value_hash);
  }
}

void write_writes(Writer& w, const std::vector<TxnWrite>& writes) {
  w.varint(writes.size());
  for (const TxnWrite& t : writes) write_txn_write(w, t);
}

std::vector<TxnRead> read_reads(Reader& r) {
  std::vector<TxnRead> reads;
  const uint64_t n = r.varint();
  for (uint64_t i = 0; i < n && i <= kMaxTxnKeys && r.ok(); ++i) {
    TxnRead t{r.bytes(), std::nullopt};
    if (r.boolean()) t.value_hash = r.u64();
    reads.push_back(std::move(t));
  }
  return reads;
}

std::vector<TxnWrite> read_writes(Reader& r) {
  std::vector<TxnWrite> writes;
  const uint64_t n = r.varint();
  for (uint64_t i = 0; i < n && i <= kMaxTxnKeys && r.ok(); ++i) writes.push_back(read_txn_write(r));
  return writes;
}

absl::Status check_key_sets(const std::vector<TxnRead>& reads, const std::vector<TxnWrite>& writes) {
  if (reads.size() + writes.size() > kMaxTxnKeys) {
    return invalid(absl::StrCat("a txn names ", reads.size() + writes.size(), " keys in one group, more than ",
                                kMaxTxnKeys));
  }
  if (reads.empty() && writes.empty()) return invalid("a txn names no keys");
  std::set<std::string_view> read_keys, write_keys;
  size_t bytes = 0;
  for (const TxnRead& r : reads) {
    if (r.key.empty() || r.key.size() > kMaxKeyBytes) return invalid("a txn read names an empty or too long key");
    if (!read_keys.insert(r.key).second) return invalid("a txn reads a key twice");
  }
  for (const TxnWrite& t : writes) {
    if (auto st = check_txn_write(t); !st.ok()) return st;
    if (!write_keys.insert(t.key).second) return invalid("a txn writes a key twice");
    bytes += t.value.size();
  }
  if (bytes > kMaxTxnValueBytes) {
    return invalid(absl::StrCat("a txn writes ", bytes, " value bytes in one group, more than ", kMaxTxnValueBytes));
  }
  return absl::OkStatus();
}

const char* kind_name(TxnWriteKind k) {
  switch (k) {
    case TxnWriteKind::kPut: return "put";
    case TxnWriteKind::kDelete: return "delete";
    case TxnWriteKind::kAppend: return "append";
  }
  return "?";
}

std::string describe_keys(const std::vector<TxnRead>& reads, const std::vector<TxnWrite>& writes) {
  std::string out = "reads [";
  for (size_t i = 0; i < reads.size(); ++i) absl::StrAppend(&out, i ? " " : "", reads[i].key);
  absl::StrAppend(&out, "] writes [");
  for (size_t i = 0; i < writes.size(); ++i) {
    absl::StrAppend(&out, i ? " " : "", kind_name(writes[i].kind), " ", writes[i].key);
  }
  return out + "]";
}

}  // namespace

void write_txn_write(Writer& w, const TxnWrite& t) {
  w.bytes(t.key);
  w.u8(static_cast<uint8_t>(t.kind));
  w.bytes(t.value);
}

TxnWrite read_txn_write(Reader& r) {
  TxnWrite t;
  t.key = r.bytes();
  const uint8_t kind = r.u8();
  // An unknown kind is kept as 0 and refused by check_txn_write.
  t.kind = static_cast<TxnWriteKind>(kind);
  t.value = r.bytes();
  return t;
}

absl::Status check_txn_write(const TxnWrite& t) {
  if (t.key.empty() || t.key.size() > kMaxKeyBytes) return invalid("a txn write names an empty or too long key");
  if (t.kind != TxnWriteKind::kPut && t.kind != TxnWriteKind::kDelete && t.kind != TxnWriteKind::kAppend) {
    return invalid(absl::StrCat("a txn write has unknown kind ", static_cast<int>(t.kind)));
  }
  if (t.kind == TxnWriteKind::kDelete && !t.value.empty()) return invalid("a txn delete carries a value");
  if (t.value.size() > kMaxValueBytes) return invalid("a txn write's value is over the limit");
  return absl::OkStatus();
}

absl::Status check_txn_id(const std::string& txn) {
  if (txn.empty() || txn.size() > kMaxTxnIdBytes) {
    return invalid(absl::StrCat("a txn id must have 1..", kMaxTxnIdBytes, " bytes"));
  }
  return absl::OkStatus();
}

void write(Writer& w, const Write& write) {
  if (const auto* p = std::get_if<TxnPrepare>(&write)) {
    w.u8(kPrepare);
    w.bytes(p->txn);
    w.varint(p->record_group);
    w.boolean(p->holds_record);
    write_reads(w, p->reads);
    write_writes(w, p->writes);
  } else if (const auto* d = std::get_if<TxnDecide>(&write)) {
    w.u8(kDecide);
    w.bytes(d->txn);
    w.boolean(d->commit);
    w.varint(d->forget.size());
    for (const std::string& t : d->forget) w.bytes(t);
  } else if (const auto* res = std::get_if<TxnResolve>(&write)) {
    w.u8(kResolve);
    w.bytes(res->txn);
    w.boolean(res->commit);
  } else {
    const auto& c = std::get<TxnCommitLocal>(write);
    w.u8(kCommitLocal);
    write_reads(w, c.reads);
    write_writes(w, c.writes);
  }
}

Write read(uint8_t tag, Reader& r) {
  switch (tag) {
    case kPrepare: {
      TxnPrepare p;
      p.txn = r.bytes();
      const uint64_t group = r.varint();
      p.record_group = group > UINT32_MAX ? UINT32_MAX : static_cast<uint32_t>(group);
      p.holds_record = r.boolean();
      p.reads = read_reads(r);
      p.writes = read_writes(r);
      return p;
    }
    case kDecide: {
      TxnDecide d{r.bytes(), false, {}};
      d.commit = r.boolean();
      const uint64_t n = r.varint();
      for (uint64_t i = 0; i < n && i <= kMaxTxnForget && r.ok(); ++i) d.forget.push_back(r.bytes());
      return d;
    }
    case kResolve: {
      TxnResolve res{r.bytes(), false};
      res.commit = r.boolean();
      return res;
    }
    default: {
      TxnCommitLocal c;
      c.reads = read_reads(r);
      c.writes = read_writes(r);
      return c;
    }
  }
}

absl::Status check(const Write& write) {
  if (const auto* p = std::get_if<TxnPrepare>(&write)) {
    if (auto st = check_txn_id(p->txn); !st.ok()) return st;
    return check_key_sets(p->reads, p->writes);
  }
  if (const auto* d = std::get_if<TxnDecide>(&write)) {
    if (d->forget.size() > kMaxTxnForget) return invalid("a txn decision forgets too many records");
    for (const std::string& t : d->forget) {
      if (auto st = check_txn_id(t); !st.ok()) return st;
    }
    return check_txn_id(d->txn);
  }
  if (const auto* res = std::get_if<TxnResolve>(&write)) return check_txn_id(res->txn);
  const auto& c = std::get<TxnCommitLocal>(write);
  return check_key_sets(c.reads, c.writes);
}

std::string describe(const Write& write) {
  if (const auto* p = std::get_if<TxnPrepare>(&write)) {
    return absl::StrCat("txn_prepare(", p->txn, ", record in group ", p->record_group,
                        p->holds_record ? " (here)" : "", ", ", describe_keys(p->reads, p->writes), ")");
  }
  if (const auto* d = std::get_if<TxnDecide>(&write)) {
    return absl::StrCat("txn_decide(", d->txn, ", ", d->commit ? "commit" : "abort",
                        d->forget.empty() ? "" : absl::StrCat(", forget ", d->forget.size()), ")");
  }
  if (const auto* res = std::get_if<TxnResolve>(&write)) {
    return absl::StrCat("txn_resolve(", res->txn, ", ", res->commit ? "commit" : "abort", ")");
  }
  const auto& c = std::get<TxnCommitLocal>(write);
  return absl::StrCat("txn_commit_local(", describe_keys(c.reads, c.writes), ")");
}

}  // namespace txn_codec

uint64_t txn_value_hash(std::string_view value) {
  constexpr uint64_t kTxnValueSeed = 0x74786e76616c7565;  // "txnvalue"
  return stable_hash(value.data(), value.size(), kTxnValueSeed);
}

bool is_txn_write(const Write& write) {
  return std::holds_alternative<TxnPrepare>(write) || std::holds_alternative<TxnDecide>(write) ||
         std::holds_alternative<TxnResolve>(write) || std::holds_alternative<TxnCommitLocal>(write);
}

namespace {
constexpr uint8_t kIntentRefTag = 'I';
}  // namespace

std::string encode_intent_ref(const IntentRef& ref) {
  Writer w;
  w.u8(kIntentRefTag);
  w.bytes(ref.txn);
  w.varint(ref.record_group);
  return w.take();
}

absl::StatusOr<IntentRef> decode_intent_ref(std::string_view bytes) {
  Reader r(bytes);
  if (r.u8() != kIntentRefTag) return absl::InvalidArgumentError("not an intent reference (bad leading byte)");
  IntentRef ref;
  ref.txn = r.bytes();
  const uint64_t group = r.varint();
  if (!r.finished_ok()) return absl::InvalidArgumentError("intent reference is truncated or has trailing bytes");
  if (group > UINT32_MAX) return absl::InvalidArgumentError("intent reference names an impossible group");
  ref.record_group = static_cast<uint32_t>(group);
  if (auto st = txn_codec::check_txn_id(ref.txn); !st.ok()) return st;
  if (encode_intent_ref(ref) != bytes) return absl::InvalidArgumentError("intent reference is not canonical");
  return ref;
}

std::string_view txn_status_name(TxnStatus status) {
  switch (status) {
    case TxnStatus::kPending: return "pending";
    case TxnStatus::kCommitted: return "committed";
    case TxnStatus::kAborted: return "aborted";
  }
  return "?";
}

std::optional<TxnStatus> parse_txn_status(std::string_view name) {
  for (TxnStatus s : {TxnStatus::kPending, TxnStatus::kCommitted, TxnStatus::kAborted}) {
    if (txn_status_name(s) == name) return s;
  }
  return std::nullopt;
}

}  // namespace shoal::kv
