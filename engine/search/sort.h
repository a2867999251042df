// The order of hits: sort clauses, hits carrying their sort keys, and the one
// comparison every shard and the coordinator use.
//
// A sort is a list of keys (_score, _id or a field, each ascending or
// descending, with missing values first or last). The list always ends with
// _id ascending, appended when the request does not name it, so the order is
// total: no two hits compare equal, ties never depend on arrival order, and a
// cursor (the last hit's key) splits the results into "seen" and "not yet".
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <boost/json/value.hpp>

#include "absl/status/statusor.h"
#include "engine/search/schema.h"
#include "engine/search/value.h"

namespace shoal::search {

inline constexpr size_t kMaxSortClauses = 16;

enum class SortTarget : uint8_t { kScore = 1, kId, kField };

struct SortClause {
  SortTarget target = SortTarget::kScore;
  size_t field = 0;
  bool descending = true;
  bool missing_first = false;
  bool operator==(const SortClause&) const = default;
};

// One search result. `sort` holds one Value per sort clause: the score as a
// float, the id as a keyword, a field's value (or missing).
struct Hit {
  std::string id;
  double score = 0;
  double knn_score = 0;  // the similarity that ranked a knn hit; 0 otherwise
  std::vector<Value> sort;
  std::vector<Value> source;  // field values in schema order, when requested
};

// Parses the "sort" member; an absent sort means [_score desc]. The returned
// list ends with _id ascending.
absl::StatusOr<std::vector<SortClause>> parse_sort(const boost::json::value* v, const Schema& schema);
std::vector<SortClause> default_sort();

// Three-way comparison of two sort keys under clauses: < 0 when a comes first.
int compare_keys(const std::vector<SortClause>& clauses, const std::vector<Value>& a, const std::vector<Value>& b);

// Strict weak order of hits for std::sort and merges.
struct HitOrder {
  const std::vector<SortClause>* clauses;
  bool operator()(const Hit& a, const Hit& b) const { return compare_keys(*clauses, a.sort, b.sort) < 0; }
};

// Parses a search_after array into a sort key, one typed value per clause.
absl::StatusOr<std::vector<Value>> parse_search_after(const boost::json::value& v,
                                                      const std::vector<SortClause>& clauses, const Schema& schema);

}  // namespace shoal::search
