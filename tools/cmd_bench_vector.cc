// `shoal bench vector`: Shoal's vector search beside raw FAISS on the same
// data and index parameters, in the same run.
//
// The data is a mixture of Gaussians (like real embeddings, which cluster),
// generated from a seed with Shoal's own RNG. For each index kind (flat, IVF,
// HNSW) the benchmark builds the raw FAISS index and a Shoal collection from
// the same vectors in the same batches, then runs the same queries one at a
// time against each, alternating the two sides batch by batch and query by
// query so that load from elsewhere on the machine hits both alike. It
// reports ingest rate, queries per second, p50/p95 latency and recall@k
// against exact ground truth, with the Shoal/FAISS ratios. Both sides use the same FAISS thread count (default 1, as in the
// simulator). Timings are wall clock; nothing here is asserted.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <memory>
#include <numbers>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <faiss/IndexFlat.h>
#include <faiss/IndexHNSW.h>
#include <faiss/IndexIVFFlat.h>

#include "engine/core/random.h"
#include "engine/search/merge.h"
#include "engine/search/collection.h"
#include "engine/search/faiss_threads.h"
#include "tools/cli_util.h"
#include "tools/command.h"

namespace shoal::tools {
namespace {

using Clock = std::chrono::steady_clock;
using idx_t = faiss::Index::idx_t;

struct VectorBenchOptions {
  size_t n = 1000000;
  uint32_t dim = 128;
  size_t queries = 1000;
  size_t clusters = 100;
  double cluster_spread = 0.5;
  size_t k = 10;
  size_t batch = 10000;
  uint64_t seed = 42;
  int threads = 1;
  std::string kinds = "flat,ivf,hnsw";
  uint32_t hnsw_m = 16;
  uint32_t ef_construction = 64;
  uint32_t ef_search = 64;
  uint32_t nlist = 0;  // 0: sqrt(n), rounded
  uint32_t nprobe = 16;
  uint32_t train_per_list = 64;
  bool small = false;
};

struct Dataset {
  std::vector<float> base;
  std::vector<float> queries;
  std::vector<idx_t> truth;  // queries × k exact neighbours
};

double gaussian(Rng& rng) {
  // Box-Muller from Shoal's RNG, so the data is the same on every platform.
  const double u1 = 1.0 - rng.real01();
  const double u2 = rng.real01();
  return std::sqrt(-2 * std::log(u1)) * std::cos(2 * std::numbers::pi * u2);
}

Dataset make_dataset(const VectorBenchOptions& o) {
  Rng rng(o.seed);
  std::vector<float> centres(o.clusters * o.dim);
  for (float& c : centres) c = static_cast<float>(gaussian(rng));
  auto sample = [&](std::vector<float>& out, size_t count) {
    out.resize(count * o.dim);
    for (size_t i = 0; i < count; ++i) {
      const float* c = centres.data() + rng.below(o.clusters) * o.dim;
      for (uint32_t j = 0; j < o.dim; ++j) out[i * o.dim + j] = c[j] + static_cast<float>(gaussian(rng) * o.cluster_spread);
    }
  };
  Dataset d;
  sample(d.base, o.n);
  sample(d.queries, o.queries);
  // Exact ground truth, untimed. Queries go in groups below FAISS's BLAS
  // threshold, so distances are computed directly (as in a single-query
  // search) rather than as |x|²+|y|²−2xy, whose rounding reorders near-ties.
  faiss::IndexFlatL2 exact(o.dim);
  exact.add(static_cast<idx_t>(o.n), d.base.data());
  std::vector<float> dist(o.queries * o.k);
  d.truth.resize(o.queries * o.k);
  constexpr size_t kGroup = 16;
  for (size_t q = 0; q < o.queries; q += kGroup) {
    const size_t m = std::min(kGroup, o.queries - q);
    exact.search(static_cast<idx_t>(m), d.queries.data() + q * o.dim, static_cast<idx_t>(o.k),
                 dist.data() + q * o.k, d.truth.data() + q * o.k);
  }
  return d;
}

struct Measurement {
  double ingest_seconds = 0;
  std::vector<double> latencies_ms;
  double recall = 0;
};

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

double recall_of(const Dataset& d, size_t q, const std::vector<idx_t>& found, size_t k) {
  std::set<idx_t> truth(d.truth.begin() + static_cast<ptrdiff_t>(q * k), d.truth.begin() + static_cast<ptrdiff_t>((q + 1) * k));
  size_t hits = 0;
  for (idx_t f : found) hits += truth.count(f);
  return static_cast<double>(hits) / static_cast<double>(k);
}

uint32_t nlist_of(const VectorBenchOptions& o) {
  if (o.nlist) return o.nlist;
  return std::max<uint32_t>(1, static_cast<uint32_t>(std::lround(std::sqrt(static_cast<double>(o.n)))));
}

// IVF trains on the first vectors, as many as Shoal holds when its training
// threshold is crossed: whole batches, so both sides see the same points (up
// to Shoal's cap of 256 per list, beyond which it samples).
size_t train_points(const VectorBenchOptions& o) {
  const size_t wanted = size_t{nlist_of(o)} * std::max<uint32_t>(1, o.train_per_list);
  const size_t whole_batches = (wanted + o.batch - 1) / o.batch * o.batch;
  return std::min({o.n, whole_batches, size_t{nlist_of(o)} * search::kIvfTrainPointsPerList});
}

// One implementation under test: fed batch after batch, then asked query
// after query. The driver alternates the two sides batch by batch and query
// by query, so a noisy neighbour on a shared machine slows both alike.
class Side {
 public:
  virtual ~Side() = default;
  virtual absl::Status ingest(size_t first, size_t count) = 0;
  virtual absl::StatusOr<std::vector<idx_t>> query(size_t q) = 0;
};

// The raw FAISS side: the index Shoal would build, driven directly.
class RawSide final : public Side {
 public:
  RawSide(const std::string& kind, const Dataset& d, const VectorBenchOptions& o) : kind_(kind), d_(d), o_(o) {
    if (kind == "hnsw") {
      auto h = std::make_unique<faiss::IndexHNSWFlat>(static_cast<int>(o.dim), static_cast<int>(o.hnsw_m));
      h->hnsw.efConstruction = static_cast<int>(o.ef_construction);
      index_ = std::move(h);
    } else if (kind == "ivf") {
      auto ivf = std::make_unique<faiss::IndexIVFFlat>(new faiss::IndexFlatL2(o.dim), o.dim, nlist_of(o));
      ivf->own_fields = true;
      ivf->cp.seed = static_cast<int>(o.seed & 0x7fffffff);
      ivf->cp.min_points_per_centroid = 1;
      index_ = std::move(ivf);
    } else {
      index_ = std::make_unique<faiss::IndexFlatL2>(o.dim);
    }
    hnsw_params_.efSearch = static_cast<int>(std::max<size_t>(o.ef_search, o.k));
    ivf_params_.nprobe = std::min(o.nprobe, nlist_of(o));
  }

  absl::Status ingest(size_t first, size_t count) override {
    // IVF trains before its first add, on the points Shoal will train on.
    if (first == 0 && kind_ == "ivf") index_->train(static_cast<idx_t>(train_points(o_)), d_.base.data());
    index_->add(static_cast<idx_t>(count), d_.base.data() + first * o_.dim);
    return absl::OkStatus();
  }

  absl::StatusOr<std::vector<idx_t>> query(size_t q) override {
    std::vector<float> dist(o_.k);
    std::vector<idx_t> labels(o_.k);
    const faiss::SearchParameters* params = nullptr;
    if (auto* h = dynamic_cast<faiss::IndexHNSW*>(index_.get())) {
      // FAISS 1.7.3 reads the candidate queue size from the index, not the params.
      h->hnsw.efSearch = hnsw_params_.efSearch;
      params = &hnsw_params_;
    } else if (kind_ == "ivf") {
      params = &ivf_params_;
    }
    index_->search(1, d_.queries.data() + q * o_.dim, static_cast<idx_t>(o_.k), dist.data(), labels.data(), params);
    return labels;
  }

 private:
  std::string kind_;
  const Dataset& d_;
  const VectorBenchOptions& o_;
  std::unique_ptr<faiss::Index> index_;
  faiss::SearchParametersHNSW hnsw_params_;
  faiss::SearchParametersIVF ivf_params_;
};

std::string schema_json(const std::string& kind, const VectorBenchOptions& o) {
  std::ostringstream s;
  s << R"({"properties": {"v": {"type": "dense_vector", "dims": )" << o.dim
    << R"(, "similarity": "l2_norm", "index_options": {"type": ")" << kind << '"';
  if (kind == "hnsw") s << ", \"m\": " << o.hnsw_m << ", \"ef_construction\": " << o.ef_construction
                        << ", \"ef_search\": " << o.ef_search;
  if (kind == "ivf") s << ", \"nlist\": " << nlist_of(o) << ", \"nprobe\": " << std::min(o.nprobe, nlist_of(o))
                       << ", \"train_min\": " << train_points(o) << ", \"seed\": " << (o.seed & 0x7fffffff);
  s << "}}}}";
  return s.str();
}

// Shoal's side: a collection fed the same vectors in the same batches, and
// queried through the shard search and the coordinator merge. Building the
// documents is the client's work and is not timed; validation and indexing are.
class ShoalSide final : public Side {
 public:
  ShoalSide(const Dataset& d, const VectorBenchOptions& o, search::Schema schema)
      : d_(d), o_(o), collection_(std::move(schema)) {
    request_.knn.emplace();
    request_.knn->k = static_cast<uint32_t>(o.k);
    request_.knn->num_candidates = static_cast<uint32_t>(o.k);
    request_.size = static_cast<uint32_t>(o.k);
    request_.source = false;
  }

  std::vector<search::Document> batch(size_t first, size_t count) const {
    std::vector<search::Document> docs(count);
    for (size_t j = 0; j < count; ++j) {
      docs[j].id = std::to_string(first + j);
      docs[j].vector.assign(d_.base.begin() + static_cast<ptrdiff_t>((first + j) * o_.dim),
                            d_.base.begin() + static_cast<ptrdiff_t>((first + j + 1) * o_.dim));
    }
    return docs;
  }
  void prepare(size_t first, size_t count) { pending_ = batch(first, count); }
  absl::Status ingest(size_t, size_t) override { return collection_.upsert(std::move(pending_), ++revision_); }

  void prepare_query(size_t q) {
    request_.knn->query_vector.assign(d_.queries.begin() + static_cast<ptrdiff_t>(q * o_.dim),
                                      d_.queries.begin() + static_cast<ptrdiff_t>((q + 1) * o_.dim));
  }
  absl::StatusOr<std::vector<idx_t>> query(size_t) override {
    auto shard_result = collection_.search(request_);
    if (!shard_result.ok()) return shard_result.status();
    search::SearchResponse resp = search::merge_shard_results(request_, {{0, std::move(*shard_result)}}, {});
    std::vector<idx_t> found;
    for (const search::Hit& h : resp.hits) found.push_back(std::stoll(h.id));
    return found;
  }

 private:
  const Dataset& d_;
  const VectorBenchOptions& o_;
  search::Collection collection_;
  search::SearchRequest request_;
  std::vector<search::Document> pending_;
  uint64_t revision_ = 0;
};

// Times one call and adds it to the side's measurement.
template <typename F>
auto timed(double* seconds, F&& f) {
  const Clock::time_point t = Clock::now();
  auto result = f();
  *seconds = seconds_since(t);
  return result;
}

absl::Status run_pair(const Dataset& d, const VectorBenchOptions& o, RawSide& raw, ShoalSide& shoal,
                      Measurement* mr, Measurement* ms) {
  for (size_t i = 0; i < o.n; i += o.batch) {
    const size_t count = std::min(o.batch, o.n - i);
    double t = 0;
    if (absl::Status s = timed(&t, [&] { return raw.ingest(i, count); }); !s.ok()) return s;
    mr->ingest_seconds += t;
    shoal.prepare(i, count);
    if (absl::Status s = timed(&t, [&] { return shoal.ingest(i, count); }); !s.ok()) return s;
    ms->ingest_seconds += t;
  }
  for (size_t q = 0; q < o.queries; ++q) {
    shoal.prepare_query(q);
    for (auto [side, m] : {std::pair<Side*, Measurement*>{&raw, mr}, {&shoal, ms}}) {
      double t = 0;
      auto found = timed(&t, [&] { return side->query(q); });
      if (!found.ok()) return found.status();
      m->latencies_ms.push_back(t * 1e3);
      m->recall += recall_of(d, q, *found, o.k);
    }
  }
  mr->recall /= static_cast<double>(o.queries);
  ms->recall /= static_cast<double>(o.queries);
  return absl::OkStatus();
}

struct Summary {
  double ingest_rate, qps, p50, p95, recall;
};

Summary summarise(const Measurement& m, const VectorBenchOptions& o) {
  double total = 0;
  for (double l : m.latencies_ms) total += l;
  return {static_cast<double>(o.n) / m.ingest_seconds, 1e3 * static_cast<double>(o.queries) / total,
          percentile(m.latencies_ms, 0.50), percentile(m.latencies_ms, 0.95), m.recall};
}

void print_row(const char* kind, const char* impl, const Summary& s) {
  std::printf("%-5s %-11s %14.0f %11.1f %10.3f %10.3f %10.4f\n", kind, impl, s.ingest_rate, s.qps, s.p50, s.p95,
              s.recall);
}

int run_vector_bench(VectorBenchOptions o) {
  if (o.small) {
    o.n = std::min<size_t>(o.n, 100000);
    o.queries = std::min<size_t>(o.queries, 500);
  }
  if (o.n == 0 || o.dim == 0 || o.queries == 0 || o.k == 0 || o.k > o.n || o.batch == 0 || o.clusters == 0) {
    return usage_error("bench vector: n, dim, queries, k, batch and clusters must be positive, and k <= n");
  }
  search::set_faiss_threads(o.threads);
  std::printf("shoal bench vector: n=%zu dim=%u queries=%zu k=%zu clusters=%zu batch=%zu seed=%llu threads=%d\n",
              o.n, o.dim, o.queries, o.k, o.clusters, o.batch, static_cast<unsigned long long>(o.seed), o.threads);
  std::printf("  hnsw m=%u ef_construction=%u ef_search=%u; ivf nlist=%u nprobe=%u trained on %zu points\n",
              o.hnsw_m, o.ef_construction, o.ef_search, nlist_of(o), std::min(o.nprobe, nlist_of(o)),
              train_points(o));
  const Dataset d = make_dataset(o);
  std::printf("%-5s %-11s %14s %11s %10s %10s %10s\n", "index", "impl", "ingest vec/s", "QPS", "p50 ms", "p95 ms",
              "recall@k");
  std::stringstream kinds(o.kinds);
  for (std::string kind; std::getline(kinds, kind, ',');) {
    if (kind != "flat" && kind != "ivf" && kind != "hnsw") return usage_error("bench vector: unknown kind " + kind);
    auto schema = search::Schema::from_json(schema_json(kind, o));
    if (!schema.ok()) return usage_error(std::string(schema.status().message()));
    Measurement raw_m, shoal_m;
    {
      RawSide raw_side(kind, d, o);
      ShoalSide shoal_side(d, o, *schema);
      if (absl::Status s = run_pair(d, o, raw_side, shoal_side, &raw_m, &shoal_m); !s.ok()) {
        std::fprintf(stderr, "shoal: bench vector: %s\n", std::string(s.message()).c_str());
        return kExitCheckFailed;
      }
    }
    const Summary raw = summarise(raw_m, o);
    const Summary ours = summarise(shoal_m, o);
    print_row(kind.c_str(), "faiss", raw);
    print_row(kind.c_str(), "shoal", ours);
    std::printf("%-5s %-11s %13.2fx %10.2fx %9.2fx %9.2fx %+10.4f\n", kind.c_str(), "shoal/faiss",
                ours.ingest_rate / raw.ingest_rate, ours.qps / raw.qps, ours.p50 / raw.p50, ours.p95 / raw.p95,
                ours.recall - raw.recall);
    std::fflush(stdout);
  }
  return kExitPass;
}

static CommandRegistration reg("bench-vector", [](CLI::App& root) {
  auto& bench = group(root, "bench", "benchmarks");
  auto* cmd = bench.add_subcommand("vector", "vector search (flat, IVF, HNSW) beside raw FAISS on clustered data");
  auto o = std::make_shared<VectorBenchOptions>();
  cmd->add_option("--n", o->n, "vectors in the data set")->capture_default_str();
  cmd->add_option("--dim", o->dim, "dimension")->capture_default_str();
  cmd->add_option("--queries", o->queries, "queries, run one at a time")->capture_default_str();
  cmd->add_option("--k", o->k, "neighbours per query")->capture_default_str();
  cmd->add_option("--clusters", o->clusters, "Gaussian clusters in the mixture")->capture_default_str();
  cmd->add_option("--batch", o->batch, "vectors per ingest batch")->capture_default_str();
  cmd->add_option("--seed", o->seed, "data seed")->capture_default_str()->transform(seed_validator());
  cmd->add_option("--threads", o->threads, "FAISS/OpenMP/BLAS threads on both sides")->capture_default_str();
  cmd->add_option("--kinds", o->kinds, "comma-separated index kinds")->capture_default_str();
  cmd->add_option("--hnsw-m", o->hnsw_m, "HNSW degree")->capture_default_str();
  cmd->add_option("--ef-construction", o->ef_construction, "HNSW build candidates")->capture_default_str();
  cmd->add_option("--ef-search", o->ef_search, "HNSW search candidates")->capture_default_str();
  cmd->add_option("--nlist", o->nlist, "IVF lists (0: sqrt(n))")->capture_default_str();
  cmd->add_option("--train-per-list", o->train_per_list, "IVF training points per list")->capture_default_str();
  cmd->add_option("--nprobe", o->nprobe, "IVF lists probed per query")->capture_default_str();
  cmd->add_flag("--small", o->small, "at most 100k vectors and 500 queries");
  set_action(*cmd, [o] { return run_vector_bench(*o); });
});

}  // namespace
}  // namespace shoal::tools
