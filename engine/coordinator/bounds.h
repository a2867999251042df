// The coordinator's bounds, in one place: every queue, batch, retry loop and
// fan-out it runs has a limit named here, and what exceeds one is refused with
// a typed error (kBadRequest for a request that is too large, kOverloaded for
// work beyond what the coordinator holds at once) rather than queued forever.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>

#include "engine/cluster/shard_map.h"
#include "engine/core/time.h"
#include "engine/rpc/wire.h"
#include "engine/search/document.h"
#include "engine/shard/collection_command.h"

namespace shoal::coord {

// A request fans out to at most this many shards (every shard of the largest
// collection the map allows).
inline constexpr size_t kShardsPerRequestMax = cluster::kMaxShards;
// Documents in one upsert request and ids in one delete request.
inline constexpr size_t kDocumentsPerUpsertMax = search::kMaxDocumentsPerBatch;
inline constexpr size_t kIdsPerDeleteMax = search::kMaxDocumentsPerBatch;
// One shard command carries at most this many documents (or ids); a larger
// share of a bulk is split into several commands.
inline constexpr size_t kDocumentsPerCommandMax = shard::kMaxDocumentsPerCommand;
// What a group request adds around a command: group, flags, level, session
// index, map version and the payload's length prefix, with room to spare.
inline constexpr size_t kGroupRequestFramingBytes = 4096;
// One command's documents JSON is at most this long, so the command fits in
// both the shard's command bound and one rpc payload.
inline constexpr size_t kCommandJsonBytesMax =
    std::min(shard::kMaxDocumentsJsonBytes, kRpcPayloadBytesMax - kGroupRequestFramingBytes);
// Sub-requests (one per shard command or shard read) one operation keeps in
// flight at once; the rest wait their turn.
inline constexpr size_t kSubRequestsInFlightMax = 64;
// Operations one coordinator runs at once; beyond it a new one is kOverloaded.
inline constexpr size_t kOperationsInFlightMax = 1024;
// Attempts one sub-request makes (redirects, failovers, overload retries)
// before it gives up, whatever time is left.
inline constexpr int kAttemptsPerSubRequestMax = 32;
// Times one sub-request is re-routed after a stale map before it gives up.
inline constexpr int kReroutesPerSubRequestMax = 8;
// Times a read operation (search, get, open point in time) starts over after
// a map change moved its shards to other groups.
inline constexpr int kReadRestartsMax = 3;
// kOverloaded is retried on the same node after a backoff that doubles from
// the options' overloaded_backoff up to this.
inline constexpr Duration kOverloadedBackoffMax = milliseconds(500);
// Replies the coordinator API may take at most this long to travel back: an
// operation's budget is the caller's deadline minus this margin.
inline constexpr Duration kApiReplyMargin = milliseconds(5);
// A search request's JSON and a get's id, as the shards bound them.
inline constexpr size_t kRequestJsonBytesMax = shard::kMaxRequestJsonBytes;
inline constexpr size_t kDocumentIdBytesMax = shard::kMaxDocumentIdBytes;
// A collection name, as the shard map bounds it.
inline constexpr size_t kCollectionNameBytesMax = cluster::kMaxCollectionNameBytes;

}  // namespace shoal::coord
