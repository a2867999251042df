// The aggregation promise: for any data set split into any number of shards,
// merging the shards' partials gives the single-node answer for the exact
// kinds, and stays within the stated bounds for terms, percentiles and
// cardinality. Partials cross a codec round trip on the way, as over a network.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <algorithm>
#include <cmath>
#include <map>

#include <boost/json.hpp>

#include "engine/core/random.h"
#include "engine/search/agg_collect.h"
#include "engine/search/agg_result.h"
#include "engine/search/date.h"
#include "engine/search/request.h"

namespace shoal::search {
namespace {

namespace json = boost::json;

struct Doc {
  std::string id;
  std::vector<Value> fields;  // color, n, price, at, flag, tag
};

const Schema& schema() {
  static const Schema s = *Schema::from_json(R"({"properties": {
      "color": {"type": "keyword"}, "n": {"type": "integer"}, "price": {"type": "float"},
      "at": {"type": "date"}, "flag": {"type": "boolean"}, "tag": {"type": "keyword"}}})");
  return s;
}

// Values chosen to collide (few colors, small ints), to span magnitudes (so
// floating sums would differ by grouping), and to be missing sometimes.
std::vector<Doc> make_docs(uint64_t seed, size_t n, size_t tags) {
  Rng rng(seed);
  const char* colors[] = {"red", "green", "blue", "black", "white", "teal", "plum"};
  std::vector<Doc> docs(n);
  for (size_t i = 0; i < n; ++i) {
    Doc& d = docs[i];
    d.id = "d" + std::to_string(i);
    d.fields.resize(6);
    if (!rng.chance(0.05)) d.fields[0] = Value::keyword(colors[rng.below(7)]);
    if (!rng.chance(0.05)) d.fields[1] = Value::integer(rng.range(-40, 120));
    if (!rng.chance(0.05)) {
      const double mag = std::ldexp(1.0, static_cast<int>(rng.range(-20, 40)));
      d.fields[2] = Value::floating((rng.real01() - 0.2) * mag);
    }
    if (!rng.chance(0.05)) d.fields[3] = Value::date(*parse_date_ms("2023-11-01") + rng.range(0, 500) * kMsPerDay / 3);
    if (!rng.chance(0.05)) d.fields[4] = Value::boolean(rng.chance(0.3));
    // A skewed tag distribution: low tags are frequent, so terms has a top.
    const uint64_t t = std::min<uint64_t>(rng.below(tags), rng.below(tags));
    d.fields[5] = Value::keyword("t" + std::to_string(t));
  }
  return docs;
}

SearchRequest request(const std::string& aggs_json) {
  auto r = parse_search_request("{\"aggs\": " + aggs_json + "}", schema());
  if (!r.ok()) ADD_FAILURE() << r.status();
  return *r;
}

std::vector<AggPartial> collect(const SearchRequest& req, const std::vector<const Doc*>& docs) {
  AggregationSet set(req.aggs);
  for (const Doc* d : docs) set.collect(DocView{d->id, d->fields.data()});
  auto partials = set.finish();
  RC_ASSERT(partials.ok());
  // Through the codec, as a shard would send them.
  Writer w;
  encode_partials(req.aggs, *partials, w);
  std::string bytes = w.take();
  Reader r(bytes);
  auto back = decode_partials(req.aggs, r);
  RC_ASSERT(back.ok());
  RC_ASSERT(r.finished_ok());
  return std::move(*back);
}

// Single-node partials and merged per-shard partials for a random split.
std::pair<std::vector<AggPartial>, std::vector<AggPartial>> single_and_merged(const SearchRequest& req,
                                                                              const std::vector<Doc>& docs,
                                                                              uint64_t seed, size_t shards) {
  std::vector<const Doc*> all;
  for (const Doc& d : docs) all.push_back(&d);
  std::vector<std::vector<const Doc*>> parts(shards);
  Rng rng(seed ^ 0x5eed);
  for (const Doc& d : docs) parts[rng.below(shards)].push_back(&d);
  std::vector<std::vector<AggPartial>> per_shard;
  for (const auto& p : parts) per_shard.push_back(collect(req, p));
  return {collect(req, all), merge_partials(req.aggs, per_shard)};
}

const char* kExactAggs = R"({
  "by_color": {"terms": {"field": "color", "size": 20, "shard_size": 20},
               "aggs": {"s": {"stats": {"field": "price"}}, "c": {"cardinality": {"field": "n"}}}},
  "by_n_key": {"terms": {"field": "n", "size": 6, "shard_size": 6, "order": {"_key": "asc"}},
               "aggs": {"x": {"extended_stats": {"field": "price"}}}},
  "by_flag": {"terms": {"field": "flag"}},
  "st": {"stats": {"field": "price"}},
  "ex": {"extended_stats": {"field": "price", "sigma": 3}},
  "exn": {"extended_stats": {"field": "n"}},
  "h": {"histogram": {"field": "n", "interval": 7.5, "offset": 1}, "aggs": {"a": {"avg": {"field": "price"}}}},
  "hp": {"histogram": {"field": "price", "interval": 1000000, "min_doc_count": 2}},
  "dh": {"date_histogram": {"field": "at", "calendar_interval": "month", "time_zone": "+05:30"},
         "aggs": {"mx": {"max": {"field": "price"}}, "t": {"terms": {"field": "color"}}}},
  "dw": {"date_histogram": {"field": "at", "calendar_interval": "week"}},
  "dq": {"date_histogram": {"field": "at", "calendar_interval": "quarter", "offset": "+1d"}},
  "df": {"date_histogram": {"field": "at", "fixed_interval": "36h", "offset": "+6h", "min_doc_count": 1}},
  "r": {"range": {"field": "n", "ranges": [{"to": 0}, {"from": 0, "to": 50}, {"from": 25, "key": "high"}]},
        "aggs": {"vc": {"value_count": {"field": "color"}}, "f": {"filters": {"filters": {"t0": {"term": {"tag": "t0"}}}}}}},
  "rd": {"range": {"field": "at", "ranges": [{"to": "2024-01-01"}, {"from": "2024-01-01"}]}},
  "f": {"filters": {"filters": {"red": {"term": {"color": "red"}}, "big": {"range": {"price": {"gte": 100}}},
                                "both": {"bool": {"must": [{"exists": {"field": "flag"}}], "must_not": [{"terms": {"color": ["red", "blue"]}}]}}}},
        "aggs": {"sum": {"sum": {"field": "price"}}}},
  "avg": {"avg": {"field": "price"}}, "min": {"min": {"field": "at"}}, "max": {"max": {"field": "n"}},
  "sum": {"sum": {"field": "price"}}, "sumn": {"sum": {"field": "n"}}, "vc": {"value_count": {"field": "flag"}},
  "card": {"cardinality": {"field": "tag", "precision_threshold": 20}},
  "card_exact": {"cardinality": {"field": "price"}}
})";

RC_GTEST_PROP(Aggregations, ExactKindsMergedOverAnyShardingEqualOneNode, ()) {
  const uint64_t seed = *rc::gen::arbitrary<uint64_t>();
  const size_t n = *rc::gen::inRange<size_t>(0, 400);
  const size_t shards = *rc::gen::inRange<size_t>(1, 8);
  const std::vector<Doc> docs = make_docs(seed, n, 60);
  const SearchRequest req = request(kExactAggs);
  auto [single, merged] = single_and_merged(req, docs, seed, shards);
  auto a = render_aggs(req.aggs, single);
  auto b = render_aggs(req.aggs, merged);
  RC_ASSERT(a.ok());
  RC_ASSERT(b.ok());
  RC_ASSERT(json::serialize(*a) == json::serialize(*b));
}

// Brute-force answers to compare the rendered aggregations with.
std::map<std::string, uint64_t> tag_counts(const std::vector<Doc>& docs) {
  std::map<std::string, uint64_t> counts;
  for (const Doc& d : docs) counts[d.fields[5].as_keyword()]++;
  return counts;
}

void check_terms_bounds(const json::object& terms, const std::map<std::string, uint64_t>& truth, size_t size) {
  const uint64_t bound = terms.at("doc_count_error_upper_bound").as_uint64();
  uint64_t shown = 0;
  uint64_t min_shown = UINT64_MAX;
  std::map<std::string, uint64_t> returned;
  for (const json::value& b : terms.at("buckets").as_array()) {
    const std::string key(b.at("key").as_string());
    const uint64_t count = b.at("doc_count").as_uint64();
    const uint64_t err = b.at("doc_count_error_upper_bound").as_uint64();
    const uint64_t exact = truth.at(key);
    // Counts are never over-reported, and never under by more than the error.
    RC_ASSERT(count <= exact);
    RC_ASSERT(exact - count <= err);
    RC_ASSERT(err <= bound);
    returned[key] = count;
    shown += count;
    min_shown = std::min(min_shown, count);
  }
  uint64_t total = 0;
  for (const auto& [k, c] : truth) total += c;
  RC_ASSERT(terms.at("sum_other_doc_count").as_uint64() == total - shown);
  // No term left out could have beaten the last one shown by more than the bound.
  const uint64_t floor = returned.size() == size ? min_shown : 0;
  for (const auto& [key, exact] : truth) {
    if (!returned.contains(key)) RC_ASSERT(exact <= floor + bound);
  }
}

RC_GTEST_PROP(Aggregations, TermsErrorBoundIsNeverExceeded, ()) {
  const uint64_t seed = *rc::gen::arbitrary<uint64_t>();
  const size_t n = *rc::gen::inRange<size_t>(1, 600);
  const size_t shards = *rc::gen::inRange<size_t>(1, 8);
  const size_t tags = *rc::gen::inRange<size_t>(1, 80);
  const int size = *rc::gen::inRange(1, 12);
  const int shard_size = size + *rc::gen::inRange(0, 6);
  const std::vector<Doc> docs = make_docs(seed, n, tags);
  const SearchRequest req = request(
      "{\"t\": {\"terms\": {\"field\": \"tag\", \"size\": " + std::to_string(size) + ", \"shard_size\": " +
      std::to_string(shard_size) + ", \"show_term_doc_count_error\": true}}}");
  auto [single, merged] = single_and_merged(req, docs, seed, shards);
  auto rendered = render_aggs(req.aggs, merged);
  RC_ASSERT(rendered.ok());
  check_terms_bounds(rendered->at("t").as_object(), tag_counts(docs), static_cast<size_t>(size));
  // With one shard every count is exact (the bound still covers the terms
  // the shard cut); with enough over-fetch for every term nothing is cut.
  const json::object& t = rendered->at("t").as_object();
  auto single_rendered = render_aggs(req.aggs, single);
  if (shards == 1) {
    for (const json::value& b : t.at("buckets").as_array()) RC_ASSERT(b.at("doc_count_error_upper_bound") == 0);
    RC_ASSERT(json::serialize(t.at("buckets")) == json::serialize(single_rendered->at("t").at("buckets")));
  }
  if (static_cast<size_t>(shard_size) >= tags) {
    RC_ASSERT(t.at("doc_count_error_upper_bound").as_uint64() == 0u);
    RC_ASSERT(json::serialize(*rendered) == json::serialize(*single_rendered));
  }
}

bool within_rank(std::vector<double> sorted, double q, double v, double eps) {
  const double n = static_cast<double>(sorted.size());
  const double below = static_cast<double>(std::lower_bound(sorted.begin(), sorted.end(), v) - sorted.begin());
  const double at_most = static_cast<double>(std::upper_bound(sorted.begin(), sorted.end(), v) - sorted.begin());
  return at_most >= (q - eps) * n && below <= (q + eps) * n;
}

RC_GTEST_PROP(Aggregations, PercentilesAndCardinalityStayWithinTheirBounds, ()) {
  const uint64_t seed = *rc::gen::arbitrary<uint64_t>();
  const size_t n = *rc::gen::inRange<size_t>(1, 3000);
  const size_t shards = *rc::gen::inRange<size_t>(1, 8);
  const uint64_t threshold = *rc::gen::element<uint64_t>(0, 50, 200, 3000);
  const double compression = *rc::gen::element(20.0, 100.0);
  const std::vector<Doc> docs = make_docs(seed, n, 1000);
  const SearchRequest req = request(
      "{\"p\": {\"percentiles\": {\"field\": \"price\", \"percents\": [0, 1, 25, 50, 75, 99, 100], \"tdigest\": "
      "{\"compression\": " + std::to_string(compression) + "}}}, \"c\": {\"cardinality\": {\"field\": \"tag\", "
      "\"precision_threshold\": " + std::to_string(threshold) + "}}}");
  auto [single, merged] = single_and_merged(req, docs, seed, shards);
  auto rendered = render_aggs(req.aggs, merged);
  RC_ASSERT(rendered.ok());
  std::vector<double> prices;
  std::set<std::string> tags;
  for (const Doc& d : docs) {
    if (!d.fields[2].missing()) prices.push_back(d.fields[2].as_float());
    tags.insert(d.fields[5].as_keyword());
  }
  std::sort(prices.begin(), prices.end());
  const json::object& values = rendered->at("p").at("values").as_object();
  // Each shard's digest is one run (shards hold fewer than kRunPoints values).
  const double eps = 1.5 * M_PI / compression + 1.5 * static_cast<double>(shards) / std::max<double>(1, prices.size());
  for (double p : {0.0, 1.0, 25.0, 50.0, 75.0, 99.0, 100.0}) {
    const json::value& v = values.at(percent_key(p));
    if (prices.empty()) {
      RC_ASSERT(v.is_null());
      continue;
    }
    RC_ASSERT(within_rank(prices, p / 100, v.as_double(), eps));
  }
  const double estimate = static_cast<double>(rendered->at("c").at("value").as_uint64());
  const double exact = static_cast<double>(tags.size());
  const double bound = tags.size() <= threshold ? 0 : HyperLogLog(threshold).relative_error_bound();
  RC_ASSERT(std::fabs(estimate - exact) <= bound * exact);
  // HyperLogLog merges exactly, so cardinality also equals the single node.
  RC_ASSERT(json::serialize(rendered->at("c")) == json::serialize(render_aggs(req.aggs, single)->at("c")));
}

TEST(Aggregations, RenderElasticsearchShapes) {
  std::vector<Doc> docs(3);
  const double prices[] = {1, 2, 6};
  const char* colors[] = {"red", "red", "blue"};
  for (int i = 0; i < 3; ++i) {
    docs[i].id = std::to_string(i);
    docs[i].fields = {Value::keyword(colors[i]), Value::integer(i), Value::floating(prices[i]),
                      Value::date(i * kMsPerDay), Value::boolean(i == 0), Value::keyword("t")};
  }
  const SearchRequest req = request(R"({
      "avg": {"avg": {"field": "price"}}, "ex": {"extended_stats": {"field": "price"}},
      "c": {"terms": {"field": "color"}}, "h": {"histogram": {"field": "price", "interval": 2}},
      "d": {"date_histogram": {"field": "at", "fixed_interval": "1d"}},
      "none": {"min": {"field": "price"}}})");
  std::vector<const Doc*> ptrs = {&docs[0], &docs[1], &docs[2]};
  AggregationSet set(req.aggs);
  for (const Doc* d : ptrs) set.collect(DocView{d->id, d->fields.data()});
  auto out = render_aggs(req.aggs, *set.finish());
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(out->at("avg").at("value").as_double(), 3.0);
  EXPECT_EQ(out->at("ex").at("variance").as_double(), 14.0 / 3.0);
  EXPECT_EQ(out->at("ex").at("variance_sample").as_double(), 7.0);
  EXPECT_EQ(json::serialize(out->at("c").at("buckets")),
            R"([{"key":"red","doc_count":2},{"key":"blue","doc_count":1}])");
  // Gaps are filled when min_doc_count is 0: keys 0, 2, 4, 6.
  EXPECT_EQ(out->at("h").at("buckets").as_array().size(), 4u);
  EXPECT_EQ(out->at("h").at("buckets").as_array()[2].at("doc_count").as_uint64(), 0u);
  EXPECT_EQ(out->at("d").at("buckets").as_array()[1].at("key_as_string").as_string(), "1970-01-02T00:00:00.000Z");
  EXPECT_EQ(out->at("none").at("value").as_double(), 1.0);
}

TEST(Aggregations, TooManyBucketsIsAnErrorNotACrash) {
  std::vector<Doc> docs(2);
  docs[0].fields = {Value(), Value(), Value::floating(0), Value(), Value(), Value::keyword("t")};
  docs[1].fields = {Value(), Value(), Value::floating(1e9), Value(), Value(), Value::keyword("t")};
  const SearchRequest req = request(R"({"h": {"histogram": {"field": "price", "interval": 1}}})");
  AggregationSet set(req.aggs);
  for (const Doc& d : docs) set.collect(DocView{d.id, d.fields.data()});
  auto partials = set.finish();
  ASSERT_TRUE(partials.ok());  // two buckets on the shard...
  auto out = render_aggs(req.aggs, *partials);
  EXPECT_EQ(out.status().code(), absl::StatusCode::kResourceExhausted);  // ...a billion when gaps are filled
}

}  // namespace
}  // namespace shoal::search
