// Test helpers for checkers whose violations start with their kind and a
// colon ("gap: watch #0 ..."): which kinds a result holds.
#pragma once

#include <set>
#include <string>

#include "scenarios/checkers/check_result.h"

namespace shoal::check {

// The kinds among the kept violations.
inline std::set<std::string> violation_kinds(const CheckResult& r) {
  std::set<std::string> kinds;
  for (const Violation& v : r.violations) kinds.insert(v.what.substr(0, v.what.find(':')));
  return kinds;
}

// Whether `r` failed with violations of exactly one kind, `kind`.
inline bool only_kind(const CheckResult& r, const std::string& kind) {
  return !r.ok && violation_kinds(r) == std::set<std::string>{kind};
}

}  // namespace shoal::check
