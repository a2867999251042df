// The coordinator's client-facing rpc methods (kCoord*Method, api_codec.h):
// how simulated clients — and the HTTP edge in real mode — reach the
// coordinator of any node.
//
// Each handler decodes its call (malformed: kBadRequest), runs the
// coordinator operation with a budget of min(the call's timeout, the rpc's
// own deadline minus kApiReplyMargin), and answers:
//  * upsert / delete: the WriteOutcome (api_codec.h's encode_reply) whenever
//    some shard command may have taken effect; a typed rpc Error when nothing
//    did (the request was refused, or every shard command failed);
//  * search: SearchReply, or the typed error (kBadRequest, kNotFound,
//    kConflict, kUnavailable for a missing shard with allow_partial false...);
//  * get: GetReply, or kNotFound / another typed error;
//  * open point in time: OpenPitReply; close: an empty payload; or an error.
#pragma once

#include "engine/coordinator/api_codec.h"
#include "engine/coordinator/coordinator.h"
#include "engine/rpc/rpc.h"

namespace shoal::coord {

// Registers the six methods on rpc. REQUIRES: none of them is served yet;
// coordinator outlives rpc's handlers (stop_serving them, or destroy rpc,
// first).
void serve_api(Rpc& rpc, Coordinator& coordinator);

}  // namespace shoal::coord
