// Internal to the Jepsen parsers: turns Jepsen's event stream (an invocation,
// later a completion of the same process) into History operations.
//
// Time is the line number, so the order of the file is the real-time order.
// A completion is matched to the pending invocation of its process; a
// completion with none, a second invocation while one is pending, or a
// completion of a different function is an error naming the line.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "scenarios/checkers/history.h"

namespace shoal::check::internal {

class JepsenEventBuilder {
 public:
  explicit JepsenEventBuilder(std::string_view source) : source_(source) {}

  absl::Status invoke(uint32_t line, int64_t process, Op op);
  // `result` is used for an ok read (the value seen) and an ok cas.
  absl::Status complete(uint32_t line, int64_t process, Outcome outcome, OpType type, Result result);
  // Operations still pending stay pending (their effect is unknown).
  History take() { return std::move(history_); }
  History& history() { return history_; }

 private:
  absl::Status check_process(uint32_t line, int64_t process) const;

  std::string source_;
  History history_;
  std::map<int64_t, size_t> pending_;  // process -> operation index
};

// Jepsen process ids are non-negative; Shoal stores them in 32 bits.
inline constexpr int64_t kJepsenProcessMax = 0xFFFFFFFF;

}  // namespace shoal::check::internal
