#include "engine/search/merge.h"

#include <algorithm>

#include <boost/json.hpp>

#include "engine/search/str_cat.h"
#include "engine/core/codec.h"
#include "engine/search/agg_result.h"
#include "engine/search/cursor.h"

namespace shoal::search {

namespace json = boost::json;

bool knn_better(const Hit& a, const Hit& b) {
  if (a.knn_score != b.knn_score) return a.knn_score > b.knn_score;
  return a.id < b.id;
}

namespace {

// Keeps the k best knn candidates; the rest can never be hits.
void keep_k_nearest(const SearchRequest& request, std::vector<Hit>& hits) {
  const size_t k = request.knn->k;
  if (hits.size() > k) {
    std::nth_element(hits.begin(), hits.begin() + static_cast<ptrdiff_t>(k), hits.end(), knn_better);
    hits.resize(k);
  }
}

}  // namespace

std::vector<Hit> page_of(const SearchRequest& request, std::vector<Hit> hits) {
  if (request.knn) keep_k_nearest(request, hits);
  if (request.search_after) {
    const std::vector<Value>& after = *request.search_after;
    std::erase_if(hits, [&](const Hit& h) { return compare_keys(request.sort, h.sort, after) <= 0; });
  }
  const size_t window = static_cast<size_t>(request.from) + request.size;
  HitOrder order{&request.sort};
  if (hits.size() > window) {
    std::partial_sort(hits.begin(), hits.begin() + static_cast<ptrdiff_t>(window), hits.end(), order);
    hits.resize(window);
  } else {
    std::sort(hits.begin(), hits.end(), order);
  }
  hits.erase(hits.begin(), hits.begin() + static_cast<ptrdiff_t>(std::min<size_t>(request.from, hits.size())));
  return hits;
}

SearchResponse merge_shard_results(const SearchRequest& request,
                                   std::vector<std::pair<uint32_t, ShardResult>> results,
                                   std::vector<uint32_t> missing_shards) {
  std::sort(results.begin(), results.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  std::sort(missing_shards.begin(), missing_shards.end());
  SearchResponse out;
  out.shards_total = static_cast<uint32_t>(results.size() + missing_shards.size());
  out.shards_missing = std::move(missing_shards);
  std::vector<Hit> all;
  std::vector<std::vector<AggPartial>> partials;
  for (auto& [shard, r] : results) {
    out.total_hits += r.total_hits;
    std::move(r.hits.begin(), r.hits.end(), std::back_inserter(all));
    if (!request.aggs.empty()) partials.push_back(std::move(r.aggs));
  }
  if (request.knn) {
    keep_k_nearest(request, all);
    out.total_hits = all.size();
  }
  out.hits = page_of(request, std::move(all));
  if (!request.aggs.empty()) out.aggs = merge_partials(request.aggs, partials);
  if (request.size > 0 && out.hits.size() == request.size) {
    Cursor c{out.hits.back().sort, sort_fingerprint(request.sort), request.pit_id.value_or("")};
    out.next_cursor = encode_cursor(c);
  }
  return out;
}

std::string encode_shard_result(const SearchRequest& request, const ShardResult& result) {
  Writer w;
  w.u64(result.revision);
  w.varint(result.total_hits);
  w.varint(result.hits.size());
  for (const Hit& h : result.hits) {
    w.bytes(h.id);
    w.f64(h.score);
    w.f64(h.knn_score);
    for (const Value& v : h.sort) v.encode(w);
    w.varint(h.source.size());
    for (const Value& v : h.source) v.encode(w);
  }
  encode_partials(request.aggs, result.aggs, w);
  return w.take();
}

namespace {

absl::Status decode_hit(const SearchRequest& request, const Schema& schema, Reader& r, Hit* h) {
  auto bad = [] { return absl::DataLossError("shard result: malformed hit"); };
  h->id = r.bytes();
  h->score = r.f64();
  h->knn_score = r.f64();
  h->sort.resize(request.sort.size());
  for (Value& v : h->sort) {
    if (!Value::decode(r, &v)) return bad();
  }
  const uint64_t n = r.varint();
  if (!r.ok() || (n != 0 && n != schema.fields().size())) return bad();
  h->source.resize(n);
  for (size_t i = 0; i < n; ++i) {
    if (!Value::decode(r, &h->source[i])) return bad();
    if (!h->source[i].missing() && h->source[i].type() != schema.field(i).type) return bad();
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<ShardResult> decode_shard_result(const SearchRequest& request, const Schema& schema,
                                                std::string_view bytes) {
  Reader r(bytes);
  ShardResult out;
  out.revision = r.u64();
  out.total_hits = r.varint();
  const uint64_t n = r.varint();
  const uint64_t limit = request.knn ? request.knn->k : static_cast<uint64_t>(request.from) + request.size;
  if (!r.ok() || n > limit) return absl::DataLossError("shard result: more hits than the request allows");
  out.hits.resize(n);
  for (Hit& h : out.hits) {
    if (absl::Status s = decode_hit(request, schema, r, &h); !s.ok()) return s;
  }
  auto aggs = decode_partials(request.aggs, r);
  if (!aggs.ok()) return aggs.status();
  out.aggs = std::move(*aggs);
  if (!r.finished_ok()) return absl::DataLossError("shard result: trailing or truncated bytes");
  return out;
}

namespace {

json::value source_value(const Value& v) {
  if (!v.missing() && v.type() == FieldType::kDate) return json::string(v.to_string());
  return v.to_json();
}

json::object render_hit(const SearchRequest& request, const Schema& schema, const Hit& h) {
  json::object o;
  o["_id"] = h.id;
  o["_score"] = h.score;
  json::array sort;
  for (const Value& v : h.sort) sort.push_back(v.to_json());
  o["sort"] = std::move(sort);
  if (request.source && !h.source.empty()) {
    json::object src;
    for (size_t i = 0; i < h.source.size(); ++i) {
      if (!h.source[i].missing()) src[schema.field(i).name] = source_value(h.source[i]);
    }
    o["_source"] = std::move(src);
  }
  return o;
}

}  // namespace

absl::StatusOr<json::object> render_response(const SearchRequest& request, const Schema& schema,
                                             const SearchResponse& response) {
  json::object out;
  json::array missing;
  for (uint32_t s : response.shards_missing) missing.push_back(s);
  out["_shards"] = json::object{{"total", response.shards_total},
                                {"successful", response.shards_total - response.shards_missing.size()},
                                {"failed", response.shards_missing.size()},
                                {"missing", std::move(missing)}};
  out["partial"] = !response.shards_missing.empty();
  json::array hits;
  for (const Hit& h : response.hits) hits.push_back(render_hit(request, schema, h));
  out["hits"] = json::object{{"total", json::object{{"value", response.total_hits}, {"relation", "eq"}}},
                             {"hits", std::move(hits)}};
  if (!request.aggs.empty()) {
    auto aggs = render_aggs(request.aggs, response.aggs);
    if (!aggs.ok()) return aggs.status();
    out["aggregations"] = std::move(*aggs);
  }
  if (response.next_cursor) out["next_cursor"] = *response.next_cursor;
  if (request.pit_id) out["pit_id"] = *request.pit_id;
  return out;
}

}  // namespace shoal::search
