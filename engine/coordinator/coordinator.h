// Coordinator: the piece of every node that turns a client's collection
// request into shard requests and their answers into one answer.
//
// Any node coordinates. For each request it reads the shard map it caches
// (ShardMapSource) and:
//  * upsert / remove: parses and validates every document against the
//    collection's schema first (one bad document: kBadRequest, no shard
//    touched), routes each by the map, and sends ONE command per shard (more
//    only when a shard's share exceeds the command bounds) to that shard's
//    leader, stamped with the map version it was routed by. A shard that
//    answers kStaleMap or kNotFound (it does not host the group: the map is
//    old) makes the coordinator refresh the map and route THOSE documents
//    again by the new one; nothing is ever re-sent by the map it was told is
//    stale.
//  * search: parses the request once (kBadRequest before any shard works),
//    picks the shards (all; the n nearest centroids for a knn query with
//    probe_shards on a vector-sharded collection; the point in time's), sends
//    each one SearchQuery to one replica — the leader for linearizable and
//    lease reads, a random replica for session and any reads, failing over
//    to another on error or when it is behind — and merges what arrives by
//    the deadline with search::merge_shard_results. A shard without an answer
//    is named in the result with a typed reason, never silently dropped; with
//    allow_partial = false the search fails kUnavailable instead.
//  * open_pit / close_pit: pin (unpin) one revision per shard; the id is
//    opaque (pit_token.h). Paging with a cursor under a PIT reads the same
//    revisions on every page, so each document is seen exactly once.
//  * get: asks the shards the id may live on (one for hash sharding, all
//    otherwise); the first that has it answers.
//
// Every operation has a total timeout. Its callback runs exactly once, later
// on the event loop (never inside the call), at the latest when the timeout
// passes on this node's clock. A write's shard commands that did not finish
// by then are kUnknown, never kFail. When the coordinator is destroyed,
// callbacks of unfinished operations are dropped unrun (the process is gone).
//
// Errors are typed (engine/core/error.h) and decided by code alone.
//
// Limits (bounds.h) are enforced: documents per request, ids per delete,
// shards per request, sub-requests in flight per operation, operations in
// flight per coordinator (kOverloaded beyond it).
//
// Known limitation: under range and vector sharding a document whose routing
// field changes is written to its new shard, but an older copy on its former
// shard is not deleted by the coordinator.
//
// Single-threaded, on the node's event loop.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "engine/coordinator/bounds.h"
#include "engine/coordinator/outcomes.h"
#include "engine/coordinator/shard_map_source.h"
#include "engine/env/env.h"
#include "engine/rpc/group_protocol.h"
#include "engine/rpc/rpc.h"
#include "engine/search/merge.h"

namespace shoal::coord {

struct CoordinatorOptions {
  // One attempt of a sub-request waits at most this (and never past the
  // operation's deadline); then the next replica is tried.
  Duration attempt_timeout = milliseconds(500);
  // The first backoff after kOverloaded or after every replica was tried.
  Duration backoff = milliseconds(10);
  size_t sub_requests_in_flight_max = kSubRequestsInFlightMax;
  size_t operations_in_flight_max = kOperationsInFlightMax;
  // Split bounds of a shard's share of a bulk (tests make them small).
  size_t documents_per_command_max = kDocumentsPerCommandMax;
  size_t command_json_bytes_max = kCommandJsonBytesMax;
};

struct SearchOptions {
  ReadLevel level = ReadLevel::kLinearizable;
  // false: a missing shard fails the search (kUnavailable) instead of giving
  // a partial answer.
  bool allow_partial = true;
  // Vector-sharded collections and knn queries: ask only the n shards whose
  // centroids are nearest the query vector (0: every shard).
  uint32_t probe_shards = 0;
  Duration timeout = seconds(5);
  // kSession: the lowest applied index acceptable per group (the client's
  // session tokens). Groups not named need nothing.
  std::map<GroupId, uint64_t> session_tokens;
};

struct SearchOutcome {
  // kNone: response and body_json hold the answer (perhaps partial: see
  // failed). Otherwise no answer: kBadRequest, kNotFound (no collection, or
  // a point in time gone), kConflict (a point in time the map no longer
  // matches), kUnavailable (a shard missing and allow_partial false), ...
  Error error;
  search::SearchResponse response;
  // The rendered answer: render_response's JSON with "_shards" as
  // {"total", "successful", "failed": [{"shard", "group", "code", "reason"}],
  //  "missing": [shard ids]}.
  std::string body_json;
  std::vector<ShardFailure> failed;
  // Per group asked and answered: the collection revision the search read.
  std::map<GroupId, uint64_t> revisions;
};

struct GetOptions {
  ReadLevel level = ReadLevel::kLinearizable;
  Duration timeout = seconds(5);
  std::map<GroupId, uint64_t> session_tokens;
};

struct GetOutcome {
  // kNone: found. kNotFound: every shard asked said it has no such document.
  // Otherwise a shard that may hold it could not answer (kUnavailable, ...).
  Error error;
  std::string document_json;  // search::document_to_json, when found
  uint32_t shard = 0;
  GroupId group = 0;
  uint64_t revision = 0;  // the collection revision read on that shard
  std::vector<ShardFailure> failed;  // shards that could not answer
};

struct PitOutcome {
  Error error;
  std::string pit_id;  // kNone: the opaque id (pit_token.h)
  std::map<GroupId, uint64_t> revisions;  // pinned revision per group
};

struct ClosePitOutcome {
  // kNone when every shard unpinned (or had nothing pinned any more).
  Error error;
  std::vector<ShardFailure> failed;
};

struct CoordinatorStats {
  uint64_t operations = 0;
  uint64_t operations_overloaded = 0;
  uint64_t sub_requests = 0;
  uint64_t map_refreshes = 0;
  uint64_t reroutes = 0;        // shard shares routed again after a stale map
  uint64_t read_restarts = 0;   // reads started over on a new map
  uint64_t shards_missing = 0;  // search shards named missing
};

using WriteDone = std::function<void(WriteOutcome)>;
using SearchDone = std::function<void(SearchOutcome)>;
using GetDone = std::function<void(GetOutcome)>;
using PitDone = std::function<void(PitOutcome)>;
using ClosePitDone = std::function<void(ClosePitOutcome)>;

struct CoordinatorCore;

class Coordinator {
 public:
  // REQUIRES: env, rpc and maps outlive this object.
  Coordinator(Env& env, Rpc& rpc, ShardMapSource& maps, CoordinatorOptions options = {});
  ~Coordinator();
  Coordinator(const Coordinator&) = delete;
  Coordinator& operator=(const Coordinator&) = delete;

  // documents_json: one JSON object or an array of them.
  // REQUIRES: timeout > 0; done non-empty. PROMISES: done runs exactly once,
  // later, within timeout (see the contract above).
  void upsert(std::string collection, std::string documents_json, WriteLevel level, Duration timeout,
              WriteDone done);
  void remove(std::string collection, std::vector<std::string> ids, WriteLevel level, Duration timeout,
              WriteDone done);
  void search(std::string collection, std::string request_json, SearchOptions options, SearchDone done);
  void get(std::string collection, std::string id, GetOptions options, GetDone done);
  void open_pit(std::string collection, Duration timeout, PitDone done);
  void close_pit(std::string pit_id, Duration timeout, ClosePitDone done);

  size_t operations_in_flight() const;
  const CoordinatorStats& stats() const;
  Env& env() const;

 private:
  std::unique_ptr<CoordinatorCore> core_;
};

}  // namespace shoal::coord
