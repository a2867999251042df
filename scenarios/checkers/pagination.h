// `pages-cover-once`: cursor paging with a point in time visits every
// matching document exactly once, in sort order (cursor.h promises it).
//
// `pages` are the hit ids of each page, in the order the client fetched
// them; `expected` is the oracle's matching set at the point in time, in
// sort order (SearchOracle::ids_in_order over the documents at the PIT).
// Violations: an id repeated (naming both pages), an id the oracle does not
// hold, an id skipped (naming the page where it belonged), and an id out of
// order (naming its page and the id it should have preceded). Pure function.
#pragma once

#include <string>
#include <vector>

#include "scenarios/checkers/check_result.h"

namespace shoal::check {

CheckResult check_pages_cover_once(const std::vector<std::vector<std::string>>& pages,
                                   const std::vector<std::string>& expected);

}  // namespace shoal::check
