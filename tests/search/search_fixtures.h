// Shared data for the shard search tests: schemas, seeded documents with
// clustered vectors, and a helper that runs a request over several shards and
// merges the answers the way the coordinator does.
#pragma once

#include <algorithm>
#include <cmath>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "engine/core/random.h"
#include "engine/search/merge.h"
#include "engine/search/request.h"
#include "engine/search/collection.h"

namespace shoal::search::testing {

inline search::Schema make_schema(uint32_t dims, const std::string& similarity, const std::string& index_options) {
  auto s = search::Schema::from_json(R"({"properties": {
      "color": {"type": "keyword"}, "n": {"type": "integer"}, "price": {"type": "float"},
      "at": {"type": "date"}, "flag": {"type": "boolean"},
      "v": {"type": "dense_vector", "dims": )" + std::to_string(dims) + R"(, "similarity": ")" + similarity +
                                    R"(", "index_options": )" + index_options + "}}}");
  if (!s.ok()) ADD_FAILURE() << s.status();
  return *s;
}

// Documents around a few cluster centres. With `grid`, coordinates are small
// integers, so many distances tie exactly and tie-breaking is exercised.
inline std::vector<Document> make_docs(uint64_t seed, size_t n, uint32_t dims, bool grid, size_t first_id = 0) {
  Rng rng(seed);
  const char* colors[] = {"red", "green", "blue", "black"};
  std::vector<std::vector<float>> centres(4, std::vector<float>(dims));
  for (auto& c : centres) {
    for (float& x : c) x = static_cast<float>(rng.range(-5, 5));
  }
  std::vector<Document> docs(n);
  for (size_t i = 0; i < n; ++i) {
    Document& d = docs[i];
    d.id = "doc" + std::to_string(first_id + i);
    d.fields.resize(5);
    if (!rng.chance(0.1)) d.fields[0] = search::Value::keyword(colors[rng.below(4)]);
    if (!rng.chance(0.1)) d.fields[1] = search::Value::integer(rng.range(0, 20));
    d.fields[2] = search::Value::floating(static_cast<double>(rng.range(0, 1000)) / 8);
    d.fields[3] = search::Value::date(static_cast<int64_t>(rng.range(0, 400)) * 3600 * 1000);
    if (!rng.chance(0.1)) d.fields[4] = search::Value::boolean(rng.chance(0.5));
    if (rng.chance(0.05)) continue;  // some documents have no vector
    const auto& c = centres[rng.below(centres.size())];
    d.vector.resize(dims);
    for (uint32_t j = 0; j < dims; ++j) {
      d.vector[j] = grid ? c[j] + static_cast<float>(rng.range(-1, 1))
                         : c[j] + static_cast<float>(rng.real01() - 0.5) * 2.0f;
    }
    if (grid && std::all_of(d.vector.begin(), d.vector.end(), [](float x) { return x == 0; })) d.vector[0] = 1;
  }
  return docs;
}

// Runs `request` on every shard and merges, as the coordinator will.
inline search::SearchResponse search_all(const std::vector<Collection*>& shards, const search::SearchRequest& request,
                                        const std::vector<std::optional<uint64_t>>& revisions = {}) {
  std::vector<std::pair<uint32_t, search::ShardResult>> answers;
  for (size_t i = 0; i < shards.size(); ++i) {
    auto r = shards[i]->search(request, revisions.empty() ? std::nullopt : revisions[i]);
    EXPECT_TRUE(r.ok()) << r.status();
    if (!r.ok()) continue;
    // Through the codec, as over the network.
    auto back = search::decode_shard_result(request, shards[i]->schema(), search::encode_shard_result(request, *r));
    EXPECT_TRUE(back.ok()) << back.status();
    answers.emplace_back(static_cast<uint32_t>(i), std::move(*back));
  }
  return search::merge_shard_results(request, std::move(answers), {});
}

inline search::SearchRequest parse(const std::string& json, const search::Schema& schema) {
  auto r = search::parse_search_request(json, schema);
  EXPECT_TRUE(r.ok()) << r.status() << " in " << json;
  return r.ok() ? *r : search::SearchRequest{};
}

inline std::string vector_json(const std::vector<float>& v) {
  std::string s = "[";
  for (size_t i = 0; i < v.size(); ++i) s += (i ? "," : "") + std::to_string(v[i]);
  return s + "]";
}

}  // namespace shoal::search::testing
