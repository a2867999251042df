// The simulated disk of one node.
//
// A node's files outlive its process incarnations: crash() decides, file by
// file, what became of the writes that were never synced (kept, lost, or torn
// at a random point, possibly with garbage in the torn part). Reads see every
// write of the current incarnation at once. Faults — full disk, bit flips at
// rest, bit flips on read, slow syncs — are set through FaultControls.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "engine/core/random.h"
#include "engine/env/disk.h"
#include "sim/config.h"

namespace shoal::sim {

// One file's content and the writes not yet durable.
struct SimFileState {
  struct Op {
    bool truncate = false;
    uint64_t offset = 0;  // write offset, or the new size of a truncate
    std::string bytes;
  };
  std::string data;     // what reads see now
  std::string durable;  // what survives a crash
  std::vector<Op> pending;  // unsynced ops, oldest first: durable + pending = data
  uint64_t ops_made_durable = 0;  // ops ever moved from pending to durable
  uint64_t ops_total = 0;         // ops ever recorded

  // Applies the first n pending ops to durable and forgets them.
  void make_durable(size_t n);
};

class SimDiskState {
 public:
  DiskConfig config;
  bool full = false;
  double sync_slowdown = 1;
  TimePoint last_sync_done{};

  std::map<std::string, std::shared_ptr<SimFileState>> files;

  uint64_t used_bytes() const;
  // Decides the fate of every file's unsynced writes after a crash.
  void crash(Rng& rng) { crash(rng, config.crash); }
  // The same with these fates instead of the configured ones.
  void crash(Rng& rng, const CrashDiskConfig& fates);
};

// Applies one op to a byte string.
void apply_op(std::string& content, const SimFileState::Op& op);

}  // namespace shoal::sim
