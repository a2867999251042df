// Properties of KvStateMachine over random command histories:
//  (a) every result and the final state equal the reference model's;
//  (b) a retried (client, sequence) never changes state and is answered with
//      the original result (or kStaleSequence once the client moved on);
//  (c) snapshot -> restore elsewhere gives the same fingerprint and bytes, and
//      both machines answer every further command and read identically;
//  (d) damaged snapshot bytes are refused and leave the state untouched, and
//      re-sealed damage (a correct checksum over bad contents) never crashes
//      restore nor lets in a state that breaks the invariants.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "engine/core/checksum.h"
#include "engine/core/codec.h"
#include "engine/shard/kv_command.h"
#include "engine/shard/kv_state_machine.h"
#include "tests/shard/kv_test_util.h"

namespace shoal::kv {
namespace {

using kv_test::any_command;
using kv_test::any_key;
using kv_test::SessionPicker;

Result decoded(const std::string& bytes) {
  absl::StatusOr<Result> r = decode_result(bytes);
  RC_ASSERT(r.ok());
  return *std::move(r);
}

Result get(const KvStateMachine& m, const std::string& key, uint64_t min_applied_index = 0) {
  return decoded(m.query(encode_query(Get{key, min_applied_index})));
}

// Raft indexes advance by more than one when entries the machine never sees
// (no-ops, configuration changes) sit between commands.
uint64_t next_index(uint64_t index) { return index + *rc::gen::inRange<uint64_t>(1, 4); }

KvOptions small_options() {
  return KvOptions{.max_sessions = *rc::gen::inRange<size_t>(1, 6),
                   .max_session_bytes = kDefaultMaxSessionBytes};
}

// Applies a random history to `m`; returns the last index used.
uint64_t run_history(KvStateMachine& m, SessionPicker& sessions, uint64_t index, int steps) {
  for (int i = 0; i < steps; ++i) {
    index = next_index(index);
    decoded(m.apply(index, encode_command(any_command(sessions))));
  }
  return index;
}

RC_GTEST_PROP(KvStateMachineProperty, MatchesTheReferenceModel, ()) {
  const KvOptions options = small_options();
  KvStateMachine m(options);
  kv_test::ModelKv model(options.max_sessions);
  SessionPicker sessions(6);
  const int steps = *rc::gen::inRange(1, 150);
  uint64_t index = 0;
  for (int i = 0; i < steps; ++i) {
    index = next_index(index);
    // Now and then an entry of arbitrary bytes: whatever decodes is a command
    // for the model too; the rest must be a kError that changes nothing.
    std::string bytes;
    if (*rc::gen::inRange(0, 10) == 0) {
      bytes = "C" + *rc::gen::arbitrary<std::string>();
    } else {
      bytes = encode_command(any_command(sessions));
    }
    const Result got = decoded(m.apply(index, bytes));
    absl::StatusOr<Command> command = decode_command(bytes);
    if (command.ok()) {
      RC_ASSERT(kv_test::same_outcome(got, model.apply(index, *command)));
    } else {
      model.skip(index);
      RC_ASSERT(got.code == Code::kError);
      RC_ASSERT(got.index == index);
    }
    RC_ASSERT(kv_test::needs_message(got.code) == !got.message.empty());
    RC_ASSERT(m.check_invariants().ok());
    const std::string key = any_key();
    RC_ASSERT(kv_test::same_outcome(get(m, key), model.get(key)));
  }
  RC_ASSERT(m.applied_index() == index);
  RC_ASSERT(m.key_count() == model.data().size());
  for (const auto& [key, value] : model.data()) RC_ASSERT(get(m, key).value == value);
  RC_ASSERT(m.session_count() == model.session_count());
}

RC_GTEST_PROP(KvStateMachineProperty, RetriesNeverChangeStateAndGetTheOriginalResult, ()) {
  // No eviction here (the default table is far larger than three clients), so
  // every retry is recognised; eviction is the model property's business.
  KvStateMachine with_retries;
  KvStateMachine without_retries;
  std::map<std::pair<uint64_t, uint64_t>, Result> first_results;
  std::map<uint64_t, uint64_t> last_sequence;
  std::vector<Command> sent;
  const int steps = *rc::gen::inRange(1, 100);
  uint64_t index = 0;
  for (int i = 0; i < steps; ++i) {
    index = next_index(index);
    if (!sent.empty() && *rc::gen::inRange(0, 3) == 0) {
      const Command retry = *rc::gen::elementOf(sent);
      const KvState before = with_retries.state();
      const Result r = decoded(with_retries.apply(index, encode_command(retry)));
      const Session s = *retry.session;
      if (last_sequence[s.client_id] == s.sequence) {
        RC_ASSERT(r == first_results.at({s.client_id, s.sequence}));
      } else {
        RC_ASSERT(r.code == Code::kStaleSequence);
      }
      RC_ASSERT(with_retries.state().data() == before.data());
      RC_ASSERT(with_retries.state().sessions() == before.sessions());
      continue;
    }
    Command c{std::nullopt, kv_test::any_write()};
    if (*rc::gen::inRange(0, 5) != 0) {
      const uint64_t client = *rc::gen::inRange<uint64_t>(1, 4);
      c.session = Session{client, last_sequence[client] + *rc::gen::inRange<uint64_t>(1, 3)};
      if (last_sequence[client] == 0) c.session->sequence = 1;
      last_sequence[client] = c.session->sequence;
      sent.push_back(c);
    }
    const Result a = decoded(with_retries.apply(index, encode_command(c)));
    const Result b = decoded(without_retries.apply(index, encode_command(c)));
    RC_ASSERT(a == b);
    if (c.session) first_results[{c.session->client_id, c.session->sequence}] = a;
  }
  // One last common entry brings both to the same applied index.
  const Command last{std::nullopt, Put{"last", "entry"}};
  with_retries.apply(index + 1, encode_command(last));
  without_retries.apply(index + 1, encode_command(last));
  RC_ASSERT(with_retries.fingerprint() == without_retries.fingerprint());
  RC_ASSERT(with_retries.snapshot() == without_retries.snapshot());
}

RC_GTEST_PROP(KvStateMachineProperty, SnapshotRestoreContinuesIdentically, ()) {
  const KvOptions options = small_options();
  KvStateMachine original(options);
  SessionPicker sessions(5);
  uint64_t index = run_history(original, sessions, 0, *rc::gen::inRange(0, 80));
  const std::string snapshot = original.snapshot();

  // The copy may hold state of its own first: restore replaces it.
  KvStateMachine copy(options);
  SessionPicker other_sessions(3);
  run_history(copy, other_sessions, 0, *rc::gen::inRange(0, 10));
  RC_ASSERT(copy.restore(snapshot).ok());
  RC_ASSERT(copy.fingerprint() == original.fingerprint());
  RC_ASSERT(copy.snapshot() == snapshot);
  RC_ASSERT(copy.applied_index() == original.applied_index());
  RC_ASSERT(copy.check_invariants().ok());

  const int more = *rc::gen::inRange(0, 60);
  for (int i = 0; i < more; ++i) {
    index = next_index(index);
    const std::string command = encode_command(any_command(sessions));
    RC_ASSERT(original.apply(index, command) == copy.apply(index, command));
    RC_ASSERT(original.fingerprint() == copy.fingerprint());
    const std::string read = encode_query(Get{any_key(), *rc::gen::inRange<uint64_t>(0, index + 2)});
    RC_ASSERT(original.query(read) == copy.query(read));
  }
  RC_ASSERT(original.snapshot() == copy.snapshot());
}

// Damage that a checksum must catch: a cut, extra bytes, one to three
// distinct flipped bits, or bytes that were never a snapshot.
std::string damage(const std::string& good) {
  switch (*rc::gen::inRange(0, 4)) {
    case 0: return good.substr(0, *rc::gen::inRange<size_t>(0, good.size()));
    case 1: return good + *rc::gen::nonEmpty(rc::gen::arbitrary<std::string>());
    case 2: {
      std::string bad = good;
      const auto bits = *rc::gen::container<std::set<size_t>>(
          *rc::gen::inRange<size_t>(1, 4), rc::gen::inRange<size_t>(0, good.size() * 8));
      for (size_t bit : bits) bad[bit / 8] = static_cast<char>(bad[bit / 8] ^ (1 << (bit % 8)));
      return bad;
    }
    default: return *rc::gen::arbitrary<std::string>();
  }
}

RC_GTEST_PROP(KvStateMachineProperty, DamagedSnapshotsAreRefusedAndChangeNothing, ()) {
  const KvOptions options = small_options();
  KvStateMachine source(options);
  SessionPicker sessions(5);
  run_history(source, sessions, 0, *rc::gen::inRange(0, 40));
  const std::string good = source.snapshot();
  const std::string bad = damage(good);
  RC_PRE(bad != good);

  KvStateMachine victim(options);
  SessionPicker victim_sessions(3);
  run_history(victim, victim_sessions, 0, *rc::gen::inRange(0, 20));
  const uint64_t fingerprint = victim.fingerprint();
  const std::string before = victim.snapshot();
  RC_ASSERT(!victim.restore(bad).ok());
  RC_ASSERT(victim.fingerprint() == fingerprint);
  RC_ASSERT(victim.snapshot() == before);
}

RC_GTEST_PROP(KvStateMachineProperty, ResealedDamageNeverLetsInABrokenState, ()) {
  const KvOptions options = small_options();
  KvStateMachine source(options);
  SessionPicker sessions(5);
  run_history(source, sessions, 0, *rc::gen::inRange(1, 40));
  const std::string good = source.snapshot();
  // Damage the body, then give it a correct checksum, so that only the
  // structural checks stand between the bytes and the state.
  std::string body = damage(good.substr(0, good.size() - 4));
  Writer w(&body);
  w.u32(crc32c(std::string_view(body)));

  KvStateMachine victim(options);
  const std::string before = victim.snapshot();
  if (victim.restore(body).ok()) {
    RC_ASSERT(victim.check_invariants().ok());
  } else {
    RC_ASSERT(victim.snapshot() == before);
  }
}

}  // namespace
}  // namespace shoal::kv
