// Disk and File: a node's private storage.
//
// The model is the one real file systems give and crash tests need:
//  * write/append/truncate change the file at once as seen by later reads of
//    this process, but are NOT durable;
//  * sync(done) makes everything written to this file *before the call*
//    durable, and calls done(status) later on the event loop;
//  * after a crash, each file holds its durable content plus any part of its
//    unsynced changes — all, none, or a torn prefix (the simulator picks);
//  * create, rename and remove are atomic and durable when they return.
//    (The real disk fsyncs the directory to make that true.)
// Only synced data is promised to survive a crash. Reads may return corrupted
// bytes when the medium is faulty; callers that care keep checksums.
//
// Paths are relative names inside the node's data directory ("wal/0001.log");
// "/" separates directories, which exist implicitly.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace shoal {

using SyncCallback = std::function<void(absl::Status)>;

class File {
 public:
  virtual ~File() = default;

  virtual uint64_t size() const = 0;
  // REQUIRES: offset <= size(). Fails with ResourceExhausted when the disk is full.
  virtual absl::Status write(uint64_t offset, std::string_view data) = 0;
  virtual absl::Status append(std::string_view data) = 0;
  virtual absl::Status truncate(uint64_t new_size) = 0;
  // Returns up to n bytes from offset (fewer at end of file).
  virtual absl::StatusOr<std::string> read(uint64_t offset, uint64_t n) const = 0;
  // Reads the whole file.
  absl::StatusOr<std::string> read_all() const { return read(0, size()); }

  // Makes every earlier write of this file durable, then calls done.
  virtual void sync(SyncCallback done) = 0;
};

class Disk {
 public:
  virtual ~Disk() = default;

  // Opens a file, creating an empty one when create is true and it is absent.
  // NotFound when absent and create is false.
  virtual absl::StatusOr<std::unique_ptr<File>> open(const std::string& path, bool create) = 0;
  virtual bool exists(const std::string& path) const = 0;
  // Atomically replaces `to` with `from`.
  virtual absl::Status rename(const std::string& from, const std::string& to) = 0;
  virtual absl::Status remove(const std::string& path) = 0;
  // Names of files whose path starts with prefix, sorted.
  virtual std::vector<std::string> list(const std::string& prefix) const = 0;
};

// Writes a small file atomically and durably: write a temporary, sync it,
// rename over the target. done(status) runs when the new content is durable.
void write_file_atomically(Disk& disk, const std::string& path, std::string content,
                           SyncCallback done);

}  // namespace shoal
