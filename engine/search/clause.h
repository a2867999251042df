// The query part of a search request: a tree of clauses, validated against a
// schema, and its evaluation against one document.
//
// Clauses are the Elasticsearch subset match_all, term, terms, range, exists,
// ids and bool (must / should / must_not / filter, minimum_should_match).
// Scoring is constant per clause, since Shoal indexes no text: a matching leaf
// scores its boost (default 1), a bool scores the sum of its matching must and
// should clauses times its boost, and filter / must_not clauses score 0. A knn
// clause adds its similarity on top (see request.h).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/value.hpp>

#include "absl/status/statusor.h"
#include "engine/search/schema.h"
#include "engine/search/value.h"

namespace shoal::search {

// A document as the query engine reads it: its id and its field values in
// schema order (missing values are Value()).
struct DocView {
  std::string_view id;
  const Value* fields = nullptr;
};

// Limits on a query tree.
inline constexpr unsigned kMaxClauseDepth = 20;
inline constexpr size_t kMaxClauses = 1024;
inline constexpr size_t kMaxTermsValues = 65536;

enum class ClauseKind : uint8_t { kMatchAll, kTerm, kTerms, kRange, kExists, kIds, kBool };

struct Clause {
  ClauseKind kind = ClauseKind::kMatchAll;
  size_t field = 0;            // term, terms, range, exists
  std::vector<Value> values;   // term: one; terms: sorted, unique
  std::vector<std::string> ids;  // ids: sorted, unique
  std::optional<Value> lower;  // range
  std::optional<Value> upper;
  bool lower_inclusive = true;
  bool upper_inclusive = true;
  std::vector<Clause> must, should, must_not, filter;  // bool
  uint32_t minimum_should_match = 0;
  double boost = 1;
};

// Parses one clause object ({"term": {...}} etc.) at `path` in a request.
absl::StatusOr<Clause> parse_clause(const boost::json::value& v, const Schema& schema, std::string_view path);

// True when doc matches; *score receives its query-context score.
bool matches(const Clause& c, const DocView& doc, double* score);
// Filter context: the same test without the score.
bool matches(const Clause& c, const DocView& doc);

}  // namespace shoal::search
