// `shoal bench agg`: throughput of each of the 14 aggregation kinds, split
// into the shard half (scan the matching set and build a partial) and the
// coordinator half (decode the shards' partials, merge them, render JSON).
//
// The data is seeded and spread over --shards collections by id hash. Each
// kind runs as a size-0 search with one aggregation, so the shard figures
// include the scan a real search does. Timings are wall clock; nothing here
// is asserted.
#include <chrono>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include <boost/json.hpp>

#include "engine/core/random.h"
#include "engine/search/agg_result.h"
#include "engine/search/merge.h"
#include "engine/search/collection.h"
#include "tools/cli_util.h"
#include "tools/command.h"

namespace shoal::tools {
namespace {

using Clock = std::chrono::steady_clock;

struct AggBenchOptions {
  size_t n = 1000000;
  size_t shards = 8;
  size_t repeat = 3;
  uint64_t seed = 7;
  bool small = false;
};

constexpr const char* kSchema = R"({"properties": {
    "color": {"type": "keyword"}, "user": {"type": "keyword"}, "n": {"type": "integer"},
    "price": {"type": "float"}, "at": {"type": "date"}, "flag": {"type": "boolean"}}})";

// One aggregation of each kind, over the field types it is meant for.
constexpr std::pair<const char*, const char*> kAggs[] = {
    {"terms", R"({"terms": {"field": "user", "size": 10}})"},
    {"stats", R"({"stats": {"field": "price"}})"},
    {"extended_stats", R"({"extended_stats": {"field": "price"}})"},
    {"histogram", R"({"histogram": {"field": "price", "interval": 50}})"},
    {"date_histogram", R"({"date_histogram": {"field": "at", "calendar_interval": "day", "time_zone": "+02:00"}})"},
    {"range", R"({"range": {"field": "n", "ranges": [{"to": 100}, {"from": 100, "to": 500}, {"from": 500}]}})"},
    {"filters", R"({"filters": {"filters": {"red": {"term": {"color": "red"}}, "cheap": {"range": {"price": {"lt": 10}}}}}})"},
    {"avg", R"({"avg": {"field": "price"}})"},
    {"min", R"({"min": {"field": "price"}})"},
    {"max", R"({"max": {"field": "at"}})"},
    {"sum", R"({"sum": {"field": "price"}})"},
    {"value_count", R"({"value_count": {"field": "color"}})"},
    {"percentiles", R"({"percentiles": {"field": "price"}})"},
    {"cardinality", R"({"cardinality": {"field": "user"}})"},
};

absl::StatusOr<std::vector<std::unique_ptr<search::Collection>>> load(const AggBenchOptions& o,
                                                                     const search::Schema& schema) {
  std::vector<std::unique_ptr<search::Collection>> shards;
  for (size_t i = 0; i < o.shards; ++i) shards.push_back(std::make_unique<search::Collection>(schema));
  Rng rng(o.seed);
  const char* colors[] = {"red", "green", "blue", "black", "white"};
  constexpr size_t kBatch = 10000;
  std::vector<std::vector<search::Document>> parts(o.shards);
  for (size_t i = 0; i < o.n; ++i) {
    search::Document d;
    d.id = "doc" + std::to_string(i);
    d.fields = {search::Value::keyword(colors[rng.below(5)]),
                search::Value::keyword("user" + std::to_string(std::min(rng.below(100000), rng.below(100000)))),
                search::Value::integer(rng.range(0, 1000)),
                search::Value::floating(rng.exponential(40)),
                search::Value::date(1700000000000 + rng.range(0, 90LL * 86400000)),
                search::Value::boolean(rng.chance(0.5))};
    auto& part = parts[stable_hash(d.id.data(), d.id.size()) % o.shards];
    part.push_back(std::move(d));
    if (part.size() == kBatch || i + 1 == o.n) {
      for (size_t s = 0; s < o.shards; ++s) {
        if (parts[s].empty()) continue;
        if (absl::Status st = shards[s]->upsert(std::move(parts[s]), 1); !st.ok()) return st;
        parts[s].clear();
      }
    }
  }
  return shards;
}

double seconds_since(Clock::time_point start) { return std::chrono::duration<double>(Clock::now() - start).count(); }

int fail(const absl::Status& s) {
  std::fprintf(stderr, "shoal: bench agg: %s\n", std::string(s.message()).c_str());
  return kExitCheckFailed;
}

int run_agg_bench(AggBenchOptions o) {
  if (o.small) o.n = std::min<size_t>(o.n, 100000);
  if (o.n == 0 || o.shards == 0 || o.repeat == 0) return usage_error("bench agg: n, shards and repeat must be positive");
  auto schema = search::Schema::from_json(kSchema);
  if (!schema.ok()) return usage_error(std::string(schema.status().message()));
  std::printf("shoal bench agg: n=%zu shards=%zu repeat=%zu seed=%llu\n", o.n, o.shards, o.repeat,
              static_cast<unsigned long long>(o.seed));
  auto loaded = load(o, *schema);
  if (!loaded.ok()) return fail(loaded.status());
  const auto& shards = *loaded;
  std::printf("%-15s %14s %12s %12s %14s\n", "aggregation", "partial doc/s", "merge ms", "bytes/shard",
              "end-to-end ms");
  for (const auto& [kind, body] : kAggs) {
    auto request = search::parse_search_request(std::string(R"({"size": 0, "aggs": {"a": )") + body + "}}", *schema);
    if (!request.ok()) return usage_error(std::string(request.status().message()));
    double partial_s = 0, merge_s = 0;
    size_t bytes = 0;
    for (size_t r = 0; r < o.repeat; ++r) {
      std::vector<std::string> wire;
      Clock::time_point t = Clock::now();
      for (const auto& s : shards) {
        auto result = s->search(*request);
        if (!result.ok()) return fail(result.status());
        wire.push_back(search::encode_shard_result(*request, *result));
      }
      partial_s += seconds_since(t);
      bytes = 0;
      for (const std::string& w : wire) bytes += w.size();
      t = Clock::now();
      std::vector<std::pair<uint32_t, search::ShardResult>> results;
      for (size_t i = 0; i < wire.size(); ++i) {
        auto decoded = search::decode_shard_result(*request, *schema, wire[i]);
        if (!decoded.ok()) return fail(decoded.status());
        results.emplace_back(static_cast<uint32_t>(i), std::move(*decoded));
      }
      search::SearchResponse merged = search::merge_shard_results(*request, std::move(results), {});
      auto body_json = search::render_response(*request, *schema, merged);
      if (!body_json.ok()) return fail(body_json.status());
      merge_s += seconds_since(t);
    }
    const double reps = static_cast<double>(o.repeat);
    std::printf("%-15s %14.0f %12.3f %12zu %14.2f\n", kind, static_cast<double>(o.n) * reps / partial_s,
                merge_s / reps * 1e3, bytes / o.shards, (partial_s + merge_s) / reps * 1e3);
    std::fflush(stdout);
  }
  return kExitPass;
}

static CommandRegistration reg("bench-agg", [](CLI::App& root) {
  auto& bench = group(root, "bench", "benchmarks");
  auto* cmd = bench.add_subcommand("agg", "partial + merge throughput of each aggregation kind");
  auto o = std::make_shared<AggBenchOptions>();
  cmd->add_option("--n", o->n, "documents")->capture_default_str();
  cmd->add_option("--shards", o->shards, "shards the documents are spread over")->capture_default_str();
  cmd->add_option("--repeat", o->repeat, "runs per aggregation")->capture_default_str();
  cmd->add_option("--seed", o->seed, "data seed")->capture_default_str()->transform(seed_validator());
  cmd->add_flag("--small", o->small, "at most 100k documents");
  set_action(*cmd, [o] { return run_agg_bench(*o); });
});

}  // namespace
}  // namespace shoal::tools
