// Typed errors: why a request was not served, as a code callers branch on.
//
// Every layer that answers a request (rpc, the shard and metadata state
// machines, the coordinator, clients) reports failure as an Error: a code,
// a one-line message for people, and the two facts a caller needs to retry
// well — who leads (kNotLeader) and which shard map is current (kStaleMap).
// Callers decide what to do by the code alone, never by the message text.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "engine/core/ids.h"

namespace shoal {

enum class ErrorCode : uint8_t {
  kNone = 0,
  kNotLeader = 1,       // not done: this replica does not lead; leader_hint may name who does
  kStaleMap = 2,        // not done: routed by an older shard map; map_version is the current one
  kUnavailable = 3,     // not done: cannot serve now (no quorum, behind, storage failed); retry
  kDeadline = 4,        // the caller's deadline passed; a write's outcome is unknown
  kOverloaded = 5,      // not done: over a bound on pending work; retry the same node later
  kBadRequest = 6,      // never will be done as asked: malformed or invalid
  kNotFound = 7,        // what the request names does not exist
  kConflict = 8,        // a precondition failed (exists already, a lock held, a version moved)
  kOutcomeUnknown = 9,  // a write that may or may not have taken effect
};
inline constexpr uint8_t kErrorCodeMax = 9;

std::string_view to_string(ErrorCode code);
// True for codes after which the same request may be sent again and succeed.
bool is_retryable(ErrorCode code);

struct Error {
  ErrorCode code = ErrorCode::kNone;
  std::string message;
  NodeId leader_hint = kNoNode;  // kNotLeader: who leads, when known
  uint64_t map_version = 0;      // kStaleMap: the shard map version the server holds

  bool ok() const { return code == ErrorCode::kNone; }
  // "<code>: <message>", for logs and reports.
  std::string describe() const;
};

inline Error make_error(ErrorCode code, std::string message) {
  return Error{code, std::move(message)};
}

}  // namespace shoal
