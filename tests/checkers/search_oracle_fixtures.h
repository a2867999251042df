// Shared data for the search-oracle checker tests: a small schema (keyword,
// integer, float, date, a 4-dimensional vector, flat or HNSW), a few dozen
// seeded documents as JSON bodies, and a "store" made of per-shard
// Collections whose answers merge the way the coordinator merges them.
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include "engine/core/random.h"
#include "engine/search/collection.h"
#include "engine/search/merge.h"
#include "engine/search/request.h"
#include "scenarios/checkers/document_oracle.h"
#include "scenarios/checkers/search_oracle.h"

namespace shoal::check::testing {

inline search::Schema small_schema(const std::string& index = "flat") {
  auto s = search::Schema::from_json(R"({"properties": {
      "color": {"type": "keyword"}, "n": {"type": "integer"}, "price": {"type": "float"},
      "at": {"type": "date"},
      "v": {"type": "dense_vector", "dims": 4, "similarity": "l2_norm",
            "index_options": {"type": ")" + index + R"("}}}})");
  EXPECT_TRUE(s.ok()) << s.status();
  return *s;
}

// `n` documents "d00".."dNN". With `grid`, vectors are small integers, so
// exact distance ties are common.
inline DocumentSet small_docs(size_t n, uint64_t seed = 7, bool grid = false) {
  Rng rng(seed);
  const char* colors[] = {"red", "green", "blue", "black", "white", "amber", "cyan"};
  DocumentSet docs;
  for (size_t i = 0; i < n; ++i) {
    boost::json::object o;
    const std::string id = (i < 10 ? "d0" : "d") + std::to_string(i);
    // Skewed colours so terms counts differ; a few documents lack fields.
    if (!rng.chance(0.1)) o["color"] = colors[std::min<uint64_t>(rng.below(7), rng.below(7))];
    if (!rng.chance(0.1)) o["n"] = rng.range(0, 20);
    o["price"] = static_cast<double>(rng.range(0, 1000)) / 8;
    o["at"] = static_cast<int64_t>(rng.range(0, 200)) * 3600 * 1000;
    boost::json::array v;
    for (int j = 0; j < 4; ++j) {
      v.push_back(grid ? static_cast<double>(rng.range(-1, 1)) : rng.real01() * 2 - 1);
    }
    o["v"] = std::move(v);
    docs[id] = boost::json::serialize(o);
  }
  return docs;
}

inline search::SearchRequest request_of(const std::string& json, const search::Schema& schema) {
  auto r = search::parse_search_request(json, schema);
  EXPECT_TRUE(r.ok()) << r.status() << " in " << json;
  return r.ok() ? *r : search::SearchRequest{};
}

// A sharded "store": documents dealt to shards in runs of the given sizes
// (unequal on purpose), each shard a Collection of the store's schema.
class Store {
 public:
  Store(const search::Schema& schema, const DocumentSet& docs, const std::vector<size_t>& sizes) {
    auto it = docs.begin();
    for (size_t size : sizes) {
      shards_.push_back(std::make_unique<search::Collection>(schema));
      for (size_t i = 0; i < size && it != docs.end(); ++i, ++it) {
        boost::json::value v = boost::json::parse(it->second);
        v.as_object()["_id"] = it->first;
        EXPECT_TRUE(shards_.back()->upsert_json(boost::json::serialize(v), 1).ok());
      }
    }
    EXPECT_TRUE(it == docs.end()) << "sizes do not cover every document";
  }

  const search::Collection& shard(size_t i) const { return *shards_[i]; }
  size_t shard_count() const { return shards_.size(); }

  // The coordinator's answer: every shard but the missing ones, merged.
  search::SearchResponse search(const search::SearchRequest& request, std::vector<uint32_t> missing = {}) const {
    std::vector<std::pair<uint32_t, search::ShardResult>> answers;
    for (size_t i = 0; i < shards_.size(); ++i) {
      if (std::find(missing.begin(), missing.end(), i) != missing.end()) continue;
      auto r = shards_[i]->search(request);
      EXPECT_TRUE(r.ok()) << r.status();
      if (r.ok()) answers.emplace_back(static_cast<uint32_t>(i), std::move(*r));
    }
    return search::merge_shard_results(request, std::move(answers), std::move(missing));
  }

 private:
  std::vector<std::unique_ptr<search::Collection>> shards_;
};

inline std::unique_ptr<SearchOracle> oracle_of(const search::Schema& schema, const DocumentSet& docs) {
  auto o = SearchOracle::create(schema, docs);
  EXPECT_TRUE(o.ok()) << o.status();
  return o.ok() ? std::move(*o) : nullptr;
}

}  // namespace shoal::check::testing
