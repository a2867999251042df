// The final answer of each aggregation, rendered from a merged partial into
// Elasticsearch's response shapes (e.g. {"value": 4.5} for avg, {"buckets":
// [...]} for terms and histograms, {"buckets": {"name": {...}}} for filters).
//
// Rendering is where terms lists are cut to `size`, sum_other_doc_count and
// doc_count_error_upper_bound are computed, histogram gaps are filled when
// min_doc_count is 0, and variances and quantiles are evaluated. It is a pure
// function of the spec and the partial, so equal partials render to equal
// bytes on every node.
#pragma once

#include <vector>

#include <boost/json/object.hpp>

#include "absl/status/statusor.h"
#include "engine/search/agg_partial.h"
#include "engine/search/agg_spec.h"

namespace shoal::search {

absl::StatusOr<boost::json::object> render_aggs(const std::vector<AggSpec>& specs,
                                                const std::vector<AggPartial>& partials);
absl::StatusOr<boost::json::object> render_agg(const AggSpec& spec, const AggPartial& partial);

// "50.0", "99.9": Elasticsearch's key for a percent.
std::string percent_key(double percent);

}  // namespace shoal::search
