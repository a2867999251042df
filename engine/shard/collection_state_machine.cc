#include "engine/shard/collection_state_machine.h"

#include <algorithm>
#include <type_traits>
#include <utility>
#include <vector>

#include <boost/json/serialize.hpp>

#include "absl/strings/str_cat.h"
#include "engine/core/assert.h"
#include "engine/core/checksum.h"
#include "engine/core/codec.h"
#include "engine/core/random.h"
#include "engine/search/document.h"
#include "engine/search/merge.h"
#include "engine/search/request.h"

namespace shoal::shard {
namespace {

std::string cut(std::string message) {
  // Messages are cut to the bound so a result always encodes (and decodes)
  // whatever produced the text.
  if (message.size() > kMaxResultMessageBytes) message.resize(kMaxResultMessageBytes);
  return message;
}

CommandResult command_result(CollectionCode code, uint64_t index, std::string message = {}) {
  CommandResult r;
  r.code = code;
  r.index = index;
  r.message = cut(std::move(message));
  return r;
}

// Applies a write the machine already validated. The collection refuses only
// invalid documents (InvalidArgument) or a revision that goes back or lands
// on a pinned one; the latter cannot happen, since a write's revision is its
// log index, above the applied index, which is at least every revision the
// collection holds or pins.
void expect_only_invalid_argument(const absl::Status& status) {
  SHOAL_ASSERT(status.ok() || status.code() == absl::StatusCode::kInvalidArgument);
}

}  // namespace

CollectionStateMachine::CollectionStateMachine(search::Schema schema)
    : collection_(std::make_unique<search::Collection>(std::move(schema))) {}

// ---- Writes -----------------------------------------------------------------

std::string CollectionStateMachine::apply(uint64_t index, std::string_view bytes) {
  absl::StatusOr<CollectionCommand> command = decode_command(bytes);
  if (!command.ok()) {
    // A malformed entry still occupies its index: it is applied as "nothing
    // happened", identically on every replica.
    SHOAL_ASSERT(index > applied_index_);
    applied_index_ = index;
    return encode_result(
        command_result(CollectionCode::kBadRequest, index, std::string(command.status().message())));
  }
  return encode_result(apply_command(index, *command));
}

void CollectionStateMachine::skip(uint64_t index) {
  SHOAL_ASSERT(index > applied_index_);
  applied_index_ = index;
}

CommandResult CollectionStateMachine::apply_command(uint64_t index, const CollectionCommand& command) {
  SHOAL_ASSERT(index > applied_index_);
  applied_index_ = index;
  if (auto st = check_command(command); !st.ok()) {
    return command_result(CollectionCode::kBadRequest, index, std::string(st.message()));
  }
  return std::visit(
      [this, index](const auto& c) -> CommandResult {
        using T = std::decay_t<decltype(c)>;
        if constexpr (std::is_same_v<T, UpsertDocuments>) {
          return apply_upsert(index, c);
        } else if constexpr (std::is_same_v<T, DeleteDocuments>) {
          return apply_delete(index, c);
        } else if constexpr (std::is_same_v<T, OpenPointInTime>) {
          return apply_open(index);
        } else {
          static_assert(std::is_same_v<T, ClosePointInTime>);
          return apply_close(index, c);
        }
      },
      command);
}

CommandResult CollectionStateMachine::apply_upsert(uint64_t index, const UpsertDocuments& upsert) {
  // Every document is validated before any is written, so a bulk with one bad
  // document writes none.
  absl::StatusOr<std::vector<search::Document>> docs =
      search::parse_documents(upsert.documents_json, collection_->schema());
  if (!docs.ok()) return command_result(CollectionCode::kBadRequest, index, std::string(docs.status().message()));
  if (docs->size() > kMaxDocumentsPerCommand) {
    return command_result(CollectionCode::kBadRequest, index,
                          absl::StrCat("upsert of ", docs->size(), " documents exceeds the limit of ",
                                       kMaxDocumentsPerCommand, " per command"));
  }
  std::vector<std::string> ids;
  ids.reserve(docs->size());
  for (const search::Document& d : *docs) ids.push_back(d.id);
  const size_t count = docs->size();
  absl::Status status = collection_->upsert(*std::move(docs), index);
  expect_only_invalid_argument(status);
  if (!status.ok()) return command_result(CollectionCode::kBadRequest, index, std::string(status.message()));
  for (std::string& id : ids) live_revisions_.insert_or_assign(std::move(id), index);
  CommandResult r = command_result(CollectionCode::kOk, index);
  r.revision = index;
  r.upserted = count;
  return r;
}

CommandResult CollectionStateMachine::apply_delete(uint64_t index, const DeleteDocuments& del) {
  absl::StatusOr<size_t> removed = collection_->remove(del.ids, index);
  expect_only_invalid_argument(removed.status());
  if (!removed.ok()) return command_result(CollectionCode::kBadRequest, index, std::string(removed.status().message()));
  for (const std::string& id : del.ids) live_revisions_.erase(id);
  CommandResult r = command_result(CollectionCode::kOk, index);
  r.revision = index;
  r.deleted = *removed;
  return r;
}

CommandResult CollectionStateMachine::apply_open(uint64_t index) {
  absl::StatusOr<uint64_t> pinned = collection_->open_point_in_time();
  if (!pinned.ok()) {
    SHOAL_ASSERT(pinned.status().code() == absl::StatusCode::kResourceExhausted);
    return command_result(CollectionCode::kTooManyPointsInTime, index, std::string(pinned.status().message()));
  }
  CommandResult r = command_result(CollectionCode::kOk, index);
  r.revision = *pinned;
  return r;
}

CommandResult CollectionStateMachine::apply_close(uint64_t index, const ClosePointInTime& close) {
  absl::Status status = collection_->close_point_in_time(close.revision);
  if (!status.ok()) {
    SHOAL_ASSERT(status.code() == absl::StatusCode::kNotFound);
    return command_result(CollectionCode::kNotFound, index, std::string(status.message()));
  }
  CommandResult r = command_result(CollectionCode::kOk, index);
  r.revision = close.revision;
  return r;
}

// ---- Reads ------------------------------------------------------------------

namespace {

QueryResult query_result(CollectionCode code, uint64_t applied_index, std::string message = {}) {
  QueryResult r;
  r.code = code;
  r.applied_index = applied_index;
  r.message = cut(std::move(message));
  return r;
}

uint64_t min_applied_index_of(const CollectionQuery& query) {
  return std::visit([](const auto& q) { return q.min_applied_index; }, query);
}

ShardStats shard_stats(const search::CollectionStats& s) {
  return ShardStats{s.revision,   s.live_documents,      s.live_vectors, s.slots,
                    s.dead_slots, s.open_points_in_time, s.compactions,  s.vector_index_trained};
}

}  // namespace

std::string CollectionStateMachine::query(std::string_view request) const {
  absl::StatusOr<CollectionQuery> q = decode_query(request);
  if (!q.ok()) {
    return encode_query_result(
        query_result(CollectionCode::kBadRequest, applied_index_, std::string(q.status().message())));
  }
  return encode_query_result(read(*q));
}

QueryResult CollectionStateMachine::read(const CollectionQuery& query) const {
  if (auto st = check_query(query); !st.ok()) {
    return query_result(CollectionCode::kBadRequest, applied_index_, std::string(st.message()));
  }
  const uint64_t min_applied = min_applied_index_of(query);
  if (min_applied > applied_index_) {
    return query_result(CollectionCode::kBehind, applied_index_,
                        absl::StrCat("applied index ", applied_index_, " is below the requested ", min_applied));
  }
  return std::visit(
      [this](const auto& q) -> QueryResult {
        using T = std::decay_t<decltype(q)>;
        if constexpr (std::is_same_v<T, SearchQuery>) {
          return read_search(q);
        } else if constexpr (std::is_same_v<T, GetQuery>) {
          return read_get(q);
        } else if constexpr (std::is_same_v<T, StatsQuery>) {
          QueryResult r = query_result(CollectionCode::kOk, applied_index_);
          r.revision = collection_->revision();
          r.answer = StatsAnswer{shard_stats(collection_->stats())};
          return r;
        } else {
          static_assert(std::is_same_v<T, ListIdsQuery>);
          return read_ids(q);
        }
      },
      query);
}

CollectionStateMachine::ReadAt CollectionStateMachine::revision_to_read(
    const std::optional<uint64_t>& requested) const {
  const uint64_t latest = collection_->revision();
  if (!requested) return ReadAt{CollectionCode::kOk, latest, {}};
  if (*requested > applied_index_) {
    return ReadAt{CollectionCode::kBehind, 0,
                  absl::StrCat("revision ", *requested, " is above the applied index ", applied_index_)};
  }
  // No write landed between the collection's revision and the applied index,
  // so a revision in between reads the same state as the collection's own.
  const uint64_t revision = std::min(*requested, latest);
  if (revision < collection_->oldest_readable_revision()) {
    return ReadAt{CollectionCode::kRevisionGone, 0,
                  absl::StrCat("revision ", revision, " is no longer readable (oldest is ",
                               collection_->oldest_readable_revision(), "); no point in time keeps it")};
  }
  return ReadAt{CollectionCode::kOk, revision, {}};
}

QueryResult CollectionStateMachine::read_search(const SearchQuery& q) const {
  ReadAt at = revision_to_read(q.revision);
  if (at.code != CollectionCode::kOk) return query_result(at.code, applied_index_, std::move(at.message));
  absl::StatusOr<search::SearchRequest> request = search::parse_search_request(q.request_json, schema());
  if (!request.ok()) {
    return query_result(CollectionCode::kBadRequest, applied_index_, std::string(request.status().message()));
  }
  absl::StatusOr<search::ShardResult> result = collection_->search(*request, at.revision);
  // The revision is readable (checked above), so a failure is the request's.
  if (!result.ok()) {
    return query_result(CollectionCode::kBadRequest, applied_index_, std::string(result.status().message()));
  }
  QueryResult r = query_result(CollectionCode::kOk, applied_index_);
  r.revision = at.revision;
  r.answer = SearchAnswer{search::encode_shard_result(*request, *result)};
  return r;
}

QueryResult CollectionStateMachine::read_get(const GetQuery& q) const {
  ReadAt at = revision_to_read(q.revision);
  if (at.code != CollectionCode::kOk) return query_result(at.code, applied_index_, std::move(at.message));
  absl::StatusOr<std::optional<search::Document>> doc = collection_->get(q.id, at.revision);
  SHOAL_ASSERT(doc.ok());  // the revision was checked readable above
  if (!doc->has_value()) {
    QueryResult r = query_result(CollectionCode::kNotFound, applied_index_);
    r.revision = at.revision;
    return r;
  }
  QueryResult r = query_result(CollectionCode::kOk, applied_index_);
  r.revision = at.revision;
  r.answer = GetAnswer{boost::json::serialize(search::document_to_json(**doc, schema()))};
  return r;
}

QueryResult CollectionStateMachine::read_ids(const ListIdsQuery& q) const {
  IdsAnswer answer;
  // Ids are never empty, so an empty after_id starts at the first.
  auto it = live_revisions_.upper_bound(q.after_id);
  for (; it != live_revisions_.end() && answer.ids.size() < q.limit; ++it) {
    answer.ids.push_back(LiveId{it->first, it->second});
  }
  answer.more = it != live_revisions_.end();
  QueryResult r = query_result(CollectionCode::kOk, applied_index_);
  r.revision = collection_->revision();
  r.answer = std::move(answer);
  return r;
}

// ---- Snapshots --------------------------------------------------------------
//
// Layout (integers little-endian; "bytes" is a varint length then the bytes):
//
//   u32 magic "SHCO"  u8 version (1)  varint applied_index
//   schema (search::Schema::encode)
//   varint live_count  live_count x (bytes id  varint revision), ids ascending
//   bytes Collection::snapshot()
//   u32 CRC32C of every byte before it
//
// The reader checks the checksum first, then the schema against this
// machine's, then every structural rule, and builds a fresh collection and id
// table, so a damaged snapshot is an error and never a half-restored state.

namespace {

constexpr uint32_t kSnapshotMagic = 0x4f434853;  // "SHCO"
constexpr uint8_t kSnapshotVersion = 1;
constexpr size_t kTrailerBytes = 4;

absl::Status loss(const std::string& what) {
  return absl::DataLossError(absl::StrCat("collection shard snapshot: ", what));
}

absl::Status read_live_ids(Reader& r, absl::btree_map<std::string, uint64_t>* live) {
  const uint64_t count = r.varint();
  // Each entry takes at least two bytes; a count beyond that is a lie.
  if (!r.ok() || count > r.remaining() / 2) return loss("bad live id count");
  for (uint64_t i = 0; i < count; ++i) {
    std::string id = r.bytes();
    const uint64_t revision = r.varint();
    if (!r.ok()) return loss("the live id table is cut short");
    if (!live->empty() && id <= live->rbegin()->first) return loss("live ids are not in ascending order");
    live->emplace_hint(live->end(), std::move(id), revision);
  }
  return absl::OkStatus();
}

}  // namespace

std::string CollectionStateMachine::snapshot() const {
  std::string out;
  Writer w(&out);
  w.u32(kSnapshotMagic);
  w.u8(kSnapshotVersion);
  w.varint(applied_index_);
  schema().encode(w);
  w.varint(live_revisions_.size());
  for (const auto& [id, revision] : live_revisions_) {
    w.bytes(id);
    w.varint(revision);
  }
  w.bytes(collection_->snapshot());
  w.u32(crc32c(out));
  return out;
}

absl::Status CollectionStateMachine::restore(std::string_view bytes) {
  if (bytes.size() < kTrailerBytes) return loss("too short to hold a checksum");
  const std::string_view body = bytes.substr(0, bytes.size() - kTrailerBytes);
  Reader trailer(bytes.substr(body.size()));
  if (trailer.u32() != crc32c(body)) return loss("checksum mismatch");

  Reader r(body);
  const uint32_t magic = r.u32();
  const uint8_t version = r.u8();
  const uint64_t applied_index = r.varint();
  if (!r.ok()) return loss("the header is cut short");
  if (magic != kSnapshotMagic) return loss("bad magic number");
  if (version != kSnapshotVersion) return loss(absl::StrCat("unknown version ", version));
  absl::StatusOr<search::Schema> snapshot_schema = search::Schema::decode(r);
  if (!snapshot_schema.ok()) return loss(absl::StrCat("schema: ", snapshot_schema.status().message()));
  // An intact snapshot of another collection (or of this one under another
  // schema) is not damage but a mistake of whoever handed it over.
  if (!(*snapshot_schema == schema())) {
    return absl::InvalidArgumentError("collection shard snapshot: its schema differs from this shard's");
  }
  return restore_body(r, applied_index);
}

absl::Status CollectionStateMachine::restore_body(Reader& r, uint64_t applied_index) {
  absl::btree_map<std::string, uint64_t> live;
  if (auto st = read_live_ids(r, &live); !st.ok()) return st;
  std::string_view collection_bytes;
  if (!r.bytes_view(&collection_bytes) || !r.finished_ok()) return loss("the collection is cut short or trailed");
  absl::StatusOr<std::unique_ptr<search::Collection>> collection = search::Collection::restore(collection_bytes);
  if (!collection.ok()) return loss(std::string(collection.status().message()));
  if (!((*collection)->schema() == schema())) return loss("the collection's schema differs from the snapshot's");
  // Checked on a candidate machine, so the live one changes only when all holds.
  CollectionStateMachine candidate(schema());
  candidate.applied_index_ = applied_index;
  candidate.collection_ = *std::move(collection);
  candidate.live_revisions_ = std::move(live);
  if (auto st = candidate.check_invariants(); !st.ok()) return loss(std::string(st.message()));
  applied_index_ = candidate.applied_index_;
  collection_ = std::move(candidate.collection_);
  live_revisions_ = std::move(candidate.live_revisions_);
  return absl::OkStatus();
}

// ---- Fingerprint and invariants ---------------------------------------------

uint64_t CollectionStateMachine::fingerprint() const {
  uint64_t h = hash_combine(0, applied_index_);
  h = hash_combine(h, collection_->revision());
  h = hash_combine(h, collection_->oldest_readable_revision());
  h = hash_combine(h, collection_->stats().open_points_in_time);
  h = hash_combine(h, live_revisions_.size());
  std::string buffer;
  for (const auto& [id, revision] : live_revisions_) {
    absl::StatusOr<std::optional<search::Document>> doc = collection_->get(id);
    SHOAL_ASSERT(doc.ok() && doc->has_value());
    buffer.clear();
    Writer w(&buffer);
    search::encode_document(**doc, w);
    h = hash_combine(h, revision);
    h = hash_combine(h, stable_hash(buffer.data(), buffer.size()));
  }
  return h;
}

absl::Status CollectionStateMachine::check_invariants() const {
  if (auto st = collection_->check_invariants(); !st.ok()) return st;
  auto broken = [](auto... parts) {
    return absl::InternalError(absl::StrCat("collection state machine invariant: ", parts...));
  };
  if (collection_->revision() > applied_index_) {
    return broken("collection revision ", collection_->revision(), " is above the applied index ", applied_index_);
  }
  // Checked before any document is materialised: a collection restored from
  // forged bytes may flag vectors without having a vector index, and reading
  // such a document would dereference the missing index.
  if (!schema().vector() && collection_->stats().live_vectors > 0) {
    return broken("documents carry vectors but the schema has no vector field");
  }
  if (live_revisions_.size() != collection_->live_documents()) {
    return broken(live_revisions_.size(), " ids listed but ", collection_->live_documents(), " live documents");
  }
  for (const auto& [id, revision] : live_revisions_) {
    if (revision > collection_->revision()) return broken("\"", id, "\" has revision ", revision, " above the collection's");
    absl::StatusOr<std::optional<search::Document>> doc = collection_->get(id);
    if (!doc.ok() || !doc->has_value()) return broken("listed id \"", id, "\" is not a live document");
  }
  return absl::OkStatus();
}

}  // namespace shoal::shard
