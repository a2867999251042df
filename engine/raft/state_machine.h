// StateMachine: what a Raft group replicates.
//
// Raft hands every committed command to apply() exactly once per replica
// incarnation, in log order, with its log index. apply() must be a pure
// function of the state and the command: no clock, no randomness, no I/O —
// time enters only as a field of a command that went through the log. Two
// replicas that applied the same prefix must hold equal state and return
// equal results; the simulator checks this (fingerprint()).
//
// snapshot() captures the state as of the last applied index; restore()
// replaces the state with a snapshot's bytes. query() serves reads that the
// Raft layer has already made safe (ReadIndex, lease, or a stale "any" read).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace shoal {

class StateMachine {
 public:
  virtual ~StateMachine() = default;

  // Applies one committed command and returns its result bytes (sent to the
  // client that proposed it). A malformed command yields an error result,
  // never a crash, and still counts as applied.
  virtual std::string apply(uint64_t index, std::string_view command) = 0;

  // A read against the current state. Malformed queries yield an error result.
  virtual std::string query(std::string_view request) const = 0;

  // The state as bytes, and back. restore() fails (changing nothing) on
  // malformed bytes.
  virtual std::string snapshot() const = 0;
  virtual absl::Status restore(std::string_view bytes) = 0;

  // A stable hash of the whole state, for convergence checks.
  virtual uint64_t fingerprint() const = 0;
};

}  // namespace shoal
