// One collection on one shard replica: the documents, their vector index, and
// search over both. This is state a shard's replicated state machine holds;
// it is deterministic and has no clock, threads or I/O.
//
// Revisions. Every write carries a revision chosen by the caller (the state
// machine passes the Raft log index of the command) and revisions never
// decrease; a batch of writes may share one. Writes keep old versions of a
// document while a point in time may still read them (multi-version rows:
// each version records the revision that created it and the one that
// replaced or deleted it). A search reads one revision:
//   * the latest (revision()), always;
//   * an older revision R, when a point in time pins R or something older,
//     i.e. oldest_readable_revision() <= R <= revision().
// open_point_in_time() pins the latest revision; close_point_in_time()
// unpins it. Both change state (what is retained), so the state machine
// applies them as log commands, and replicas stay identical.
//
// Garbage. A version deleted at or before the oldest readable revision can
// never be read again; it is marked dead at once. When dead versions make up
// kCompactDeadFraction of all slots (and at least kCompactMinDead), the
// collection compacts: slots are renumbered and the vector index rebuilt.
// These triggers depend only on the sequence of commands, so replicas compact
// at the same points.
//
// IVF collections search exactly until ivf_train_threshold live vectors exist,
// then train (once, automatically; again on retrain_vector_index()).
//
// Snapshots. snapshot() gives bytes from which restore() rebuilds a
// collection that answers every search exactly as the original did, at every
// readable revision.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/btree_map.h"
#include "absl/status/statusor.h"
#include "engine/search/merge.h"
#include "engine/search/request.h"
#include "engine/search/schema.h"
#include "engine/search/document.h"
#include "engine/search/vector_index.h"

namespace shoal::search {

inline constexpr double kCompactDeadFraction = 0.25;
inline constexpr size_t kCompactMinDead = 64;
inline constexpr size_t kMaxOpenPointsInTime = 1024;

// Which way a knn search was answered (chosen per search from the filter's
// selectivity; see search_knn.cc).
enum class KnnStrategy : uint8_t {
  kNone = 0,       // no knn clause, or no candidate
  kExactScan,      // distances to every candidate (exact; small or selective sets)
  kIndex,          // the index over every slot (all slots are candidates)
  kIndexSelector,  // the index with a FAISS IDSelector over the candidates
  kOverfetch,      // the index without a selector, over-fetched, post-filtered
};
std::string_view knn_strategy_name(KnnStrategy s);

struct CollectionStats {
  uint64_t revision = 0;
  size_t live_documents = 0;
  size_t live_vectors = 0;
  size_t slots = 0;  // versions held, live or retained or dead
  size_t dead_slots = 0;
  size_t open_points_in_time = 0;
  uint64_t compactions = 0;
  bool vector_index_trained = false;
};

// How one search was executed, for tests, explain output and metrics.
struct SearchStats {
  uint64_t matched = 0;          // documents in the matching set
  uint64_t knn_candidates = 0;   // matching documents with a vector
  KnnStrategy knn_strategy = KnnStrategy::kNone;
};

class Collection {
 public:
  explicit Collection(search::Schema schema);
  ~Collection();
  Collection(const Collection&) = delete;
  Collection& operator=(const Collection&) = delete;

  const search::Schema& schema() const { return schema_; }
  uint64_t revision() const { return revision_; }
  uint64_t oldest_readable_revision() const;
  size_t live_documents() const { return live_.size(); }
  CollectionStats stats() const;

  // Inserts or replaces documents (later ones win within a batch). Validates
  // everything first; on error nothing changes. REQUIRES nothing of the
  // caller: a revision below revision() is a FailedPrecondition.
  absl::Status upsert(std::vector<Document> docs, uint64_t revision);
  absl::Status upsert_json(std::string_view json, uint64_t revision);
  // Deletes by id; ids that do not exist are ignored. Returns how many existed.
  absl::StatusOr<size_t> remove(const std::vector<std::string>& ids, uint64_t revision);

  // The document as of a readable revision (default: the latest).
  absl::StatusOr<std::optional<Document>> get(std::string_view id, std::optional<uint64_t> revision = {}) const;

  // Runs a search at a readable revision (default: the latest) and returns
  // this shard's part of the answer, for search::merge_shard_results.
  absl::StatusOr<search::ShardResult> search(const search::SearchRequest& request,
                                            std::optional<uint64_t> revision = {},
                                            SearchStats* stats = nullptr) const;

  // Pins the latest revision for reading; returns it.
  absl::StatusOr<uint64_t> open_point_in_time();
  absl::Status close_point_in_time(uint64_t revision);

  // IVF: trains (again) on the live vectors. Other kinds: no-op.
  absl::Status retrain_vector_index();

  std::string snapshot() const;
  static absl::StatusOr<std::unique_ptr<Collection>> restore(std::string_view bytes);

  // Checks every internal invariant (for tests and the simulator).
  absl::Status check_invariants() const;

 private:
  friend class SearchExecution;
  static constexpr uint64_t kLive = UINT64_MAX;

  struct Version {
    std::string id;
    std::vector<search::Value> fields;
    uint64_t created = 0;
    uint64_t deleted = kLive;
    bool has_vector = false;
    bool dead = false;
  };

  bool visible(const Version& v, uint64_t revision) const {
    return !v.dead && v.created <= revision && revision < v.deleted;
  }
  absl::Status check_readable(uint64_t revision) const;
  absl::Status check_write_revision(uint64_t revision) const;
  void retire(uint32_t slot, uint64_t revision);
  void append_version(Document doc, uint64_t revision);
  void collect_garbage();
  void maybe_compact();
  void compact();
  void maybe_train();
  std::vector<uint32_t> live_vector_slots() const;
  Document materialise(uint32_t slot) const;

  search::Schema schema_;
  uint64_t revision_ = 0;
  std::vector<Version> versions_;                       // by slot
  absl::btree_map<std::string, uint32_t> live_;         // id -> slot of its live version
  absl::btree_map<std::string, std::vector<uint32_t>> retained_;  // id -> old, still readable slots
  std::map<uint64_t, uint32_t> pins_;                   // revision -> open points in time
  size_t dead_ = 0;
  uint64_t compactions_ = 0;
  size_t live_vectors_ = 0;
  std::unique_ptr<VectorIndex> index_;  // null without a dense_vector field
};

}  // namespace shoal::search
