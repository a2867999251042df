#include "engine/search/tdigest.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numbers>

#include "engine/core/assert.h"
#include "engine/search/exact_sum.h"

namespace shoal::search {

namespace {

// Centroids one run can hold: the greedy pass leaves every adjacent pair
// spanning more than one unit of k, and k covers compression/2 units.
size_t max_centroids(double compression) { return static_cast<size_t>(2 * compression) + 16; }

// One straight piece of a run's CDF, from (x0, y0) to (x1, y1); a vertical
// piece (x0 == x1) is a jump.
struct Piece {
  double x0, y0, x1, y1;
};

// A piece too steep for a finite slope (two distinct values a few ulps
// apart) is treated as a jump at its left end; it is no wider than that.
double slope_of(const Piece& p) {
  if (p.x1 == p.x0) return 0;
  const double slope = (p.y1 - p.y0) / (p.x1 - p.x0);
  return std::isfinite(slope) && slope <= 1e300 ? slope : 0;
}

double jump_of(const Piece& p) { return p.x1 == p.x0 || slope_of(p) == 0 ? p.y1 - p.y0 : 0; }

void pieces_of(const TDigest::Run& run, std::vector<Piece>* out) {
  double px = run.min;
  double py = 0;
  double before = 0;
  auto to = [&](double x, double y) {
    out->push_back({px, py, x, y});
    px = x;
    py = y;
  };
  for (const TDigest::Centroid& c : run.centroids) {
    to(c.mean, before + c.weight / 2);
    before += c.weight;
  }
  to(run.max, static_cast<double>(run.count));
}

}  // namespace

TDigest::TDigest(double compression) : compression_(compression) {
  SHOAL_ASSERT(compression >= kMinCompression && compression <= kMaxCompression);
}

double TDigest::k_scale(double q) const {
  q = std::clamp(q, 0.0, 1.0);
  return compression_ / (2 * std::numbers::pi) * std::asin(2 * q - 1);
}

double TDigest::rank_error_bound() const {
  const double n = count_ == 0 ? 1.0 : static_cast<double>(count_);
  return 1.5 * std::numbers::pi / compression_ + 1.5 * static_cast<double>(runs().size()) / n;
}

void TDigest::add(double x) {
  SHOAL_ASSERT(std::isfinite(x));
  if (count_ == 0) {
    min_ = max_ = x;
  } else {
    min_ = std::min(min_, x);
    max_ = std::max(max_, x);
  }
  ++count_;
  buffer_.push_back(x);
  if (buffer_.size() >= kRunPoints) flush();
}

void TDigest::merge(const TDigest& other) {
  if (other.count_ == 0) return;
  const std::vector<Run>& theirs = other.runs();
  flush();
  if (count_ == 0) {
    min_ = other.min_;
    max_ = other.max_;
  } else {
    min_ = std::min(min_, other.min_);
    max_ = std::max(max_, other.max_);
  }
  count_ += other.count_;
  runs_.insert(runs_.end(), theirs.begin(), theirs.end());
}

void TDigest::flush() const {
  if (buffer_.empty()) return;
  runs_.push_back(compress(std::move(buffer_)));
  buffer_.clear();
}

TDigest::Run TDigest::compress(std::vector<double> points) const {
  std::sort(points.begin(), points.end());
  Run run;
  run.count = points.size();
  run.min = points.front();
  run.max = points.back();
  const double total = static_cast<double>(points.size());
  // One pass over the sorted points: extend the current centroid while it
  // spans at most one unit of the scale function. Centroids are therefore
  // consecutive stretches of the sorted points.
  double weight_before = 0;
  Centroid cur{points[0], 1};
  for (size_t i = 1; i < points.size(); ++i) {
    const double q_left = weight_before / total;
    const double q_right = (weight_before + cur.weight + 1) / total;
    if (k_scale(q_right) - k_scale(q_left) <= 1) {
      cur.weight += 1;
      // A running mean of sorted points stays within [first, latest].
      cur.mean = std::clamp(cur.mean + (points[i] - cur.mean) / cur.weight, cur.mean, points[i]);
    } else {
      run.centroids.push_back(cur);
      weight_before += cur.weight;
      cur = Centroid{points[i], 1};
    }
  }
  run.centroids.push_back(cur);
  return run;
}

const std::vector<TDigest::Run>& TDigest::runs() const {
  flush();
  return runs_;
}

double TDigest::quantile(double q) const { return quantiles({q})[0]; }

std::vector<double> TDigest::quantiles(const std::vector<double>& qs) const {
  std::vector<double> out(qs.size(), std::numeric_limits<double>::quiet_NaN());
  if (count_ == 0) return out;
  std::vector<Piece> pieces;
  for (const Run& run : runs()) pieces_of(run, &pieces);
  // Sweep the breakpoints left to right, keeping F (the summed CDF) and its
  // slope; answer each target where F first reaches it.
  std::vector<double> xs;
  for (const Piece& p : pieces) {
    xs.push_back(p.x0);
    xs.push_back(p.x1);
  }
  std::sort(xs.begin(), xs.end());
  xs.erase(std::unique(xs.begin(), xs.end()), xs.end());
  std::vector<Piece> by_start = pieces;
  std::stable_sort(by_start.begin(), by_start.end(), [](const Piece& a, const Piece& b) { return a.x0 < b.x0; });
  std::vector<Piece> by_end = pieces;
  std::stable_sort(by_end.begin(), by_end.end(), [](const Piece& a, const Piece& b) { return a.x1 < b.x1; });
  std::vector<size_t> order(qs.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return qs[a] < qs[b]; });

  const double n = static_cast<double>(count_);
  size_t next = 0;
  double f = 0, slope = 0, x_prev = xs.front();
  // Steep pieces (points close together) start and end while the sweep moves
  // on to wide gaps; an exact sum of the active slopes leaves no residue of
  // them to be multiplied by a gap of 1e11.
  ExactSum slopes;
  size_t s = 0, e = 0;
  for (double x : xs) {
    const double f_left = f + std::max(slope, 0.0) * (x - x_prev);
    for (; next < order.size() && qs[order[next]] * n <= f_left; ++next) {
      const double t = qs[order[next]] * n;
      out[order[next]] = slope > 0 ? std::clamp(x_prev + (t - f) / slope, x_prev, x) : x_prev;
    }
    double jump = 0;
    for (; s < by_start.size() && by_start[s].x0 == x; ++s) {
      jump += jump_of(by_start[s]);
      if (const double sl = slope_of(by_start[s]); sl != 0) slopes.add(sl);
    }
    for (; e < by_end.size() && by_end[e].x1 == x; ++e) {
      if (const double sl = slope_of(by_end[e]); sl != 0) slopes.add(-sl);
    }
    slope = slopes.value();
    f = f_left + jump;
    x_prev = x;
    for (; next < order.size() && qs[order[next]] * n <= f; ++next) out[order[next]] = x;
  }
  for (; next < order.size(); ++next) out[order[next]] = max_;
  for (size_t i = 0; i < qs.size(); ++i) {
    if (qs[i] <= 0) out[i] = min_;
    if (qs[i] >= 1) out[i] = max_;
  }
  return out;
}

void TDigest::encode(Writer& w) const {
  const std::vector<Run>& rs = runs();
  w.f64(compression_);
  w.varint(count_);
  w.f64(min_);
  w.f64(max_);
  w.varint(rs.size());
  for (const Run& run : rs) {
    w.varint(run.count);
    w.f64(run.min);
    w.f64(run.max);
    w.varint(run.centroids.size());
    for (const Centroid& c : run.centroids) {
      w.f64(c.mean);
      w.varint(static_cast<uint64_t>(c.weight));
    }
  }
}

namespace {

// Reads one run and checks it is a well-formed run inside [lo, hi].
bool decode_run(Reader& r, double compression, double lo, double hi, TDigest::Run* run) {
  run->count = r.varint();
  run->min = r.f64();
  run->max = r.f64();
  const uint64_t n = r.varint();
  if (!r.ok() || run->count == 0 || n == 0 || n > max_centroids(compression)) return false;
  if (!(run->min >= lo && run->min <= run->max && run->max <= hi)) return false;
  uint64_t total = 0;
  for (uint64_t i = 0; i < n; ++i) {
    TDigest::Centroid c{r.f64(), static_cast<double>(r.varint())};
    if (!r.ok() || !(c.mean >= run->min && c.mean <= run->max) || c.weight < 1) return false;
    if (!run->centroids.empty() && c.mean < run->centroids.back().mean) return false;
    total += static_cast<uint64_t>(c.weight);
    run->centroids.push_back(c);
  }
  return total == run->count;
}

}  // namespace

bool TDigest::decode(Reader& r, TDigest* out) {
  const double compression = r.f64();
  if (!r.ok() || !(compression >= kMinCompression && compression <= kMaxCompression)) return false;
  TDigest d(compression);
  d.count_ = r.varint();
  d.min_ = r.f64();
  d.max_ = r.f64();
  const uint64_t nruns = r.varint();
  // A run takes at least 27 bytes; more runs than that is a lie.
  if (!r.ok() || nruns > r.remaining() / 27 || (nruns == 0) != (d.count_ == 0)) return false;
  if (d.count_ > 0 && !(std::isfinite(d.min_) && std::isfinite(d.max_) && d.min_ <= d.max_)) return false;
  uint64_t total = 0;
  for (uint64_t i = 0; i < nruns; ++i) {
    Run run;
    if (!decode_run(r, compression, d.min_, d.max_, &run)) return false;
    total += run.count;
    d.runs_.push_back(std::move(run));
  }
  if (total != d.count_) return false;
  *out = std::move(d);
  return true;
}

}  // namespace shoal::search
