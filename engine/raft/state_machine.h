// StateMachine: what a Raft group replicates.
//
// Raft hands every committed command to apply() exactly once per replica
// incarnation, in log order, with its log index, and tells the machine of
// every other committed entry (a leader's no-op, a configuration change) with
// skip(). So the machine's applied index is always Raft's applied index: a
// session token or a revision (both Raft indexes) means one thing on every
// replica, whatever kinds of entries came before it. apply() must be a pure
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
  // REQUIRES: index > applied_index(). PROMISES: applied_index() == index.
  virtual std::string apply(uint64_t index, std::string_view command) = 0;

  // The entry at `index` carried nothing for this machine: its state stays
  // as it is, but its applied index moves to `index`.
  // REQUIRES: index > applied_index(). PROMISES: applied_index() == index.
  virtual void skip(uint64_t index) = 0;

  // The index of the last entry applied or skipped (or restored from a
  // snapshot); 0 for a machine that has seen none.
  virtual uint64_t applied_index() const = 0;

  // A read against the current state. Malformed queries yield an error result.
  virtual std::string query(std::string_view request) const = 0;

  // The state as bytes, and back. restore() fails (changing nothing) on
  // malformed bytes.
  virtual std::string snapshot() const = 0;
  virtual absl::Status restore(std::string_view bytes) = 0;

  // A stable hash of the whole state, for convergence checks.
  virtual uint64_t fingerprint() const = 0;

  // Whether these bytes decode as a command / a query of this machine: a
  // server refuses malformed requests before they reach the log, so the log
  // holds only commands apply() understands.
  virtual bool accepts_command(std::string_view command) const { return true; }
  virtual bool accepts_query(std::string_view request) const { return true; }
};

}  // namespace shoal
