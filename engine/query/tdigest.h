// A merging t-digest (Dunning & Ertl, "Computing extremely accurate quantiles
// using t-digests", 2019) for the percentiles aggregation.
//
// Points are buffered and periodically merged into centroids sorted by mean,
// under the k1 scale function k(q) = compression/(2π)·asin(2q−1): adjacent
// items merge only while the merged centroid spans at most one unit of k.
// A centroid therefore covers at most π/compression of the total weight (less
// in the tails), which is the source of the error bound below. Shards build
// digests independently and merge() folds one into another; the result does
// not equal the single-node digest bit for bit, but it obeys the same bound.
//
// Stated bound (checked by property tests against the exact answer): for any
// q, the estimate v returned by quantile(q) lies between the exact values at
// ranks (q − ε)·n and (q + ε)·n, with ε = rank_error_bound() = 2π/compression
// + 2/n. Extremes are exact: quantile(0) is the minimum, quantile(1) the max.
//
// Deterministic: ties in centroid order are broken by weight, so the same
// inputs in the same order give the same digest on every platform.
#pragma once

#include <cstdint>
#include <vector>

#include "engine/core/codec.h"

namespace shoal::query {

inline constexpr double kDefaultCompression = 100;
inline constexpr double kMinCompression = 10;
inline constexpr double kMaxCompression = 10000;

class TDigest {
 public:
  struct Centroid {
    double mean;
    double weight;
  };

  // REQUIRES: kMinCompression <= compression <= kMaxCompression.
  explicit TDigest(double compression = kDefaultCompression);

  void add(double x);  // REQUIRES: x finite
  void merge(const TDigest& other);
  // The estimated q-quantile, q in [0, 1]; NaN when empty.
  double quantile(double q) const;

  uint64_t count() const { return count_; }
  double compression() const { return compression_; }
  double min() const { return min_; }
  double max() const { return max_; }
  double rank_error_bound() const;
  // Centroids after folding in the buffer; for tests and encoding.
  const std::vector<Centroid>& centroids() const;

  void encode(Writer& w) const;
  static bool decode(Reader& r, TDigest* out);

 private:
  void flush() const;
  void compress(std::vector<Centroid> items) const;
  double k_scale(double q) const;

  double compression_;
  uint64_t count_ = 0;
  double min_ = 0;
  double max_ = 0;
  // Folding the buffer does not change the digest's meaning, so const
  // readers may do it; the digest is not shared between threads.
  mutable std::vector<Centroid> centroids_;
  mutable std::vector<Centroid> buffer_;
};

}  // namespace shoal::query
