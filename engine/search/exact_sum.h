// An exact, mergeable sum of doubles: the limit of compensated summation.
//
// Kahan and Neumaier summation shrink the error of a floating sum but still
// depend on the order of the terms, so a sum merged from shards would differ
// in its last bits from the same sum on one node. ExactSum keeps Shewchuk's
// non-overlapping expansion (the algorithm behind Python's math.fsum): every
// add is error-free, and value() rounds the exact real sum once, correctly
// (round half to even). The result therefore does not depend on the order of
// adds or merges, which is what lets the "exact" aggregations equal the
// single-node oracle bit for bit.
//
// Terms must be finite and bounded by kMaxFloatMagnitude squared (1e300), so
// no intermediate sum overflows; callers bound inputs at parse time. The
// expansion holds at most ~40 partials (2098 bits of exponent range / 53).
#pragma once

#include <vector>

#include "engine/core/codec.h"

namespace shoal::search {

class ExactSum {
 public:
  // Adds x exactly. REQUIRES: x finite, |x| <= 1e300.
  void add(double x);
  // Adds the product a*b exactly (split into a rounded product and its error
  // with fma). REQUIRES: |a*b| <= 1e300 and no underflow below 2^-969 matters.
  void add_product(double a, double b);
  void merge(const ExactSum& other);
  // The exact sum rounded to the nearest double.
  double value() const;
  bool empty() const { return partials_.empty(); }
  const std::vector<double>& partials() const { return partials_; }

  void encode(Writer& w) const;
  static bool decode(Reader& r, ExactSum* out);

 private:
  // Non-overlapping partials in increasing order of magnitude, none zero.
  std::vector<double> partials_;
};

// The exact population variance numerator n*sum(x^2) - (sum x)^2 from exact
// sums of x and x^2, rounded once. REQUIRES: count >= 1. Deterministic for any
// split of the data, since it depends only on the exact sums and the count.
double exact_variance_numerator(uint64_t count, const ExactSum& sum, const ExactSum& sum_of_squares);

}  // namespace shoal::search
