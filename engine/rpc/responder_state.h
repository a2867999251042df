// Internal to engine/rpc: the state all copies of one Responder share.
#pragma once

#include <memory>

#include "engine/rpc/rpc.h"

namespace shoal {

struct Responder::State {
  State(std::shared_ptr<Rpc*> owner, NodeId to, uint64_t call_id, TimePoint deadline)
      : owner(std::move(owner)), to(to), call_id(call_id), deadline(deadline) {}
  // Answers kUnavailable for a handler that dropped its request.
  ~State();
  State(const State&) = delete;
  State& operator=(const State&) = delete;

  // The Rpc to answer through, or nullptr once it is destroyed.
  Rpc* rpc() const { return *owner; }

  std::shared_ptr<Rpc*> owner;
  NodeId to;
  uint64_t call_id;
  TimePoint deadline;
  bool answered = false;
};

}  // namespace shoal
