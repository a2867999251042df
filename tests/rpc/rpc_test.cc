// Rpc between simulated processes: each promise of engine/rpc/rpc.h, and
// each way a call can end.
#include <gtest/gtest.h>

#include <string>

#include "engine/core/codec.h"
#include "tests/rpc/rpc_harness.h"

namespace shoal::testing {
namespace {

constexpr Duration kTimeout = milliseconds(100);
// Longer than any call in these tests, with room for late replies.
constexpr Duration kSettle = seconds(2);

sim::SimOptions fixed_latency(Duration latency) {
  sim::SimOptions o;
  o.link.latency_min = latency;
  o.link.latency_max = latency;
  return o;
}

// Exactly one completion for `tag`, which did not run inside call().
Completion only(const RpcWorld& w, uint64_t tag) {
  const auto v = w.of(tag);
  EXPECT_EQ(v.size(), 1u) << "completions of call " << tag;
  if (v.empty()) return Completion{};
  EXPECT_FALSE(v.front().inside_call) << "call " << tag << " completed inside call()";
  return v.front();
}

TEST(Rpc, RoundTripBetweenTwoNodes) {
  RpcWorld w(1, 2);
  w.call(1, 2, kEcho, "hello", kTimeout, 1);
  w.sim.run_for(kSettle);
  const Completion c = only(w, 1);
  EXPECT_TRUE(c.reply.ok()) << c.reply.error.describe();
  EXPECT_EQ(c.reply.payload, echo_of(2, "hello"));
  EXPECT_EQ(c.reply.from, 2u);
  const RpcStats s1 = w.rpc(1).stats();
  EXPECT_EQ(s1.calls, 1u);
  EXPECT_EQ(s1.replies_ok, 1u);
  EXPECT_EQ(s1.deadlines, 0u);
  EXPECT_EQ(w.rpc(1).calls_in_flight(), 0u);
  EXPECT_EQ(w.rpc(2).stats().requests, 1u);
  EXPECT_EQ(w.servers[2].handled[kEcho], 1);
}

TEST(Rpc, ManyCallsEachGetTheirOwnReply) {
  RpcWorld w(2, 3);
  for (uint64_t i = 0; i < 50; ++i) {
    w.call(1 + i % 3, 1 + (i / 3) % 3, kEcho, "p" + std::to_string(i), kTimeout, i);
  }
  w.sim.run_for(kSettle);
  for (uint64_t i = 0; i < 50; ++i) {
    const Completion c = only(w, i);
    EXPECT_EQ(c.reply.payload, echo_of(1 + (i / 3) % 3, "p" + std::to_string(i)));
  }
}

TEST(Rpc, DoneNeverRunsInsideCall) {
  RpcOptions o;
  o.calls_in_flight_max = 1;
  o.payload_bytes_max = 8;
  RpcWorld w(3, 2, o);
  w.call(1, 2, kHold, "", kTimeout, 1);                         // takes the one slot
  w.call(1, 2, kEcho, "", kTimeout, 2);                         // overloaded
  w.call(1, 2, kEcho, std::string(9, 'x'), kTimeout, 3);        // too large
  w.call(1, 77, kEcho, "", kTimeout, 4);                        // no such node
  w.call(2, 2, kEcho, "self", kTimeout, 5);                     // to itself
  // Nothing may have completed yet: no event has run since the calls.
  EXPECT_TRUE(w.completions.empty());
  w.sim.run_for(kSettle);
  ASSERT_EQ(w.completions.size(), 5u);
  for (const auto& c : w.completions) EXPECT_FALSE(c.inside_call) << c.tag;
}

TEST(Rpc, DeadlineWhenTheServerNeverAnswers) {
  RpcWorld w(4, 2);
  w.call(1, 2, kHold, "", kTimeout, 1);
  const TimePoint issued = w.sim.env(1)->now();
  w.sim.run_for(kSettle);
  const Completion c = only(w, 1);
  EXPECT_EQ(c.reply.error.code, ErrorCode::kDeadline);
  EXPECT_EQ(c.reply.from, 2u);
  EXPECT_TRUE(c.reply.payload.empty());
  EXPECT_EQ(c.local_at, issued + kTimeout);  // at the deadline, not later
  EXPECT_EQ(w.rpc(1).stats().deadlines, 1u);
  EXPECT_EQ(w.rpc(1).calls_in_flight(), 0u);
}

TEST(Rpc, DeadlineWhenPartitioned) {
  RpcWorld w(5, 2);
  w.sim.partition({{1}, {2}});
  w.call(1, 2, kEcho, "x", kTimeout, 1);
  w.sim.run_for(kSettle);
  EXPECT_EQ(only(w, 1).reply.error.code, ErrorCode::kDeadline);
  EXPECT_EQ(w.servers[2].handled[kEcho], 0);
}

TEST(Rpc, DeadlineWhenOnlyTheReplyPathIsCut) {
  RpcWorld w(6, 2);
  w.sim.cut(2, 1);
  w.call(1, 2, kEcho, "x", kTimeout, 1);
  w.sim.run_for(kSettle);
  EXPECT_EQ(only(w, 1).reply.error.code, ErrorCode::kDeadline);
  EXPECT_EQ(w.servers[2].handled[kEcho], 1);  // done, but the caller cannot know
}

TEST(Rpc, DeadlineWhenTheServerIsCrashed) {
  RpcWorld w(7, 2);
  w.sim.crash(2);
  w.call(1, 2, kEcho, "x", kTimeout, 1);
  w.sim.run_for(kSettle);
  EXPECT_EQ(only(w, 1).reply.error.code, ErrorCode::kDeadline);
}

// A server that crashes holding a request sends nothing, not even the
// kUnavailable of its dropped Responder: a dead process is silent.
TEST(Rpc, ServerCrashingWithAHeldRequestSendsNothing) {
  RpcWorld w(8, 2, RpcOptions{}, fixed_latency(milliseconds(1)));
  w.call(1, 2, kHold, "", kTimeout, 1);
  w.sim.run_for(milliseconds(10));
  ASSERT_EQ(w.servers[2].handled[kHold], 1);
  const uint64_t sent = w.sim.stats().messages_sent;
  w.sim.crash(2);
  w.sim.run_for(kSettle);
  EXPECT_EQ(w.sim.stats().messages_sent, sent);
  EXPECT_EQ(only(w, 1).reply.error.code, ErrorCode::kDeadline);
}

TEST(Rpc, LateReplyAfterTheDeadlineIsDroppedAndDoneRunsOnce) {
  RpcWorld w(9, 2);
  w.call(1, 2, kLater, "300:a", kTimeout, 1);
  w.sim.run_for(kSettle);
  EXPECT_EQ(only(w, 1).reply.error.code, ErrorCode::kDeadline);
  EXPECT_EQ(w.rpc(1).stats().late_replies, 1u);
  EXPECT_EQ(w.rpc(1).stats().replies_ok, 0u);
}

TEST(Rpc, ReleasedHeldResponderAfterTheDeadlineIsALateReply) {
  RpcWorld w(10, 2);
  w.call(1, 2, kHold, "", kTimeout, 1);
  w.sim.run_for(milliseconds(50));
  ASSERT_EQ(w.node(2)->held().size(), 1u);
  Responder r = w.node(2)->held().front();
  EXPECT_FALSE(r.expired());
  EXPECT_FALSE(r.answered());
  w.sim.run_for(milliseconds(200));
  EXPECT_TRUE(r.expired());  // the server's view of the caller's deadline
  r.reply("too late");       // still sent; the caller drops it
  EXPECT_TRUE(r.answered());
  w.sim.run_for(kSettle);
  EXPECT_EQ(only(w, 1).reply.error.code, ErrorCode::kDeadline);
  EXPECT_EQ(w.rpc(1).stats().late_replies, 1u);
}

TEST(Rpc, DuplicatedDeliveryGivesOneCallback) {
  sim::SimOptions so;
  so.link.duplicate_probability = 1;
  RpcWorld w(11, 2, RpcOptions{}, so);
  w.call(1, 2, kEcho, "dup", kTimeout, 1);
  w.sim.run_for(kSettle);
  EXPECT_EQ(only(w, 1).reply.payload, echo_of(2, "dup"));
  // The request arrived twice and was handled twice; each of the two replies
  // arrived twice: one completes the call, three are duplicates.
  EXPECT_EQ(w.servers[2].handled[kEcho], 2);
  EXPECT_EQ(w.rpc(1).stats().duplicate_replies, 3u);
  EXPECT_EQ(w.rpc(1).stats().replies_ok, 1u);
}

TEST(Rpc, ResponderAnsweringTwiceSendsOneReply) {
  RpcWorld w(12, 2);
  w.add_raw(3);
  // Posing as a caller, the raw node counts the reply frames that come back.
  const std::string request = encode_request_frame(RequestFrame{5, kTwice, kTimeout, ""});
  ASSERT_TRUE(w.raw(3)->send(2, kRpcRequestChannel, request));
  w.sim.run_for(kSettle);
  ASSERT_EQ(w.raw_inbox.size(), 1u);
  EXPECT_EQ(w.raw_inbox[0].channel, kRpcReplyChannel);
  const auto reply = decode_reply_frame(w.raw_inbox[0].payload);
  ASSERT_TRUE(reply.has_value());
  EXPECT_EQ(reply->call_id, 5u);
  EXPECT_TRUE(reply->error.ok());
  EXPECT_EQ(reply->payload, "first");
  EXPECT_EQ(w.rpc(2).stats().double_answers, 2u);
}

TEST(Rpc, ResponderAnsweringTwiceGivesTheCallerTheFirstAnswer) {
  RpcWorld w(13, 2);
  w.call(1, 2, kTwice, "", kTimeout, 1);
  w.sim.run_for(kSettle);
  EXPECT_EQ(only(w, 1).reply.payload, "first");
  EXPECT_EQ(w.rpc(1).stats().duplicate_replies, 0u);
}

TEST(Rpc, DroppedResponderAnswersUnavailable) {
  RpcWorld w(14, 2);
  w.call(1, 2, kDrop, "", seconds(1), 1);
  const TimePoint issued = w.sim.env(1)->now();
  w.sim.run_for(kSettle);
  const Completion c = only(w, 1);
  EXPECT_EQ(c.reply.error.code, ErrorCode::kUnavailable);
  EXPECT_EQ(c.reply.error.message, "dropped by the server");
  EXPECT_LT(c.local_at, issued + seconds(1));  // well before the deadline
  EXPECT_EQ(w.rpc(2).stats().dropped_responders, 1u);
}

TEST(Rpc, HeldResponderDroppedLaterAnswersUnavailable) {
  RpcWorld w(15, 2);
  w.call(1, 2, kHold, "", seconds(1), 1);
  w.sim.run_for(milliseconds(50));
  ASSERT_EQ(w.node(2)->held().size(), 1u);
  EXPECT_TRUE(w.of(1).empty());
  w.node(2)->held().clear();  // the last copy dies
  w.sim.run_for(milliseconds(50));
  EXPECT_EQ(only(w, 1).reply.error.code, ErrorCode::kUnavailable);
}

TEST(Rpc, UnknownMethodIsBadRequest) {
  RpcWorld w(16, 2);
  w.call(1, 2, kUnserved, "", kTimeout, 1);
  w.rpc(2).stop_serving(kEcho);
  EXPECT_FALSE(w.rpc(2).serves(kEcho));
  w.call(1, 2, kEcho, "", kTimeout, 2);
  w.sim.run_for(kSettle);
  const Completion c = only(w, 1);
  EXPECT_EQ(c.reply.error.code, ErrorCode::kBadRequest);
  EXPECT_EQ(c.reply.error.message, "no method 99");
  EXPECT_EQ(only(w, 2).reply.error.code, ErrorCode::kBadRequest);
  EXPECT_EQ(w.rpc(2).stats().unknown_method, 2u);
  EXPECT_EQ(w.rpc(2).stats().requests, 0u);
}

TEST(Rpc, RequestExpiredOnArrivalIsNotHandled) {
  RpcWorld w(17, 2);
  w.add_raw(3);
  ASSERT_TRUE(w.raw(3)->send(2, kRpcRequestChannel, encode_request_frame(RequestFrame{9, kEcho, Duration(0), "x"})));
  w.sim.run_for(kSettle);
  EXPECT_EQ(w.servers[2].handled[kEcho], 0);
  EXPECT_EQ(w.rpc(2).stats().expired_requests_dropped, 1u);
  EXPECT_TRUE(w.raw_inbox.empty());  // and nobody is answered
  // The same request with a budget is handled.
  ASSERT_TRUE(w.raw(3)->send(2, kRpcRequestChannel, encode_request_frame(RequestFrame{9, kEcho, Duration(1), "x"})));
  w.sim.run_for(kSettle);
  EXPECT_EQ(w.servers[2].handled[kEcho], 1);
}

// The budget becomes a deadline on the server's own clock, however far that
// clock is from the caller's.
TEST(Rpc, ServerDeadlineIsTheBudgetOnItsOwnClock) {
  constexpr Duration kLatency = milliseconds(3);
  RpcWorld w(18, 2, RpcOptions{}, fixed_latency(kLatency));
  w.sim.set_clock(2, sim::ClockConfig{hours(5), 0});
  w.sim.set_clock(1, sim::ClockConfig{-hours(2), 0});
  w.call(1, 2, kEcho, "", kTimeout, 1);
  const TimePoint server_time_at_arrival = w.sim.env(2)->now() + kLatency;
  w.sim.run_for(kSettle);
  ASSERT_EQ(w.servers[2].deadlines.size(), 1u);
  EXPECT_EQ(w.servers[2].deadlines[0], server_time_at_arrival + kTimeout);
  EXPECT_TRUE(only(w, 1).reply.ok());
}

TEST(Rpc, SelfCallsKeepEveryPromiseWithoutTheNetwork) {
  RpcWorld w(19, 1);
  const uint64_t sent = w.sim.stats().messages_sent;
  w.call(1, 1, kEcho, "me", kTimeout, 1);
  w.call(1, 1, kUnserved, "", kTimeout, 2);
  w.call(1, 1, kHold, "", kTimeout, 3);
  w.call(1, 1, kDrop, "", kTimeout, 4);
  w.call(1, 1, kFail, "who", kTimeout, 5);
  w.call(1, 1, kTwice, "", kTimeout, 6);
  EXPECT_TRUE(w.completions.empty());
  w.sim.run_for(kSettle);
  EXPECT_EQ(only(w, 1).reply.payload, echo_of(1, "me"));
  EXPECT_EQ(only(w, 1).reply.from, 1u);
  EXPECT_EQ(only(w, 2).reply.error.code, ErrorCode::kBadRequest);
  EXPECT_EQ(only(w, 3).reply.error.code, ErrorCode::kDeadline);
  EXPECT_EQ(only(w, 4).reply.error.code, ErrorCode::kUnavailable);
  EXPECT_EQ(only(w, 5).reply.error.leader_hint, 7u);
  EXPECT_EQ(only(w, 6).reply.payload, "first");
  EXPECT_EQ(w.sim.stats().messages_sent, sent);
  EXPECT_EQ(w.rpc(1).stats().double_answers, 2u);
}

TEST(Rpc, OverloadedBeyondTheBoundAndFreeAgainAfter) {
  RpcOptions o;
  o.calls_in_flight_max = 2;
  RpcWorld w(20, 2, o);
  w.call(1, 2, kHold, "", kTimeout, 1);
  w.call(1, 2, kHold, "", kTimeout, 2);
  w.call(1, 2, kEcho, "", kTimeout, 3);
  EXPECT_EQ(w.rpc(1).calls_in_flight(), 2u);
  w.sim.run_for(kSettle);
  const Completion c = only(w, 3);
  EXPECT_EQ(c.reply.error.code, ErrorCode::kOverloaded);
  EXPECT_EQ(c.reply.from, 2u);
  EXPECT_EQ(w.servers[2].handled[kEcho], 0);  // never sent
  EXPECT_EQ(only(w, 1).reply.error.code, ErrorCode::kDeadline);
  // Once the held calls ended, there is room again.
  w.call(1, 2, kEcho, "again", kTimeout, 4);
  w.sim.run_for(kSettle);
  EXPECT_TRUE(only(w, 4).reply.ok());
  EXPECT_EQ(w.rpc(1).stats().local_failures, 1u);
}

TEST(Rpc, OversizedRequestIsBadRequestAndNotSent) {
  RpcOptions o;
  o.payload_bytes_max = 16;
  RpcWorld w(21, 2, o);
  const uint64_t sent = w.sim.stats().messages_sent;
  w.call(1, 2, kEcho, std::string(17, 'x'), kTimeout, 1);
  w.sim.run_for(kSettle);
  EXPECT_EQ(only(w, 1).reply.error.code, ErrorCode::kBadRequest);
  EXPECT_EQ(w.sim.stats().messages_sent, sent);
  w.call(1, 2, kDrop, std::string(16, 'x'), kTimeout, 2);  // at the bound: sent
  w.sim.run_for(kSettle);
  EXPECT_EQ(only(w, 2).reply.error.code, ErrorCode::kUnavailable);
}

TEST(Rpc, OversizedReplyIsAnsweredBadRequest) {
  RpcOptions o;
  o.payload_bytes_max = 16;
  RpcWorld w(22, 2, o);
  w.call(1, 2, kEcho, std::string(10, 'x'), kTimeout, 1);  // "echo:2:" + 10 bytes = 17
  w.sim.run_for(kSettle);
  const Completion c = only(w, 1);
  EXPECT_EQ(c.reply.error.code, ErrorCode::kBadRequest);
  EXPECT_TRUE(c.reply.payload.empty());
  EXPECT_EQ(w.rpc(2).stats().oversized_replies, 1u);
}

TEST(Rpc, RejectedSendIsUnavailable) {
  RpcWorld w(23, 1);
  w.call(1, 77, kEcho, "", kTimeout, 1);
  w.sim.run_for(kSettle);
  const Completion c = only(w, 1);
  EXPECT_EQ(c.reply.error.code, ErrorCode::kUnavailable);
  EXPECT_EQ(c.reply.from, 77u);
  EXPECT_EQ(w.rpc(1).stats().local_failures, 1u);
  EXPECT_EQ(w.rpc(1).calls_in_flight(), 0u);
}

TEST(Rpc, ErrorFieldsSurviveTheWire) {
  RpcWorld w(24, 2);
  w.call(1, 2, kFail, "ask node 7", kTimeout, 1);
  w.call(1, 2, kConflict, std::string(3000, 'm'), kTimeout, 2);
  w.sim.run_for(kSettle);
  const Reply r = only(w, 1).reply;
  EXPECT_EQ(r.error.code, ErrorCode::kNotLeader);
  EXPECT_EQ(r.error.message, "ask node 7");
  EXPECT_EQ(r.error.leader_hint, 7u);
  EXPECT_EQ(r.error.map_version, 42u);
  EXPECT_TRUE(r.payload.empty());
  EXPECT_FALSE(r.ok());
  // A long message is cut to the bound, the code kept.
  const Reply long_one = only(w, 2).reply;
  EXPECT_EQ(long_one.error.code, ErrorCode::kConflict);
  EXPECT_EQ(long_one.error.message, std::string(kRpcErrorMessageBytesMax, 'm'));
  EXPECT_EQ(w.rpc(1).stats().replies_error, 2u);
}

TEST(Rpc, MalformedFramesOnBothChannelsAreCountedNotFatal) {
  RpcWorld w(25, 2);
  w.add_raw(3);
  Rng rng(99);
  uint64_t malformed = 0;
  for (int i = 0; i < 300; ++i) {
    std::string bytes(rng.below(40), '\0');
    for (char& b : bytes) b = static_cast<char>(rng.below(256));
    // Half of them behind a good version byte, to reach past the first check.
    if (i % 2 == 0 && !bytes.empty()) bytes[0] = static_cast<char>(kRpcWireVersion);
    const ChannelId channel = i % 3 == 0 ? kRpcReplyChannel : kRpcRequestChannel;
    const bool bad = channel == kRpcReplyChannel ? !decode_reply_frame(bytes) : !decode_request_frame(bytes);
    malformed += bad ? 1 : 0;
    ASSERT_TRUE(w.raw(3)->send(2, channel, bytes));
  }
  // And the specific bad frames: each truncation, another version, a bad code.
  const std::string good_reply = encode_reply_frame(ReplyFrame{1, Error{}, "p"});
  std::string bad_code = good_reply;
  bad_code[9] = static_cast<char>(kErrorCodeMax + 1);
  std::string bad_version = encode_request_frame(RequestFrame{1, kEcho, kTimeout, ""});
  bad_version[0] = 2;
  w.raw(3)->send(2, kRpcReplyChannel, bad_code);
  w.raw(3)->send(2, kRpcRequestChannel, bad_version);
  w.raw(3)->send(2, kRpcReplyChannel, good_reply.substr(0, good_reply.size() - 1));
  malformed += 3;
  w.sim.run_for(kSettle);
  ASSERT_FALSE(w.sim.stopped());
  EXPECT_GT(malformed, 250u);
  EXPECT_EQ(w.rpc(2).stats().malformed_frames, malformed);
  // The node still serves.
  w.call(1, 2, kEcho, "alive", kTimeout, 1);
  w.sim.run_for(kSettle);
  EXPECT_TRUE(only(w, 1).reply.ok());
}

TEST(Rpc, StrayRepliesAreCounted) {
  RpcWorld w(26, 2);
  w.add_raw(3);
  // A well-formed reply to a call node 2 never made.
  w.raw(3)->send(2, kRpcReplyChannel, encode_reply_frame(ReplyFrame{12345, Error{}, "p"}));
  w.sim.run_for(kSettle);
  EXPECT_EQ(w.rpc(2).stats().stray_replies, 1u);
  EXPECT_EQ(w.rpc(2).stats().malformed_frames, 0u);
}

// A caller that crashes loses its calls: their callbacks never run, and the
// replies reach a new incarnation that does not know them.
TEST(Rpc, CallerCrashLeavesItsCallsUnfinished) {
  RpcWorld w(27, 2, RpcOptions{}, fixed_latency(milliseconds(1)));
  w.call(1, 2, kLater, "50:x", seconds(1), 1);
  w.call(1, 1, kHold, "", seconds(1), 2);
  w.sim.run_for(milliseconds(10));
  w.sim.crash(1);
  w.sim.run_for(milliseconds(10));
  w.sim.restart(1);
  w.sim.run_for(kSettle);
  EXPECT_TRUE(w.completions.empty());
  EXPECT_EQ(w.servers[2].handled[kLater], 1);
  EXPECT_EQ(w.rpc(1).stats().stray_replies, 1u);
  EXPECT_EQ(w.rpc(1).stats().calls, 0u);
}

// A Responder kept past its Rpc's life answers nothing and breaks nothing.
TEST(Rpc, ResponderOutlivingItsRpcIsHarmless) {
  RpcWorld w(28, 2);
  w.call(1, 2, kHold, "", seconds(1), 1);
  w.sim.run_for(milliseconds(50));
  ASSERT_EQ(w.node(2)->held().size(), 1u);
  Responder kept = w.node(2)->held().front();
  w.sim.crash(2);
  EXPECT_TRUE(kept.expired());
  kept.reply("from beyond");
  EXPECT_TRUE(kept.answered());
  w.sim.run_for(kSettle);
  EXPECT_EQ(only(w, 1).reply.error.code, ErrorCode::kDeadline);
}

TEST(Rpc, FinishedCallsAreRememberedOnlyUpToTheBound) {
  RpcOptions o;
  o.finished_calls_remembered = 1;
  RpcWorld w(29, 2, o);
  w.call(1, 2, kLater, "500:a", kTimeout, 1);
  w.call(1, 2, kLater, "500:b", kTimeout, 2);
  w.sim.run_for(kSettle);
  // Only the second call is still remembered when the late replies come.
  EXPECT_EQ(w.rpc(1).stats().late_replies, 1u);
  EXPECT_EQ(w.rpc(1).stats().stray_replies, 1u);
}

TEST(Rpc, RestartedProcessDrawsNewCallIds) {
  RpcWorld w(30, 2);
  w.add_raw(3);
  // The raw node poses as a server and records the call ids it is sent.
  auto first_id = [&] {
    w.raw_inbox.clear();
    w.call(1, 3, kEcho, "", kTimeout, 1);
    w.sim.run_for(kSettle);
    EXPECT_EQ(w.raw_inbox.size(), 1u);
    const auto f = decode_request_frame(w.raw_inbox.at(0).payload);
    EXPECT_TRUE(f.has_value());
    return f ? f->call_id : 0;
  };
  const uint64_t before = first_id();
  w.sim.crash(1);
  w.sim.restart(1);
  const uint64_t after = first_id();
  EXPECT_NE(before, 0u);
  EXPECT_NE(after, 0u);
  EXPECT_NE(before, after);
  EXPECT_NE(before + 1, after);
}

}  // namespace
}  // namespace shoal::testing
