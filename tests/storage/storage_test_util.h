// Helpers shared by the storage tests: simulated processes that own a log or a
// snapshot store, entry builders, and a recorder of completions.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "engine/storage/disk_log.h"
#include "engine/storage/disk_snapshot_store.h"
#include "engine/storage/memory_log.h"
#include "engine/storage/memory_snapshot_store.h"
#include "sim/simulation.h"

namespace shoal::storage_test {

// The directory every test node keeps its replica state in.
inline const std::string kDir = "raft/g1/";

inline LogEntry entry(uint64_t index, uint64_t term, std::string data = "") {
  if (data.empty()) data = absl::StrCat("entry ", index, " of term ", term);
  return LogEntry{index, term, std::move(data)};
}

// Entries first..last (inclusive), all of one term.
inline std::vector<LogEntry> entries(uint64_t first, uint64_t last, uint64_t term,
                                     size_t data_bytes = 0) {
  std::vector<LogEntry> out;
  for (uint64_t i = first; i <= last; ++i) {
    std::string data = absl::StrCat("entry ", i, " of term ", term, " ");
    if (data.size() < data_bytes) data.resize(data_bytes, static_cast<char>('a' + i % 26));
    out.push_back(LogEntry{i, term, std::move(data)});
  }
  return out;
}

// Every entry a log holds, first to last.
inline std::vector<LogEntry> all_entries(const LogStorage& log) {
  return *log.entries(log.first_index(), log.last_index() + 1, UINT64_MAX);
}

// Records completions in the order they run.
struct Completions {
  std::vector<std::pair<int, absl::Status>> fired;

  StorageCallback make(int id) {
    return [this, id](absl::Status st) { fired.emplace_back(id, std::move(st)); };
  }
  bool fired_ok(int id) const {
    for (const auto& [i, st] : fired) {
      if (i == id) return st.ok();
    }
    return false;
  }
  std::vector<int> order() const {
    std::vector<int> out;
    for (const auto& f : fired) out.push_back(f.first);
    return out;
  }
};

// A simulated node that opens a DiskLog and a DiskSnapshotStore when it
// starts, as a restarted replica would.
class DiskNode final : public sim::Process {
 public:
  DiskNode(Env& env, DiskLogOptions log_options, DiskSnapshotOptions snapshot_options = {})
      : env_(env) {
    auto log = DiskLog::open_dir(env, kDir, log_options, &log_report);
    if (log.ok()) {
      this->log = std::move(*log);
    } else {
      log_status = log.status();
    }
    auto snaps = DiskSnapshotStore::open_dir(env, kDir, snapshot_options, &snapshot_report);
    if (snaps.ok()) {
      this->snapshots = std::move(*snaps);
    } else {
      snapshot_status = snaps.status();
    }
  }
  Env& env() { return env_; }

  std::unique_ptr<DiskLog> log;
  RecoveryReport log_report;
  absl::Status log_status;
  std::unique_ptr<DiskSnapshotStore> snapshots;
  RecoveryReport snapshot_report;
  absl::Status snapshot_status;

 private:
  Env& env_;
};

// A simulated node running the in-memory twins on its clock.
class MemoryNode final : public sim::Process {
 public:
  explicit MemoryNode(Env& env, uint64_t chunk_bytes = kDefaultSnapshotChunkBytes)
      : log(env.clock()), snapshots(env.clock(), chunk_bytes) {}
  MemoryLog log;
  MemorySnapshotStore snapshots;
};

inline sim::ProcessFactory disk_node(DiskLogOptions log_options = {},
                                     DiskSnapshotOptions snapshot_options = {}) {
  return [log_options, snapshot_options](Env& env) -> std::unique_ptr<sim::Process> {
    return std::make_unique<DiskNode>(env, log_options, snapshot_options);
  };
}

// Crashes and restarts a node; its files keep their durable content plus
// whatever the simulator decides about unsynced writes.
inline void crash_and_restart(sim::Simulation& sim, NodeId node) {
  sim.crash(node);
  sim.restart(node);
}

// Direct access to a file's bytes at rest, for planting damage while a node
// is down. REQUIRES: the node is crashed (no unsynced writes pending).
inline std::string& stored_bytes(sim::Simulation& sim, NodeId node, const std::string& path) {
  sim::SimFileState& f = *sim.disk_state(node).files.at(path);
  return f.durable;
}
inline void set_stored_bytes(sim::Simulation& sim, NodeId node, const std::string& path,
                             std::string bytes) {
  sim::SimFileState& f = *sim.disk_state(node).files.at(path);
  f.durable = bytes;
  f.data = std::move(bytes);
}

}  // namespace shoal::storage_test
