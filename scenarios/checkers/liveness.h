// Liveness and availability, judged from a history in virtual time.
//
// Serving again: once faults stop at `from_ns`, every kind of service the
// workload asks for (writes at each level, reads at each level) must succeed
// again within `bound`: some operation of that kind that was invoked at or
// after `from_ns` completed successfully no later than `from_ns + bound`.
// An operation still in flight from before `from_ns` does not count: it may
// have been answered by a node that was cut off a moment ago.
//
// Exercised: every kind of service a run asked for completed successfully at
// least once — a checker of a level that saw no completed operation judged
// nothing, so a run must not pass on it.
//
// Availability: the fraction of `slot`-long windows of [from_ns, to_ns) in
// which some operation of a kind completed successfully: how much of the
// fault phase the cluster served. Measured, not bounded.
//
// Which operations count and what "successfully" means is the caller's
// choice (a leader-level write the leader accepted counts as served, for
// instance), given per kind as a predicate over history indices. Pure.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "engine/core/time.h"
#include "scenarios/checkers/check_result.h"
#include "scenarios/checkers/history.h"

namespace shoal::check {

struct ServiceKind {
  std::string name;                           // e.g. "quorum writes", "session reads"
  std::function<bool(size_t)> selects;        // the operations of this kind
  std::function<bool(size_t)> succeeded;      // whether one of them was served
};

CheckResult check_serves_again(const History& history, const std::vector<ServiceKind>& kinds, int64_t from_ns,
                               Duration bound);

// REQUIRES: kinds that some operation selects (a kind nobody issued is not
// judged: the workload decides what it issues).
CheckResult check_every_kind_served(const History& history, const std::vector<ServiceKind>& kinds);

// In [0, 1]; 1 when the interval holds no whole slot.
double availability(const History& history, const ServiceKind& kind, int64_t from_ns, int64_t to_ns, Duration slot);

}  // namespace shoal::check
