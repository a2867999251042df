#include "engine/core/assert.h"
#include "engine/rpc/responder_state.h"
#include "engine/rpc/rpc.h"

namespace shoal {

Responder::State::~State() {
  if (answered) return;
  Rpc* rpc = this->rpc();
  if (rpc == nullptr) return;
  rpc->stats_.dropped_responders++;
  // Deferred rather than sent now: this destructor may run while the process
  // is being torn down (a crash destroys the handler's objects before the
  // Rpc), and a dying process sends nothing. The Rpc's destructor cancels
  // the timer in that case; otherwise the caller hears kUnavailable at once.
  rpc->defer([rpc, to = to, call_id = call_id] {
    rpc->answer(to, call_id, make_error(ErrorCode::kUnavailable, "dropped by the server"), "");
  });
}

void Responder::reply(std::string payload) {
  Rpc* rpc = state_->rpc();
  if (state_->answered) {
    if (rpc) rpc->stats_.double_answers++;
    return;
  }
  state_->answered = true;
  if (rpc) rpc->answer(state_->to, state_->call_id, Error{}, std::move(payload));
}

void Responder::fail(Error error) {
  SHOAL_ASSERT(!error.ok());
  Rpc* rpc = state_->rpc();
  if (state_->answered) {
    if (rpc) rpc->stats_.double_answers++;
    return;
  }
  state_->answered = true;
  if (rpc) rpc->answer(state_->to, state_->call_id, std::move(error), "");
}

bool Responder::answered() const { return state_->answered; }

TimePoint Responder::deadline() const { return state_->deadline; }

bool Responder::expired() const {
  Rpc* rpc = state_->rpc();
  return rpc == nullptr || rpc->env_.now() >= state_->deadline;
}

}  // namespace shoal
