#include "engine/core/error.h"

namespace shoal {

std::string_view to_string(ErrorCode code) {
  switch (code) {
    case ErrorCode::kNone: return "ok";
    case ErrorCode::kNotLeader: return "not-leader";
    case ErrorCode::kStaleMap: return "stale-map";
    case ErrorCode::kUnavailable: return "unavailable";
    case ErrorCode::kDeadline: return "deadline";
    case ErrorCode::kOverloaded: return "overloaded";
    case ErrorCode::kBadRequest: return "bad-request";
    case ErrorCode::kNotFound: return "not-found";
    case ErrorCode::kConflict: return "conflict";
    case ErrorCode::kOutcomeUnknown: return "outcome-unknown";
  }
  return "invalid-error-code";
}

bool is_retryable(ErrorCode code) {
  switch (code) {
    case ErrorCode::kNotLeader:
    case ErrorCode::kStaleMap:
    case ErrorCode::kUnavailable:
    case ErrorCode::kDeadline:
    case ErrorCode::kOverloaded:
      return true;
    default:
      return false;
  }
}

std::string Error::describe() const {
  std::string s(to_string(code));
  if (!message.empty()) s += ": " + message;
  return s;
}

}  // namespace shoal
