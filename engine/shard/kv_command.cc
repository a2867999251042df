#include "engine/shard/kv_command.h"

#include <type_traits>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "engine/core/codec.h"

namespace shoal::kv {
namespace {

// Byte layouts (integers little-endian; "bytes" is a varint length then the
// bytes; "bool" is one byte, 0 or 1):
//
//   command := 'C'  bool has_session  [u64 client_id  varint sequence]  write
//   write   := u8 1 (put)     bytes key  bytes value
//            | u8 2 (delete)  bytes key
//            | u8 3 (cas)     bytes key  bool has_expected [bytes expected]  bytes value
//            | u8 4 (append)  bytes key  bytes suffix
//   query   := 'Q'  u8 1 (get)  bytes key  varint min_applied_index
//   result  := 'R'  u8 code  bool has_value [bytes value]  varint index  bytes message
//
// The leading letter names the kind (and version) of message, so bytes of one
// kind handed to the decoder of another are rejected at the first byte.
constexpr uint8_t kCommandTag = 'C';
constexpr uint8_t kQueryTag = 'Q';
constexpr uint8_t kResultTag = 'R';

constexpr uint8_t kPutTag = 1;
constexpr uint8_t kDeleteTag = 2;
constexpr uint8_t kCasTag = 3;
constexpr uint8_t kAppendTag = 4;
constexpr uint8_t kGetTag = 1;

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
        } else {
          static_assert(std::is_same_v<T, Append>);
          w.u8(kAppendTag);
          w.bytes(op.key);
          w.bytes(op.suffix);
        }
      },
      write);
}

// Reads one write; the caller checks r.ok() and the limits afterwards.
absl::StatusOr<Write> read_write(Reader& r) {
  const uint8_t tag = r.u8();
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
    default:
      if (!r.ok()) return invalid("kv command is truncated");
      return invalid(absl::StrCat("kv command has unknown write kind ", tag));
  }
}

absl::Status check_write(const Write& write) {
  return std::visit(
      [](const auto& op) -> absl::Status {
        using T = std::decay_t<decltype(op)>;
        if (auto st = check_key(op.key); !st.ok()) return st;
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
        } else {
          return absl::StrCat("append(", quoted(op.key), ", ", quoted(op.suffix), ")");
        }
      },
      write);
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
  }
  return "unknown";
}

absl::Status check_command(const Command& command) {
  if (command.session) {
    if (auto st = check_session(*command.session); !st.ok()) return st;
  }
  return check_write(command.write);
}

absl::Status check_query(const Query& query) { return check_key(std::get<Get>(query).key); }

std::string encode_command(const Command& command) {
  Writer w;
  w.u8(kCommandTag);
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
  if (r.u8() != kCommandTag) return invalid("not a kv command (bad leading byte)");
  Command command;
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
  const Get& get = std::get<Get>(query);
  Writer w;
  w.u8(kQueryTag);
  w.u8(kGetTag);
  w.bytes(get.key);
  w.varint(get.min_applied_index);
  return w.take();
}

absl::StatusOr<Query> decode_query(std::string_view bytes) {
  Reader r(bytes);
  if (r.u8() != kQueryTag) return invalid("not a kv query (bad leading byte)");
  const uint8_t kind = r.u8();
  if (!r.ok()) return invalid("kv query is truncated");
  if (kind != kGetTag) return invalid(absl::StrCat("kv query has unknown kind ", kind));
  Get get;
  get.key = r.bytes();
  get.min_applied_index = r.varint();
  if (!r.finished_ok()) return invalid("kv query is truncated or has trailing bytes");
  if (auto st = check_query(get); !st.ok()) return st;
  if (encode_query(get) != bytes) return invalid("kv query is not canonically encoded");
  return get;
}

std::string encode_result(const Result& result) {
  Writer w;
  w.u8(kResultTag);
  w.u8(static_cast<uint8_t>(result.code));
  write_optional(w, result.value);
  w.varint(result.index);
  w.bytes(result.message);
  return w.take();
}

absl::StatusOr<Result> decode_result(std::string_view bytes) {
  Reader r(bytes);
  if (r.u8() != kResultTag) return invalid("not a kv result (bad leading byte)");
  const uint8_t code = r.u8();
  Result result;
  result.value = read_optional(r);
  result.index = r.varint();
  result.message = r.bytes();
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
  return out;
}

}  // namespace shoal::kv
