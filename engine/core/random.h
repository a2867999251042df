// Shoal's own pseudo-random generator and range helpers.
//
// std::uniform_int_distribution and friends are implementation-defined, so a
// seed would give different runs under different standard libraries. Every
// random choice in the engine and the simulator goes through this type:
// xoshiro256** seeded by splitmix64, with range helpers written here.
#pragma once

#include <cstdint>
#include <utility>
#include <vector>

#include "engine/core/time.h"

namespace shoal {

uint64_t splitmix64(uint64_t& state);

class Rng {
 public:
  explicit Rng(uint64_t seed = 0) { reseed(seed); }
  void reseed(uint64_t seed);

  uint64_t next_u64();
  // Uniform in [0, bound). REQUIRES: bound > 0. Unbiased (Lemire's method).
  uint64_t below(uint64_t bound);
  // Uniform in [lo, hi], inclusive. REQUIRES: lo <= hi.
  int64_t range(int64_t lo, int64_t hi);
  Duration range(Duration lo, Duration hi) { return Duration(range(lo.count(), hi.count())); }
  // Uniform in [0, 1) with 53 random bits.
  double real01();
  // True with probability p (p <= 0: never; p >= 1: always).
  bool chance(double p);
  // An exponential sample with the given mean, capped at 20 means.
  double exponential(double mean);
  // Derives an independent stream, e.g. one per node from the run seed.
  Rng fork(uint64_t salt);

  template <typename T>
  void shuffle(std::vector<T>& v) {
    for (size_t i = v.size(); i > 1; --i) std::swap(v[i - 1], v[below(i)]);
  }
  template <typename T>
  const T& pick(const std::vector<T>& v) { return v[below(v.size())]; }

 private:
  uint64_t s_[4];
};

// A stable 64-bit hash for traces and fingerprints (FNV-1a then a final
// avalanche). Unlike absl::Hash it is not seeded per process.
uint64_t stable_hash(const void* data, size_t n, uint64_t seed = 0);
inline uint64_t hash_combine(uint64_t h, uint64_t v) {
  uint64_t x = h ^ (v + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2));
  return splitmix64(x);
}

}  // namespace shoal
