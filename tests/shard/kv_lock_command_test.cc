// The byte forms of the lock commands, fenced writes, lock queries and
// results that list locks: every kind round-trips, and the decoders refuse
// what breaks the limits (empty or oversize names, ttl 0 or over the maximum,
// token 0, an expiry whose lease index is below its token, a listing longer
// than kMaxLocksListed), a fence on a lock command, and truncated, trailing
// or non-canonical bytes.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "engine/core/codec.h"
#include "engine/shard/kv_command.h"
#include "tests/shard/kv_lock_test_util.h"
#include "tests/shard/kv_test_util.h"

namespace shoal::kv {
namespace {

using lock_test::acquire;
using lock_test::extend;
using lock_test::fenced;
using lock_test::fenced_in_session;
using lock_test::force_release;
using lock_test::in_session;
using lock_test::lock_info;
using lock_test::plain;
using lock_test::release;
using lock_test::with_locks;

// ---- Encoding -------------------------------------------------------------------

std::vector<Command> sample_lock_commands() {
  const std::string longest_resource(kMaxResourceBytes, 'r');
  return {
      plain(LockAcquire{"r", "h", 1}),
      in_session(7, 3, LockAcquire{longest_resource, std::string(kMaxHolderBytes, 'h'), kMaxLockTtlMs}),
      plain(LockRelease{"r", 1}),
      in_session(UINT64_MAX, UINT64_MAX, LockRelease{longest_resource, UINT64_MAX}),
      plain(LockExtend{"r", 5, 1}),
      in_session(2, 1, LockExtend{"r", UINT64_MAX, kMaxLockTtlMs}),
      plain(LockForceRelease{"r"}),
      in_session(2, 2, LockForceRelease{longest_resource}),
      plain(LockExpire{"r", 5, 5, 0}),
      plain(LockExpire{"r", 1, UINT64_MAX, UINT64_MAX}),
      in_session(4, 9, LockExpire{std::string("\0r", 2), 3, 8, 12345}),
  };
}

std::vector<Command> sample_fenced_commands() {
  return {
      fenced("r", 1, Put{"k", "v"}),
      fenced(std::string(kMaxResourceBytes, 'r'), UINT64_MAX, Delete{"k"}),
      fenced_in_session(3, 1, "r", 17, Cas{"k", std::nullopt, "v"}),
      fenced_in_session(3, 2, "r", 17, Cas{"k", std::string("old"), ""}),
      fenced_in_session(UINT64_MAX, UINT64_MAX, "r", 2, Append{"log", "t2:c1-1;"}),
  };
}

std::vector<Result> sample_lock_results() {
  std::vector<LockInfo> many;
  for (size_t i = 0; i < kMaxLocksListed; ++i) many.push_back(lock_info(absl::StrCat("r", i), "h", i + 1, 10, i + 1));
  return {
      with_locks(Code::kOk, 5, "", {lock_info("r", "alice", 5, 1000, 5)}),
      with_locks(Code::kLocked, 9, "held by alice", {lock_info("r", "alice", 5, 1000, 7)}),
      with_locks(Code::kNotHolder, 9, "token 4 does not hold the lock: it is free", {}),
      with_locks(Code::kFenced, UINT64_MAX, std::string(kMaxMessageBytes, 'm'), {}),
      with_locks(Code::kOk, 12, "", {lock_info("a", "x", 1, 1, 1), lock_info("b", "y", UINT64_MAX, 2, UINT64_MAX)}),
      with_locks(Code::kOk, 13, "", many),
  };
}

TEST(KvLockCodecTest, EveryLockWriteRoundTrips) {
  for (const Command& c : sample_lock_commands()) {
    ASSERT_TRUE(check_command(c).ok()) << describe(c);
    absl::StatusOr<Command> back = decode_command(encode_command(c));
    ASSERT_TRUE(back.ok()) << describe(c) << ": " << back.status();
    EXPECT_EQ(*back, c) << describe(c);
    EXPECT_FALSE(is_data_write(c.write)) << describe(c);
  }
}

TEST(KvLockCodecTest, EveryFencedDataWriteRoundTrips) {
  for (const Command& c : sample_fenced_commands()) {
    const std::string bytes = encode_command(c);
    EXPECT_EQ(bytes[0], 'F') << "a fenced command has its own leading byte";
    absl::StatusOr<Command> back = decode_command(bytes);
    ASSERT_TRUE(back.ok()) << describe(c) << ": " << back.status();
    EXPECT_EQ(*back, c) << describe(c);
    EXPECT_TRUE(is_data_write(c.write)) << describe(c);
    // The same write without its fence is another command with other bytes.
    Command unfenced = c;
    unfenced.fence.reset();
    EXPECT_NE(encode_command(unfenced), bytes);
    EXPECT_EQ(encode_command(unfenced)[0], 'C');
  }
}

TEST(KvLockCodecTest, LockQueriesRoundTripAndDifferFromGet) {
  const std::vector<Query> queries = {
      LockStatus{"r", 0},
      LockStatus{std::string(kMaxResourceBytes, 'r'), UINT64_MAX},
      ActiveLocks{"", 0},
      ActiveLocks{"r", 7},
      ActiveLocks{std::string(kMaxResourceBytes, 'r'), UINT64_MAX},
  };
  for (const Query& q : queries) {
    absl::StatusOr<Query> back = decode_query(encode_query(q));
    ASSERT_TRUE(back.ok()) << back.status();
    EXPECT_EQ(*back, q);
  }
  EXPECT_EQ(min_applied_index(Query{LockStatus{"r", 4}}), 4u);
  EXPECT_EQ(min_applied_index(Query{ActiveLocks{"", 9}}), 9u);
  // One name under each kind of query: three different byte strings.
  const std::string get = encode_query(Get{"k", 1});
  const std::string status = encode_query(LockStatus{"k", 1});
  const std::string active = encode_query(ActiveLocks{"k", 1});
  EXPECT_NE(get, status);
  EXPECT_NE(get, active);
  EXPECT_NE(status, active);
}

TEST(KvLockCodecTest, ResultsListingLocksRoundTrip) {
  for (const Result& r : sample_lock_results()) {
    absl::StatusOr<Result> back = decode_result(encode_result(r));
    ASSERT_TRUE(back.ok()) << describe(r) << ": " << back.status();
    EXPECT_EQ(*back, r) << describe(r);
  }
}

TEST(KvLockCodecTest, DecodeRejectsLockWritesOverTheLimits) {
  const std::string too_long_resource(kMaxResourceBytes + 1, 'r');
  const std::vector<Command> bad = {
      plain(LockAcquire{"", "h", 1}),
      plain(LockAcquire{too_long_resource, "h", 1}),
      plain(LockAcquire{"r", "", 1}),
      plain(LockAcquire{"r", std::string(kMaxHolderBytes + 1, 'h'), 1}),
      plain(LockAcquire{"r", "h", 0}),
      plain(LockAcquire{"r", "h", kMaxLockTtlMs + 1}),
      plain(LockRelease{"", 1}),
      plain(LockRelease{too_long_resource, 1}),
      plain(LockRelease{"r", 0}),
      plain(LockExtend{"", 1, 1}),
      plain(LockExtend{"r", 0, 1}),
      plain(LockExtend{"r", 1, 0}),
      plain(LockExtend{"r", 1, kMaxLockTtlMs + 1}),
      plain(LockForceRelease{""}),
      plain(LockForceRelease{too_long_resource}),
      plain(LockExpire{"", 1, 1, 0}),
      plain(LockExpire{"r", 0, 0, 0}),
      plain(LockExpire{"r", 0, 5, 0}),
      plain(LockExpire{"r", 5, 4, 0}),
      in_session(kNoClient, 1, LockAcquire{"r", "h", 1}),
      in_session(1, 0, LockRelease{"r", 1}),
  };
  for (const Command& c : bad) {
    EXPECT_FALSE(check_command(c).ok()) << describe(c);
    EXPECT_FALSE(decode_command(encode_command(c)).ok()) << describe(c);
  }
}

TEST(KvLockCodecTest, DecodeRejectsAFenceOnALockCommandOrABadFence) {
  std::vector<Command> bad;
  for (Command c : sample_lock_commands()) {
    c.fence = Fence{"r", 1};
    bad.push_back(c);
  }
  bad.push_back(fenced("", 1, Put{"k", "v"}));
  bad.push_back(fenced(std::string(kMaxResourceBytes + 1, 'r'), 1, Put{"k", "v"}));
  bad.push_back(fenced("r", 0, Put{"k", "v"}));
  bad.push_back(fenced("r", 1, Put{"", "v"}));  // a good fence does not excuse a bad write
  for (const Command& c : bad) {
    EXPECT_FALSE(check_command(c).ok()) << describe(c);
    EXPECT_FALSE(decode_command(encode_command(c)).ok()) << describe(c);
  }
}

TEST(KvLockCodecTest, DecodeRejectsBadLockQueriesAndOverlongListings) {
  EXPECT_FALSE(decode_query(encode_query(LockStatus{"", 0})).ok());
  EXPECT_FALSE(decode_query(encode_query(LockStatus{std::string(kMaxResourceBytes + 1, 'r'), 0})).ok());
  EXPECT_FALSE(decode_query(encode_query(ActiveLocks{std::string(kMaxResourceBytes + 1, 'r'), 0})).ok());
  EXPECT_FALSE(check_query(LockStatus{"", 0}).ok());

  std::string unknown_kind = encode_query(LockStatus{"r", 0});
  unknown_kind[1] = 4;  // after the tag, the query kind: get, status, active are 1..3
  EXPECT_FALSE(decode_query(unknown_kind).ok());

  std::vector<LockInfo> too_many;
  for (size_t i = 0; i <= kMaxLocksListed; ++i) too_many.push_back(lock_info(absl::StrCat("r", i), "h", 1, 1, 1));
  const absl::StatusOr<Result> listing = decode_result(encode_result(with_locks(Code::kOk, 1, "", too_many)));
  EXPECT_FALSE(listing.ok());
  too_many.pop_back();
  EXPECT_TRUE(decode_result(encode_result(with_locks(Code::kOk, 1, "", too_many))).ok())
      << "exactly kMaxLocksListed is within the limit";
}

TEST(KvLockCodecTest, DecodeRejectsTrailingAndTruncatedBytes) {
  std::vector<std::string> encodings;
  for (const Command& c : sample_lock_commands()) encodings.push_back(encode_command(c));
  for (const Command& c : sample_fenced_commands()) encodings.push_back(encode_command(c));
  for (const std::string& bytes : encodings) {
    EXPECT_FALSE(decode_command(bytes + "x").ok());
    EXPECT_FALSE(decode_command(bytes + std::string(1, '\0')).ok());
    for (size_t n = 0; n < bytes.size(); ++n) {
      EXPECT_FALSE(decode_command(bytes.substr(0, n)).ok()) << "cut to " << n;
    }
  }
  for (const Query& q : {Query{LockStatus{"r", 3}}, Query{ActiveLocks{"", 3}}}) {
    const std::string bytes = encode_query(q);
    EXPECT_FALSE(decode_query(bytes + "x").ok());
    for (size_t n = 0; n < bytes.size(); ++n) EXPECT_FALSE(decode_query(bytes.substr(0, n)).ok());
  }
  const std::string result = encode_result(sample_lock_results()[1]);
  EXPECT_FALSE(decode_result(result + "x").ok());
  for (size_t n = 0; n < result.size(); ++n) EXPECT_FALSE(decode_result(result.substr(0, n)).ok());
}

// A varint written in two bytes where one would do (0x80 | v, 0x00).
void overlong_varint(Writer& w, uint8_t v) {
  w.u8(static_cast<uint8_t>(0x80 | v));
  w.u8(0x00);
}

TEST(KvLockCodecTest, DecodeRejectsNonCanonicalLockEncodings) {
  {
    Writer w;  // acquire("r", "h", ttl 1 written long)
    w.u8('C');
    w.boolean(false);
    w.u8(5);
    w.bytes("r");
    w.bytes("h");
    overlong_varint(w, 1);
    EXPECT_FALSE(decode_command(w.take()).ok());
    EXPECT_TRUE(decode_command(encode_command(acquire("r", "h", 1))).ok());
  }
  {
    Writer w;  // delete("k") fenced by ("r", token 5 written long)
    w.u8('F');
    w.bytes("r");
    overlong_varint(w, 5);
    w.boolean(false);
    w.u8(2);
    w.bytes("k");
    EXPECT_FALSE(decode_command(w.take()).ok());
    EXPECT_TRUE(decode_command(encode_command(fenced("r", 5, Delete{"k"}))).ok());
  }
  {
    Writer w;  // fenced delete whose has_session byte is 2
    w.u8('F');
    w.bytes("r");
    w.varint(5);
    w.u8(2);
    w.u8(2);
    w.bytes("k");
    EXPECT_FALSE(decode_command(w.take()).ok());
  }
  {
    Writer w;  // lock status with min_applied_index 0 written long
    w.u8('Q');
    w.u8(2);
    w.bytes("r");
    overlong_varint(w, 0);
    EXPECT_FALSE(decode_query(w.take()).ok());
  }
  for (int field = 0; field < 2; ++field) {
    Writer w;  // ok @1 listing one lock: the count, or the lock's token, written long
    w.u8('R');
    w.u8(0);
    w.boolean(false);
    w.varint(1);
    w.bytes("");
    if (field == 0) overlong_varint(w, 1); else w.varint(1);
    w.bytes("r");
    w.bytes("h");
    if (field == 1) overlong_varint(w, 1); else w.varint(1);
    w.varint(1);
    w.varint(1);
    EXPECT_FALSE(decode_result(w.take()).ok()) << "field " << field;
  }
}

TEST(KvLockCodecTest, DescribeNamesLocksFencesAndTheNewCodes) {
  EXPECT_EQ(describe(acquire("r", "alice", 250)), "acquire(\"r\", \"alice\", 250ms)");
  EXPECT_EQ(describe(release("r", 4)), "release(\"r\", token 4)");
  EXPECT_EQ(describe(extend("r", 4, 9)), "extend(\"r\", token 4, 9ms)");
  EXPECT_EQ(describe(force_release("r")), "force_release(\"r\")");
  EXPECT_EQ(describe(plain(LockExpire{"r", 4, 6, 1500})), "expire(\"r\", token 4, lease @6, leader time 1500ms)");
  EXPECT_EQ(describe(fenced_in_session(3, 2, "r", 7, Put{"k", "v"})),
            "put(\"k\", \"v\") fenced by \"r\"#7 [client 3 seq 2]");
  EXPECT_EQ(describe(with_locks(Code::kLocked, 9, "held by alice", {lock_info("r", "alice", 5, 1000, 7)})),
            "locked @9 (held by alice) lock \"r\" held by \"alice\" token 5");
  EXPECT_EQ(code_name(Code::kLocked), "locked");
  EXPECT_EQ(code_name(Code::kNotHolder), "not_holder");
  EXPECT_EQ(code_name(Code::kFenced), "fenced");
}

// ---- Encoding properties ----------------------------------------------------------

std::string any_name(size_t max_bytes) {
  std::string s = *rc::gen::nonEmpty(rc::gen::arbitrary<std::string>());
  if (s.size() > max_bytes) s.resize(max_bytes);
  return s;
}

uint64_t any_token() { return std::max<uint64_t>(1, *rc::gen::arbitrary<uint64_t>()); }
uint64_t any_ttl() { return *rc::gen::inRange<uint64_t>(1, kMaxLockTtlMs + 1); }

Write any_lock_write() {
  const std::string resource = any_name(kMaxResourceBytes);
  switch (*rc::gen::inRange(0, 5)) {
    case 0: return LockAcquire{resource, any_name(kMaxHolderBytes), any_ttl()};
    case 1: return LockRelease{resource, any_token()};
    case 2: return LockExtend{resource, any_token(), any_ttl()};
    case 3: return LockForceRelease{resource};
    default: {
      const uint64_t token = any_token();
      const uint64_t extra = *rc::gen::arbitrary<uint64_t>();
      return LockExpire{resource, token, token + std::min(extra, UINT64_MAX - token),
                        *rc::gen::arbitrary<uint64_t>()};
    }
  }
}

RC_GTEST_PROP(KvLockCodecProperty, AnyLockOrFencedCommandRoundTrips, ()) {
  kv_test::SessionPicker sessions(4);
  Command c{sessions.pick(), any_lock_write(), std::nullopt};
  if (*rc::gen::arbitrary<bool>()) {
    c.write = kv_test::any_write();
    c.fence = Fence{any_name(kMaxResourceBytes), any_token()};
  }
  RC_ASSERT(check_command(c).ok());
  const std::string bytes = encode_command(c);
  absl::StatusOr<Command> back = decode_command(bytes);
  RC_ASSERT(back.ok());
  RC_ASSERT(*back == c);
  RC_ASSERT(!decode_command(bytes + "x").ok());
}

RC_GTEST_PROP(KvLockCodecProperty, AnyLockQueryRoundTrips, (uint64_t min_index)) {
  const std::string after = *rc::gen::element<std::string>("", "r", "zz");
  const Query q = *rc::gen::arbitrary<bool>() ? Query{LockStatus{any_name(kMaxResourceBytes), min_index}}
                                              : Query{ActiveLocks{after, min_index}};
  absl::StatusOr<Query> back = decode_query(encode_query(q));
  RC_ASSERT(back.ok());
  RC_ASSERT(*back == q);
}

RC_GTEST_PROP(KvLockCodecProperty, AnyResultListingLocksRoundTrips, (uint64_t index)) {
  Result r{static_cast<Code>(*rc::gen::inRange<uint8_t>(0, kMaxCode + 1)), std::nullopt, index,
           any_name(kMaxMessageBytes), {}};
  const size_t count = *rc::gen::inRange<size_t>(0, 6);
  for (size_t i = 0; i < count; ++i) {
    // Locks as a machine reports them: within the limits a lock table keeps.
    const uint64_t token = any_token();
    const uint64_t renewed_after = std::min(*rc::gen::arbitrary<uint64_t>(), UINT64_MAX - token);
    r.locks.push_back(LockInfo{any_name(kMaxResourceBytes), any_name(kMaxHolderBytes), token, any_ttl(),
                               token + renewed_after});
  }
  absl::StatusOr<Result> back = decode_result(encode_result(r));
  RC_ASSERT(back.ok());
  RC_ASSERT(*back == r);
}

RC_GTEST_PROP(KvLockCodecProperty, RandomBytesAfterAFenceTagNeverCrash, (const std::string& tail)) {
  const std::string bytes = "F" + tail;
  absl::StatusOr<Command> c = decode_command(bytes);
  if (!c.ok()) return;
  RC_ASSERT(check_command(*c).ok());
  RC_ASSERT(c->fence.has_value());
  RC_ASSERT(is_data_write(c->write));
  RC_ASSERT(encode_command(*c) == bytes);
}

}  // namespace
}  // namespace shoal::kv
