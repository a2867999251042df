// ExactSum, t-digest and HyperLogLog: their stated bounds and merge behaviour.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <algorithm>
#include <cmath>
#include <numeric>

#include "engine/core/random.h"
#include "engine/search/exact_sum.h"
#include "engine/search/hyperloglog.h"
#include "engine/search/tdigest.h"

namespace shoal::search {
namespace {

// Doubles with wildly different magnitudes, so naive summation loses bits.
rc::Gen<double> spread_double() {
  return rc::gen::apply(
      [](int mantissa, int exponent) { return std::ldexp(static_cast<double>(mantissa), exponent); },
      rc::gen::inRange(-(1 << 20), 1 << 20), rc::gen::inRange(-60, 60));
}

TEST(ExactSum, CancelsWhatNaiveSummationLoses) {
  ExactSum s;
  for (double x : {1e100, 1.0, -1e100, 1e-30, 3.0}) s.add(x);
  EXPECT_EQ(s.value(), 4.0);  // 4 + 1e-30 rounds to 4
  ExactSum t;
  for (int i = 0; i < 10; ++i) t.add(0.1);
  EXPECT_EQ(t.value(), 1.0);  // the correctly rounded sum of ten 0.1s
}

RC_GTEST_PROP(ExactSum, IsIndependentOfOrderAndGrouping, ()) {
  std::vector<double> xs = *rc::gen::container<std::vector<double>>(spread_double());
  ExactSum whole;
  for (double x : xs) whole.add(x);
  std::vector<double> shuffled = xs;
  std::reverse(shuffled.begin(), shuffled.end());
  const size_t cut = xs.empty() ? 0 : *rc::gen::inRange<size_t>(0, xs.size());
  ExactSum left, right;
  for (size_t i = 0; i < shuffled.size(); ++i) (i < cut ? left : right).add(shuffled[i]);
  right.merge(left);
  RC_ASSERT(whole.value() == right.value());
}

RC_GTEST_PROP(ExactSum, EqualsTheIntegerSumWhenItIsRepresentable, (std::vector<int32_t> xs)) {
  ExactSum s;
  int64_t exact = 0;
  for (int32_t x : xs) {
    s.add(static_cast<double>(x) * 0.5);
    exact += x;
  }
  RC_ASSERT(s.value() == static_cast<double>(exact) * 0.5);
}

RC_GTEST_PROP(ExactSum, VarianceNumeratorIsExactForIntegers, (std::vector<int16_t> xs)) {
  RC_PRE(!xs.empty());
  ExactSum sum, squares;
  __int128 s = 0, s2 = 0;
  for (int16_t x : xs) {
    sum.add(x);
    squares.add_product(x, x);
    s += x;
    s2 += static_cast<__int128>(x) * x;
  }
  const __int128 n = static_cast<__int128>(xs.size());
  RC_ASSERT(exact_variance_numerator(xs.size(), sum, squares) == static_cast<double>(n * s2 - s * s));
}

// Whether v is within ε rank of the exact q-quantile of sorted data: the
// ranks v could take ([#<v, #≤v]) must meet [(q−ε)n, (q+ε)n].
bool within_rank(const std::vector<double>& sorted, double q, double v, double eps) {
  const double n = static_cast<double>(sorted.size());
  const double below = static_cast<double>(std::lower_bound(sorted.begin(), sorted.end(), v) - sorted.begin());
  const double at_most = static_cast<double>(std::upper_bound(sorted.begin(), sorted.end(), v) - sorted.begin());
  return at_most >= (q - eps) * n && below <= (q + eps) * n;
}

// Data sets that stress a digest: uniform, heavy duplicates, skew, values
// spanning eighteen orders of magnitude, and a periodic pattern with outliers.
std::vector<double> digest_data(Rng& rng, size_t n, int shape) {
  std::vector<double> xs(n);
  for (size_t i = 0; i < n; ++i) {
    switch (shape) {
      case 0: xs[i] = rng.real01(); break;
      case 1: xs[i] = static_cast<double>(rng.below(10)); break;
      case 2: xs[i] = rng.exponential(1.0) * rng.exponential(100.0); break;
      case 3: xs[i] = (rng.real01() - 0.2) * std::ldexp(1.0, static_cast<int>(rng.range(-20, 40))); break;
      default: xs[i] = static_cast<double>(i % 97) + (rng.chance(0.01) ? 1e6 : 0); break;
    }
  }
  return xs;
}

RC_GTEST_PROP(TDigest, MergedDigestsStayWithinTheStatedRankError, ()) {
  const uint64_t seed = *rc::gen::arbitrary<uint64_t>();
  const size_t n = *rc::gen::inRange<size_t>(1, 6000);
  const int shape = *rc::gen::inRange(0, 5);
  const size_t shards = *rc::gen::inRange<size_t>(1, 9);
  const double compression = *rc::gen::element(20.0, 50.0, 100.0);
  Rng rng(seed);
  std::vector<double> xs = digest_data(rng, n, shape);
  // Split by sorted order sometimes, so shards hold disjoint value ranges.
  std::vector<double> order = xs;
  if (rng.chance(0.5)) std::sort(order.begin(), order.end());
  std::vector<TDigest> parts(shards, TDigest(compression));
  for (size_t i = 0; i < order.size(); ++i) parts[rng.chance(0.3) ? 0 : i * shards / order.size()].add(order[i]);
  TDigest merged(compression);
  for (const TDigest& p : parts) merged.merge(p);
  std::sort(xs.begin(), xs.end());
  RC_ASSERT(merged.count() == n);
  RC_ASSERT(merged.quantile(0) == xs.front());
  RC_ASSERT(merged.quantile(1) == xs.back());
  for (double q : {0.001, 0.01, 0.1, 0.25, 0.5, 0.75, 0.9, 0.99, 0.999}) {
    RC_ASSERT(within_rank(xs, q, merged.quantile(q), merged.rank_error_bound()));
  }
}

TEST(TDigest, IsTypicallyFarInsideItsBound) {
  // The bound is a worst case; on smooth data the error is much smaller.
  Rng rng(7);
  TDigest d(100);
  std::vector<double> xs;
  for (int i = 0; i < 100000; ++i) {
    xs.push_back(rng.real01());
    d.add(xs.back());
  }
  std::sort(xs.begin(), xs.end());
  for (double q : {0.01, 0.5, 0.99}) EXPECT_TRUE(within_rank(xs, q, d.quantile(q), 0.005)) << q;
  ASSERT_EQ(d.runs().size(), 1u);
  EXPECT_LE(d.runs()[0].centroids.size(), 102u);
}

RC_GTEST_PROP(TDigest, EncodingRoundTrips, (std::vector<int16_t> xs)) {
  TDigest d(50);
  for (int16_t x : xs) d.add(x);
  Writer w;
  d.encode(w);
  std::string bytes = w.take();
  Reader r(bytes);
  TDigest back;
  RC_ASSERT(TDigest::decode(r, &back));
  RC_ASSERT(back.count() == d.count());
  for (double q : {0.0, 0.3, 0.5, 0.9, 1.0}) RC_ASSERT(back.quantile(q) == d.quantile(q) || xs.empty());
}

TEST(HyperLogLog, CountsExactlyUpToTheThreshold) {
  HyperLogLog h(1000);
  for (uint64_t i = 0; i < 1000; ++i) h.add_hash(stable_hash(&i, sizeof i));
  EXPECT_TRUE(h.exact());
  EXPECT_EQ(h.estimate(), 1000u);
  uint64_t more = 1000;
  h.add_hash(stable_hash(&more, sizeof more));
  EXPECT_FALSE(h.exact());
  EXPECT_EQ(h.precision(), 12);
}

TEST(HyperLogLog, DenseEstimatesStayWithinTheStatedBound) {
  for (uint64_t threshold : {16u, 100u, 3000u}) {
    for (uint64_t n : {5000u, 50000u, 300000u}) {
      HyperLogLog h(threshold);
      for (uint64_t i = 0; i < n; ++i) {
        const uint64_t v = i * 7919 + threshold;
        h.add_hash(stable_hash(&v, sizeof v));
      }
      const double err = std::fabs(static_cast<double>(h.estimate()) - static_cast<double>(n)) / static_cast<double>(n);
      EXPECT_LE(err, h.relative_error_bound()) << "threshold " << threshold << " n " << n;
    }
  }
}

RC_GTEST_PROP(HyperLogLog, MergingEqualsBuildingFromTheUnion, ()) {
  const uint64_t threshold = *rc::gen::element<uint64_t>(0, 10, 100, 1000);
  const size_t shards = *rc::gen::inRange<size_t>(1, 6);
  const std::vector<uint32_t> values = *rc::gen::container<std::vector<uint32_t>>(rc::gen::inRange<uint32_t>(0, 3000));
  HyperLogLog whole(threshold);
  std::vector<HyperLogLog> parts(shards, HyperLogLog(threshold));
  for (size_t i = 0; i < values.size(); ++i) {
    const uint64_t h = stable_hash(&values[i], sizeof values[i]);
    whole.add_hash(h);
    parts[(values[i] * 31 + i) % shards].add_hash(h);
  }
  HyperLogLog merged(threshold);
  for (const HyperLogLog& p : parts) merged.merge(p);
  RC_ASSERT(merged.estimate() == whole.estimate());
  RC_ASSERT(merged.exact() == whole.exact());
  Writer w;
  merged.encode(w);
  std::string bytes = w.take();
  Reader r(bytes);
  HyperLogLog back;
  RC_ASSERT(HyperLogLog::decode(r, &back));
  RC_ASSERT(back.estimate() == whole.estimate());
}

}  // namespace
}  // namespace shoal::search
