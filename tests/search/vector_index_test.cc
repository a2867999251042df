// The FAISS wrapper: exact search is exact, approximate search is usable,
// selectors restrict, compaction renumbers, snapshots restore bit for bit, and
// builds do not depend on the FAISS thread count.
#include <gtest/gtest.h>

#include <algorithm>
#include <set>

#include "engine/core/random.h"
#include "engine/search/faiss_threads.h"
#include "engine/search/vector_index.h"

namespace shoal::search {
namespace {

using search::VectorIndexKind;
using search::VectorIndexOptions;
using search::VectorMetric;

constexpr uint32_t kDim = 16;

// A mixture of Gaussians-ish: points scattered around 20 centres.
std::vector<float> clustered(uint64_t seed, size_t n) {
  Rng rng(seed);
  std::vector<float> centres(20 * kDim);
  for (float& c : centres) c = static_cast<float>(rng.real01() * 20 - 10);
  std::vector<float> x(n * kDim);
  for (size_t i = 0; i < n; ++i) {
    const size_t c = rng.below(20);
    for (uint32_t j = 0; j < kDim; ++j) x[i * kDim + j] = centres[c * kDim + j] + static_cast<float>(rng.real01() - 0.5);
  }
  return x;
}

// The exact k nearest slots by brute force in double precision.
std::vector<uint32_t> brute_force(const std::vector<float>& x, const float* q, size_t k, VectorMetric metric) {
  const size_t n = x.size() / kDim;
  std::vector<std::pair<double, uint32_t>> d;
  for (size_t i = 0; i < n; ++i) {
    double l2 = 0, ip = 0;
    for (uint32_t j = 0; j < kDim; ++j) {
      const double a = x[i * kDim + j], b = q[j];
      l2 += (a - b) * (a - b);
      ip += a * b;
    }
    d.emplace_back(metric == VectorMetric::kL2 ? l2 : -ip, static_cast<uint32_t>(i));
  }
  std::sort(d.begin(), d.end());
  std::vector<uint32_t> out;
  for (size_t i = 0; i < k; ++i) out.push_back(d[i].second);
  return out;
}

double recall_at(const VectorIndex& index, const std::vector<float>& x, const std::vector<float>& queries, size_t k,
                 VectorMetric metric) {
  double hits = 0, total = 0;
  for (size_t q = 0; q * kDim < queries.size(); ++q) {
    const float* qv = queries.data() + q * kDim;
    std::vector<uint32_t> truth = brute_force(x, qv, k, metric);
    std::set<uint32_t> found;
    for (const Neighbor& nb : index.search(qv, k, {}, nullptr)) found.insert(nb.slot);
    for (uint32_t t : truth) hits += found.count(t);
    total += static_cast<double>(k);
  }
  return hits / total;
}

VectorIndexOptions options(VectorIndexKind kind) {
  VectorIndexOptions o;
  o.kind = kind;
  o.ivf_nlist = 16;
  o.ivf_nprobe = 4;
  o.hnsw_m = 16;
  o.hnsw_ef_search = 64;
  return o;
}

TEST(VectorIndex, FlatSearchHasRecallOne) {
  for (VectorMetric metric : {VectorMetric::kL2, VectorMetric::kInnerProduct}) {
    const std::vector<float> x = clustered(1, 3000);
    VectorIndex index(kDim, metric, options(VectorIndexKind::kFlat));
    index.append(x.data(), 3000);
    EXPECT_FALSE(index.approximate());
    EXPECT_EQ(recall_at(index, x, clustered(2, 50), 10, metric), 1.0);
  }
}

TEST(VectorIndex, ApproximateIndexesFindMostNeighbours) {
  const std::vector<float> x = clustered(3, 4000);
  const std::vector<float> queries = clustered(4, 50);
  VectorIndex hnsw(kDim, VectorMetric::kL2, options(VectorIndexKind::kHnsw));
  hnsw.append(x.data(), 4000);
  EXPECT_TRUE(hnsw.approximate());
  EXPECT_GE(recall_at(hnsw, x, queries, 10, VectorMetric::kL2), 0.9);

  VectorIndex ivf(kDim, VectorMetric::kL2, options(VectorIndexKind::kIvf));
  ivf.append(x.data(), 4000);
  EXPECT_FALSE(ivf.trained());
  EXPECT_EQ(recall_at(ivf, x, queries, 10, VectorMetric::kL2), 1.0);  // exact until trained
  std::vector<uint32_t> all(4000);
  for (uint32_t i = 0; i < 4000; ++i) all[i] = i;
  ivf.train(all);
  EXPECT_TRUE(ivf.trained());
  EXPECT_TRUE(ivf.approximate());
  EXPECT_GE(recall_at(ivf, x, queries, 10, VectorMetric::kL2), 0.8);
  // Appends after training go to the inverted lists too.
  const std::vector<float> more = clustered(5, 100);
  ivf.append(more.data(), 100);
  auto found = ivf.search(more.data(), 1, {}, nullptr);
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].slot, 4000u);
}

TEST(VectorIndex, SelectorRestrictsEveryKind) {
  const std::vector<float> x = clustered(6, 2000);
  for (VectorIndexKind kind : {VectorIndexKind::kFlat, VectorIndexKind::kIvf, VectorIndexKind::kHnsw}) {
    VectorIndex index(kDim, VectorMetric::kL2, options(kind));
    index.append(x.data(), 2000);
    std::vector<uint32_t> all(2000);
    for (uint32_t i = 0; i < 2000; ++i) all[i] = i;
    index.train(all);
    SlotBitmap allowed(2000);
    for (uint32_t i = 0; i < 2000; i += 3) allowed.set(i);
    for (const Neighbor& nb : index.search(x.data() + 7 * kDim, 20, {}, &allowed)) {
      EXPECT_EQ(nb.slot % 3, 0u) << search::vector_index_kind_name(kind);
    }
  }
}

TEST(VectorIndex, ExactScanAgreesWithIndexSearchBitForBit) {
  const std::vector<float> x = clustered(7, 500);
  for (VectorMetric metric : {VectorMetric::kL2, VectorMetric::kInnerProduct, VectorMetric::kCosine}) {
    VectorIndex index(kDim, metric, options(VectorIndexKind::kFlat));
    index.append(x.data(), 500);
    const float* q = x.data() + 3 * kDim;
    std::vector<Neighbor> found = index.search(q, 10, {}, nullptr);
    std::vector<uint32_t> slots;
    for (const Neighbor& nb : found) slots.push_back(nb.slot);
    std::vector<Neighbor> exact = index.distances(q, slots);
    for (size_t i = 0; i < found.size(); ++i) EXPECT_EQ(found[i].distance, exact[i].distance);
  }
}

TEST(VectorIndex, CompactionKeepsTheListedSlotsInOrder) {
  const std::vector<float> x = clustered(8, 1000);
  for (VectorIndexKind kind : {VectorIndexKind::kFlat, VectorIndexKind::kIvf, VectorIndexKind::kHnsw}) {
    VectorIndex index(kDim, VectorMetric::kL2, options(kind));
    index.append(x.data(), 1000);
    std::vector<uint32_t> keep;
    for (uint32_t i = 1; i < 1000; i += 2) keep.push_back(i);
    index.train(keep);
    index.compact(keep);
    ASSERT_EQ(index.size(), 500u);
    for (uint32_t i = 0; i < 500; ++i) {
      ASSERT_TRUE(std::equal(x.begin() + keep[i] * kDim, x.begin() + (keep[i] + 1) * kDim, index.vector(i)));
    }
    auto self = index.search(x.data() + 11 * kDim, 1, {}, nullptr);
    ASSERT_EQ(self.size(), 1u);
    EXPECT_EQ(self[0].slot, 5u) << search::vector_index_kind_name(kind);  // old slot 11
  }
}

std::string encoded(const VectorIndex& index) {
  Writer w;
  index.encode(w);
  return w.take();
}

TEST(VectorIndex, SnapshotRestoresIdenticalSearches) {
  const std::vector<float> x = clustered(9, 2000);
  const std::vector<float> queries = clustered(10, 20);
  for (VectorIndexKind kind : {VectorIndexKind::kFlat, VectorIndexKind::kIvf, VectorIndexKind::kHnsw}) {
    VectorIndex index(kDim, VectorMetric::kCosine, options(kind));
    index.append(x.data(), 1500);
    std::vector<uint32_t> all(1500);
    for (uint32_t i = 0; i < 1500; ++i) all[i] = i;
    index.train(all);
    const std::string bytes = encoded(index);
    Reader r(bytes);
    auto back = VectorIndex::decode(r, kDim, VectorMetric::kCosine, options(kind));
    ASSERT_TRUE(back.ok()) << back.status();
    EXPECT_EQ(encoded(**back), bytes);
    // Later appends land identically in both: HNSW levels are reseeded per batch.
    index.append(x.data() + 1500 * kDim, 500);
    (*back)->append(x.data() + 1500 * kDim, 500);
    EXPECT_EQ(encoded(**back), encoded(index));
    for (size_t q = 0; q < 20; ++q) {
      auto a = index.search(queries.data() + q * kDim, 10, {}, nullptr);
      auto b = (*back)->search(queries.data() + q * kDim, 10, {}, nullptr);
      ASSERT_EQ(a.size(), b.size());
      for (size_t i = 0; i < a.size(); ++i) {
        EXPECT_EQ(a[i].slot, b[i].slot);
        EXPECT_EQ(a[i].distance, b[i].distance);
      }
    }
    // Truncated or wrong-shaped bytes are an error, never a crash.
    Reader cut(std::string_view(bytes).substr(0, bytes.size() / 2));
    EXPECT_FALSE(VectorIndex::decode(cut, kDim, VectorMetric::kCosine, options(kind)).ok());
    Reader wrong(bytes);
    EXPECT_FALSE(VectorIndex::decode(wrong, kDim + 1, VectorMetric::kCosine, options(kind)).ok());
  }
}

TEST(VectorIndex, PerQueryEfSearchLeavesTheSnapshotBytesAlone) {
  const std::vector<float> x = clustered(12, 2000);
  VectorIndex index(kDim, VectorMetric::kL2, options(VectorIndexKind::kHnsw));
  index.append(x.data(), 2000);
  const std::string before = encoded(index);
  SearchKnobs wide;
  wide.ef_search = 400;
  EXPECT_EQ(index.search(x.data(), 10, wide, nullptr).size(), 10u);
  // A replica's snapshot must not depend on the reads it happened to serve.
  EXPECT_EQ(encoded(index), before);
}

TEST(VectorIndex, BuildsDoNotDependOnTheThreadCount) {
  const std::vector<float> x = clustered(11, 3000);
  for (VectorIndexKind kind : {VectorIndexKind::kIvf, VectorIndexKind::kHnsw}) {
    std::string bytes[2];
    for (int threads : {1, 2}) {
      set_faiss_threads(threads);
      VectorIndex index(kDim, VectorMetric::kL2, options(kind));
      index.append(x.data(), 2000);
      std::vector<uint32_t> all(2000);
      for (uint32_t i = 0; i < 2000; ++i) all[i] = i;
      index.train(all);
      index.append(x.data() + 2000 * kDim, 1000);
      bytes[threads - 1] = encoded(index);
    }
    set_faiss_threads(1);
    EXPECT_EQ(bytes[0], bytes[1]) << search::vector_index_kind_name(kind);
  }
}

}  // namespace
}  // namespace shoal::search
