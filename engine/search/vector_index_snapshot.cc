// Snapshot bytes of a VectorIndex: FAISS's own serialisation of each index,
// written to and read from memory (never a file), framed by the codec.
#include <exception>

#include <faiss/IndexFlat.h>
#include <faiss/IndexHNSW.h>
#include <faiss/IndexIVFFlat.h>
#include <faiss/impl/io.h>
#include <faiss/index_io.h>

#include "engine/search/str_cat.h"
#include "engine/search/vector_index.h"

namespace shoal::search {

using search::str_cat;

namespace {

constexpr uint8_t kFormat = 1;

void write_faiss(const faiss::Index* index, Writer& w) {
  faiss::VectorIOWriter out;
  faiss::write_index(index, &out);
  // Raw framing: a large flat index exceeds the codec's per-field limit.
  w.u64(out.data.size());
  w.raw(std::string_view(reinterpret_cast<const char*>(out.data.data()), out.data.size()));
}

// Reads one FAISS index of the expected type, or fails without throwing.
template <typename T>
absl::StatusOr<std::unique_ptr<T>> read_faiss(Reader& r, std::string_view what) {
  const uint64_t n = r.u64();
  std::string_view bytes;
  if (!r.ok() || !r.raw(static_cast<size_t>(n), &bytes)) {
    return absl::DataLossError(str_cat("vector index: truncated ", what));
  }
  faiss::VectorIOReader in;
  in.data.assign(bytes.begin(), bytes.end());
  std::unique_ptr<faiss::Index> index;
  try {
    index.reset(faiss::read_index(&in));
  } catch (const std::exception& e) {
    return absl::DataLossError(str_cat("vector index: unreadable ", what, ": ", e.what()));
  }
  T* typed = dynamic_cast<T*>(index.get());
  if (typed == nullptr) return absl::DataLossError(str_cat("vector index: ", what, " has the wrong index type"));
  index.release();
  return std::unique_ptr<T>(typed);
}

absl::Status check_shape(const faiss::Index& index, uint32_t dimension, search::VectorMetric metric,
                         std::string_view what) {
  const faiss::MetricType m = metric == search::VectorMetric::kL2 ? faiss::METRIC_L2 : faiss::METRIC_INNER_PRODUCT;
  if (index.d != static_cast<int>(dimension) || index.metric_type != m) {
    return absl::DataLossError(str_cat("vector index: ", what, " does not match the schema's dimension or metric"));
  }
  return absl::OkStatus();
}

}  // namespace

void VectorIndex::encode(Writer& w) const {
  w.u8(kFormat);
  w.u8(static_cast<uint8_t>(options_.kind));
  w.boolean(ivf_ != nullptr);
  if (hnsw_) {
    write_faiss(hnsw_.get(), w);
    return;
  }
  write_faiss(flat_.get(), w);
  if (ivf_) write_faiss(ivf_.get(), w);
}

absl::StatusOr<std::unique_ptr<VectorIndex>> VectorIndex::decode(Reader& r, uint32_t dimension,
                                                                 search::VectorMetric metric,
                                                                 search::VectorIndexOptions options) {
  if (r.u8() != kFormat || !r.ok()) return absl::DataLossError("vector index: unknown format");
  if (r.u8() != static_cast<uint8_t>(options.kind)) return absl::DataLossError("vector index: kind differs from schema");
  const bool has_ivf = r.boolean();
  if (!r.ok() || (has_ivf && options.kind != search::VectorIndexKind::kIvf)) {
    return absl::DataLossError("vector index: malformed header");
  }
  auto out = std::make_unique<VectorIndex>(dimension, metric, options);
  if (options.kind == search::VectorIndexKind::kHnsw) {
    auto hnsw = read_faiss<faiss::IndexHNSWFlat>(r, "hnsw index");
    if (!hnsw.ok()) return hnsw.status();
    if (absl::Status s = check_shape(**hnsw, dimension, metric, "hnsw index"); !s.ok()) return s;
    out->hnsw_ = std::move(*hnsw);
    return out;
  }
  auto flat = read_faiss<faiss::IndexFlat>(r, "flat store");
  if (!flat.ok()) return flat.status();
  if (absl::Status s = check_shape(**flat, dimension, metric, "flat store"); !s.ok()) return s;
  out->flat_ = std::move(*flat);
  if (has_ivf) {
    auto ivf = read_faiss<faiss::IndexIVFFlat>(r, "ivf index");
    if (!ivf.ok()) return ivf.status();
    if (absl::Status s = check_shape(**ivf, dimension, metric, "ivf index"); !s.ok()) return s;
    if ((*ivf)->nlist != options.ivf_nlist || (*ivf)->ntotal != out->flat_->ntotal) {
      return absl::DataLossError("vector index: ivf index does not match its store");
    }
    out->ivf_ = std::move(*ivf);
  }
  return out;
}

}  // namespace shoal::search
