// The result every checker returns, and the one a scenario reports per check.
//
// `name` says which promise was judged ("linearizable", "read-your-writes");
// `ok` is the verdict; `message` is one line for a terminal; `violations`
// names what broke, each with the history operations involved, so a report
// can draw them. Only the first kViolationsKeptMax are kept, the count says
// how many there were.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace shoal::check {

struct Violation {
  std::string what;         // one line, e.g. `p3 read "k" ok "v1" misses p3 write "k" "v2" ok`
  std::vector<size_t> ops;  // history indices involved (none for convergence)
};

struct CheckResult {
  std::string name;
  bool ok = true;
  std::string message;
  std::vector<Violation> violations;
  size_t violation_count = 0;

  // Records a violation (keeping at most kViolationsKeptMax of them).
  void add(Violation v);
  // Sets `message` from the checker's name and what it judged.
  void summarise(const std::string& checker, size_t judged, const std::string& judged_noun);
};

inline constexpr size_t kViolationsKeptMax = 100;

}  // namespace shoal::check
