#include "engine/query/tdigest.h"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <limits>
#include <numbers>

namespace shoal::query {

namespace {

// Buffered points before a merge pass; 5x compression is the paper's choice,
// balancing the cost of sorting against the number of passes.
constexpr double kBufferPerCompression = 5;

bool by_mean_then_weight(const TDigest::Centroid& a, const TDigest::Centroid& b) {
  return a.mean < b.mean || (a.mean == b.mean && a.weight < b.weight);
}

// Centroids a compressed digest can hold: the greedy pass leaves every
// adjacent pair spanning more than one unit of k, and k covers compression/2.
size_t max_centroids(double compression) { return static_cast<size_t>(2 * compression) + 16; }

}  // namespace

TDigest::TDigest(double compression) : compression_(compression) {
  assert(compression >= kMinCompression && compression <= kMaxCompression);
}

double TDigest::k_scale(double q) const {
  q = std::clamp(q, 0.0, 1.0);
  return compression_ / (2 * std::numbers::pi) * std::asin(2 * q - 1);
}

double TDigest::rank_error_bound() const {
  const double n = count_ == 0 ? 1.0 : static_cast<double>(count_);
  return 2 * std::numbers::pi / compression_ + 2 / n;
}

void TDigest::add(double x) {
  assert(std::isfinite(x));
  if (count_ == 0) {
    min_ = max_ = x;
  } else {
    min_ = std::min(min_, x);
    max_ = std::max(max_, x);
  }
  ++count_;
  buffer_.push_back({x, 1});
  if (buffer_.size() >= kBufferPerCompression * compression_) flush();
}

void TDigest::merge(const TDigest& other) {
  if (other.count_ == 0) return;
  const std::vector<Centroid>& theirs = other.centroids();
  if (count_ == 0) {
    min_ = other.min_;
    max_ = other.max_;
  } else {
    min_ = std::min(min_, other.min_);
    max_ = std::max(max_, other.max_);
  }
  count_ += other.count_;
  buffer_.insert(buffer_.end(), theirs.begin(), theirs.end());
  if (buffer_.size() >= kBufferPerCompression * compression_) flush();
}

void TDigest::flush() const {
  if (buffer_.empty()) return;
  std::vector<Centroid> items;
  items.reserve(centroids_.size() + buffer_.size());
  items.insert(items.end(), centroids_.begin(), centroids_.end());
  items.insert(items.end(), buffer_.begin(), buffer_.end());
  buffer_.clear();
  compress(std::move(items));
}

void TDigest::compress(std::vector<Centroid> items) const {
  std::sort(items.begin(), items.end(), by_mean_then_weight);
  double total = 0;
  for (const Centroid& c : items) total += c.weight;
  centroids_.clear();
  // One left-to-right pass: absorb the next item into the current centroid
  // while the merged centroid spans at most one unit of the scale function.
  double weight_before = 0;
  Centroid cur = items[0];
  for (size_t i = 1; i < items.size(); ++i) {
    const Centroid& next = items[i];
    const double q_left = weight_before / total;
    const double q_right = (weight_before + cur.weight + next.weight) / total;
    if (k_scale(q_right) - k_scale(q_left) <= 1) {
      const double lo = std::min(cur.mean, next.mean);
      const double hi = std::max(cur.mean, next.mean);
      cur.weight += next.weight;
      // A convex combination; clamp so rounding never leaves [lo, hi].
      cur.mean = std::clamp(cur.mean + (next.mean - cur.mean) * next.weight / cur.weight, lo, hi);
    } else {
      centroids_.push_back(cur);
      weight_before += cur.weight;
      cur = next;
    }
  }
  centroids_.push_back(cur);
}

const std::vector<TDigest::Centroid>& TDigest::centroids() const {
  flush();
  return centroids_;
}

double TDigest::quantile(double q) const {
  if (count_ == 0) return std::numeric_limits<double>::quiet_NaN();
  if (q <= 0) return min_;
  if (q >= 1) return max_;
  const std::vector<Centroid>& cs = centroids();
  const double index = q * static_cast<double>(count_);
  // Piecewise-linear in rank: the minimum sits at rank 0, each centroid's
  // mean at the middle of its weight, the maximum at rank n.
  double prev_rank = 0;
  double prev_value = min_;
  double weight_before = 0;
  auto between = [&](double rank, double value) {
    if (rank <= prev_rank) return value;
    const double t = (index - prev_rank) / (rank - prev_rank);
    return std::clamp(prev_value + t * (value - prev_value), std::min(prev_value, value),
                      std::max(prev_value, value));
  };
  for (const Centroid& c : cs) {
    const double center = weight_before + c.weight / 2;
    if (index < center) return between(center, c.mean);
    prev_rank = center;
    prev_value = c.mean;
    weight_before += c.weight;
  }
  return between(static_cast<double>(count_), max_);
}

void TDigest::encode(Writer& w) const {
  const std::vector<Centroid>& cs = centroids();
  w.f64(compression_);
  w.varint(count_);
  w.f64(min_);
  w.f64(max_);
  w.varint(cs.size());
  for (const Centroid& c : cs) {
    w.f64(c.mean);
    w.varint(static_cast<uint64_t>(c.weight));
  }
}

bool TDigest::decode(Reader& r, TDigest* out) {
  const double compression = r.f64();
  if (!r.ok() || !(compression >= kMinCompression && compression <= kMaxCompression)) return false;
  TDigest d(compression);
  d.count_ = r.varint();
  d.min_ = r.f64();
  d.max_ = r.f64();
  const uint64_t n = r.varint();
  if (!r.ok() || n > max_centroids(compression) || (n == 0) != (d.count_ == 0)) return false;
  if (d.count_ > 0 && !(std::isfinite(d.min_) && std::isfinite(d.max_) && d.min_ <= d.max_)) return false;
  uint64_t total = 0;
  for (uint64_t i = 0; i < n; ++i) {
    Centroid c{r.f64(), static_cast<double>(r.varint())};
    // Centroids must be sorted, inside [min, max] and of positive weight.
    if (!r.ok() || !(c.mean >= d.min_ && c.mean <= d.max_) || c.weight < 1) return false;
    if (!d.centroids_.empty() && by_mean_then_weight(c, d.centroids_.back())) return false;
    total += static_cast<uint64_t>(c.weight);
    d.centroids_.push_back(c);
  }
  if (total != d.count_) return false;
  *out = std::move(d);
  return true;
}

}  // namespace shoal::query
