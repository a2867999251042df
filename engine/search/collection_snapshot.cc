// Snapshot, restore and the invariant check of a Collection.
#include <algorithm>

#include "engine/search/str_cat.h"
#include "engine/search/collection.h"

namespace shoal::search {

using search::str_cat;

namespace {
constexpr uint8_t kSnapshotFormat = 1;
constexpr uint64_t kMaxSnapshotPins = 1u << 20;
}  // namespace

std::string Collection::snapshot() const {
  Writer w;
  w.u8(kSnapshotFormat);
  schema_.encode(w);
  w.u64(revision_);
  w.u64(compactions_);
  w.varint(pins_.size());
  for (const auto& [rev, n] : pins_) {
    w.u64(rev);
    w.varint(n);
  }
  w.varint(versions_.size());
  for (const Version& v : versions_) {
    w.bytes(v.id);
    w.u64(v.created);
    w.u64(v.deleted);
    w.boolean(v.has_vector);
    w.boolean(v.dead);
    // A dead version is only a placeholder for its slot; its fields are gone.
    if (!v.dead) {
      for (const search::Value& f : v.fields) f.encode(w);
    }
  }
  w.boolean(index_ != nullptr);
  if (index_) index_->encode(w);
  return w.take();
}

namespace {

absl::Status read_versions(Reader& r, const search::Schema& schema, uint64_t revision, size_t* count,
                           std::vector<std::string>* ids, std::vector<std::vector<search::Value>>* fields,
                           std::vector<std::array<uint64_t, 2>>* lifetimes, std::vector<std::array<bool, 2>>* flags) {
  *count = r.varint();
  // Every slot takes at least 19 bytes; a count beyond that is a lie.
  if (!r.ok() || *count > r.remaining() / 19) return absl::DataLossError("collection snapshot: bad version count");
  for (size_t i = 0; i < *count; ++i) {
    ids->push_back(r.bytes());
    const uint64_t created = r.u64();
    const uint64_t deleted = r.u64();
    const bool has_vector = r.boolean();
    const bool dead = r.boolean();
    if (!r.ok() || created > revision || deleted < created) {
      return absl::DataLossError("collection snapshot: bad version header");
    }
    std::vector<search::Value> values(dead ? 0 : schema.fields().size());
    for (search::Value& v : values) {
      if (!search::Value::decode(r, &v)) return absl::DataLossError("collection snapshot: bad field value");
    }
    fields->push_back(std::move(values));
    lifetimes->push_back({created, deleted});
    flags->push_back({has_vector, dead});
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::unique_ptr<Collection>> Collection::restore(std::string_view bytes) {
  Reader r(bytes);
  if (r.u8() != kSnapshotFormat || !r.ok()) return absl::DataLossError("collection snapshot: unknown format");
  auto schema = search::Schema::decode(r);
  if (!schema.ok()) return schema.status();
  auto c = std::make_unique<Collection>(*schema);
  c->revision_ = r.u64();
  c->compactions_ = r.u64();
  const uint64_t npins = r.varint();
  if (!r.ok() || npins > kMaxSnapshotPins) return absl::DataLossError("collection snapshot: bad pins");
  for (uint64_t i = 0; i < npins; ++i) {
    const uint64_t rev = r.u64();
    const uint64_t n = r.varint();
    if (!r.ok() || n == 0 || n > kMaxOpenPointsInTime || !c->pins_.emplace(rev, static_cast<uint32_t>(n)).second) {
      return absl::DataLossError("collection snapshot: bad pin");
    }
  }
  size_t count = 0;
  std::vector<std::string> ids;
  std::vector<std::vector<search::Value>> fields;
  std::vector<std::array<uint64_t, 2>> lifetimes;
  std::vector<std::array<bool, 2>> flags;
  if (absl::Status s = read_versions(r, *schema, c->revision_, &count, &ids, &fields, &lifetimes, &flags); !s.ok()) {
    return s;
  }
  c->versions_.resize(count);
  for (uint32_t slot = 0; slot < count; ++slot) {
    Version& v = c->versions_[slot];
    v.id = std::move(ids[slot]);
    v.fields = std::move(fields[slot]);
    v.created = lifetimes[slot][0];
    v.deleted = lifetimes[slot][1];
    v.has_vector = flags[slot][0];
    v.dead = flags[slot][1];
    if (v.dead) {
      ++c->dead_;
    } else if (v.deleted == kLive) {
      if (!c->live_.emplace(v.id, slot).second) return absl::DataLossError("collection snapshot: two live versions");
      if (v.has_vector) ++c->live_vectors_;
    } else {
      c->retained_[v.id].push_back(slot);
    }
  }
  const bool has_index = r.boolean();
  if (!r.ok() || has_index != schema->vector().has_value()) return absl::DataLossError("collection snapshot: index");
  if (has_index) {
    const search::VectorSpec& vs = *schema->vector();
    auto index = VectorIndex::decode(r, vs.dimension, vs.metric, vs.index);
    if (!index.ok()) return index.status();
    c->index_ = std::move(*index);
  }
  if (!r.finished_ok()) return absl::DataLossError("collection snapshot: trailing or truncated bytes");
  if (absl::Status s = c->check_invariants(); !s.ok()) {
    return absl::DataLossError(str_cat("collection snapshot: ", search::to_std(s.message())));
  }
  return c;
}

absl::Status Collection::check_invariants() const {
  auto broken = [](auto... parts) { return absl::InternalError(str_cat("collection invariant: ", parts...)); };
  if (index_ && index_->size() != versions_.size()) return broken("index has ", index_->size(), " slots, not ",
                                                                  versions_.size());
  const uint64_t horizon = oldest_readable_revision();
  size_t dead = 0, live = 0, live_vectors = 0, retained = 0;
  for (uint32_t slot = 0; slot < versions_.size(); ++slot) {
    const Version& v = versions_[slot];
    if (v.created > revision_) return broken("slot ", slot, " was created after the collection's revision");
    if (v.deleted != kLive && (v.deleted < v.created || v.deleted > revision_)) return broken("slot ", slot, " lifetime");
    if (v.dead) {
      // Dead means unreadable: deleted at or before every readable revision.
      if (v.deleted == kLive || (v.deleted > horizon && v.created != v.deleted)) return broken("slot ", slot, " died early");
      ++dead;
      continue;
    }
    if (v.fields.size() != schema_.fields().size()) return broken("slot ", slot, " has a wrong field count");
    if (v.deleted == kLive) {
      auto it = live_.find(v.id);
      if (it == live_.end() || it->second != slot) return broken("live slot ", slot, " is not indexed by id");
      ++live;
      live_vectors += v.has_vector;
    } else {
      if (v.deleted <= horizon) return broken("slot ", slot, " is garbage but not dead");
      ++retained;
    }
  }
  size_t retained_listed = 0;
  for (const auto& [id, slots] : retained_) {
    for (uint32_t s : slots) {
      if (s >= versions_.size() || versions_[s].id != id || versions_[s].dead || versions_[s].deleted == kLive) {
        return broken("retained list of \"", id, "\" is stale");
      }
    }
    retained_listed += slots.size();
  }
  if (dead != dead_ || live != live_.size() || live_vectors != live_vectors_ || retained != retained_listed) {
    return broken("counters disagree with the versions");
  }
  for (const auto& [rev, n] : pins_) {
    if (rev > revision_ || n == 0) return broken("pin at ", rev, " is invalid");
  }
  if (index_ && !index_->trained() && live_vectors_ >= schema_.vector()->index.ivf_train_threshold()) {
    return broken("ivf index is untrained past its threshold");
  }
  return absl::OkStatus();
}

}  // namespace shoal::search
