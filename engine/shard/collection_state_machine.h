// CollectionStateMachine: the replicated state of one shard of one collection
// — a search::Collection (multi-version documents, the vector index, points in
// time) driven by a Raft group.
//
// Raft calls apply() with each committed command (collection_command.h's
// encoding) in log order, skip() for every other committed entry, and query()
// for reads it has already made safe (or for a stale read it chose to allow).
// apply() depends on nothing but the state and the command: no clock, no
// randomness, no I/O. Single-threaded, like every engine component.
//
// Revisions are log indexes. A write's revision is the log index of its
// command, so one bulk request (one log entry per shard) shares one revision,
// and revisions never decrease. The collection's revision is the index of its
// last write; skipped entries and failed commands move only the applied index.
// The state at any index between the last write and the applied index is the
// state at the last write, so a read at revision R <= applied_index() reads
// min(R, collection revision).
//
// Commands. A command that fails validation (malformed bytes, a bad document,
// over a bound) changes no document and answers kBadRequest; it still counts
// as applied. Upserts and deletes are idempotent on retry (see
// collection_command.h). OpenPointInTime pins the collection's revision and
// answers it; ClosePointInTime unpins it (kNotFound when not open).
//
// Reads. Every query names min_applied_index; when it exceeds
// applied_index() the answer is kBehind with the applied index. A search or
// get at a revision above applied_index() is kBehind too (this replica has
// not reached it); at a revision no point in time keeps, kRevisionGone.
//
// Snapshots. snapshot() holds the applied index, the schema, the live ids
// with their revisions, and Collection::snapshot(), under a CRC32C. restore()
// accepts only an intact snapshot (DataLoss otherwise) whose schema equals
// this machine's (InvalidArgument otherwise), and changes nothing on error.
//
// Fingerprint. A hash of the applied index, the collection revision, the
// point-in-time horizon, and every live document with the revision that wrote
// it, in id order. It is computed from materialised documents, not from slot
// layout or snapshot bytes, so replicas with equal content but different
// compaction histories agree. It costs O(n log n) in live documents: it is
// called only at convergence checks.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "absl/container/btree_map.h"
#include "absl/status/status.h"
#include "engine/core/codec.h"
#include "engine/raft/state_machine.h"
#include "engine/search/collection.h"
#include "engine/search/schema.h"
#include "engine/shard/collection_command.h"

namespace shoal::shard {

class CollectionStateMachine final : public StateMachine {
 public:
  // The schema the metadata group holds for the collection; it never changes
  // for the life of the shard group.
  explicit CollectionStateMachine(search::Schema schema);

  // REQUIRES: index > applied_index(). PROMISES: applied_index() == index, and
  // an encoded CommandResult; malformed bytes give kBadRequest and change
  // nothing else.
  std::string apply(uint64_t index, std::string_view command) override;
  // REQUIRES: index > applied_index(). PROMISES: applied_index() == index.
  void skip(uint64_t index) override;
  uint64_t applied_index() const override { return applied_index_; }
  // PROMISES: an encoded QueryResult; malformed bytes give kBadRequest.
  std::string query(std::string_view request) const override;
  std::string snapshot() const override;
  // PROMISES: on error (DataLoss, InvalidArgument) the state is as before.
  absl::Status restore(std::string_view bytes) override;
  uint64_t fingerprint() const override;
  // Whether the bytes decode (documents are validated against the schema
  // only by apply(), which answers kBadRequest for a bad bulk).
  bool accepts_command(std::string_view command) const override { return decode_command(command).ok(); }
  bool accepts_query(std::string_view request) const override { return decode_query(request).ok(); }

  // apply() and query() without the encoding, for in-process callers.
  // REQUIRES (apply_command): index > applied_index().
  CommandResult apply_command(uint64_t index, const CollectionCommand& command);
  QueryResult read(const CollectionQuery& query) const;

  const search::Schema& schema() const { return collection_->schema(); }
  // Read-only, for invariant checks and tests.
  const search::Collection& collection() const { return *collection_; }
  size_t live_documents() const { return live_revisions_.size(); }

  // The collection's invariants plus this machine's (the id table matches the
  // live documents; no revision is above the applied index). O(n log n).
  absl::Status check_invariants() const;

 private:
  CommandResult apply_upsert(uint64_t index, const UpsertDocuments& upsert);
  CommandResult apply_delete(uint64_t index, const DeleteDocuments& del);
  CommandResult apply_open(uint64_t index);
  CommandResult apply_close(uint64_t index, const ClosePointInTime& close);

  QueryResult read_search(const SearchQuery& q) const;
  QueryResult read_get(const GetQuery& q) const;
  QueryResult read_ids(const ListIdsQuery& q) const;
  // The revision a read names, resolved: code kOk and the collection
  // revision to read, or the code (kBehind, kRevisionGone) to answer.
  struct ReadAt {
    CollectionCode code = CollectionCode::kOk;
    uint64_t revision = 0;
    std::string message;
  };
  ReadAt revision_to_read(const std::optional<uint64_t>& requested) const;

  // restore() past the header and the schema check.
  absl::Status restore_body(Reader& r, uint64_t applied_index);

  uint64_t applied_index_ = 0;
  std::unique_ptr<search::Collection> collection_;
  // Every live document's id and the revision that wrote its live version:
  // what ListIds pages through and what the fingerprint hashes. The
  // collection does not expose a document's revision, so the machine keeps it.
  absl::btree_map<std::string, uint64_t> live_revisions_;
};

}  // namespace shoal::shard
