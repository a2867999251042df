#include "scenarios/checkers/check_result.h"

#include "scenarios/checkers/line_reader.h"

namespace shoal::check {

void CheckResult::add(Violation v) {
  ok = false;
  ++violation_count;
  if (violations.size() < kViolationsKeptMax) violations.push_back(std::move(v));
}

void CheckResult::summarise(const std::string& checker, size_t judged, const std::string& judged_noun) {
  if (ok) {
    message = internal::str_cat(checker, ": ok (", judged, " ", judged_noun, ")");
    return;
  }
  message = internal::str_cat(checker, ": ", violation_count, " violation(s) in ", judged, " ", judged_noun,
                              "; first: ", violations.front().what);
}

}  // namespace shoal::check
