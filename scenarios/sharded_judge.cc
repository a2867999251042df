// Judging a ShardedRun (sharded_run.h): every verdict comes from
// scenarios/checkers/; this file only gathers what they judge.
#include <algorithm>

#include <boost/json.hpp>

#include "absl/strings/str_cat.h"
#include "engine/search/document.h"
#include "engine/search/request.h"
#include "scenarios/checkers/aggregation_oracle.h"
#include "scenarios/checkers/document_oracle.h"
#include "scenarios/checkers/pagination.h"
#include "scenarios/checkers/partial_answers.h"
#include "scenarios/checkers/search_oracle.h"
#include "scenarios/checkers/shard_balance.h"
#include "scenarios/sharded_run.h"

namespace shoal::scenarios {

namespace json = boost::json;

namespace {

// The structured answer a rendered body describes: hits with their ids,
// scores and sort keys, the total, and the missing shards it names.
absl::StatusOr<search::SearchResponse> response_of(const search::SearchRequest& request,
                                                   const search::Schema& schema, const SearchRecord& s) {
  boost::system::error_code ec;
  json::value body = json::parse(s.body_json, ec);
  if (ec || !body.is_object()) return absl::InvalidArgumentError("the answer is not a JSON object");
  search::SearchResponse r;
  const json::object& o = body.as_object();
  const json::value* hits = o.if_contains("hits");
  if (hits == nullptr || !hits->is_object()) return absl::InvalidArgumentError("the answer has no hits");
  const json::value* total = hits->as_object().if_contains("total");
  if (total && total->is_object() && total->as_object().if_contains("value")) {
    r.total_hits = json::value_to<uint64_t>(total->as_object().at("value"));
  }
  const json::value* list = hits->as_object().if_contains("hits");
  if (list == nullptr || !list->is_array()) return absl::InvalidArgumentError("the answer's hits are not a list");
  for (const json::value& h : list->as_array()) {
    if (!h.is_object()) return absl::InvalidArgumentError("a hit is not an object");
    const json::object& ho = h.as_object();
    search::Hit hit;
    if (!ho.contains("_id") || !ho.at("_id").is_string()) return absl::InvalidArgumentError("a hit has no _id");
    hit.id = std::string(ho.at("_id").as_string());
    if (ho.contains("_score")) hit.score = ho.at("_score").to_number<double>();
    if (const json::value* source = ho.if_contains("_source"); source && source->is_object()) {
      json::object doc = source->as_object();
      doc["_id"] = hit.id;
      auto parsed = search::parse_document(doc, schema);
      if (!parsed.ok()) return parsed.status();
      hit.source = std::move(parsed->fields);
    }
    if (ho.contains("sort")) {
      auto key = search::parse_search_after(ho.at("sort"), request.sort, schema);
      if (!key.ok()) return key.status();
      hit.sort = std::move(*key);
    }
    r.hits.push_back(std::move(hit));
  }
  r.shards_missing = s.missing;
  if (const json::value* shards = o.if_contains("_shards"); shards && shards->is_object()) {
    if (const json::value* t = shards->as_object().if_contains("total"); t && t->is_number()) {
      r.shards_total = t->to_number<uint32_t>();
    }
  }
  return r;
}

const json::object* aggregations_of(const json::value& body) {
  if (!body.is_object()) return nullptr;
  const json::value* aggs = body.as_object().if_contains("aggregations");
  return aggs && aggs->is_object() ? &aggs->as_object() : nullptr;
}

}  // namespace

void ShardedRun::judge(ScenarioResult& r) {
  const auto replicas = read_replicas();
  check::DocumentSet final_docs;
  judge_documents(r, replicas, &final_docs);
  judge_searches(r, final_docs);
  // Raft's own promises, for every group the run had.
  std::vector<const RaftNode*> rafts;
  for (NodeId id : nodes_) {
    Node* n = node(id);
    if (n == nullptr) continue;
    for (const auto& [g, replica] : n->replicas()) {
      if (replica->raft()) rafts.push_back(replica->raft());
    }
  }
  invariants_.check_log_matching(rafts);
  CheckResult inv{"raft-invariants", invariants_.ok(), ""};
  for (const auto& v : invariants_.violations()) absl::StrAppend(&inv.message, v, "; ");
  if (inv.ok) inv.message = absl::StrCat(invariants_.groups().size(), " groups");
  r.checks.push_back(std::move(inv));
  for (CheckResult& c : extra_checks_) r.checks.push_back(std::move(c));
  judge_liveness(r);
}

void ShardedRun::judge_documents(ScenarioResult& r,
                                 const std::map<GroupId, std::map<NodeId, check::DocumentSet>>& replicas,
                                 check::DocumentSet* final_docs) {
  const cluster::ShardMap& m = map();
  const cluster::CollectionInfo* info = m.find(collection_name());
  CheckResult converged{"convergence", true, ""};
  std::vector<std::pair<std::string, uint32_t>> held;
  std::map<std::string, uint32_t> owner;
  std::map<uint32_t, size_t> sizes;
  size_t replicas_read = 0;
  for (const auto& [group, by_node] : replicas) {
    const cluster::ShardInfo* shard = info ? cluster::shard_of_group(m, group) : nullptr;
    if (shard == nullptr) continue;
    const check::DocumentSet* first = nullptr;
    for (const auto& [id, docs] : by_node) {
      ++replicas_read;
      if (first == nullptr) {
        first = &docs;
      } else if (docs != *first) {
        converged.ok = false;
        absl::StrAppend(&converged.message, "shard ", shard->shard, " (group ", group, "): node ", id, " holds ",
                        docs.size(), " documents, node ", by_node.begin()->first, " holds ", first->size(), "; ");
      }
    }
    if (first == nullptr) continue;
    sizes[shard->shard] = first->size();
    for (const auto& [id, body] : *first) {
      held.emplace_back(id, shard->shard);
      (*final_docs)[id] = body;
      auto doc = search::parse_documents(body, schema_);
      if (doc.ok() && doc->size() == 1) owner[id] = cluster::route(*info, doc->front());
    }
  }
  if (converged.ok) converged.message = absl::StrCat(replicas_read, " replicas of ", replicas.size(), " shards agree");
  if (info == nullptr || replicas.size() != info->shards.size()) {
    converged.ok = false;
    absl::StrAppend(&converged.message, "; read ", replicas.size(), " shards of ",
                    info ? info->shards.size() : 0, ": a shard has no readable replica");
  }
  r.checks.push_back(std::move(converged));
  check::DocumentJudgement docs = check::check_documents(writes_, *final_docs, check::schema_canonicalizer(schema_));
  r.checks.push_back(std::move(docs.no_lost_documents));
  r.checks.push_back(std::move(docs.only_written_documents));
  r.checks.push_back(check::check_documents_on_owner(held, owner));
  if (config_.balance_tolerance) r.checks.push_back(check::check_shard_sizes_balanced(sizes, *config_.balance_tolerance));
  metric("documents", static_cast<double>(final_docs->size()));
  size_t smallest = SIZE_MAX, largest = 0;
  for (const auto& [s, n] : sizes) {
    smallest = std::min(smallest, n);
    largest = std::max(largest, n);
  }
  if (!sizes.empty()) {
    metric("shard_documents_min", static_cast<double>(smallest));
    metric("shard_documents_max", static_cast<double>(largest));
  }
}

void ShardedRun::judge_searches(ScenarioResult& r, const check::DocumentSet& final_docs) {
  const cluster::ShardMap& m = map();
  const cluster::CollectionInfo* info = m.find(collection_name());
  std::vector<uint32_t> all_shards;
  if (info) {
    for (const auto& s : info->shards) all_shards.push_back(s.shard);
  }
  // Ids some write had been sent for, by the time each search completed.
  std::map<std::string, int64_t> first_written;
  for (const check::Operation& op : writes_.operations()) {
    if (op.op.type != check::OpType::kWrite) continue;
    auto [it, fresh] = first_written.emplace(op.op.key, op.invoke_ns);
    if (!fresh) it->second = std::min(it->second, op.invoke_ns);
  }
  auto oracle = check::SearchOracle::create(schema_, final_docs);
  CheckResult oracle_built{"search-oracle-built", oracle.ok(), oracle.ok() ? "" : std::string(oracle.status().message())};
  CheckResult written{"hits-were-written", true, ""};
  CheckResult exact{"search-equals-oracle", true, ""};
  CheckResult aggs{"aggregations-equal-oracle", true, ""};
  std::vector<check::SearchCoverage> coverage;
  size_t answered = 0, final_answered = 0, final_asked = 0, hits_judged = 0;
  double recall_sum = 0;
  size_t recall_n = 0;
  for (size_t i = 0; i < searches_.size(); ++i) {
    const SearchRecord& s = searches_[i];
    if (s.final) ++final_asked;
    if (!s.ok) continue;
    ++answered;
    auto request = search::parse_search_request(s.request_json, schema_);
    if (!request.ok()) continue;
    auto response = response_of(*request, schema_, s);
    if (!response.ok()) {
      written.ok = false;
      absl::StrAppend(&written.message, "search ", i, ": ", response.status().message(), "; ");
      continue;
    }
    coverage.push_back(check::coverage_of(i, *response, all_shards, s.contributed));
    for (const search::Hit& h : response->hits) {
      ++hits_judged;
      auto it = first_written.find(h.id);
      if (it == first_written.end() || it->second > s.complete_ns) {
        written.ok = false;
        absl::StrAppend(&written.message, "search ", i, " returned \"", h.id, "\", which no write had sent; ");
      }
    }
    if (!s.final || !oracle.ok()) continue;
    ++final_answered;
    check::SearchOracleOptions options;
    options.recall_floor = config_.recall_floor;
    check::SearchJudgement j = (*oracle)->check_search(*request, *response, options);
    if (j.approximate) {
      recall_sum += j.recall;
      ++recall_n;
    }
    if (!j.result.ok) {
      exact.ok = false;
      absl::StrAppend(&exact.message, "final search ", i, " (", s.request_json.substr(0, 60), "...): ",
                      j.result.message, "; ");
    }
    if (!request->aggs.empty()) {
      boost::system::error_code ec;
      json::value body = json::parse(s.body_json, ec);
      const json::object* store_aggs = ec ? nullptr : aggregations_of(body);
      if (store_aggs == nullptr) {
        aggs.ok = false;
        absl::StrAppend(&aggs.message, "final search ", i, " has no aggregations; ");
      } else {
        CheckResult c = check::check_aggregations_equal_oracle(**oracle, *request, *store_aggs,
                                                               static_cast<uint32_t>(all_shards.size()));
        if (!c.ok) {
          aggs.ok = false;
          absl::StrAppend(&aggs.message, "final search ", i, ": ", c.message, "; ");
        }
      }
    }
  }
  written.message = written.ok ? absl::StrCat(hits_judged, " hits of ", answered, " answers") : written.message;
  if (exact.ok) exact.message = absl::StrCat(final_answered, " final searches equal the oracle");
  if (aggs.ok) aggs.message = "every final aggregation equals the oracle (approximate kinds within their bounds)";
  if (recall_n > 0) metric("knn_recall_mean", recall_sum / static_cast<double>(recall_n));
  r.checks.push_back(std::move(oracle_built));
  r.checks.push_back(std::move(written));
  r.checks.push_back(std::move(exact));
  r.checks.push_back(std::move(aggs));
  r.checks.push_back(check::check_missing_shards_named(coverage, config_.nothing_may_be_missing));
  if (config_.expect_partial) {
    // A slow shard must cost an answer its shard, not its deadline: some
    // answers came back partial, and every answer came within the deadline.
    size_t partial = 0;
    CheckResult in_time{"answers-within-deadline", true, ""};
    for (size_t i = 0; i < searches_.size(); ++i) {
      const SearchRecord& s = searches_[i];
      if (s.final || !s.ok) continue;
      if (!s.missing.empty()) ++partial;
      if (s.complete_ns - s.invoke_ns > to_ns(TimePoint(config_.search_timeout))) {
        in_time.ok = false;
        absl::StrAppend(&in_time.message, "search ", i, " answered after ",
                        static_cast<double>(s.complete_ns - s.invoke_ns) / 1e6, "ms; ");
      }
    }
    if (in_time.ok) in_time.message = absl::StrCat("every answer within ", format_duration(config_.search_timeout));
    r.checks.push_back(std::move(in_time));
    r.checks.push_back(CheckResult{"slow-shard-named", partial > 0,
                                   absl::StrCat(partial, " answers named the slow shard missing")});
    metric("searches_partial", static_cast<double>(partial));
  }
  // The PIT pages must visit every document matching the request exactly
  // once: the final documents are the PIT's (nothing is written by then).
  CheckResult pages{"pages-cover-once", false, "the final phase did not page"};
  if (!pit_request_json_.empty() && oracle.ok()) {
    auto request = search::parse_search_request(pit_request_json_, schema_);
    auto expected = request.ok() ? (*oracle)->ids_in_order(*request) : absl::StatusOr<std::vector<std::string>>(request.status());
    if (expected.ok()) pages = check::check_pages_cover_once(pages_, *expected);
  }
  r.checks.push_back(std::move(pages));
  if (config_.page_during_writes) {
    CheckResult during{"pages-cover-once-during-writes", false, "the walk during the writes did not finish"};
    if (pager_done_ && !pager_error_.empty()) during.message = "the walk during the writes failed: " + pager_error_;
    if (pager_done_ && pager_error_.empty()) {
      during = check::check_pages_cover_once(pages_during_, expected_during_);
      during.name = "pages-cover-once-during-writes";
    }
    r.checks.push_back(std::move(during));
  }
  CheckResult served{"every-kind-served", true, ""};
  size_t writes_ok = 0;
  for (const check::Operation& op : writes_.operations()) writes_ok += op.ok() ? 1 : 0;
  if (writes_ok == 0) served = {"every-kind-served", false, "no write was acknowledged"};
  if (answered == final_answered) served = {"every-kind-served", false, "no search was answered during the workload"};
  if (final_answered < final_asked || final_asked == 0 || !final_done_) {
    served = {"every-kind-served", false,
              absl::StrCat("the final phase answered ", final_answered, " of ", final_asked, " searches",
                           final_error_.empty() ? "" : ": " + final_error_)};
  }
  if (served.ok) {
    served.message = absl::StrCat(writes_ok, " document writes acknowledged, ", answered, " searches answered");
  }
  r.checks.push_back(std::move(served));
  metric("searches_answered", static_cast<double>(answered));
  metric("searches_asked", static_cast<double>(searches_.size()));
  metric("document_writes_ok", static_cast<double>(writes_ok));
}

void ShardedRun::judge_liveness(ScenarioResult& r) {
  // After the heal, a write and a search must complete within the bound.
  const int64_t heal_ns = to_ns(heal_at());
  int64_t first_write = INT64_MAX, first_search = INT64_MAX;
  for (const check::Operation& op : writes_.operations()) {
    if (op.ok() && op.invoke_ns >= heal_ns) first_write = std::min(first_write, op.complete_ns);
  }
  for (const SearchRecord& s : searches_) {
    if (s.ok && !s.final && s.invoke_ns >= heal_ns && s.missing.empty()) first_search = std::min(first_search, s.complete_ns);
  }
  const int64_t bound_ns = heal_ns + to_ns(TimePoint(config_.liveness_bound));
  r.liveness.name = "liveness";
  r.liveness.ok = first_write <= bound_ns && first_search <= bound_ns;
  auto after = [heal_ns](int64_t t) {
    return t == INT64_MAX ? std::string("never") : absl::StrCat(static_cast<double>(t - heal_ns) / 1e9, "s");
  };
  r.liveness.message = absl::StrCat("after the faults: a write after ", after(first_write),
                                    ", a complete search after ", after(first_search), " (bound ",
                                    format_duration(config_.liveness_bound), ")");
}

}  // namespace shoal::scenarios
