// The FAISS index of one collection on one shard replica.
//
// Vectors live in slots 0..size()-1, appended in order; a slot is the FAISS
// label, so no id map is needed and the collection maps slots to document
// versions. Slots are never removed one by one: the collection tells the index
// which slots a search may return (a bitmap FAISS reads through an
// IDSelector), and compact() rebuilds the index from the slots still needed,
// renumbering them densely in their old order.
//
// Kinds (VectorIndexOptions::kind):
// * flat  IndexFlat — exact.
// * ivf   an exact IndexFlat store until train() is called (the collection
//         trains once enough vectors exist, and again on demand), then
//         IndexIVFFlat over every slot, searched with nprobe lists.
// * hnsw  IndexHNSWFlat — approximate; its flat storage is the store.
// Cosine collections store unit vectors and search by inner product.
//
// Determinism: appends and training run on one FAISS thread; HNSW level
// draws are reseeded from (options.seed, first slot of the batch) before each
// append, and IVF training samples with Shoal's Rng seeded from options.seed.
// Hence two replicas that apply the same appends, compactions and trainings
// hold identical indexes, and encode() gives identical bytes. A restored index
// searches exactly like the original.
//
// Not thread-safe; the shard's state machine owns it.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <vector>

#include "absl/status/statusor.h"
#include "engine/core/codec.h"
#include "engine/search/schema.h"

namespace faiss {
struct Index;
struct IndexFlat;
struct IndexHNSWFlat;
struct IndexIVFFlat;
}  // namespace faiss

namespace shoal::search {

// IVF trains on at most this many vectors per list (FAISS's own default cap).
inline constexpr uint64_t kIvfTrainPointsPerList = 256;

struct Neighbor {
  uint32_t slot;
  float distance;  // squared L2, or inner product (cosine: of unit vectors)
};

// Which slots a search may return: bit i set when slot i is allowed.
class SlotBitmap {
 public:
  explicit SlotBitmap(size_t slots) : slots_(slots), bits_((slots + 7) / 8, 0) {}
  void set(size_t slot) { bits_[slot >> 3] |= static_cast<uint8_t>(1u << (slot & 7)); }
  bool test(size_t slot) const { return (bits_[slot >> 3] >> (slot & 7)) & 1; }
  size_t slots() const { return slots_; }
  const uint8_t* data() const { return bits_.data(); }

 private:
  size_t slots_;
  std::vector<uint8_t> bits_;
};

// Per-search knobs; unset ones come from the collection's options.
struct SearchKnobs {
  std::optional<uint32_t> ef_search;
  std::optional<uint32_t> nprobe;
};

class VectorIndex {
 public:
  VectorIndex(uint32_t dimension, search::VectorMetric metric, search::VectorIndexOptions options);
  ~VectorIndex();
  VectorIndex(const VectorIndex&) = delete;
  VectorIndex& operator=(const VectorIndex&) = delete;

  uint32_t dimension() const { return dimension_; }
  search::VectorMetric metric() const { return metric_; }
  const search::VectorIndexOptions& options() const { return options_; }
  size_t size() const;
  // True when searches may miss true neighbours (HNSW, or IVF once trained).
  bool approximate() const;
  bool trained() const;

  // Appends n vectors (n × dimension floats) as the next n slots. Cosine
  // vectors are normalised here. REQUIRES: every component finite.
  void append(const float* vectors, size_t n);
  // The stored vector of a slot (unit length for cosine).
  const float* vector(size_t slot) const;

  // The k best slots by the index's own search (exact for flat and untrained
  // IVF), best first, restricted to `allowed` when given. Fewer than k when
  // fewer slots are allowed (or, approximately, reachable).
  std::vector<Neighbor> search(const float* query, size_t k, const SearchKnobs& knobs,
                               const SlotBitmap* allowed) const;
  // Exact distances from the query to the given slots, in the given order.
  std::vector<Neighbor> distances(const float* query, std::span<const uint32_t> slots) const;
  // True when distance a ranks before distance b under the metric.
  bool closer(float a, float b) const;

  // IVF only: trains the coarse quantizer on a seeded sample of `sample_from`
  // (the live slots) and re-adds every slot. A no-op for other kinds.
  void train(std::span<const uint32_t> sample_from);
  // Keeps only the listed slots (strictly increasing), renumbered 0..n-1.
  void compact(std::span<const uint32_t> keep);

  void encode(Writer& w) const;
  static absl::StatusOr<std::unique_ptr<VectorIndex>> decode(Reader& r, uint32_t dimension,
                                                             search::VectorMetric metric,
                                                             search::VectorIndexOptions options);

 private:
  void build_empty();
  void add_to_hnsw(const float* vectors, size_t n, size_t first_slot);
  std::vector<float> prepared_query(const float* query) const;

  uint32_t dimension_;
  search::VectorMetric metric_;
  search::VectorIndexOptions options_;
  // flat and ivf: the exact store. hnsw: null (the store is hnsw_->storage).
  std::unique_ptr<faiss::IndexFlat> flat_;
  std::unique_ptr<faiss::IndexHNSWFlat> hnsw_;
  std::unique_ptr<faiss::IndexIVFFlat> ivf_;  // set once trained
};

}  // namespace shoal::search
