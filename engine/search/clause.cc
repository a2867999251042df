#include "engine/search/clause.h"

#include <algorithm>
#include <functional>

namespace shoal::search {

namespace {

bool in_range(const Clause& c, const Value& v) {
  if (c.lower) {
    const int cmp = compare(v, *c.lower);
    if (cmp < 0 || (cmp == 0 && !c.lower_inclusive)) return false;
  }
  if (c.upper) {
    const int cmp = compare(v, *c.upper);
    if (cmp > 0 || (cmp == 0 && !c.upper_inclusive)) return false;
  }
  return true;
}

bool leaf_matches(const Clause& c, const DocView& doc) {
  switch (c.kind) {
    case ClauseKind::kMatchAll: return true;
    case ClauseKind::kTerm: return doc.fields[c.field] == c.values[0];
    case ClauseKind::kTerms: {
      const Value& v = doc.fields[c.field];
      return !v.missing() && std::binary_search(c.values.begin(), c.values.end(), v);
    }
    case ClauseKind::kRange: {
      const Value& v = doc.fields[c.field];
      return !v.missing() && in_range(c, v);
    }
    case ClauseKind::kExists: return !doc.fields[c.field].missing();
    case ClauseKind::kIds: return std::binary_search(c.ids.begin(), c.ids.end(), doc.id, std::less<>());
    case ClauseKind::kBool: break;
  }
  return false;
}

// Evaluates a bool clause. With score == nullptr nothing is scored, which lets
// filter context skip the arithmetic.
bool bool_matches(const Clause& c, const DocView& doc, double* score) {
  double total = 0;
  for (const Clause& f : c.filter) {
    if (!matches(f, doc)) return false;
  }
  for (const Clause& n : c.must_not) {
    if (matches(n, doc)) return false;
  }
  for (const Clause& m : c.must) {
    double s = 0;
    if (!matches(m, doc, score ? &s : nullptr)) return false;
    total += s;
  }
  uint32_t should_matched = 0;
  for (const Clause& sh : c.should) {
    double s = 0;
    if (matches(sh, doc, score ? &s : nullptr)) {
      ++should_matched;
      total += s;
    }
  }
  if (should_matched < c.minimum_should_match) return false;
  if (score) *score = total * c.boost;
  return true;
}

}  // namespace

bool matches(const Clause& c, const DocView& doc, double* score) {
  if (c.kind == ClauseKind::kBool) return bool_matches(c, doc, score);
  if (!leaf_matches(c, doc)) return false;
  if (score) *score = c.boost;
  return true;
}

bool matches(const Clause& c, const DocView& doc) { return matches(c, doc, nullptr); }

}  // namespace shoal::search
