// SnapshotStore: the latest snapshot of one replica's state machine — the log
// position it covers (index, term), the cluster configuration as of that
// index, and the state machine's bytes — with chunked reading (to send it) and
// chunked assembly (to receive one). DiskSnapshotStore keeps it in files;
// MemorySnapshotStore is its in-memory twin for Raft unit tests.
//
// A snapshot travels as its *image*: a self-describing byte string (header
// with index, term and configuration; the state; a CRC32C of all of it — see
// snapshot_format.h) cut into chunks of the sender's chunk size. The receiver
// learns everything from the chunks and verifies the whole image at the end,
// so a snapshot is never taken in part or damaged.
//
// Protocol for Raft:
//  * Sending: info = latest(); for i in 0..info->chunk_count-1 send
//    read_chunk(i) with (info->meta.index, info->meta.term, i, chunk_count).
//  * Receiving: begin_install(index, term, chunk_count) on chunk 0 (it drops
//    any unfinished install); install_chunk(i, data) for each chunk in order —
//    a repeat of an earlier chunk is accepted and ignored, a chunk from the
//    future is refused with OutOfRange and next_install_chunk() says which one
//    to ask for; finish_install(done) after the last. done(OK) means the new
//    snapshot is durable and is latest(); then load() it into the state
//    machine and LogStorage::compact(index, term).
//  * Saving a local snapshot: save(meta, state, done); latest() changes when
//    done(OK) runs.
// A snapshot never replaces a newer one: saving or installing at an index at
// or below latest()'s fails with FailedPrecondition, also when a newer one
// landed while the older was being written.
//
// Completions follow LogStorage's rules: a call that returns OK calls done
// exactly once, later on the loop; a call that returns an error changed
// nothing and never calls done. Finding a stored snapshot damaged (load,
// read_chunk) fails the store for good: status() returns DataLoss naming the
// file and offset, and the node must not serve from it.
// Only the owning event loop may call these methods.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "engine/storage/log_storage.h"

namespace shoal {

// The chunk size a store cuts its snapshots into for sending.
inline constexpr uint64_t kDefaultSnapshotChunkBytes = 1u << 20;
// No chunk is larger, so one always fits in a message with room to spare.
inline constexpr uint64_t kMaxSnapshotChunkBytes = 8u << 20;
// The largest image a store accepts, and the most chunks it may arrive in.
inline constexpr uint64_t kMaxSnapshotBytes = uint64_t{4} << 30;
inline constexpr uint64_t kMaxSnapshotChunks = uint64_t{1} << 22;
// The largest configuration a snapshot carries.
inline constexpr uint64_t kMaxSnapshotConfigBytes = 1u << 20;

struct SnapshotMeta {
  uint64_t index = 0;  // the last log entry the snapshot covers
  uint64_t term = 0;   // that entry's term
  std::string config;  // the cluster configuration as of `index` (opaque bytes)

  friend bool operator==(const SnapshotMeta&, const SnapshotMeta&) = default;
};

// What a sender needs to know about the latest snapshot.
struct SnapshotInfo {
  SnapshotMeta meta;
  uint64_t image_bytes = 0;
  uint64_t chunk_count = 0;
};

struct Snapshot {
  SnapshotMeta meta;
  std::string state;
};

class SnapshotStore {
 public:
  virtual ~SnapshotStore() = default;

  // OK, or the DataLoss/failure that stops the store.
  virtual absl::Status status() const = 0;
  // The latest complete, durable snapshot; nullopt when there is none.
  virtual const std::optional<SnapshotInfo>& latest() const = 0;
  // The latest snapshot, whole and verified. NotFound when there is none.
  virtual absl::StatusOr<Snapshot> load() = 0;
  // Chunk `chunk` of the latest snapshot's image.
  // REQUIRES: latest() and chunk < latest()->chunk_count (else OutOfRange).
  virtual absl::StatusOr<std::string> read_chunk(uint64_t chunk) = 0;

  // Writes a snapshot of the local state machine.
  // REQUIRES: meta.index > latest()'s index; one save at a time (else
  // Unavailable); meta.config within kMaxSnapshotConfigBytes; the image
  // within kMaxSnapshotBytes.
  virtual absl::Status save(SnapshotMeta meta, std::string state, StorageCallback done) = 0;

  // Starts receiving a snapshot, dropping any unfinished install.
  // REQUIRES: index > latest()'s index (else FailedPrecondition: stale);
  // 1 <= chunk_count <= kMaxSnapshotChunks.
  virtual absl::Status begin_install(uint64_t index, uint64_t term, uint64_t chunk_count) = 0;
  // REQUIRES: an install is open; chunk <= next_install_chunk(); every chunk
  // but the last has the size of chunk 0 and the last is no larger;
  // 0 < data.size() <= kMaxSnapshotChunkBytes. A write error (a full disk)
  // returns the error and drops the install; the store itself stays usable.
  virtual absl::Status install_chunk(uint64_t chunk, std::string_view data) = 0;
  // The chunk an open install expects next (0 when none is open).
  virtual uint64_t next_install_chunk() const = 0;
  virtual bool installing() const = 0;
  // Verifies the assembled image (checksum, and index and term as begun),
  // makes it durable and the latest, then calls done. An image that fails
  // verification returns DataLoss at once (done is not called) and drops the
  // install. REQUIRES: every chunk received.
  virtual absl::Status finish_install(StorageCallback done) = 0;
  virtual void abort_install() = 0;
};

}  // namespace shoal
