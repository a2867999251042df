// Training routing data from a sample: range split points (equal-count
// quantiles) and vector centroids (deterministic k-means). Runs on the
// proposer of a collection only; replicas copy the outcome from the log.
#include <algorithm>
#include <cmath>
#include <limits>
#include <utility>

#include "absl/strings/str_cat.h"
#include "engine/cluster/shard_map.h"
#include "engine/core/assert.h"
#include "engine/core/random.h"

namespace shoal::cluster {
namespace {

using Point = std::vector<double>;

Error bad(std::string message) { return make_error(ErrorCode::kBadRequest, std::move(message)); }

double squared_distance(const Point& a, const Point& b) {
  double sum = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    const double d = a[i] - b[i];
    sum += d * d;
  }
  return sum;
}

double dot(const Point& a, const Point& b) {
  double sum = 0;
  for (size_t i = 0; i < a.size(); ++i) sum += a[i] * b[i];
  return sum;
}

// A zero vector has no direction and stays as it is.
void normalise(Point& p) {
  const double norm = std::sqrt(dot(p, p));
  if (norm == 0) return;
  for (double& x : p) x /= norm;
}

// Nearness of a point to a centroid during training, larger is nearer: the
// negated squared distance for l2, the dot product with a unit centroid for
// spherical training — the same order routing uses.
double nearness(const Point& p, const Point& c, bool spherical) {
  return spherical ? dot(p, c) : -squared_distance(p, c);
}

// k-means++: the first centre uniformly, each further one with probability
// proportional to its squared distance from the nearest centre chosen.
std::vector<Point> seed_centres(const std::vector<Point>& points, uint32_t k, Rng& rng) {
  std::vector<Point> centres{points[rng.below(points.size())]};
  std::vector<double> nearest(points.size());
  for (size_t i = 0; i < points.size(); ++i) nearest[i] = squared_distance(points[i], centres[0]);
  while (centres.size() < k) {
    double total = 0;
    for (double d : nearest) total += d;
    size_t pick = 0;
    if (total <= 0) {
      pick = rng.below(points.size());  // every point is a centre already
    } else {
      // Rounding may carry the target past the last weight: then the last
      // point with any weight is the pick, never one that is a centre.
      double target = rng.real01() * total;
      for (size_t i = 0; i < points.size(); ++i) {
        if (nearest[i] <= 0) continue;
        pick = i;
        if (target < nearest[i]) break;
        target -= nearest[i];
      }
    }
    centres.push_back(points[pick]);
    for (size_t i = 0; i < points.size(); ++i) {
      nearest[i] = std::min(nearest[i], squared_distance(points[i], centres.back()));
    }
  }
  return centres;
}

struct Assignment {
  std::vector<uint32_t> cluster;   // per point
  std::vector<double> nearness;    // per point, to its centre
};

Assignment assign(const std::vector<Point>& points, const std::vector<Point>& centres, bool spherical) {
  Assignment a{std::vector<uint32_t>(points.size()), std::vector<double>(points.size())};
  for (size_t i = 0; i < points.size(); ++i) {
    double best = nearness(points[i], centres[0], spherical);
    uint32_t best_c = 0;
    for (uint32_t c = 1; c < centres.size(); ++c) {
      const double n = nearness(points[i], centres[c], spherical);
      if (n > best) {  // ties stay with the lower centre
        best = n;
        best_c = c;
      }
    }
    a.cluster[i] = best_c;
    a.nearness[i] = best;
  }
  return a;
}

// One Lloyd update: each centre moves to its points' mean (normalised when
// spherical); an empty cluster takes the point farthest from its own centre
// that no other empty cluster took this round, so it cannot stay empty.
void update_centres(const std::vector<Point>& points, const Assignment& a, bool spherical,
                    std::vector<Point>& centres) {
  const size_t dims = points[0].size();
  std::vector<Point> sums(centres.size(), Point(dims, 0.0));
  std::vector<size_t> counts(centres.size(), 0);
  for (size_t i = 0; i < points.size(); ++i) {
    ++counts[a.cluster[i]];
    for (size_t d = 0; d < dims; ++d) sums[a.cluster[i]][d] += points[i][d];
  }
  std::vector<bool> taken(points.size(), false);
  for (size_t c = 0; c < centres.size(); ++c) {
    if (counts[c] > 0) {
      for (size_t d = 0; d < dims; ++d) centres[c][d] = sums[c][d] / static_cast<double>(counts[c]);
      if (spherical) normalise(centres[c]);
      continue;
    }
    size_t farthest = points.size();
    for (size_t i = 0; i < points.size(); ++i) {
      if (taken[i]) continue;
      if (farthest == points.size() || a.nearness[i] < a.nearness[farthest]) farthest = i;
    }
    if (farthest == points.size()) continue;  // more empty clusters than points
    taken[farthest] = true;
    centres[c] = points[farthest];
    if (spherical) normalise(centres[c]);
  }
}

}  // namespace

std::vector<std::vector<float>> train_centroids(const std::vector<std::vector<float>>& sample, uint32_t k,
                                                search::VectorMetric metric, uint64_t seed) {
  SHOAL_ASSERT(k >= 1);
  SHOAL_ASSERT(!sample.empty() && sample.size() <= kMaxRoutingSample);
  const size_t dims = sample[0].size();
  SHOAL_ASSERT(dims > 0);
  const bool spherical = metric != search::VectorMetric::kL2;
  std::vector<Point> points;
  points.reserve(sample.size());
  for (const std::vector<float>& v : sample) {
    SHOAL_ASSERT(v.size() == dims);
    points.emplace_back(v.begin(), v.end());
    if (metric == search::VectorMetric::kCosine) normalise(points.back());
  }
  // Lloyd's rounds find a local optimum only: one seeding may put two
  // centres in one cluster of data and none in another. Several seedings
  // from the one stream, keeping the tightest result (the highest total
  // nearness), make that rare; the choice is still a function of the seed.
  Rng rng(seed);
  std::vector<Point> centres;
  double best_fit = -std::numeric_limits<double>::infinity();
  for (uint32_t restart = 0; restart < kKmeansRestarts; ++restart) {
    std::vector<Point> candidate = seed_centres(points, k, rng);
    if (spherical) {
      for (Point& c : candidate) normalise(c);
    }
    for (uint32_t round = 0; round < kKmeansIterations; ++round) {
      update_centres(points, assign(points, candidate, spherical), spherical, candidate);
    }
    double fit = 0;
    for (double n : assign(points, candidate, spherical).nearness) fit += n;
    if (fit > best_fit) {
      best_fit = fit;
      centres = std::move(candidate);
    }
  }
  std::vector<std::vector<float>> out;
  out.reserve(centres.size());
  for (const Point& c : centres) {
    std::vector<float>& f = out.emplace_back(dims);
    for (size_t d = 0; d < dims; ++d) f[d] = static_cast<float>(c[d]);
  }
  return out;
}

Error split_points(std::vector<search::Value> sample, uint32_t k, std::vector<search::Value>* out) {
  if (k < 1 || k > kMaxShards) return bad(absl::StrCat("cannot split into ", k, " ranges"));
  if (sample.size() > kMaxRoutingSample) {
    return bad(absl::StrCat("a sample of ", sample.size(), " values is over the limit of ", kMaxRoutingSample));
  }
  for (const search::Value& v : sample) {
    if (v.missing()) return bad("a sample value is missing");
    if (v.type() != search::FieldType::kKeyword && v.type() != search::FieldType::kInteger) {
      return bad("range split points are keywords or integers");
    }
    if (v.type() != sample[0].type()) return bad("sample values are of different types");
  }
  out->clear();
  if (k == 1) return {};
  std::sort(sample.begin(), sample.end());
  // The first position of each distinct value in the sorted sample.
  std::vector<size_t> starts;
  for (size_t i = 0; i < sample.size(); ++i) {
    if (i == 0 || sample[i - 1] < sample[i]) starts.push_back(i);
  }
  if (starts.size() < k) {
    return bad(absl::StrCat("the sample has ", starts.size(), " distinct values; ", k, " ranges need ", k));
  }
  // Range i starts at the distinct value whose first position is the first
  // at or after i * n / k, moved up past the previous range's start and
  // down so that every later range still gets a distinct value of its own.
  size_t previous = 0;
  for (uint32_t i = 1; i < k; ++i) {
    const size_t target = i * sample.size() / k;
    size_t j = static_cast<size_t>(std::lower_bound(starts.begin(), starts.end(), target) - starts.begin());
    j = std::max(j, previous + 1);
    j = std::min(j, starts.size() - (k - i));
    out->push_back(sample[starts[j]]);
    previous = j;
  }
  return {};
}

Error compute_routing(const CollectionSettings& settings, const search::Schema& schema,
                      const std::vector<search::Document>& sample, uint64_t seed, RoutingData* out) {
  if (sample.size() > kMaxRoutingSample) {
    return bad(absl::StrCat("a sample of ", sample.size(), " documents is over the limit of ", kMaxRoutingSample));
  }
  *out = RoutingData{};
  if (settings.strategy == ShardingStrategy::kRange) {
    const std::optional<size_t> field = schema.field_index(settings.range_field);
    if (!field) return bad(absl::StrCat("range_field \"", settings.range_field, "\" is not a field of the schema"));
    std::vector<search::Value> values;
    for (const search::Document& doc : sample) {
      if (*field < doc.fields.size() && !doc.fields[*field].missing()) values.push_back(doc.fields[*field]);
    }
    return split_points(std::move(values), settings.shard_count, &out->split_points);
  }
  if (settings.strategy == ShardingStrategy::kVector) {
    if (!schema.vector()) return bad("vector sharding needs a dense_vector field in the schema");
    std::vector<std::vector<float>> vectors;
    for (const search::Document& doc : sample) {
      if (doc.vector.size() != schema.vector()->dimension) continue;
      if (!std::all_of(doc.vector.begin(), doc.vector.end(), [](float x) { return std::isfinite(x); })) continue;
      vectors.push_back(doc.vector);
    }
    if (vectors.size() < settings.shard_count) {
      return bad(absl::StrCat("the sample has ", vectors.size(), " vectors; ", settings.shard_count,
                              " shards need at least as many"));
    }
    out->centroids = train_centroids(vectors, settings.shard_count, schema.vector()->metric, seed);
  }
  return {};
}

}  // namespace shoal::cluster
