// Properties of CollectionStateMachine over random histories of upserts (some
// with an invalid document), deletes, points in time opened and closed,
// malformed entries and skipped indexes:
//  (a) two machines fed the same entries give equal results, fingerprints and
//      answers to every read (searches incl. knn and aggregations, at the
//      latest revision and at every open point in time);
//  (b) a third machine restored from a snapshot taken at a random step and
//      fed the rest agrees with them as well;
//  (c) all of them match a plain model of the live documents: which ids are
//      live, with which content, written at which revision (= log index).
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "engine/search/document.h"
#include "tests/shard/collection_test_util.h"

namespace shoal::shard {
namespace {

using collection_test::all_ids;
using collection_test::DocSpec;
using collection_test::doc_json;
using collection_test::docs_json;
using collection_test::probe_requests;
using collection_test::small_schema;

constexpr int kIdPool = 12;

std::string pool_id(int i) { return "d" + std::to_string(i); }

DocSpec any_doc() {
  DocSpec d{pool_id(*rc::gen::inRange(0, kIdPool))};
  const char* colors[] = {"red", "green", "blue"};
  if (*rc::gen::inRange(0, 5) > 0) d.color = colors[*rc::gen::inRange(0, 3)];
  if (*rc::gen::inRange(0, 5) > 0) d.n = *rc::gen::inRange(-5, 6);
  if (*rc::gen::inRange(0, 5) > 0) d.price = *rc::gen::inRange(0, 40) * 0.25;
  if (*rc::gen::inRange(0, 5) > 0) d.v = *rc::gen::container<std::vector<int>>(4, rc::gen::inRange(-2, 3));
  return d;
}

search::Document parsed(const std::string& json, const search::Schema& schema) {
  auto docs = search::parse_documents(json, schema);
  RC_ASSERT(docs.ok());
  RC_ASSERT(docs->size() == 1u);
  return (*docs)[0];
}

// The live documents as plainly as possible: id -> (content, revision).
struct Model {
  std::map<std::string, std::pair<search::Document, uint64_t>> live;
  std::vector<uint64_t> pins;  // open points in time, in opening order
};

// The machines under test, fed identically; `restored` joins mid-way.
struct Replicas {
  CollectionStateMachine a{small_schema()};
  CollectionStateMachine b{small_schema()};
  std::optional<CollectionStateMachine> restored;

  std::vector<CollectionStateMachine*> all() {
    std::vector<CollectionStateMachine*> out{&a, &b};
    if (restored) out.push_back(&*restored);
    return out;
  }
  void skip(uint64_t index) {
    for (CollectionStateMachine* m : all()) m->skip(index);
  }
  // Applies to every machine; every machine answers the same bytes.
  CommandResult apply(uint64_t index, const std::string& bytes) {
    const std::string first = a.apply(index, bytes);
    for (CollectionStateMachine* m : all()) {
      if (m != &a) RC_ASSERT(m->apply(index, bytes) == first);
    }
    auto r = decode_result(first);
    RC_ASSERT(r.ok());
    RC_ASSERT(r->index == index);
    return *r;
  }
  void join_from_snapshot() {
    restored.emplace(small_schema());
    RC_ASSERT(restored->restore(a.snapshot()).ok());
    RC_ASSERT(restored->fingerprint() == a.fingerprint());
  }
};

void apply_upsert(Replicas& r, Model& model, uint64_t index) {
  std::vector<DocSpec> docs = *rc::gen::container<std::vector<DocSpec>>(
      *rc::gen::inRange<size_t>(1, 6), rc::gen::exec(any_doc));
  const bool invalid = *rc::gen::inRange(0, 8) == 0;
  if (invalid) {
    DocSpec bad{pool_id(0)};
    bad.v = std::vector<int>{1, 2, 3};  // the schema's vectors have 4 dimensions
    docs.insert(docs.begin() + *rc::gen::inRange<size_t>(0, docs.size() + 1), bad);
  }
  CommandResult result = r.apply(index, encode_command(UpsertDocuments{docs_json(docs)}));
  if (invalid) {
    RC_ASSERT(result.code == CollectionCode::kBadRequest);
    return;
  }
  RC_ASSERT(result.code == CollectionCode::kOk);
  RC_ASSERT(result.revision == index);
  RC_ASSERT(result.upserted == docs.size());
  for (const DocSpec& d : docs) model.live.insert_or_assign(d.id, std::pair(parsed(doc_json(d), small_schema()), index));
}

void apply_delete(Replicas& r, Model& model, uint64_t index) {
  std::vector<std::string> ids = *rc::gen::container<std::vector<std::string>>(
      *rc::gen::inRange<size_t>(0, 5), rc::gen::map(rc::gen::inRange(0, kIdPool + 2), pool_id));
  size_t existing = 0;
  for (const std::string& id : ids) existing += model.live.erase(id);
  CommandResult result = r.apply(index, encode_command(DeleteDocuments{ids}));
  RC_ASSERT(result.code == CollectionCode::kOk);
  RC_ASSERT(result.revision == index);
  RC_ASSERT(result.deleted == existing);
}

void apply_point_in_time(Replicas& r, Model& model, uint64_t index) {
  const bool close = !model.pins.empty() && *rc::gen::arbitrary<bool>();
  if (!close) {
    CommandResult result = r.apply(index, encode_command(OpenPointInTime{}));
    RC_ASSERT(result.code == CollectionCode::kOk);
    RC_ASSERT(result.revision == r.a.collection().revision());
    model.pins.push_back(result.revision);
    return;
  }
  const size_t which = *rc::gen::inRange<size_t>(0, model.pins.size());
  CommandResult result = r.apply(index, encode_command(ClosePointInTime{model.pins[which]}));
  RC_ASSERT(result.code == CollectionCode::kOk);
  model.pins.erase(model.pins.begin() + static_cast<std::ptrdiff_t>(which));
}

void apply_malformed(Replicas& r, uint64_t index) {
  const std::string valid = encode_command(DeleteDocuments{{"d1", "d2"}});
  const std::string bytes = valid.substr(0, *rc::gen::inRange<size_t>(0, valid.size()));
  RC_ASSERT(r.apply(index, bytes).code == CollectionCode::kBadRequest);
}

// Every read each machine answers, as bytes, and the model's view checked.
std::vector<std::string> reads(const CollectionStateMachine& m, const Model& model) {
  std::vector<std::string> out;
  std::vector<std::optional<uint64_t>> revisions{std::nullopt};
  for (uint64_t pin : model.pins) revisions.emplace_back(pin);
  for (const std::string& json : probe_requests()) {
    for (const auto& revision : revisions) {
      const std::string answer = m.query(encode_query(SearchQuery{json, revision, 0}));
      auto decoded = decode_query_result(answer);
      RC_ASSERT(decoded.ok());
      RC_ASSERT(decoded->code == CollectionCode::kOk);
      out.push_back(answer);
    }
  }
  for (int i = 0; i < kIdPool; ++i) {
    QueryResult get = m.read(GetQuery{pool_id(i), std::nullopt, 0});
    auto it = model.live.find(pool_id(i));
    if (it == model.live.end()) {
      RC_ASSERT(get.code == CollectionCode::kNotFound);
    } else {
      RC_ASSERT(get.code == CollectionCode::kOk);
      RC_ASSERT(parsed(std::get<GetAnswer>(get.answer).document_json, m.schema()) == it->second.first);
    }
    out.push_back(encode_query_result(get));
  }
  std::vector<LiveId> expected;
  for (const auto& [id, doc] : model.live) expected.push_back(LiveId{id, doc.second});
  RC_ASSERT(all_ids(m) == expected);
  out.push_back(encode_query_result(m.read(StatsQuery{0})));
  return out;
}

RC_GTEST_PROP(CollectionStateMachineProperty, ReplicasAndARestoredOneConverge, ()) {
  Replicas replicas;
  Model model;
  // Long enough histories overwrite documents often enough to compact.
  const int steps = *rc::gen::inRange(1, 150);
  const int join_at = *rc::gen::inRange(0, steps + 1);
  uint64_t index = 0;
  for (int step = 0; step < steps; ++step) {
    if (step == join_at) replicas.join_from_snapshot();
    // Raft indexes jump where entries the machine never sees sit in between.
    index += *rc::gen::inRange<uint64_t>(1, 4);
    switch (*rc::gen::inRange(0, 10)) {
      case 0: replicas.skip(index); break;
      case 1: apply_malformed(replicas, index); break;
      case 2: apply_point_in_time(replicas, model, index); break;
      case 3:
      case 4: apply_delete(replicas, model, index); break;
      default: apply_upsert(replicas, model, index); break;
    }
    // A session read ahead of every replica is answered kBehind.
    for (CollectionStateMachine* m : replicas.all()) {
      QueryResult behind = m->read(StatsQuery{index + 1});
      RC_ASSERT(behind.code == CollectionCode::kBehind);
      RC_ASSERT(behind.applied_index == index);
    }
  }
  if (join_at == steps) replicas.join_from_snapshot();

  RC_TAG(replicas.a.collection().stats().compactions > 0 ? "compacted" : "not compacted");
  const std::vector<std::string> expected = reads(replicas.a, model);
  for (CollectionStateMachine* m : replicas.all()) {
    RC_ASSERT(m->applied_index() == index);
    RC_ASSERT(m->fingerprint() == replicas.a.fingerprint());
    RC_ASSERT(reads(*m, model) == expected);
    RC_ASSERT(m->check_invariants().ok());
  }
}

}  // namespace
}  // namespace shoal::shard
