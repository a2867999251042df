// A t-digest (Dunning & Ertl, "Computing extremely accurate quantiles using
// t-digests", 2019) for the percentiles aggregation, built so that its error
// bound holds for any data and any merge.
//
// The classic merging digest folds new points into old centroids; on
// heavy-tailed data a centroid then spans values far from its mean, and the
// rank error has no worst-case bound (Cormode et al., 2021). Here a digest is
// a list of runs instead. Points are buffered; when kRunPoints are buffered
// (or the digest is read, encoded or merged) the buffer is sorted and
// compressed once, under the k1 scale function k(q) = δ/(2π)·asin(2q−1), into
// a run whose centroids cover disjoint, consecutive stretches of the sorted
// points, each at most π/δ of the run's weight (or a single point). merge()
// appends the other digest's runs, so merging is exact, associative and
// commutative as a multiset of runs.
//
// A run gives a piecewise-linear CDF through (min, 0), (mean_j, weight before
// centroid j + w_j/2), (max, n_run), which is within 1.5 centroid weights of
// the true count of points ≤ v for every v. quantile(q) inverts the sum of the
// runs' CDFs at q·n. Hence the stated bound, checked by property tests: the
// estimate v lies between the exact values at ranks (q − ε)·n and (q + ε)·n,
// ε = rank_error_bound() = 1.5·π/δ + 1.5·runs/n. Extremes are exact:
// quantile(0) is the minimum, quantile(1) the maximum.
//
// Deterministic: sorting is total (by value, then weight) and the sweep over
// breakpoints runs in a fixed order.
#pragma once

#include <cstdint>
#include <vector>

#include "engine/core/codec.h"

namespace shoal::search {

inline constexpr double kDefaultCompression = 100;
inline constexpr double kMinCompression = 10;
inline constexpr double kMaxCompression = 10000;
// Points buffered before they are compressed into a run (1 MiB of doubles).
inline constexpr size_t kRunPoints = size_t{1} << 17;

class TDigest {
 public:
  struct Centroid {
    double mean;
    double weight;
  };
  struct Run {
    uint64_t count = 0;
    double min = 0;
    double max = 0;
    std::vector<Centroid> centroids;  // sorted by mean; value-disjoint stretches
  };

  // REQUIRES: kMinCompression <= compression <= kMaxCompression.
  explicit TDigest(double compression = kDefaultCompression);

  void add(double x);  // REQUIRES: x finite
  void merge(const TDigest& other);
  // The estimated q-quantile, q in [0, 1]; NaN when empty.
  double quantile(double q) const;
  // Several at once (one sweep); qs in any order.
  std::vector<double> quantiles(const std::vector<double>& qs) const;

  uint64_t count() const { return count_; }
  double compression() const { return compression_; }
  double min() const { return min_; }
  double max() const { return max_; }
  double rank_error_bound() const;
  const std::vector<Run>& runs() const;

  void encode(Writer& w) const;
  static bool decode(Reader& r, TDigest* out);

 private:
  void flush() const;
  Run compress(std::vector<double> points) const;
  double k_scale(double q) const;

  double compression_;
  uint64_t count_ = 0;
  double min_ = 0;
  double max_ = 0;
  // Folding the buffer into a run does not change the digest's meaning, so
  // const readers may do it; a digest is not shared between threads.
  mutable std::vector<Run> runs_;
  mutable std::vector<double> buffer_;
};

}  // namespace shoal::search
