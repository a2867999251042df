#include "engine/rpc/wire.h"

#include <limits>

#include "engine/core/assert.h"
#include "engine/core/codec.h"

namespace shoal {

std::string encode_request_frame(const RequestFrame& frame) {
  SHOAL_ASSERT(frame.budget.count() >= 0);
  SHOAL_ASSERT(frame.payload.size() <= kRpcPayloadBytesMax);
  Writer w;
  w.u8(kRpcWireVersion);
  w.u64(frame.call_id);
  w.u32(frame.method);
  w.u64(static_cast<uint64_t>(frame.budget.count()));
  w.bytes(frame.payload);
  SHOAL_ASSERT(w.buffer().size() <= kMaxMessageBytes);
  return w.take();
}

std::string encode_reply_frame(const ReplyFrame& frame) {
  SHOAL_ASSERT(frame.payload.size() <= kRpcPayloadBytesMax);
  const std::string_view message =
      std::string_view(frame.error.message).substr(0, kRpcErrorMessageBytesMax);
  Writer w;
  w.u8(kRpcWireVersion);
  w.u64(frame.call_id);
  w.u8(static_cast<uint8_t>(frame.error.code));
  w.u32(frame.error.leader_hint);
  w.u64(frame.error.map_version);
  w.bytes(message);
  w.bytes(frame.payload);
  SHOAL_ASSERT(w.buffer().size() <= kMaxMessageBytes);
  return w.take();
}

std::optional<RequestFrame> decode_request_frame(std::string_view bytes) {
  Reader r(bytes);
  if (r.u8() != kRpcWireVersion || !r.ok()) return std::nullopt;
  RequestFrame f;
  f.call_id = r.u64();
  f.method = r.u32();
  const uint64_t budget_ns = r.u64();
  f.payload = r.bytes();
  if (!r.finished_ok()) return std::nullopt;
  // A budget beyond what a Duration holds is not one our encoder writes.
  if (budget_ns > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) return std::nullopt;
  f.budget = Duration(static_cast<int64_t>(budget_ns));
  return f;
}

std::optional<ReplyFrame> decode_reply_frame(std::string_view bytes) {
  Reader r(bytes);
  if (r.u8() != kRpcWireVersion || !r.ok()) return std::nullopt;
  ReplyFrame f;
  f.call_id = r.u64();
  const uint8_t code = r.u8();
  f.error.leader_hint = r.u32();
  f.error.map_version = r.u64();
  f.error.message = r.bytes();
  f.payload = r.bytes();
  if (!r.finished_ok()) return std::nullopt;
  // A code this build does not know cannot be branched on: the frame is bad.
  if (code > kErrorCodeMax) return std::nullopt;
  f.error.code = static_cast<ErrorCode>(code);
  return f;
}

}  // namespace shoal
