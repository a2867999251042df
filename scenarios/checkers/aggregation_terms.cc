// The terms judgement of aggregation_oracle.h: counts within their stated
// error, the requested order, and no term left out that should be shown.
#include <algorithm>
#include <map>
#include <set>

#include <boost/json.hpp>

#include "scenarios/checkers/aggregation_json.h"
#include "scenarios/checkers/aggregation_judge.h"
#include "scenarios/checkers/line_reader.h"

namespace shoal::check::internal {
namespace {

namespace json = boost::json;

struct ShownTerm {
  std::string label;
  const search::Bucket* truth = nullptr;  // null: a term the data does not hold
  uint64_t doc_count = 0;
  uint64_t error = 0;
  const json::object* rendered = nullptr;
};

std::optional<uint64_t> count_member(const json::object& o, std::string_view name) {
  const json::value* v = o.if_contains(name);
  if (v == nullptr || !v->is_number()) return std::nullopt;
  if (v->is_int64() && v->get_int64() >= 0) return static_cast<uint64_t>(v->get_int64());
  if (v->is_uint64()) return v->get_uint64();
  return std::nullopt;
}

// Whether shown term a may come before b in the requested order.
bool in_order(const search::AggSpec& spec, const ShownTerm& a, const ShownTerm& b) {
  if (a.truth == nullptr || b.truth == nullptr) return true;  // reported already
  const int keys = compare(a.truth->key, b.truth->key);
  switch (spec.order) {
    case search::TermsOrder::kKeyAsc: return keys < 0;
    case search::TermsOrder::kKeyDesc: return keys > 0;
    default: return a.doc_count > b.doc_count || (a.doc_count == b.doc_count && keys < 0);
  }
}

}  // namespace

void AggregationJudge::terms(const search::AggSpec& spec, const search::BucketsPartial& truth,
                             const json::object& got, const std::string& path) {
  // An oracle that had to cut its own list cannot tell the truth.
  if (truth.error_bound != 0) return;
  const auto bound = count_member(got, "doc_count_error_upper_bound");
  const auto other = count_member(got, "sum_other_doc_count");
  const json::value* buckets = got.if_contains("buckets");
  if (!bound || !other || buckets == nullptr || !buckets->is_array()) {
    fail(spec, path, "lacks doc_count_error_upper_bound, sum_other_doc_count or a buckets array");
    return;
  }
  std::map<std::string, const search::Bucket*> by_label;
  for (const search::Bucket& b : truth.buckets) by_label.emplace(json_label(b.key.to_json()), &b);

  std::vector<ShownTerm> shown;
  uint64_t shown_total = 0;
  for (const json::value& v : buckets->get_array()) {
    const json::object* o = v.is_object() ? &v.get_object() : nullptr;
    const json::value* key = o ? o->if_contains("key") : nullptr;
    const auto count = o ? count_member(*o, "doc_count") : std::nullopt;
    if (key == nullptr || !count) {
      fail(spec, path, str_cat("bucket ", show(&v), " lacks a key or a doc_count"));
      continue;
    }
    ShownTerm t{json_label(*key), nullptr, *count, *bound, o};
    if (auto e = count_member(*o, "doc_count_error_upper_bound")) t.error = *e;
    auto it = by_label.find(t.label);
    if (it == by_label.end()) {
      fail(spec, path, str_cat("term ", t.label, " (doc_count ", t.doc_count, ") is not in the data"));
    } else {
      t.truth = it->second;
    }
    shown_total += t.doc_count;
    shown.push_back(t);
  }
  if (shown_total + *other != truth.total_count) {
    fail(spec, path, str_cat("shown doc_counts ", shown_total, " + sum_other_doc_count ", *other, " expected ",
                             truth.total_count, " documents with a value"));
  }
  if (shown.size() > spec.size) fail(spec, path, str_cat(shown.size(), " buckets shown, size is ", spec.size));
  std::set<std::string> shown_labels;
  for (size_t i = 0; i < shown.size(); ++i) {
    const ShownTerm& t = shown[i];
    shown_labels.insert(t.label);
    if (i > 0 && !in_order(spec, shown[i - 1], t)) {
      fail(spec, path, str_cat("bucket ", i, " (term ", t.label, ") is out of order after term ", shown[i - 1].label));
    }
    if (t.truth == nullptr) continue;
    const uint64_t real = t.truth->doc_count;
    if (t.doc_count > real || real > t.doc_count + t.error) {
      fail(spec, path, str_cat("term ", t.label, ": doc_count ", t.doc_count, " but the true count is ", real,
                               " (stated error ", t.error, ")"));
    } else if (t.doc_count == real) {
      subs(spec, t.truth, *t.rendered, str_cat(path, "[", t.label, "]"));
    }
  }
  // When no shard holds more than shard_size terms, no shard cut its list.
  if (truth.buckets.size() <= spec.shard_size && *bound != 0) {
    fail(spec, path, str_cat("stated error bound ", *bound, " though no shard holds more than shard_size ",
                             spec.shard_size, " terms"));
  }
  // The terms that should have been shown.
  if (spec.order == search::TermsOrder::kCountDesc) {
    const uint64_t last = shown.size() >= spec.size && !shown.empty() ? shown.back().doc_count : 0;
    for (const search::Bucket& b : truth.buckets) {
      const std::string label = json_label(b.key.to_json());
      if (shown_labels.count(label) || b.doc_count <= last + *bound) continue;
      fail(spec, path, str_cat("term ", label, " (true count ", b.doc_count, ") is missing: more than the last shown ",
                               last, " plus the error bound ", *bound));
    }
    return;
  }
  const size_t n = std::min<size_t>(spec.size, truth.buckets.size());
  for (size_t i = 0; i < n; ++i) {
    const search::Bucket& b = spec.order == search::TermsOrder::kKeyAsc ? truth.buckets[i]
                                                                        : truth.buckets[truth.buckets.size() - 1 - i];
    const std::string label = json_label(b.key.to_json());
    if (i >= shown.size() || shown[i].label != label) {
      fail(spec, path, str_cat("bucket ", i, ": expected term ", label, " got ",
                               i < shown.size() ? shown[i].label : std::string("nothing")));
      return;
    }
  }
}

}  // namespace shoal::check::internal
