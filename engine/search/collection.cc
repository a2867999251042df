#include "engine/search/collection.h"

#include <algorithm>

#include "engine/core/assert.h"
#include "engine/search/str_cat.h"

namespace shoal::search {

using search::str_cat;

std::string_view knn_strategy_name(KnnStrategy s) {
  switch (s) {
    case KnnStrategy::kNone: return "none";
    case KnnStrategy::kExactScan: return "exact_scan";
    case KnnStrategy::kIndex: return "index";
    case KnnStrategy::kIndexSelector: return "index_selector";
    case KnnStrategy::kOverfetch: return "overfetch";
  }
  return "unknown";
}

Collection::Collection(search::Schema schema) : schema_(std::move(schema)) {
  if (const auto& v = schema_.vector()) index_ = std::make_unique<VectorIndex>(v->dimension, v->metric, v->index);
}

Collection::~Collection() = default;

uint64_t Collection::oldest_readable_revision() const {
  return pins_.empty() ? revision_ : pins_.begin()->first;
}

CollectionStats Collection::stats() const {
  CollectionStats s;
  s.revision = revision_;
  s.live_documents = live_.size();
  s.live_vectors = live_vectors_;
  s.slots = versions_.size();
  s.dead_slots = dead_;
  for (const auto& [rev, n] : pins_) s.open_points_in_time += n;
  s.compactions = compactions_;
  s.vector_index_trained = index_ && index_->trained();
  return s;
}

absl::Status Collection::check_write_revision(uint64_t revision) const {
  if (revision < revision_) {
    return absl::FailedPreconditionError(str_cat("write at revision ", revision, " is older than the collection's ",
                                                 revision_, "; revisions never go back"));
  }
  // A pinned revision must keep meaning what it meant when it was pinned.
  if (!pins_.empty() && revision <= pins_.rbegin()->first) {
    return absl::FailedPreconditionError(str_cat("revision ", revision,
                                                 " is pinned by a point in time; writes need a newer revision"));
  }
  return absl::OkStatus();
}

absl::Status Collection::check_readable(uint64_t revision) const {
  if (revision > revision_) {
    return absl::OutOfRangeError(str_cat("revision ", revision, " is newer than the collection's ", revision_));
  }
  if (revision < oldest_readable_revision()) {
    return absl::FailedPreconditionError(str_cat("revision ", revision, " is no longer readable (oldest is ",
                                                 oldest_readable_revision(),
                                                 "); open a point in time to keep a revision"));
  }
  return absl::OkStatus();
}

void Collection::retire(uint32_t slot, uint64_t revision) {
  Version& v = versions_[slot];
  SHOAL_ASSERT(v.deleted == kLive && !v.dead);
  v.deleted = revision;
  live_.erase(v.id);
  if (v.has_vector) --live_vectors_;
  // No reader can see a version deleted at or before the oldest readable
  // revision (nor one created and deleted at the same revision).
  if (revision <= oldest_readable_revision() || v.created == v.deleted) {
    v.dead = true;
    v.fields = {};
    ++dead_;
  } else {
    retained_[v.id].push_back(slot);
  }
}

void Collection::append_version(Document doc, uint64_t revision) {
  const uint32_t slot = static_cast<uint32_t>(versions_.size());
  Version v;
  v.id = doc.id;
  v.fields = std::move(doc.fields);
  v.created = revision;
  v.has_vector = !doc.vector.empty();
  if (v.has_vector) ++live_vectors_;
  live_[doc.id] = slot;
  versions_.push_back(std::move(v));
}

absl::Status Collection::upsert(std::vector<Document> docs, uint64_t revision) {
  if (absl::Status s = check_write_revision(revision); !s.ok()) return s;
  if (docs.size() > kMaxDocumentsPerBatch) {
    return absl::InvalidArgumentError(str_cat(docs.size(), " documents exceed the batch limit of ",
                                              kMaxDocumentsPerBatch));
  }
  for (const Document& d : docs) {
    if (absl::Status s = validate_document(d, schema_); !s.ok()) return s;
  }
  revision_ = revision;
  // One append per batch: vectors of documents without one are zeros in
  // their slot, never returned since the slot is not a candidate.
  std::vector<float> vectors;
  const size_t dim = index_ ? index_->dimension() : 0;
  if (index_) vectors.reserve(docs.size() * dim);
  for (Document& d : docs) {
    if (auto it = live_.find(d.id); it != live_.end()) retire(it->second, revision);
    if (index_) {
      if (d.vector.empty()) vectors.resize(vectors.size() + dim, 0.0f);
      else vectors.insert(vectors.end(), d.vector.begin(), d.vector.end());
    }
    append_version(std::move(d), revision);
  }
  if (index_) index_->append(vectors.data(), docs.size());
  maybe_train();
  maybe_compact();
  return absl::OkStatus();
}

absl::Status Collection::upsert_json(std::string_view json, uint64_t revision) {
  auto docs = parse_documents(json, schema_);
  if (!docs.ok()) return docs.status();
  return upsert(std::move(*docs), revision);
}

absl::StatusOr<size_t> Collection::remove(const std::vector<std::string>& ids, uint64_t revision) {
  if (absl::Status s = check_write_revision(revision); !s.ok()) return s;
  revision_ = revision;
  size_t removed = 0;
  for (const std::string& id : ids) {
    auto it = live_.find(id);
    if (it == live_.end()) continue;
    retire(it->second, revision);
    ++removed;
  }
  maybe_compact();
  return removed;
}

Document Collection::materialise(uint32_t slot) const {
  const Version& v = versions_[slot];
  Document d{v.id, v.fields, {}};
  if (v.has_vector) d.vector.assign(index_->vector(slot), index_->vector(slot) + index_->dimension());
  return d;
}

absl::StatusOr<std::optional<Document>> Collection::get(std::string_view id, std::optional<uint64_t> revision) const {
  const uint64_t r = revision.value_or(revision_);
  if (absl::Status s = check_readable(r); !s.ok()) return s;
  const std::string key(id);
  if (auto it = live_.find(key); it != live_.end() && visible(versions_[it->second], r)) {
    return materialise(it->second);
  }
  if (auto it = retained_.find(key); it != retained_.end()) {
    for (uint32_t slot : it->second) {
      if (visible(versions_[slot], r)) return materialise(slot);
    }
  }
  return std::optional<Document>();
}

absl::StatusOr<uint64_t> Collection::open_point_in_time() {
  size_t open = 0;
  for (const auto& [rev, n] : pins_) open += n;
  if (open >= kMaxOpenPointsInTime) {
    return absl::ResourceExhaustedError(str_cat(open, " points in time are open; the limit is ",
                                                kMaxOpenPointsInTime));
  }
  ++pins_[revision_];
  return revision_;
}

absl::Status Collection::close_point_in_time(uint64_t revision) {
  auto it = pins_.find(revision);
  if (it == pins_.end()) return absl::NotFoundError(str_cat("no point in time is open at revision ", revision));
  if (--it->second == 0) pins_.erase(it);
  collect_garbage();
  maybe_compact();
  return absl::OkStatus();
}

void Collection::collect_garbage() {
  const uint64_t horizon = oldest_readable_revision();
  for (auto it = retained_.begin(); it != retained_.end();) {
    std::vector<uint32_t>& slots = it->second;
    std::erase_if(slots, [&](uint32_t slot) {
      Version& v = versions_[slot];
      if (v.deleted > horizon) return false;
      v.dead = true;
      v.fields = {};
      ++dead_;
      return true;
    });
    it = slots.empty() ? retained_.erase(it) : std::next(it);
  }
}

void Collection::maybe_compact() {
  if (dead_ >= kCompactMinDead && static_cast<double>(dead_) >= kCompactDeadFraction * versions_.size()) compact();
}

void Collection::compact() {
  std::vector<uint32_t> keep;
  std::vector<uint32_t> new_slot(versions_.size(), UINT32_MAX);
  std::vector<Version> kept;
  for (uint32_t s = 0; s < versions_.size(); ++s) {
    if (versions_[s].dead) continue;
    new_slot[s] = static_cast<uint32_t>(keep.size());
    keep.push_back(s);
    kept.push_back(std::move(versions_[s]));
  }
  versions_ = std::move(kept);
  for (auto& [id, slot] : live_) slot = new_slot[slot];
  for (auto& [id, slots] : retained_) {
    for (uint32_t& slot : slots) slot = new_slot[slot];
  }
  if (index_) index_->compact(keep);
  dead_ = 0;
  ++compactions_;
}

std::vector<uint32_t> Collection::live_vector_slots() const {
  std::vector<uint32_t> slots;
  slots.reserve(live_vectors_);
  for (const auto& [id, slot] : live_) {
    if (versions_[slot].has_vector) slots.push_back(slot);
  }
  std::sort(slots.begin(), slots.end());
  return slots;
}

void Collection::maybe_train() {
  if (!index_ || index_->trained()) return;
  if (live_vectors_ < schema_.vector()->index.ivf_train_threshold()) return;
  index_->train(live_vector_slots());
}

absl::Status Collection::retrain_vector_index() {
  if (!index_ || schema_.vector()->index.kind != search::VectorIndexKind::kIvf) return absl::OkStatus();
  const uint32_t nlist = schema_.vector()->index.ivf_nlist;
  if (live_vectors_ < nlist) {
    return absl::FailedPreconditionError(str_cat("ivf training needs at least nlist = ", nlist,
                                                 " live vectors; the collection has ", live_vectors_));
  }
  index_->train(live_vector_slots());
  return absl::OkStatus();
}

}  // namespace shoal::search
