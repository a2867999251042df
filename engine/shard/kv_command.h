// The byte forms of the key-value state machine's commands, queries and
// results: what a client proposes through the Raft log, what a read asks, and
// what either gets back. Raft moves these as opaque bytes; only the client and
// KvStateMachine look inside.
//
// Commands are writes: put, delete, compare-and-set and append. A command
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

#include "absl/status/statusor.h"

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

using Write = std::variant<Put, Delete, Cas, Append>;

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

// A variant so that further read kinds extend the format without changing it.
using Query = std::variant<Get>;

// ---- Results ----------------------------------------------------------------

enum class Code : uint8_t {
  kOk = 0,              // the write applied / the key was read (value set)
  kNotFound = 1,        // get or delete of an absent key (a delete still applied)
  kCasFailed = 2,       // CAS did not match; value = the current value, absent if no key
  kError = 3,           // malformed or over a limit; nothing changed; message says why
  kStaleSequence = 4,   // a sequence older than the session's last; not applied now
  kSessionExpired = 5,  // no session for this client and sequence > 1; not applied now
  kBehind = 6,          // a read needing a higher applied index; index = applied index
};
inline constexpr uint8_t kMaxCode = static_cast<uint8_t>(Code::kBehind);

std::string_view code_name(Code code);

struct Result {
  Code code = Code::kOk;
  std::optional<std::string> value;  // get: the value; kCasFailed: the current value
  uint64_t index = 0;                // see the contract above
  std::string message;               // set for kError, kStaleSequence, kSessionExpired, kBehind
  bool operator==(const Result&) const = default;
};

// ---- Encoding ---------------------------------------------------------------

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
