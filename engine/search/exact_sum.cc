#include "engine/search/exact_sum.h"

#include <cmath>
#include <utility>

#include "engine/core/assert.h"

namespace shoal::search {

namespace {
// A well-formed expansion of finite doubles never needs more partials than
// this (2098 bits of exponent range / 53 bits per partial, rounded up).
constexpr size_t kMaxPartials = 64;
}  // namespace

void ExactSum::add(double x) {
  SHOAL_ASSERT(std::isfinite(x));
  // Grow the expansion: each step splits x + y into hi and an exact error lo
  // (two-sum with |x| >= |y|), keeps the non-zero errors in place, and carries
  // hi upward. Invariant: partials_ stay non-overlapping and increasing.
  size_t kept = 0;
  for (size_t j = 0; j < partials_.size(); ++j) {
    double y = partials_[j];
    if (std::fabs(x) < std::fabs(y)) std::swap(x, y);
    const double hi = x + y;
    const double lo = y - (hi - x);
    if (lo != 0) partials_[kept++] = lo;
    x = hi;
  }
  partials_.resize(kept);
  if (x != 0) partials_.push_back(x);
  SHOAL_ASSERT(partials_.size() <= kMaxPartials);
}

void ExactSum::add_product(double a, double b) {
  const double p = a * b;
  add(p);
  // fma computes a*b - p with a single rounding, which is exact: the error
  // of a product is representable unless it underflows.
  add(std::fma(a, b, -p));
}

void ExactSum::merge(const ExactSum& other) {
  for (double p : other.partials_) add(p);
}

double ExactSum::value() const {
  // Sum from the largest partial down until the running sum absorbs a partial
  // inexactly; then correct a round-half-even tie using the sign of the rest.
  size_t n = partials_.size();
  if (n == 0) return 0.0;
  double hi = partials_[--n];
  double lo = 0;
  while (n > 0) {
    const double x = hi;
    const double y = partials_[--n];
    hi = x + y;
    const double yr = hi - x;
    lo = y - yr;
    if (lo != 0) break;
  }
  if (n > 0 && ((lo < 0 && partials_[n - 1] < 0) || (lo > 0 && partials_[n - 1] > 0))) {
    // The remaining partials push the exact sum past the halfway point that
    // hi + lo rounded to even; move hi one step toward them if lo*2 is exact.
    const double y = lo * 2;
    const double x = hi + y;
    const double yr = x - hi;
    if (y == yr) hi = x;
  }
  return hi;
}

void ExactSum::encode(Writer& w) const {
  w.varint(partials_.size());
  for (double p : partials_) w.f64(p);
}

bool ExactSum::decode(Reader& r, ExactSum* out) {
  const uint64_t n = r.varint();
  if (!r.ok() || n > kMaxPartials) return false;
  out->partials_.clear();
  // Re-adding validates the expansion instead of trusting the bytes' order.
  for (uint64_t i = 0; i < n; ++i) {
    const double p = r.f64();
    if (!r.ok() || !std::isfinite(p) || std::fabs(p) > 1e300) return false;
    out->add(p);
  }
  return true;
}

double exact_variance_numerator(uint64_t count, const ExactSum& sum, const ExactSum& sum_of_squares) {
  SHOAL_ASSERT(count >= 1);
  const double n = static_cast<double>(count);
  ExactSum numerator;
  for (double p : sum_of_squares.partials()) numerator.add_product(p, n);
  const std::vector<double>& s = sum.partials();
  for (double a : s) {
    for (double b : s) numerator.add_product(-a, b);
  }
  const double v = numerator.value();
  // Exact arithmetic cannot make it negative; rounding of x^2 terms below the
  // underflow threshold can, by a hair, so clamp.
  return v < 0 ? 0 : v;
}

}  // namespace shoal::search
