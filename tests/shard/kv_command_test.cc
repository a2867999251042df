// The KV command, query and result encodings: every kind round-trips, the
// limits are enforced at decode, and no byte string — random, cut short or
// bit-flipped — crashes a decoder or decodes to something out of bounds.
#include "engine/shard/kv_command.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <string>
#include <vector>

#include "engine/core/codec.h"
#include "tests/shard/kv_test_util.h"

namespace shoal::kv {
namespace {

std::vector<Command> sample_commands() {
  return {
      Command{std::nullopt, Put{"k", "v"}},
      Command{Session{7, 1}, Put{"k", ""}},
      Command{Session{UINT64_MAX, UINT64_MAX}, Delete{"k"}},
      Command{Session{3, 300}, Cas{"k", std::nullopt, "new"}},
      Command{Session{3, 301}, Cas{"k", std::string(""), "new"}},
      Command{Session{3, 302}, Cas{"k", std::string("old"), ""}},
      Command{std::nullopt, Append{std::string(kMaxKeyBytes, 'k'), std::string(kMaxValueBytes, 'v')}},
  };
}

std::vector<Result> sample_results() {
  return {
      Result{Code::kOk, std::nullopt, 12, {}},
      Result{Code::kOk, std::string("value"), 13, {}},
      Result{Code::kOk, std::string(""), 13, {}},
      Result{Code::kNotFound, std::nullopt, 1, {}},
      Result{Code::kCasFailed, std::nullopt, 2, {}},
      Result{Code::kCasFailed, std::string("current"), 2, {}},
      Result{Code::kError, std::nullopt, 3, "kv key is empty"},
      Result{Code::kStaleSequence, std::nullopt, 4, "stale sequence"},
      Result{Code::kSessionExpired, std::nullopt, 5, "session expired"},
      Result{Code::kBehind, std::nullopt, UINT64_MAX, std::string(kMaxMessageBytes, 'm')},
  };
}

TEST(KvCommandTest, EveryWriteKindRoundTrips) {
  for (const Command& c : sample_commands()) {
    absl::StatusOr<Command> back = decode_command(encode_command(c));
    ASSERT_TRUE(back.ok()) << describe(c) << ": " << back.status();
    EXPECT_EQ(*back, c) << describe(c);
  }
}

TEST(KvCommandTest, CasExpectingAbsentDiffersFromExpectingEmpty) {
  const std::string absent = encode_command(Command{std::nullopt, Cas{"k", std::nullopt, "v"}});
  const std::string empty = encode_command(Command{std::nullopt, Cas{"k", std::string(), "v"}});
  EXPECT_NE(absent, empty);
  EXPECT_FALSE(decode_command(absent)->write == decode_command(empty)->write);
}

TEST(KvCommandTest, EveryResultKindRoundTrips) {
  for (const Result& r : sample_results()) {
    absl::StatusOr<Result> back = decode_result(encode_result(r));
    ASSERT_TRUE(back.ok()) << describe(r) << ": " << back.status();
    EXPECT_EQ(*back, r) << describe(r);
  }
}

TEST(KvCommandTest, GetRoundTrips) {
  for (const Get& g : {Get{"k", 0}, Get{"k", 1}, Get{std::string(kMaxKeyBytes, 'x'), UINT64_MAX}}) {
    absl::StatusOr<Query> back = decode_query(encode_query(g));
    ASSERT_TRUE(back.ok()) << back.status();
    EXPECT_EQ(std::get<Get>(*back), g);
  }
}

TEST(KvCommandTest, DecodeRejectsValuesOverTheLimits) {
  const std::vector<Command> bad = {
      Command{std::nullopt, Put{"", "v"}},
      Command{std::nullopt, Put{std::string(kMaxKeyBytes + 1, 'k'), "v"}},
      Command{std::nullopt, Put{"k", std::string(kMaxValueBytes + 1, 'v')}},
      Command{std::nullopt, Cas{"k", std::string(kMaxValueBytes + 1, 'v'), "v"}},
      Command{std::nullopt, Cas{"k", std::nullopt, std::string(kMaxValueBytes + 1, 'v')}},
      Command{std::nullopt, Append{"k", std::string(kMaxValueBytes + 1, 'v')}},
      Command{std::nullopt, Delete{""}},
      Command{Session{kNoClient, 1}, Put{"k", "v"}},
      Command{Session{1, 0}, Put{"k", "v"}},
  };
  for (const Command& c : bad) {
    EXPECT_FALSE(check_command(c).ok()) << describe(c);
    EXPECT_FALSE(decode_command(encode_command(c)).ok()) << describe(c);
  }
  EXPECT_FALSE(decode_query(encode_query(Get{"", 0})).ok());
  Result long_message{Code::kError, std::nullopt, 1, std::string(kMaxMessageBytes + 1, 'm')};
  EXPECT_FALSE(decode_result(encode_result(long_message)).ok());
}

TEST(KvCommandTest, DecodeRejectsMalformedFraming) {
  const std::string put = encode_command(Command{Session{1, 1}, Put{"k", "v"}});
  EXPECT_FALSE(decode_command("").ok());
  EXPECT_FALSE(decode_command(put + "x").ok()) << "trailing byte";
  // Each kind's bytes are refused by the other kinds' decoders.
  EXPECT_FALSE(decode_query(put).ok());
  EXPECT_FALSE(decode_result(put).ok());
  EXPECT_FALSE(decode_command(encode_query(Get{"k", 0})).ok());
  EXPECT_FALSE(decode_command(encode_result(Result{})).ok());

  std::string unknown_write = put;
  unknown_write[1 + 1 + 8 + 1] = 9;  // tag, has_session, client id, sequence, then the write kind
  EXPECT_FALSE(decode_command(unknown_write).ok());
  std::string bad_bool = put;
  bad_bool[1] = 2;  // has_session must be 0 or 1
  EXPECT_FALSE(decode_command(bad_bool).ok());
  std::string bad_code = encode_result(Result{});
  bad_code[1] = kMaxCode + 1;
  EXPECT_FALSE(decode_result(bad_code).ok());
}

TEST(KvCommandTest, DecodeRejectsNonCanonicalVarints) {
  // A sequence of 1 written as two bytes (0x81 0x00) reads as 1 but is not the
  // one encoding of 1.
  Writer w;
  w.u8('C');
  w.boolean(true);
  w.u64(5);
  w.u8(0x81);
  w.u8(0x00);
  w.u8(2);  // delete
  w.bytes("k");
  const std::string overlong = w.take();
  EXPECT_FALSE(decode_command(overlong).ok());
  EXPECT_TRUE(decode_command(encode_command(Command{Session{5, 1}, Delete{"k"}})).ok());
}

TEST(KvCommandTest, DescribeNamesTheCommandAndTheResult) {
  EXPECT_EQ(describe(Command{Session{4, 9}, Cas{"k", std::nullopt, "v"}}),
            "cas(\"k\", absent -> \"v\") [client 4 seq 9]");
  EXPECT_EQ(describe(Result{Code::kCasFailed, std::string("x"), 3, {}}), "cas_failed @3 value=\"x\"");
  EXPECT_EQ(code_name(Code::kSessionExpired), "session_expired");
}

// ---- Properties ---------------------------------------------------------------

RC_GTEST_PROP(KvCommandProperty, AnyCommandRoundTrips, ()) {
  kv_test::SessionPicker sessions(4);
  const Command c = kv_test::any_command(sessions);
  const std::string bytes = encode_command(c);
  absl::StatusOr<Command> back = decode_command(bytes);
  RC_ASSERT(back.ok());
  RC_ASSERT(*back == c);
}

// Whatever decodes is within the limits and is the canonical encoding of what
// it decoded to; nothing crashes.
template <typename T, typename Decode, typename Encode, typename Check>
void check_decoder_on(const std::string& bytes, Decode decode, Encode encode, Check check) {
  absl::StatusOr<T> decoded = decode(bytes);
  if (!decoded.ok()) return;
  RC_ASSERT(check(*decoded));
  RC_ASSERT(encode(*decoded) == bytes);
}

void check_all_decoders_on(const std::string& bytes) {
  check_decoder_on<Command>(bytes, decode_command, encode_command,
                            [](const Command& c) { return check_command(c).ok(); });
  check_decoder_on<Query>(bytes, decode_query, encode_query,
                          [](const Query& q) { return check_query(q).ok(); });
  check_decoder_on<Result>(bytes, decode_result, encode_result, [](const Result& r) {
    return (!r.value || r.value->size() <= kMaxValueBytes) && r.message.size() <= kMaxMessageBytes;
  });
}

RC_GTEST_PROP(KvCommandProperty, RandomBytesNeverCrashADecoder, (const std::string& tail)) {
  // A valid leading byte gets the random bytes past the first check.
  const char lead = *rc::gen::element('C', 'Q', 'R', '\0');
  check_all_decoders_on(lead + tail);
}

RC_GTEST_PROP(KvCommandProperty, TruncatedEncodingsAreAlwaysErrors, ()) {
  kv_test::SessionPicker sessions(4);
  const std::string command = encode_command(kv_test::any_command(sessions));
  const std::string query = encode_query(Get{kv_test::any_key(), *rc::gen::arbitrary<uint64_t>()});
  Result r{*rc::gen::element(Code::kOk, Code::kCasFailed, Code::kError), std::nullopt,
           *rc::gen::arbitrary<uint64_t>(), kv_test::any_value()};
  if (*rc::gen::arbitrary<bool>()) r.value = kv_test::any_value();
  const std::string result = encode_result(r);
  for (size_t n = 0; n < command.size(); ++n) RC_ASSERT(!decode_command(command.substr(0, n)).ok());
  for (size_t n = 0; n < query.size(); ++n) RC_ASSERT(!decode_query(query.substr(0, n)).ok());
  for (size_t n = 0; n < result.size(); ++n) RC_ASSERT(!decode_result(result.substr(0, n)).ok());
}

RC_GTEST_PROP(KvCommandProperty, BitFlippedEncodingsNeverCrashADecoder, ()) {
  kv_test::SessionPicker sessions(4);
  std::string bytes = *rc::gen::element(
      encode_command(kv_test::any_command(sessions)), encode_query(Get{kv_test::any_key(), 7}),
      encode_result(Result{Code::kCasFailed, kv_test::any_value(), 9, {}}));
  const int flips = *rc::gen::inRange(1, 4);
  for (int i = 0; i < flips; ++i) {
    const size_t bit = *rc::gen::inRange<size_t>(0, bytes.size() * 8);
    bytes[bit / 8] = static_cast<char>(bytes[bit / 8] ^ (1 << (bit % 8)));
  }
  check_all_decoders_on(bytes);
}

}  // namespace
}  // namespace shoal::kv
