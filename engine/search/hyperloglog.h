// HyperLogLog++ for the cardinality aggregation (Heule, Nunkesser & Hall,
// "HyperLogLog in Practice", 2013), with Elasticsearch's precision_threshold.
//
// Below the threshold the sketch keeps the exact set of 64-bit value hashes
// (HLL++'s "sparse" phase, here without compression), so counts up to the
// threshold are exact except for 64-bit hash collisions (probability about
// n²/2⁶⁵). Past the threshold it switches to 2^p one-byte registers, with
// p = ceil(log2(threshold)) + 2 clamped to [kMinPrecision, kMaxPrecision], and
// estimates with Ertl's improved raw estimator ("New cardinality estimation
// algorithms for HyperLogLog sketches", 2017), which needs no empirical bias
// tables and is unbiased across the whole range.
//
// Stated bound: the relative standard error of the dense estimate is
// 1.04/sqrt(2^p); relative_error_bound() is five standard errors, which a
// correct estimate exceeds with probability below 1e-6. (In the exact phase
// the error is zero, inside the same bound.)
//
// Merging is exact: the union of hash sets, or the register-wise maximum, is
// the sketch the union of the inputs would have built directly. So a merged
// cardinality equals the single-node one for any split of the data.
#pragma once

#include <cstdint>
#include <unordered_set>
#include <vector>

#include "engine/core/codec.h"

namespace shoal::search {

inline constexpr uint64_t kDefaultPrecisionThreshold = 3000;
inline constexpr uint64_t kMaxPrecisionThreshold = 40000;
// Below 2^8 registers the estimate's error is far from normal (a heavy upper
// tail: 16 registers missed five standard errors about once in 4,000
// sketches), so the stated bound would not hold; 256 one-byte registers cost
// little.
inline constexpr int kMinPrecision = 8;
inline constexpr int kMaxPrecision = 18;

class HyperLogLog {
 public:
  // REQUIRES: precision_threshold <= kMaxPrecisionThreshold.
  explicit HyperLogLog(uint64_t precision_threshold = kDefaultPrecisionThreshold);

  // Adds a value by its stable 64-bit hash (engine/core/random.h stable_hash).
  void add_hash(uint64_t hash);
  void merge(const HyperLogLog& other);  // REQUIRES: same precision_threshold
  uint64_t estimate() const;

  bool exact() const { return registers_.empty(); }
  int precision() const { return precision_; }
  uint64_t precision_threshold() const { return threshold_; }
  double relative_error_bound() const;

  void encode(Writer& w) const;
  static bool decode(Reader& r, HyperLogLog* out);

 private:
  void to_dense();
  void add_to_registers(uint64_t hash);

  uint64_t threshold_;
  int precision_;
  // Exact phase: the set of hashes (never iterated in an order that reaches
  // output: encode sorts it, and register updates are order-free).
  std::unordered_set<uint64_t> hashes_;
  // Dense phase: 2^precision_ registers, each the maximum rank seen.
  std::vector<uint8_t> registers_;
};

}  // namespace shoal::search
