// The byte forms of a collection shard's commands, queries and results: what
// a coordinator proposes through the shard group's Raft log, what a read asks
// a replica, and what either gets back. Raft moves these as opaque bytes; only
// the coordinator (or a client) and CollectionStateMachine look inside.
//
// Commands are the writes of one shard of one collection:
//   * UpsertDocuments: a bulk of documents as JSON text (one object or an
//     array of them, exactly what search::parse_documents accepts), inserted
//     or replaced; later documents win within a bulk;
//   * DeleteDocuments: ids to delete; absent ids are ignored;
//   * OpenPointInTime / ClosePointInTime: pin the shard's latest revision for
//     reading, and unpin it (pins change what the shard retains, so they go
//     through the log and every replica holds the same ones).
// The revision of a write is the Raft log index of its command, so a whole
// bulk shares one revision and revisions never decrease. Upserts and deletes
// carry no session and are idempotent on retry: applying the same upsert
// again leaves the same documents (at a newer revision), and a repeated delete
// deletes nothing more (it reports 0 deleted). A command is applied every
// time it reaches the log.
//
// Queries are reads served by CollectionStateMachine::query(): a search, a
// get by id, the shard's stats, and a page of live ids with their revisions
// (for checkers). Search and get may name an older revision (a point in
// time's). Every query carries min_applied_index: a replica that has applied
// fewer entries answers kBehind instead of a possibly older state — how a
// replica serves a session's read-your-writes token.
//
// Decoding never trusts its input: every decoder is bounds-checked, rejects
// unknown tags, oversized fields and trailing bytes, and accepts only the one
// canonical encoding of a value (decode(b) succeeds only if encoding the
// result gives b again). Malformed bytes are an error, never a crash. The
// encoders REQUIRE well-formed values (check_command / check_query hold);
// they do not check, because everything they are given was built by Shoal.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "absl/status/statusor.h"
#include "engine/core/error.h"

namespace shoal::shard {

// ---- Bounds -----------------------------------------------------------------

// One command is at most kMaxCommandBytes encoded; an upsert's JSON at most
// kMaxDocumentsJsonBytes (the rest is the command's own framing). A bulk holds
// at most kMaxDocumentsPerCommand documents, a delete at most
// kMaxIdsPerCommand ids; beyond either the command is kBadRequest.
inline constexpr size_t kMaxCommandBytes = 16u << 20;
inline constexpr size_t kCommandFramingBytes = 16;
inline constexpr size_t kMaxDocumentsJsonBytes = kMaxCommandBytes - kCommandFramingBytes;
inline constexpr size_t kMaxDocumentsPerCommand = 10000;
inline constexpr size_t kMaxIdsPerCommand = 10000;
// Document ids are 1..kMaxDocumentIdBytes bytes (search::kMaxIdBytes).
inline constexpr size_t kMaxDocumentIdBytes = 512;
// A search request's JSON text is at most this long.
inline constexpr size_t kMaxRequestJsonBytes = 1u << 20;
// A ListIds page holds at most this many ids.
inline constexpr uint32_t kMaxListIdsLimit = 10000;
// Result messages are cut to this length.
inline constexpr size_t kMaxResultMessageBytes = 1u << 10;

// ---- Commands ---------------------------------------------------------------

struct UpsertDocuments {
  std::string documents_json;  // one JSON object or an array of them
  bool operator==(const UpsertDocuments&) const = default;
};

struct DeleteDocuments {
  std::vector<std::string> ids;  // each 1..kMaxDocumentIdBytes; duplicates allowed
  bool operator==(const DeleteDocuments&) const = default;
};

// Pins the shard's latest revision; the result's revision is the pinned one.
struct OpenPointInTime {
  bool operator==(const OpenPointInTime&) const = default;
};

// Unpins one point in time opened at `revision` (the revision its
// OpenPointInTime returned).
struct ClosePointInTime {
  uint64_t revision = 0;
  bool operator==(const ClosePointInTime&) const = default;
};

using CollectionCommand = std::variant<UpsertDocuments, DeleteDocuments, OpenPointInTime, ClosePointInTime>;

// ---- Result codes -------------------------------------------------------------

enum class CollectionCode : uint8_t {
  kOk = 0,
  kBadRequest = 1,           // malformed, invalid or over a bound; nothing changed
  kNotFound = 2,             // get of an absent document; close of a point in time not open
  kBehind = 3,               // the replica has not applied min_applied_index (or the revision) yet
  kRevisionGone = 4,         // the revision is no longer readable (no point in time keeps it)
  kTooManyPointsInTime = 5,  // search::kMaxOpenPointsInTime are open; nothing changed
};
inline constexpr uint8_t kMaxCollectionCode = static_cast<uint8_t>(CollectionCode::kTooManyPointsInTime);

std::string_view code_name(CollectionCode code);
// The cluster-wide code a caller branches on: kBehind is kUnavailable (retry,
// on another replica or later), kRevisionGone is kNotFound (the point in time
// is gone, as in Elasticsearch), kTooManyPointsInTime is kOverloaded.
ErrorCode to_error_code(CollectionCode code);

// What apply() answers.
struct CommandResult {
  CollectionCode code = CollectionCode::kOk;
  uint64_t index = 0;     // the log index of the command that produced it
  uint64_t revision = 0;  // writes: the revision written (== index); open: the pinned revision
  uint64_t upserted = 0;  // documents in the bulk (duplicates counted), when it applied
  uint64_t deleted = 0;   // ids that named a live document, when the delete applied
  std::string message;    // why, for anything but kOk
  bool operator==(const CommandResult&) const = default;
};

// ---- Queries ----------------------------------------------------------------

// Runs a search (request.h's JSON; its "pit" member is ignored: `revision`
// says what to read). Without `revision`, the latest.
struct SearchQuery {
  std::string request_json;
  std::optional<uint64_t> revision;
  uint64_t min_applied_index = 0;
  bool operator==(const SearchQuery&) const = default;
};

// Reads one document, at `revision` or the latest.
struct GetQuery {
  std::string id;
  std::optional<uint64_t> revision;
  uint64_t min_applied_index = 0;
  bool operator==(const GetQuery&) const = default;
};

struct StatsQuery {
  uint64_t min_applied_index = 0;
  bool operator==(const StatsQuery&) const = default;
};

// The live ids after `after_id` (empty: from the first), ascending, at most
// `limit` (1..kMaxListIdsLimit) of them, at the latest revision.
struct ListIdsQuery {
  std::string after_id;
  uint32_t limit = kMaxListIdsLimit;
  uint64_t min_applied_index = 0;
  bool operator==(const ListIdsQuery&) const = default;
};

using CollectionQuery = std::variant<SearchQuery, GetQuery, StatsQuery, ListIdsQuery>;

// ---- Query answers ------------------------------------------------------------

// search::encode_shard_result(request, result) bytes; decode them with
// search::decode_shard_result and the same parsed request.
struct SearchAnswer {
  std::string shard_result;
  bool operator==(const SearchAnswer&) const = default;
};

// The document as JSON text (search::document_to_json): a valid upsert body.
struct GetAnswer {
  std::string document_json;
  bool operator==(const GetAnswer&) const = default;
};

// search::CollectionStats, as integers.
struct ShardStats {
  uint64_t revision = 0;  // the collection's latest revision (its last write's index)
  uint64_t live_documents = 0;
  uint64_t live_vectors = 0;
  uint64_t slots = 0;
  uint64_t dead_slots = 0;
  uint64_t open_points_in_time = 0;
  uint64_t compactions = 0;
  bool vector_index_trained = false;
  bool operator==(const ShardStats&) const = default;
};

struct StatsAnswer {
  ShardStats stats;
  bool operator==(const StatsAnswer&) const = default;
};

struct LiveId {
  std::string id;
  uint64_t revision = 0;  // the revision that wrote the live version
  bool operator==(const LiveId&) const = default;
};

struct IdsAnswer {
  std::vector<LiveId> ids;  // ascending by id
  bool more = false;        // further ids follow the last one
  bool operator==(const IdsAnswer&) const = default;
};

using QueryAnswer = std::variant<std::monostate, SearchAnswer, GetAnswer, StatsAnswer, IdsAnswer>;

// What query() answers. `answer` is set (matching the query's kind) exactly
// when code is kOk.
struct QueryResult {
  CollectionCode code = CollectionCode::kOk;
  uint64_t applied_index = 0;  // the replica's applied index when it answered
  uint64_t revision = 0;       // the collection revision read (0 when nothing was read)
  std::string message;
  QueryAnswer answer;
  bool operator==(const QueryResult&) const = default;
};

// ---- Encoding ---------------------------------------------------------------

// PROMISES: decode_x(encode_x(v)) == v for every value within the bounds.
std::string encode_command(const CollectionCommand& command);
std::string encode_result(const CommandResult& result);
std::string encode_query(const CollectionQuery& query);
std::string encode_query_result(const QueryResult& result);

// PROMISES: InvalidArgument for anything but a canonical encoding of a value
// within the bounds; never reads out of bounds.
absl::StatusOr<CollectionCommand> decode_command(std::string_view bytes);
absl::StatusOr<CommandResult> decode_result(std::string_view bytes);
absl::StatusOr<CollectionQuery> decode_query(std::string_view bytes);
absl::StatusOr<QueryResult> decode_query_result(std::string_view bytes);

// Whether a value obeys the bounds above: what the decoders check after
// parsing, for callers that build values in memory. (The document count of an
// upsert is known only once its JSON is parsed, so apply checks it.)
absl::Status check_command(const CollectionCommand& command);
absl::Status check_query(const CollectionQuery& query);

// One line each, for traces and test failures.
std::string describe(const CollectionCommand& command);
std::string describe(const CommandResult& result);
std::string describe(const CollectionQuery& query);
std::string describe(const QueryResult& result);

}  // namespace shoal::shard
