#include "scenarios/checkers/jepsen_events.h"

#include "scenarios/checkers/line_reader.h"

namespace shoal::check::internal {

absl::Status JepsenEventBuilder::check_process(uint32_t line, int64_t process) const {
  if (process < 0 || process > kJepsenProcessMax) {
    return line_error(source_, line, internal::str_cat("process id ", process, " is out of range"));
  }
  return absl::OkStatus();
}

absl::Status JepsenEventBuilder::invoke(uint32_t line, int64_t process, Op op) {
  if (absl::Status s = check_process(line, process); !s.ok()) return s;
  if (pending_.contains(process)) {
    return line_error(source_, line,
                      internal::str_cat("process ", process, " invokes while its operation from line ",
                                        history_[pending_[process]].source_line, " is still pending"));
  }
  Operation o;
  o.process = static_cast<uint32_t>(process);
  o.invoke_ns = line;
  o.op = std::move(op);
  o.source_line = line;
  pending_[process] = history_.add(std::move(o));
  return absl::OkStatus();
}

absl::Status JepsenEventBuilder::complete(uint32_t line, int64_t process, Outcome outcome, OpType type, Result result) {
  if (absl::Status s = check_process(line, process); !s.ok()) return s;
  auto it = pending_.find(process);
  if (it == pending_.end()) {
    return line_error(source_, line,
                      internal::str_cat("process ", process, " completes an operation it never invoked"));
  }
  const size_t index = it->second;
  if (history_[index].op.type != type) {
    return line_error(source_, line,
                      internal::str_cat("process ", process, " completes a ", to_string(type), " but invoked a ",
                                        to_string(history_[index].op.type), " on line ", history_[index].source_line));
  }
  pending_.erase(it);
  history_.complete(index, line, outcome, std::move(result));
  return absl::OkStatus();
}

}  // namespace shoal::check::internal
