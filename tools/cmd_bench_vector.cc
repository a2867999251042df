// `shoal bench vector`: Shoal's vector search beside raw FAISS on the same
// data and index parameters, in the same run.
//
// The data is a mixture of Gaussians (like real embeddings, which cluster),
// generated from a seed with Shoal's own RNG. For each index kind (flat, IVF,
// HNSW) the benchmark builds the raw FAISS index and a Shoal collection from
// the same vectors in the same batches, then runs the same queries one at a
// time against each, and reports ingest rate, queries per second, p50/p95
// latency and recall@k against exact ground truth, with the Shoal/FAISS
// ratios. Both sides use the same FAISS thread count (default 1, as in the
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
#include "engine/query/merge.h"
#include "engine/shard/collection.h"
#include "engine/shard/faiss_threads.h"
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
  // Exact ground truth, untimed, with FAISS's batched (BLAS) flat search.
  faiss::IndexFlatL2 exact(o.dim);
  exact.add(static_cast<idx_t>(o.n), d.base.data());
  std::vector<float> dist(o.queries * o.k);
  d.truth.resize(o.queries * o.k);
  exact.search(static_cast<idx_t>(o.queries), d.queries.data(), static_cast<idx_t>(o.k), dist.data(), d.truth.data());
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
  return std::min({o.n, whole_batches, size_t{nlist_of(o)} * shard::kIvfTrainPointsPerList});
}

// The raw FAISS side: the index Shoal would build, driven directly.
std::unique_ptr<faiss::Index> raw_index(const std::string& kind, const VectorBenchOptions& o) {
  if (kind == "hnsw") {
    auto h = std::make_unique<faiss::IndexHNSWFlat>(static_cast<int>(o.dim), static_cast<int>(o.hnsw_m));
    h->hnsw.efConstruction = static_cast<int>(o.ef_construction);
    return h;
  }
  if (kind == "ivf") {
    auto ivf = std::make_unique<faiss::IndexIVFFlat>(new faiss::IndexFlatL2(o.dim), o.dim, nlist_of(o));
    ivf->own_fields = true;
    ivf->cp.seed = static_cast<int>(o.seed & 0x7fffffff);
    ivf->cp.min_points_per_centroid = 1;
    return ivf;
  }
  return std::make_unique<faiss::IndexFlatL2>(o.dim);
}

Measurement run_raw(const std::string& kind, const Dataset& d, const VectorBenchOptions& o) {
  Measurement m;
  std::unique_ptr<faiss::Index> index = raw_index(kind, o);
  const Clock::time_point start = Clock::now();
  if (kind == "ivf") index->train(static_cast<idx_t>(train_points(o)), d.base.data());
  for (size_t i = 0; i < o.n; i += o.batch) {
    index->add(static_cast<idx_t>(std::min(o.batch, o.n - i)), d.base.data() + i * o.dim);
  }
  m.ingest_seconds = seconds_since(start);
  faiss::SearchParametersHNSW hnsw_params;
  hnsw_params.efSearch = static_cast<int>(std::max<size_t>(o.ef_search, o.k));
  // FAISS 1.7.3 reads the candidate queue size from the index, not the params.
  if (auto* h = dynamic_cast<faiss::IndexHNSW*>(index.get())) h->hnsw.efSearch = hnsw_params.efSearch;
  faiss::SearchParametersIVF ivf_params;
  ivf_params.nprobe = std::min(o.nprobe, nlist_of(o));
  const faiss::SearchParameters* params = kind == "hnsw" ? static_cast<faiss::SearchParameters*>(&hnsw_params)
                                          : kind == "ivf" ? &ivf_params
                                                          : nullptr;
  std::vector<float> dist(o.k);
  std::vector<idx_t> labels(o.k);
  for (size_t q = 0; q < o.queries; ++q) {
    const Clock::time_point t = Clock::now();
    index->search(1, d.queries.data() + q * o.dim, static_cast<idx_t>(o.k), dist.data(), labels.data(), params);
    m.latencies_ms.push_back(seconds_since(t) * 1e3);
    m.recall += recall_of(d, q, labels, o.k);
  }
  m.recall /= static_cast<double>(o.queries);
  return m;
}

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
// queried through the shard search and the coordinator merge.
absl::StatusOr<Measurement> run_shoal(const std::string& kind, const Dataset& d, const VectorBenchOptions& o) {
  auto schema = query::Schema::from_json(schema_json(kind, o));
  if (!schema.ok()) return schema.status();
  shard::Collection c(*schema);
  Measurement m;
  uint64_t revision = 0;
  for (size_t i = 0; i < o.n; i += o.batch) {
    std::vector<shard::Document> docs(std::min(o.batch, o.n - i));
    for (size_t j = 0; j < docs.size(); ++j) {
      docs[j].id = std::to_string(i + j);
      docs[j].vector.assign(d.base.begin() + static_cast<ptrdiff_t>((i + j) * o.dim),
                            d.base.begin() + static_cast<ptrdiff_t>((i + j + 1) * o.dim));
    }
    const Clock::time_point t = Clock::now();
    if (absl::Status s = c.upsert(std::move(docs), ++revision); !s.ok()) return s;
    m.ingest_seconds += seconds_since(t);
  }
  query::SearchRequest request;
  request.knn.emplace();
  request.knn->k = static_cast<uint32_t>(o.k);
  request.knn->num_candidates = static_cast<uint32_t>(o.k);
  request.size = static_cast<uint32_t>(o.k);
  request.source = false;
  for (size_t q = 0; q < o.queries; ++q) {
    request.knn->query_vector.assign(d.queries.begin() + static_cast<ptrdiff_t>(q * o.dim),
                                     d.queries.begin() + static_cast<ptrdiff_t>((q + 1) * o.dim));
    const Clock::time_point t = Clock::now();
    auto shard_result = c.search(request);
    if (!shard_result.ok()) return shard_result.status();
    query::SearchResponse resp = query::merge_shard_results(request, {{0, std::move(*shard_result)}}, {});
    m.latencies_ms.push_back(seconds_since(t) * 1e3);
    std::vector<idx_t> found;
    for (const query::Hit& h : resp.hits) found.push_back(std::stoll(h.id));
    m.recall += recall_of(d, q, found, o.k);
  }
  m.recall /= static_cast<double>(o.queries);
  return m;
}

double percentile(std::vector<double> v, double p) {
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<size_t>(p * static_cast<double>(v.size())))];
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
  shard::set_faiss_threads(o.threads);
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
    const Summary raw = summarise(run_raw(kind, d, o), o);
    auto shoal = run_shoal(kind, d, o);
    if (!shoal.ok()) {
      std::fprintf(stderr, "shoal: bench vector: %s\n", std::string(shoal.status().message()).c_str());
      return kExitCheckFailed;
    }
    const Summary ours = summarise(*shoal, o);
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
  cmd->add_option("--seed", o->seed, "data seed")->capture_default_str();
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
