// The rpc frames: round trips, and every kind of bad frame decodes to nothing.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <limits>

#include "engine/core/codec.h"
#include "engine/rpc/wire.h"

namespace shoal {
namespace {

RequestFrame sample_request() {
  return RequestFrame{0x0102030405060708ULL, 77, milliseconds(250), "hello"};
}

ReplyFrame sample_reply() {
  return ReplyFrame{0x1122334455667788ULL, Error{ErrorCode::kStaleMap, "map moved", 3, 19}, "body"};
}

RC_GTEST_PROP(RpcWire, RequestRoundTrips, (uint64_t call_id, uint32_t method, std::string payload)) {
  const int64_t budget = *rc::gen::inRange<int64_t>(0, std::numeric_limits<int64_t>::max());
  const std::string bytes = encode_request_frame(RequestFrame{call_id, method, Duration(budget), payload});
  const auto f = decode_request_frame(bytes);
  RC_ASSERT(f.has_value());
  RC_ASSERT(f->call_id == call_id);
  RC_ASSERT(f->method == method);
  RC_ASSERT(f->budget == Duration(budget));
  RC_ASSERT(f->payload == payload);
}

RC_GTEST_PROP(RpcWire, ReplyRoundTrips,
              (uint64_t call_id, uint32_t hint, uint64_t map_version, std::string message, std::string payload)) {
  const auto code = static_cast<ErrorCode>(*rc::gen::inRange<int>(0, kErrorCodeMax + 1));
  RC_PRE(message.size() <= kRpcErrorMessageBytesMax);
  const std::string bytes = encode_reply_frame(ReplyFrame{call_id, Error{code, message, hint, map_version}, payload});
  const auto f = decode_reply_frame(bytes);
  RC_ASSERT(f.has_value());
  RC_ASSERT(f->call_id == call_id);
  RC_ASSERT(f->error.code == code);
  RC_ASSERT(f->error.message == message);
  RC_ASSERT(f->error.leader_hint == hint);
  RC_ASSERT(f->error.map_version == map_version);
  RC_ASSERT(f->payload == payload);
}

TEST(RpcWire, LongErrorMessagesAreCut) {
  ReplyFrame r = sample_reply();
  r.error.message = std::string(kRpcErrorMessageBytesMax + 500, 'x');
  const auto f = decode_reply_frame(encode_reply_frame(r));
  ASSERT_TRUE(f.has_value());
  EXPECT_EQ(f->error.message, std::string(kRpcErrorMessageBytesMax, 'x'));
}

TEST(RpcWire, EveryTruncationIsMalformed) {
  const std::string req = encode_request_frame(sample_request());
  const std::string rep = encode_reply_frame(sample_reply());
  ASSERT_TRUE(decode_request_frame(req).has_value());
  ASSERT_TRUE(decode_reply_frame(rep).has_value());
  for (size_t n = 0; n < req.size(); ++n) EXPECT_FALSE(decode_request_frame(req.substr(0, n))) << n;
  for (size_t n = 0; n < rep.size(); ++n) EXPECT_FALSE(decode_reply_frame(rep.substr(0, n))) << n;
}

TEST(RpcWire, TrailingBytesAreMalformed) {
  EXPECT_FALSE(decode_request_frame(encode_request_frame(sample_request()) + "x"));
  EXPECT_FALSE(decode_reply_frame(encode_reply_frame(sample_reply()) + "x"));
}

TEST(RpcWire, OtherVersionsAreMalformed) {
  for (uint8_t version : {0, 2, 255}) {
    std::string req = encode_request_frame(sample_request());
    std::string rep = encode_reply_frame(sample_reply());
    req[0] = static_cast<char>(version);
    rep[0] = static_cast<char>(version);
    EXPECT_FALSE(decode_request_frame(req)) << int{version};
    EXPECT_FALSE(decode_reply_frame(rep)) << int{version};
  }
}

TEST(RpcWire, UnknownErrorCodesAreMalformed) {
  // The code sits after the version byte and the call id.
  constexpr size_t kCodeOffset = 1 + 8;
  for (int code : {kErrorCodeMax + 1, 200, 255}) {
    std::string rep = encode_reply_frame(sample_reply());
    rep[kCodeOffset] = static_cast<char>(code);
    EXPECT_FALSE(decode_reply_frame(rep)) << code;
  }
  std::string rep = encode_reply_frame(sample_reply());
  rep[kCodeOffset] = static_cast<char>(kErrorCodeMax);
  EXPECT_TRUE(decode_reply_frame(rep));
}

TEST(RpcWire, BudgetBeyondADurationIsMalformed) {
  Writer w;
  w.u8(kRpcWireVersion);
  w.u64(1);
  w.u32(1);
  w.u64(uint64_t{1} << 63);
  w.bytes("p");
  EXPECT_FALSE(decode_request_frame(w.buffer()));
}

TEST(RpcWire, LengthPrefixBeyondTheFrameIsMalformed) {
  Writer w;
  w.u8(kRpcWireVersion);
  w.u64(1);
  w.u32(1);
  w.u64(5);
  w.varint(1000);  // claims 1000 bytes of payload
  w.raw("short");
  EXPECT_FALSE(decode_request_frame(w.buffer()));
}

// Whatever decodes encodes again to a frame that decodes to the same fields
// (not necessarily the same bytes: a varint may arrive in a longer form).
void check_decodes_stably(const std::string& bytes) {
  if (const auto f = decode_request_frame(bytes)) {
    const auto g = decode_request_frame(encode_request_frame(*f));
    RC_ASSERT(g.has_value());
    RC_ASSERT(g->call_id == f->call_id);
    RC_ASSERT(g->method == f->method);
    RC_ASSERT(g->budget == f->budget);
    RC_ASSERT(g->payload == f->payload);
  }
  if (const auto f = decode_reply_frame(bytes)) {
    RC_PRE(f->error.message.size() <= kRpcErrorMessageBytesMax);
    const auto g = decode_reply_frame(encode_reply_frame(*f));
    RC_ASSERT(g.has_value());
    RC_ASSERT(g->call_id == f->call_id);
    RC_ASSERT(g->error.code == f->error.code);
    RC_ASSERT(g->error.message == f->error.message);
    RC_ASSERT(g->error.leader_hint == f->error.leader_hint);
    RC_ASSERT(g->error.map_version == f->error.map_version);
    RC_ASSERT(g->payload == f->payload);
  }
}

// Random bytes never crash a decoder.
RC_GTEST_PROP(RpcWire, RandomBytesNeverCrash, (std::string bytes)) { check_decodes_stably(bytes); }

// Random bytes behind a good version byte reach deeper into the decoders.
RC_GTEST_PROP(RpcWire, RandomBytesAfterTheVersionNeverCrash, (std::string tail)) {
  check_decodes_stably(std::string(1, static_cast<char>(kRpcWireVersion)) + tail);
}

}  // namespace
}  // namespace shoal
