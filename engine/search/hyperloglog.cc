#include "engine/search/hyperloglog.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <limits>

#include "engine/core/assert.h"

namespace shoal::search {

namespace {

int precision_for(uint64_t threshold) {
  if (threshold <= 1) return kMinPrecision;
  // Four registers per counted value at the switch point keeps the dense
  // estimate's error at the threshold near 1.04/sqrt(4·threshold).
  const int p = std::bit_width(threshold - 1) + 2;
  return std::clamp(p, kMinPrecision, kMaxPrecision);
}

// Ertl's σ and τ series (2017, Algorithm 6), iterated until they stop changing.
double sigma(double x) {
  if (x == 1) return std::numeric_limits<double>::infinity();
  double y = 1;
  double z = x;
  for (;;) {
    x *= x;
    const double previous = z;
    z += x * y;
    y += y;
    if (z == previous) return z;
  }
}

double tau(double x) {
  if (x == 0 || x == 1) return 0;
  double y = 1;
  double z = 1 - x;
  for (;;) {
    x = std::sqrt(x);
    const double previous = z;
    y *= 0.5;
    z -= (1 - x) * (1 - x) * y;
    if (z == previous) return z / 3;
  }
}

}  // namespace

HyperLogLog::HyperLogLog(uint64_t precision_threshold)
    : threshold_(precision_threshold), precision_(precision_for(precision_threshold)) {
  SHOAL_ASSERT(precision_threshold <= kMaxPrecisionThreshold);
}

double HyperLogLog::relative_error_bound() const {
  return 5 * 1.04 / std::sqrt(static_cast<double>(uint64_t{1} << precision_));
}

void HyperLogLog::add_hash(uint64_t hash) {
  if (!exact()) {
    add_to_registers(hash);
    return;
  }
  hashes_.insert(hash);
  if (hashes_.size() > threshold_) to_dense();
}

void HyperLogLog::add_to_registers(uint64_t hash) {
  // The top p bits pick the register; the rank is the position of the first
  // one bit in the rest, capped at q + 1 when the rest is all zeros.
  const int q = 64 - precision_;
  const size_t index = static_cast<size_t>(hash >> q);
  const uint64_t rest = hash << precision_;
  const int rank = rest == 0 ? q + 1 : std::countl_zero(rest) + 1;
  registers_[index] = std::max(registers_[index], static_cast<uint8_t>(rank));
}

void HyperLogLog::to_dense() {
  registers_.assign(size_t{1} << precision_, 0);
  // The register maximum does not depend on the order of the hashes.
  for (uint64_t h : hashes_) add_to_registers(h);
  hashes_.clear();
}

void HyperLogLog::merge(const HyperLogLog& other) {
  SHOAL_ASSERT(other.threshold_ == threshold_);
  if (other.exact()) {
    for (uint64_t h : other.hashes_) add_hash(h);
    return;
  }
  if (exact()) to_dense();
  for (size_t i = 0; i < registers_.size(); ++i) registers_[i] = std::max(registers_[i], other.registers_[i]);
}

uint64_t HyperLogLog::estimate() const {
  if (exact()) return hashes_.size();
  const int q = 64 - precision_;
  const double m = static_cast<double>(registers_.size());
  std::vector<double> histogram(static_cast<size_t>(q) + 2, 0);
  for (uint8_t r : registers_) histogram[r] += 1;
  double z = m * tau(1 - histogram[static_cast<size_t>(q) + 1] / m);
  for (int k = q; k >= 1; --k) z = 0.5 * (z + histogram[static_cast<size_t>(k)]);
  z += m * sigma(histogram[0] / m);
  const double alpha_infinity = 1 / (2 * std::log(2.0));
  return static_cast<uint64_t>(std::llround(alpha_infinity * m * m / z));
}

void HyperLogLog::encode(Writer& w) const {
  w.varint(threshold_);
  w.boolean(exact());
  if (exact()) {
    std::vector<uint64_t> sorted(hashes_.begin(), hashes_.end());
    std::sort(sorted.begin(), sorted.end());
    w.varint(sorted.size());
    for (uint64_t h : sorted) w.u64(h);
  } else {
    w.raw(std::string_view(reinterpret_cast<const char*>(registers_.data()), registers_.size()));
  }
}

bool HyperLogLog::decode(Reader& r, HyperLogLog* out) {
  const uint64_t threshold = r.varint();
  if (!r.ok() || threshold > kMaxPrecisionThreshold) return false;
  HyperLogLog h(threshold);
  if (r.boolean()) {
    const uint64_t n = r.varint();
    if (!r.ok() || n > threshold || n > r.remaining() / 8) return false;
    for (uint64_t i = 0; i < n; ++i) h.hashes_.insert(r.u64());
    if (h.hashes_.size() != n) return false;
  } else {
    std::string_view bytes;
    if (!r.raw(size_t{1} << h.precision_, &bytes)) return false;
    h.registers_.assign(bytes.begin(), bytes.end());
    const uint8_t max_rank = static_cast<uint8_t>(64 - h.precision_ + 1);
    for (uint8_t v : h.registers_) {
      if (v > max_rank) return false;
    }
  }
  if (!r.ok()) return false;
  *out = std::move(h);
  return true;
}

}  // namespace shoal::search
