// The schema of a collection: which fields a document may carry and of which
// type, and the one optional vector field with its dimension, metric and index.
//
// A Schema is immutable once created and cheap to share. Both sides use it:
// a shard validates documents and executes queries against it, and the
// coordinator parses and validates a search request against it once before
// fanning out, so that a bad request fails before any shard does work. The
// JSON form follows Elasticsearch mappings:
//
//   {"properties": {"color": {"type": "keyword"},
//                   "price": {"type": "float"},
//                   "embedding": {"type": "dense_vector", "dims": 128,
//                                 "similarity": "l2_norm",
//                                 "index_options": {"type": "hnsw", "m": 16}}}}
//
// Field order is the order of declaration; documents store their values in
// that order, so it is part of the snapshot format.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "engine/core/codec.h"

namespace shoal::search {

enum class FieldType : uint8_t { kKeyword = 1, kInteger = 2, kFloat = 3, kDate = 4, kBoolean = 5 };

std::string_view field_type_name(FieldType type);
// Integer, float and date fields hold numbers that stats-like aggregations accept.
inline bool is_numeric(FieldType t) {
  return t == FieldType::kInteger || t == FieldType::kFloat || t == FieldType::kDate;
}

enum class VectorMetric : uint8_t { kL2 = 1, kInnerProduct = 2, kCosine = 3 };
std::string_view vector_metric_name(VectorMetric metric);

enum class VectorIndexKind : uint8_t { kFlat = 1, kIvf = 2, kHnsw = 3 };
std::string_view vector_index_kind_name(VectorIndexKind kind);

// Limits on a schema; a mapping beyond them is rejected with a clear error.
inline constexpr size_t kMaxFields = 256;
inline constexpr size_t kMaxFieldNameBytes = 256;
inline constexpr uint32_t kMaxVectorDimension = 4096;
inline constexpr uint32_t kMaxIvfLists = 65536;
inline constexpr uint32_t kMaxHnswM = 128;
inline constexpr uint32_t kMaxHnswEf = 65536;

// How a collection indexes its vectors. Parameters not used by the kind are
// ignored but still validated, so a typo is caught early.
struct VectorIndexOptions {
  VectorIndexKind kind = VectorIndexKind::kFlat;
  // HNSW: graph degree, and the candidate list sizes at build and search time.
  uint32_t hnsw_m = 16;
  uint32_t hnsw_ef_construction = 64;
  uint32_t hnsw_ef_search = 64;
  // IVF: number of lists, lists probed per query, and how many vectors must
  // exist before the coarse quantizer is trained (0: 39 per list, FAISS's
  // own minimum for a stable k-means).
  uint32_t ivf_nlist = 256;
  uint32_t ivf_nprobe = 16;
  uint64_t ivf_train_min = 0;
  // Seeds the IVF training sample and HNSW level draws, so every replica
  // builds the same structure from the same writes.
  uint64_t seed = 1;

  uint64_t ivf_train_threshold() const { return ivf_train_min ? ivf_train_min : uint64_t{39} * ivf_nlist; }
  bool operator==(const VectorIndexOptions&) const = default;
};

struct FieldSpec {
  std::string name;
  FieldType type;
  bool operator==(const FieldSpec&) const = default;
};

struct VectorSpec {
  std::string name;
  uint32_t dimension = 0;
  VectorMetric metric = VectorMetric::kL2;
  VectorIndexOptions index;
  bool operator==(const VectorSpec&) const = default;
};

class Schema {
 public:
  Schema() = default;

  // Validates names (non-empty, not reserved, unique, bounded) and the vector
  // spec (dimension in 1..kMaxVectorDimension, sane index parameters).
  static absl::StatusOr<Schema> create(std::vector<FieldSpec> fields, std::optional<VectorSpec> vector);
  static absl::StatusOr<Schema> from_json(std::string_view json);

  // The position of a scalar field, or nullopt when the schema has none by that name.
  std::optional<size_t> field_index(std::string_view name) const;
  const std::vector<FieldSpec>& fields() const { return fields_; }
  const FieldSpec& field(size_t i) const { return fields_[i]; }
  const std::optional<VectorSpec>& vector() const { return vector_; }
  bool is_vector_field(std::string_view name) const { return vector_ && vector_->name == name; }

  void encode(Writer& w) const;
  static absl::StatusOr<Schema> decode(Reader& r);

  bool operator==(const Schema& o) const { return fields_ == o.fields_ && vector_ == o.vector_; }

 private:
  std::vector<FieldSpec> fields_;
  std::optional<VectorSpec> vector_;
  std::map<std::string, size_t, std::less<>> by_name_;
};

}  // namespace shoal::search
