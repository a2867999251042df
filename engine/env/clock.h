// Clock: a node's notion of time and its timers.
//
// now() is the node's own time. In the simulator it is virtual time seen
// through the node's offset and drift, so two nodes may disagree and a clock
// may jump; in real mode it is the machine's steady clock. Engine code must
// not assume clocks of different nodes agree.
//
// after(d, fn) runs fn once on the node's event loop when the node's clock has
// advanced by at least d. Callbacks never run inside the call that scheduled
// them. A timer dies with its process: after a crash none of its callbacks run.
// Only the node's own event loop may call these methods.
#pragma once

#include <cstdint>
#include <functional>

#include "engine/core/time.h"

namespace shoal {

using TimerId = uint64_t;
inline constexpr TimerId kNoTimer = 0;

class Clock {
 public:
  virtual ~Clock() = default;

  virtual TimePoint now() const = 0;

  // REQUIRES: d >= 0 and fn is non-empty.
  // PROMISES: a non-zero id, unique for this process's lifetime.
  virtual TimerId after(Duration d, std::function<void()> fn) = 0;

  // Cancels a pending timer. Returns false when it already ran, was cancelled,
  // or never existed; cancelling is always safe.
  virtual bool cancel(TimerId id) = 0;
};

// Owns one timer slot: re-arming cancels the previous one, destruction cancels.
// The usual way engine objects hold their election/heartbeat timers.
class TimerSlot {
 public:
  explicit TimerSlot(Clock& clock) : clock_(clock) {}
  ~TimerSlot() { cancel(); }
  TimerSlot(const TimerSlot&) = delete;
  TimerSlot& operator=(const TimerSlot&) = delete;

  void arm(Duration d, std::function<void()> fn) {
    cancel();
    id_ = clock_.after(d, [this, fn = std::move(fn)] {
      id_ = kNoTimer;
      fn();
    });
  }
  void cancel() {
    if (id_ != kNoTimer) clock_.cancel(id_);
    id_ = kNoTimer;
  }
  bool armed() const { return id_ != kNoTimer; }

 private:
  Clock& clock_;
  TimerId id_ = kNoTimer;
};

}  // namespace shoal
