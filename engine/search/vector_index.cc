#include "engine/search/vector_index.h"

#include <algorithm>
#include <numeric>

#include <faiss/IndexFlat.h>
#include <faiss/IndexHNSW.h>
#include <faiss/IndexIVFFlat.h>
#include <faiss/impl/IDSelector.h>
#include <faiss/utils/distances.h>
#include <faiss/utils/random.h>

#include "engine/core/assert.h"
#include "engine/core/random.h"
#include "engine/search/faiss_threads.h"

namespace shoal::search {

using search::VectorIndexKind;
using search::VectorMetric;
using idx_t = faiss::Index::idx_t;

namespace {

faiss::MetricType faiss_metric(VectorMetric m) {
  return m == VectorMetric::kL2 ? faiss::METRIC_L2 : faiss::METRIC_INNER_PRODUCT;
}

// Salts that keep the seeded streams of different purposes independent.
constexpr uint64_t kHnswLevelSalt = 0x484e53574c564cULL;
constexpr uint64_t kIvfSampleSalt = 0x49564653414d50ULL;

}  // namespace

VectorIndex::VectorIndex(uint32_t dimension, VectorMetric metric, search::VectorIndexOptions options)
    : dimension_(dimension), metric_(metric), options_(options) {
  build_empty();
}

VectorIndex::~VectorIndex() = default;

void VectorIndex::build_empty() {
  const faiss::MetricType m = faiss_metric(metric_);
  flat_.reset();
  hnsw_.reset();
  ivf_.reset();
  if (options_.kind == VectorIndexKind::kHnsw) {
    hnsw_ = std::make_unique<faiss::IndexHNSWFlat>(static_cast<int>(dimension_), static_cast<int>(options_.hnsw_m), m);
    hnsw_->hnsw.efConstruction = static_cast<int>(options_.hnsw_ef_construction);
    hnsw_->hnsw.efSearch = static_cast<int>(options_.hnsw_ef_search);
  } else {
    flat_ = std::make_unique<faiss::IndexFlat>(static_cast<idx_t>(dimension_), m);
  }
}

namespace {

const faiss::IndexFlat& store_of(const std::unique_ptr<faiss::IndexFlat>& flat,
                                 const std::unique_ptr<faiss::IndexHNSWFlat>& hnsw) {
  if (flat) return *flat;
  return *static_cast<const faiss::IndexFlat*>(hnsw->storage);
}

}  // namespace

size_t VectorIndex::size() const { return static_cast<size_t>(store_of(flat_, hnsw_).ntotal); }

bool VectorIndex::approximate() const { return hnsw_ != nullptr || ivf_ != nullptr; }

bool VectorIndex::trained() const { return options_.kind != VectorIndexKind::kIvf || ivf_ != nullptr; }

const float* VectorIndex::vector(size_t slot) const {
  SHOAL_ASSERT(slot < size());
  return store_of(flat_, hnsw_).get_xb() + slot * dimension_;
}

bool VectorIndex::closer(float a, float b) const { return metric_ == VectorMetric::kL2 ? a < b : a > b; }

void VectorIndex::add_to_hnsw(const float* vectors, size_t n, size_t first_slot) {
  // Level draws come from FAISS's generator; reseeding it from the slot makes
  // the graph a function of the appends alone, also after a restore.
  const uint64_t seed = hash_combine(hash_combine(options_.seed, kHnswLevelSalt), first_slot);
  hnsw_->hnsw.rng = faiss::RandomGenerator(static_cast<int64_t>(seed >> 1));
  hnsw_->add(static_cast<idx_t>(n), vectors);
}

void VectorIndex::append(const float* vectors, size_t n) {
  if (n == 0) return;
  std::vector<float> normalised;
  if (metric_ == VectorMetric::kCosine) {
    normalised.assign(vectors, vectors + n * dimension_);
    faiss::fvec_renorm_L2(dimension_, n, normalised.data());
    vectors = normalised.data();
  }
  // Graph construction and IVF assignment must not depend on scheduling.
  ScopedFaissThreads one(1);
  if (hnsw_) {
    add_to_hnsw(vectors, n, size());
    return;
  }
  flat_->add(static_cast<idx_t>(n), vectors);
  if (ivf_) ivf_->add(static_cast<idx_t>(n), vectors);
}

std::vector<float> VectorIndex::prepared_query(const float* query) const {
  std::vector<float> q(query, query + dimension_);
  if (metric_ == VectorMetric::kCosine) faiss::fvec_renorm_L2(dimension_, 1, q.data());
  return q;
}

std::vector<Neighbor> VectorIndex::search(const float* query, size_t k, const SearchKnobs& knobs,
                                          const SlotBitmap* allowed) const {
  const size_t n = size();
  k = std::min(k, n);
  if (k == 0) return {};
  const std::vector<float> q = prepared_query(query);
  std::vector<float> dist(k);
  std::vector<idx_t> labels(k, -1);
  std::unique_ptr<faiss::IDSelectorBitmap> selector;
  if (allowed != nullptr) {
    SHOAL_ASSERT(allowed->slots() == n);
    selector = std::make_unique<faiss::IDSelectorBitmap>((n + 7) / 8, allowed->data());
  }
  const idx_t kk = static_cast<idx_t>(k);
  if (hnsw_) {
    faiss::SearchParametersHNSW p;
    p.sel = selector.get();
    p.efSearch = static_cast<int>(std::max<size_t>(k, knobs.ef_search.value_or(options_.hnsw_ef_search)));
    // FAISS 1.7.3 sizes the candidate queue from hnsw.efSearch and ignores
    // p.efSearch there (fixed upstream in faiss#3233), so set both, and put
    // the stored value back: it is part of the snapshot bytes, which must
    // not depend on the reads a replica happened to serve.
    hnsw_->hnsw.efSearch = p.efSearch;
    hnsw_->search(1, q.data(), kk, dist.data(), labels.data(), &p);
    hnsw_->hnsw.efSearch = static_cast<int>(options_.hnsw_ef_search);
  } else if (ivf_) {
    faiss::SearchParametersIVF p;
    p.sel = selector.get();
    p.nprobe = std::min<size_t>(knobs.nprobe.value_or(options_.ivf_nprobe), options_.ivf_nlist);
    ivf_->search(1, q.data(), kk, dist.data(), labels.data(), &p);
  } else {
    faiss::SearchParameters p;
    p.sel = selector.get();
    flat_->search(1, q.data(), kk, dist.data(), labels.data(), &p);
  }
  std::vector<Neighbor> out;
  out.reserve(k);
  for (size_t i = 0; i < k && labels[i] >= 0; ++i) out.push_back({static_cast<uint32_t>(labels[i]), dist[i]});
  return out;
}

std::vector<Neighbor> VectorIndex::distances(const float* query, std::span<const uint32_t> slots) const {
  const std::vector<float> q = prepared_query(query);
  std::vector<Neighbor> out;
  out.reserve(slots.size());
  // The same kernels IndexFlat uses for a single query, so an exact scan and
  // an index search agree on every distance bit for bit.
  for (uint32_t s : slots) {
    const float d = metric_ == VectorMetric::kL2 ? faiss::fvec_L2sqr(q.data(), vector(s), dimension_)
                                                 : faiss::fvec_inner_product(q.data(), vector(s), dimension_);
    out.push_back({s, d});
  }
  return out;
}

void VectorIndex::train(std::span<const uint32_t> sample_from) {
  if (options_.kind != VectorIndexKind::kIvf) return;
  const uint64_t nlist = options_.ivf_nlist;
  SHOAL_ASSERT(sample_from.size() >= nlist);
  // A seeded sample of at most 256 points per list, in slot order, so that
  // k-means sees the same points in the same order on every replica.
  std::vector<uint32_t> sample(sample_from.begin(), sample_from.end());
  const size_t want = static_cast<size_t>(std::min<uint64_t>(sample.size(), nlist * kIvfTrainPointsPerList));
  Rng rng(hash_combine(options_.seed, kIvfSampleSalt));
  for (size_t i = 0; i < want; ++i) std::swap(sample[i], sample[i + rng.below(sample.size() - i)]);
  sample.resize(want);
  std::sort(sample.begin(), sample.end());
  std::vector<float> x(want * dimension_);
  for (size_t i = 0; i < want; ++i) std::copy_n(vector(sample[i]), dimension_, x.data() + i * dimension_);

  ScopedFaissThreads one(1);
  const faiss::MetricType m = faiss_metric(metric_);
  auto* quantizer = new faiss::IndexFlat(static_cast<idx_t>(dimension_), m);
  auto ivf = std::make_unique<faiss::IndexIVFFlat>(quantizer, dimension_, nlist, m);
  ivf->own_fields = true;
  ivf->cp.seed = static_cast<int>(options_.seed & 0x7fffffff);
  // The schema already asks for enough points; this only keeps FAISS from
  // printing a warning to stderr when train_min is set lower on purpose.
  ivf->cp.min_points_per_centroid = 1;
  ivf->train(static_cast<idx_t>(want), x.data());
  ivf->add(flat_->ntotal, flat_->get_xb());
  ivf_ = std::move(ivf);
}

void VectorIndex::compact(std::span<const uint32_t> keep) {
  std::vector<float> kept(keep.size() * dimension_);
  for (size_t i = 0; i < keep.size(); ++i) {
    SHOAL_ASSERT(i == 0 || keep[i - 1] < keep[i]);
    std::copy_n(vector(keep[i]), dimension_, kept.data() + i * dimension_);
  }
  ScopedFaissThreads one(1);
  if (hnsw_) {
    build_empty();
    add_to_hnsw(kept.data(), keep.size(), 0);
    return;
  }
  flat_->reset();
  flat_->add(static_cast<idx_t>(keep.size()), kept.data());
  if (ivf_) {
    // reset() empties the inverted lists but keeps the trained quantizer.
    ivf_->reset();
    ivf_->add(static_cast<idx_t>(keep.size()), kept.data());
  }
}

}  // namespace shoal::search
