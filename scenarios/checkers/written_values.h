// Only written values: a read may be stale (any level promises no bound),
// but it never returns a value no write could have produced. On a key with
// appends, a value must be some overwrite's value (or the initial value)
// followed by appended values; elsewhere it must be a value some write, CAS
// or the initial state gave the key. Writes of every outcome count (a write
// whose outcome is unknown may have taken effect). An absent key is always
// explained: by the initial state, a delete, or a replica that is behind.
//
// `applies_to` selects the reads to judge (all reads when empty). Pure.
#pragma once

#include <functional>

#include "scenarios/checkers/check_result.h"
#include "scenarios/checkers/history.h"

namespace shoal::check {

CheckResult check_reads_return_written_values(const History& history,
                                              const std::function<bool(const Operation&)>& applies_to = {});

}  // namespace shoal::check
