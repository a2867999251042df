// The rpc layer's two frames, as bytes on the network.
//
// A request travels on the request channel, its reply on the reply channel,
// so a process never mistakes one for the other and a reply can never be
// dispatched as a request. Both frames open with a version byte; a frame of
// another version, a truncated one, one with trailing bytes or with an error
// code this build does not know decodes to nullopt — the caller drops and
// counts it. Bytes from the network are never trusted and never crash.
//
//   request = u8 version, u64 call id, u32 method, u64 budget (ns), bytes payload
//   reply   = u8 version, u64 call id, u8 error code, u32 leader hint,
//             u64 map version, bytes message, bytes payload
//
// The request carries the time left before the caller's deadline as a
// duration, never a time point: clocks of different nodes do not agree, so
// the receiver turns the budget into a deadline on its own clock.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "engine/core/error.h"
#include "engine/core/ids.h"
#include "engine/core/time.h"
#include "engine/env/network.h"

namespace shoal {

using MethodId = uint32_t;

inline constexpr uint8_t kRpcWireVersion = 1;
// Room for the fixed fields and the two length prefixes of either frame:
// 1 + 8 + 1 + 4 + 8 + 10 + 10 = 42 bytes at most, rounded up.
inline constexpr size_t kRpcFrameHeaderBytesMax = 64;
// An error's message is for people; longer ones are cut to this on encoding.
inline constexpr size_t kRpcErrorMessageBytesMax = 1024;
// The largest request or reply payload any frame carries, so that every
// frame fits in one network message.
inline constexpr size_t kRpcPayloadBytesMax =
    kMaxMessageBytes - kRpcFrameHeaderBytesMax - kRpcErrorMessageBytesMax;

struct RequestFrame {
  uint64_t call_id = 0;
  MethodId method = 0;
  Duration budget{0};  // the caller's deadline minus its now, at sending
  std::string payload;
};

struct ReplyFrame {
  uint64_t call_id = 0;
  Error error;  // kNone for a successful reply
  std::string payload;
};

// REQUIRES: frame.budget >= 0 and frame.payload.size() <= kRpcPayloadBytesMax.
// PROMISES: the result is at most kMaxMessageBytes long.
std::string encode_request_frame(const RequestFrame& frame);
// REQUIRES: frame.payload.size() <= kRpcPayloadBytesMax. A message longer than
// kRpcErrorMessageBytesMax is cut to that length.
// PROMISES: the result is at most kMaxMessageBytes long.
std::string encode_reply_frame(const ReplyFrame& frame);

// nullopt for any frame that is not exactly a well-formed frame of this
// version (including a budget that does not fit a Duration).
std::optional<RequestFrame> decode_request_frame(std::string_view bytes);
// nullopt for any frame that is not exactly a well-formed frame of this
// version (including an error code above kErrorCodeMax).
std::optional<ReplyFrame> decode_reply_frame(std::string_view bytes);

}  // namespace shoal
