// Bounded staleness: a read may miss recent writes, but never one that was
// acknowledged more than `bound` before the read began. Times are the
// history's (virtual time in the simulator, one clock for all clients).
//
// `applies_to` selects the reads made at the bounded level (all reads when
// empty); every write in the history counts. See lineage.h for how a value
// is traced to writes. Pure function.
#pragma once

#include <functional>

#include "engine/core/time.h"
#include "scenarios/checkers/check_result.h"
#include "scenarios/checkers/history.h"

namespace shoal::check {

CheckResult check_bounded_staleness(const History& history, Duration bound,
                                    const std::function<bool(const Operation&)>& applies_to = {});

}  // namespace shoal::check
