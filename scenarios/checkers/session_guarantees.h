// Session guarantees, judged per client process (a session) and key.
//
// Read-your-writes: a read sees every write its own session had acknowledged
// before the read began (or something that may be newer).
// Monotonic reads: a read never sees an older state than an earlier read of
// the same session saw: it is not produced only by writes that finished
// before the earlier read's value was written, and on a key with appends it
// does not lose what the earlier read saw.
// See lineage.h for how values are traced to writes; both checkers only
// report what no choice of writer explains. Pure functions.
#pragma once

#include "scenarios/checkers/check_result.h"
#include "scenarios/checkers/history.h"

namespace shoal::check {

CheckResult check_read_your_writes(const History& history);
CheckResult check_monotonic_reads(const History& history);

}  // namespace shoal::check
