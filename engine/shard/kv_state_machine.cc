#include "engine/shard/kv_state_machine.h"

#include <type_traits>
#include <utility>

#include "absl/strings/str_cat.h"
#include "engine/core/assert.h"

namespace shoal::kv {

Result make_result(Code code, uint64_t index, std::string message) {
  // Messages are cut to the limit so a result always encodes (and decodes)
  // within kMaxMessageBytes, whatever produced the text.
  if (message.size() > kMaxMessageBytes) message.resize(kMaxMessageBytes);
  return Result{code, std::nullopt, index, std::move(message)};
}

KvStateMachine::KvStateMachine(KvOptions options) : options_(options) {
  SHOAL_ASSERT(options_.max_sessions >= 1);
  SHOAL_ASSERT(options_.max_session_bytes >= kMaxSessionCostBytes);
}

std::string KvStateMachine::apply(uint64_t index, std::string_view bytes) {
  absl::StatusOr<Command> command = decode_command(bytes);
  if (!command.ok()) {
    // A malformed entry still occupies its index: it is applied as "nothing
    // happened", identically on every replica.
    SHOAL_ASSERT(index > state_.applied_index());
    state_.set_applied_index(index);
    return encode_result(make_result(Code::kError, index, std::string(command.status().message())));
  }
  return encode_result(apply_command(index, *command));
}

void KvStateMachine::skip(uint64_t index) {
  SHOAL_ASSERT(index > state_.applied_index());
  state_.set_applied_index(index);
}

Result KvStateMachine::apply_command(uint64_t index, const Command& command) {
  SHOAL_ASSERT(index > state_.applied_index());
  state_.set_applied_index(index);
  if (auto st = check_command(command); !st.ok()) {
    return make_result(Code::kError, index, std::string(st.message()));
  }
  if (!command.session) return apply_guarded(index, command);
  return apply_in_session(index, command);
}

Result KvStateMachine::apply_guarded(uint64_t index, const Command& command) {
  if (command.fence) {
    if (auto refused = refuse_by_fence(index, *command.fence)) return *std::move(refused);
  }
  if (is_session_write(command.write)) return apply_session(index, command.write);
  if (is_txn_write(command.write)) return apply_txn(index, command.write);
  if (!is_data_write(command.write)) return apply_lock(index, command.write);
  return apply_write(index, command.write);
}

Result KvStateMachine::apply_in_session(uint64_t index, const Command& command) {
  const Session& session = *command.session;
  if (const SessionEntry* last = state_.session(session.client_id)) {
    // The same sequence again is a retry of a write that already applied; its
    // first answer was lost on the way back. Applying it again would apply it
    // twice, so the remembered answer is the answer, and nothing changes.
    if (session.sequence == last->sequence) return last->result;
    // An older sequence is a late duplicate: the client moved on, so it holds
    // that write's answer already, and the table no longer does.
    if (session.sequence < last->sequence) {
      return make_result(Code::kStaleSequence, index,
                         absl::StrCat("stale sequence: client ", session.client_id, " sent ",
                                      session.sequence, " after ", last->sequence));
    }
  } else if (session.sequence != kFirstSequence) {
    // Without a session a retry cannot be told from a new write, so neither
    // may apply: the client's session was evicted (or it skipped sequence 1).
    return make_result(Code::kSessionExpired, index,
                       absl::StrCat("session expired: client ", session.client_id,
                                    " has no session and sent sequence ", session.sequence));
  }
  Result result = apply_guarded(index, command);
  state_.remember(session.client_id, SessionEntry{session.sequence, result}, options_);
  return result;
}

Result KvStateMachine::apply_write(uint64_t index, const Write& write) {
  const std::string* key = nullptr;
  if (const auto* put = std::get_if<Put>(&write)) key = &put->key;
  if (const auto* del = std::get_if<Delete>(&write)) key = &del->key;
  if (const auto* cas = std::get_if<Cas>(&write)) key = &cas->key;
  if (const auto* append = std::get_if<Append>(&write)) key = &append->key;
  SHOAL_ASSERT(key != nullptr);  // apply_guarded sends only data writes here
  if (auto held = refuse_by_intent(index, *key, std::string())) return *std::move(held);
  return std::visit(
      [this, index](const auto& op) -> Result {
        using T = std::decay_t<decltype(op)>;
        if constexpr (std::is_same_v<T, Put>) {
          state_.put(op.key, op.value);
          changed(index, op.key, false);
          return make_result(Code::kOk, index);
        } else if constexpr (std::is_same_v<T, Delete>) {
          if (!state_.erase(op.key)) return make_result(Code::kNotFound, index);
          changed(index, op.key, true);
          return make_result(Code::kOk, index);
        } else if constexpr (std::is_same_v<T, Cas>) {
          return apply_cas(index, op);
        } else if constexpr (std::is_same_v<T, Append>) {
          return apply_append(index, op);
        } else {
          SHOAL_ASSERT(false);  // apply_guarded sends lock commands to apply_lock
          return make_result(Code::kError, index);
        }
      },
      write);
}

Result KvStateMachine::apply_cas(uint64_t index, const Cas& cas) {
  const std::string* current = state_.find(cas.key);
  const bool matches =
      cas.expected ? current != nullptr && *current == *cas.expected : current == nullptr;
  if (!matches) {
    // The current value goes back so the client can retry its CAS against it
    // without another read.
    Result failed = make_result(Code::kCasFailed, index);
    if (current != nullptr) failed.value = *current;
    return failed;
  }
  state_.put(cas.key, cas.value);
  changed(index, cas.key, false);
  return make_result(Code::kOk, index);
}

Result KvStateMachine::apply_append(uint64_t index, const Append& append) {
  const std::string* current = state_.find(append.key);
  const size_t current_bytes = current == nullptr ? 0 : current->size();
  if (current_bytes + append.suffix.size() > kMaxValueBytes) {
    return make_result(Code::kError, index,
                       absl::StrCat("append would make the value ", current_bytes + append.suffix.size(),
                                    " bytes, more than the limit of ", kMaxValueBytes));
  }
  std::string value = current == nullptr ? std::string() : *current;
  value.append(append.suffix);
  state_.put(append.key, std::move(value));
  changed(index, append.key, false);
  return make_result(Code::kOk, index);
}

void KvStateMachine::changed(uint64_t index, const std::string& key, bool deleted) {
  const std::string* value = state_.find(key);
  SHOAL_ASSERT(deleted == (value == nullptr));
  history_.record(WatchEvent{index, key, deleted, deleted ? std::string() : *value});
}

std::string KvStateMachine::query(std::string_view request) const {
  absl::StatusOr<Query> q = decode_query(request);
  if (!q.ok()) {
    return encode_result(
        make_result(Code::kError, state_.applied_index(), std::string(q.status().message())));
  }
  return encode_result(read(*q));
}

Result KvStateMachine::read(const Query& query) const {
  const uint64_t applied = state_.applied_index();
  if (auto st = check_query(query); !st.ok()) {
    return make_result(Code::kError, applied, std::string(st.message()));
  }
  if (min_applied_index(query) > applied) {
    return make_result(
        Code::kBehind, applied,
        absl::StrCat("applied index ", applied, " is below the requested ", min_applied_index(query)));
  }
  if (const auto* watch = std::get_if<Watch>(&query)) return history_.answer(*watch, applied);
  if (std::holds_alternative<SessionGet>(query) || std::holds_alternative<SessionsByUser>(query) ||
      std::holds_alternative<SessionStatsQuery>(query)) {
    return read_user_sessions(query);
  }
  if (const auto* status = std::get_if<TxnStatusQuery>(&query)) return read_txn_status(*status);
  if (!std::holds_alternative<Get>(query)) return read_locks(query);
  const Get& get = std::get<Get>(query);
  if (const Intent* held = state_.txns().intent(get.key); held != nullptr && held->write) {
    return intent_refusal(applied, get.key, *held);
  }
  const std::string* value = state_.find(get.key);
  if (value == nullptr) return make_result(Code::kNotFound, applied);
  Result found = make_result(Code::kOk, applied);
  found.value = *value;
  return found;
}

std::string KvStateMachine::snapshot() const { return encode_snapshot(state_); }

absl::Status KvStateMachine::restore(std::string_view bytes) {
  absl::StatusOr<KvState> restored = decode_snapshot(bytes, options_);
  if (!restored.ok()) return restored.status();
  state_ = *std::move(restored);
  history_.reset(state_.applied_index());
  return absl::OkStatus();
}

uint64_t KvStateMachine::fingerprint() const { return state_.fingerprint(); }

}  // namespace shoal::kv
