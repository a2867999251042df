#include "engine/shard/collection_command.h"

#include <type_traits>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "engine/core/codec.h"
#include "engine/search/document.h"

namespace shoal::shard {
namespace {

static_assert(kMaxDocumentIdBytes == search::kMaxIdBytes, "shard and search agree on the id bound");
static_assert(kMaxDocumentsPerCommand <= search::kMaxDocumentsPerBatch,
              "a command's bulk must fit one collection batch");

// Byte layouts (integers little-endian; "bytes" is a varint length then the
// bytes; "bool" is one byte, 0 or 1; "opt" is a bool then the value if 1):
//
//   command := 'c' u8 kind
//              1 upsert: bytes documents_json
//              2 delete: varint n, n x bytes id
//              3 open:   (nothing)
//              4 close:  varint revision
//   result  := 'r' u8 code varint index varint revision varint upserted
//              varint deleted bytes message
//   query   := 'q' u8 kind
//              1 search:   bytes request_json  opt varint revision  varint min_applied
//              2 get:      bytes id            opt varint revision  varint min_applied
//              3 stats:    varint min_applied
//              4 list_ids: bytes after_id  varint limit  varint min_applied
//   answer  := 'a' u8 code varint applied_index varint revision bytes message
//              u8 kind
//              0 none
//              1 search: bytes shard_result
//              2 get:    bytes document_json
//              3 stats:  varint x 7 (revision .. compactions) bool trained
//              4 ids:    varint n, n x (bytes id  varint revision), bool more
//
// The leading letter names the kind and version of message (lower case, so
// the KV machine's upper-case messages are refused at the first byte too).
constexpr uint8_t kCommandTag = 'c';
constexpr uint8_t kResultTag = 'r';
constexpr uint8_t kQueryTag = 'q';
constexpr uint8_t kAnswerTag = 'a';

absl::Status invalid(const std::string& what) { return absl::InvalidArgumentError(what); }

absl::Status check_id(const std::string& what, const std::string& id, bool may_be_empty) {
  if (id.empty() && !may_be_empty) return invalid(absl::StrCat(what, " is empty"));
  if (id.size() > kMaxDocumentIdBytes) {
    return invalid(absl::StrCat(what, " has ", id.size(), " bytes, more than the limit of ", kMaxDocumentIdBytes));
  }
  return absl::OkStatus();
}

void write_optional(Writer& w, const std::optional<uint64_t>& v) {
  w.boolean(v.has_value());
  if (v) w.varint(*v);
}

std::optional<uint64_t> read_optional(Reader& r) {
  if (!r.boolean()) return std::nullopt;
  return r.varint();
}

// Accepts a decoded value only if it is the canonical form of `bytes`, so
// equal values have equal bytes (no overlong varints, no non-0/1 booleans).
template <typename T, typename Encode>
absl::StatusOr<T> canonical(T value, std::string_view bytes, Encode encode, const std::string& what) {
  if (encode(value) != bytes) return invalid(absl::StrCat(what, " is not canonically encoded"));
  return value;
}

// Text for describe(): printable, and short even for a long string.
std::string quoted(const std::string& s) {
  constexpr size_t kShownBytes = 32;
  const std::string shown = absl::CHexEscape(s.substr(0, kShownBytes));
  return absl::StrCat("\"", shown, s.size() > kShownBytes ? "\"..." : "\"");
}

std::string at_revision(const std::optional<uint64_t>& revision) {
  return revision ? absl::StrCat(" @rev ", *revision) : std::string();
}

std::string min_applied(uint64_t min_applied_index) {
  return min_applied_index ? absl::StrCat(" min_applied=", min_applied_index) : std::string();
}

}  // namespace

std::string_view code_name(CollectionCode code) {
  switch (code) {
    case CollectionCode::kOk: return "ok";
    case CollectionCode::kBadRequest: return "bad_request";
    case CollectionCode::kNotFound: return "not_found";
    case CollectionCode::kBehind: return "behind";
    case CollectionCode::kRevisionGone: return "revision_gone";
    case CollectionCode::kTooManyPointsInTime: return "too_many_points_in_time";
  }
  return "unknown";
}

ErrorCode to_error_code(CollectionCode code) {
  switch (code) {
    case CollectionCode::kOk: return ErrorCode::kNone;
    case CollectionCode::kBadRequest: return ErrorCode::kBadRequest;
    case CollectionCode::kNotFound: return ErrorCode::kNotFound;
    case CollectionCode::kBehind: return ErrorCode::kUnavailable;
    case CollectionCode::kRevisionGone: return ErrorCode::kNotFound;
    case CollectionCode::kTooManyPointsInTime: return ErrorCode::kOverloaded;
  }
  return ErrorCode::kBadRequest;
}

// ---- Commands ---------------------------------------------------------------

absl::Status check_command(const CollectionCommand& command) {
  if (const auto* upsert = std::get_if<UpsertDocuments>(&command)) {
    if (upsert->documents_json.size() > kMaxDocumentsJsonBytes) {
      return invalid(absl::StrCat("upsert of ", upsert->documents_json.size(), " bytes of JSON exceeds the limit of ",
                                  kMaxDocumentsJsonBytes));
    }
  } else if (const auto* del = std::get_if<DeleteDocuments>(&command)) {
    if (del->ids.size() > kMaxIdsPerCommand) {
      return invalid(absl::StrCat("delete of ", del->ids.size(), " ids exceeds the limit of ", kMaxIdsPerCommand));
    }
    for (const std::string& id : del->ids) {
      if (auto st = check_id("a deleted id", id, false); !st.ok()) return st;
    }
  }
  return absl::OkStatus();
}

std::string encode_command(const CollectionCommand& command) {
  Writer w;
  w.u8(kCommandTag);
  w.u8(static_cast<uint8_t>(command.index() + 1));
  std::visit(
      [&w](const auto& c) {
        using T = std::decay_t<decltype(c)>;
        if constexpr (std::is_same_v<T, UpsertDocuments>) {
          w.bytes(c.documents_json);
        } else if constexpr (std::is_same_v<T, DeleteDocuments>) {
          w.varint(c.ids.size());
          for (const std::string& id : c.ids) w.bytes(id);
        } else if constexpr (std::is_same_v<T, ClosePointInTime>) {
          w.varint(c.revision);
        }
      },
      command);
  return w.take();
}

namespace {

absl::StatusOr<DeleteDocuments> read_delete(Reader& r) {
  const uint64_t count = r.varint();
  // Bounded before anything is allocated: a forged count cannot reserve memory.
  if (!r.ok() || count > kMaxIdsPerCommand || count > r.remaining()) {
    return invalid("delete command has a bad id count");
  }
  DeleteDocuments del;
  del.ids.reserve(count);
  for (uint64_t i = 0; i < count && r.ok(); ++i) del.ids.push_back(r.bytes());
  return del;
}

absl::StatusOr<CollectionCommand> read_command(Reader& r) {
  const uint8_t kind = r.u8();
  if (!r.ok()) return invalid("collection command is truncated");
  switch (kind) {
    case 1: return UpsertDocuments{r.bytes()};
    case 2: {
      auto del = read_delete(r);
      if (!del.ok()) return del.status();
      return *std::move(del);
    }
    case 3: return OpenPointInTime{};
    case 4: return ClosePointInTime{r.varint()};
    default: return invalid(absl::StrCat("collection command has unknown kind ", kind));
  }
}

}  // namespace

absl::StatusOr<CollectionCommand> decode_command(std::string_view bytes) {
  if (bytes.size() > kMaxCommandBytes) {
    return invalid(absl::StrCat("collection command of ", bytes.size(), " bytes exceeds the limit of ",
                                kMaxCommandBytes));
  }
  Reader r(bytes);
  if (r.u8() != kCommandTag) return invalid("not a collection command (bad leading byte)");
  absl::StatusOr<CollectionCommand> command = read_command(r);
  if (!command.ok()) return command.status();
  if (!r.finished_ok()) return invalid("collection command is truncated or has trailing bytes");
  if (auto st = check_command(*command); !st.ok()) return st;
  return canonical(*std::move(command), bytes, encode_command, "collection command");
}

// ---- Command results ----------------------------------------------------------

std::string encode_result(const CommandResult& result) {
  Writer w;
  w.u8(kResultTag);
  w.u8(static_cast<uint8_t>(result.code));
  w.varint(result.index);
  w.varint(result.revision);
  w.varint(result.upserted);
  w.varint(result.deleted);
  w.bytes(result.message);
  return w.take();
}

absl::StatusOr<CommandResult> decode_result(std::string_view bytes) {
  Reader r(bytes);
  if (r.u8() != kResultTag) return invalid("not a collection command result (bad leading byte)");
  const uint8_t code = r.u8();
  CommandResult result;
  result.index = r.varint();
  result.revision = r.varint();
  result.upserted = r.varint();
  result.deleted = r.varint();
  result.message = r.bytes();
  if (!r.finished_ok()) return invalid("collection command result is truncated or has trailing bytes");
  if (code > kMaxCollectionCode) return invalid(absl::StrCat("collection command result has unknown code ", code));
  result.code = static_cast<CollectionCode>(code);
  if (result.message.size() > kMaxResultMessageBytes) return invalid("collection command result message is too long");
  return canonical(std::move(result), bytes, encode_result, "collection command result");
}

// ---- Queries ----------------------------------------------------------------

absl::Status check_query(const CollectionQuery& query) {
  return std::visit(
      [](const auto& q) -> absl::Status {
        using T = std::decay_t<decltype(q)>;
        if constexpr (std::is_same_v<T, SearchQuery>) {
          if (q.request_json.size() > kMaxRequestJsonBytes) {
            return invalid(absl::StrCat("search request of ", q.request_json.size(),
                                        " bytes exceeds the limit of ", kMaxRequestJsonBytes));
          }
        } else if constexpr (std::is_same_v<T, GetQuery>) {
          return check_id("a get's id", q.id, false);
        } else if constexpr (std::is_same_v<T, ListIdsQuery>) {
          if (q.limit == 0 || q.limit > kMaxListIdsLimit) {
            return invalid(absl::StrCat("list_ids limit ", q.limit, " is outside 1..", kMaxListIdsLimit));
          }
          return check_id("list_ids after_id", q.after_id, true);
        }
        return absl::OkStatus();
      },
      query);
}

std::string encode_query(const CollectionQuery& query) {
  Writer w;
  w.u8(kQueryTag);
  w.u8(static_cast<uint8_t>(query.index() + 1));
  std::visit(
      [&w](const auto& q) {
        using T = std::decay_t<decltype(q)>;
        if constexpr (std::is_same_v<T, SearchQuery>) {
          w.bytes(q.request_json);
          write_optional(w, q.revision);
        } else if constexpr (std::is_same_v<T, GetQuery>) {
          w.bytes(q.id);
          write_optional(w, q.revision);
        } else if constexpr (std::is_same_v<T, ListIdsQuery>) {
          w.bytes(q.after_id);
          w.varint(q.limit);
        }
        w.varint(q.min_applied_index);
      },
      query);
  return w.take();
}

namespace {

absl::StatusOr<CollectionQuery> read_query(Reader& r) {
  const uint8_t kind = r.u8();
  if (!r.ok()) return invalid("collection query is truncated");
  switch (kind) {
    case 1: {
      SearchQuery q{r.bytes(), read_optional(r), 0};
      q.min_applied_index = r.varint();
      return q;
    }
    case 2: {
      GetQuery q{r.bytes(), read_optional(r), 0};
      q.min_applied_index = r.varint();
      return q;
    }
    case 3: return StatsQuery{r.varint()};
    case 4: {
      ListIdsQuery q;
      q.after_id = r.bytes();
      const uint64_t limit = r.varint();
      // Out-of-range limits are refused by check_query; this only keeps the
      // narrowing from wrapping a huge value into a valid one.
      q.limit = limit > kMaxListIdsLimit ? 0 : static_cast<uint32_t>(limit);
      q.min_applied_index = r.varint();
      return q;
    }
    default: return invalid(absl::StrCat("collection query has unknown kind ", kind));
  }
}

}  // namespace

absl::StatusOr<CollectionQuery> decode_query(std::string_view bytes) {
  Reader r(bytes);
  if (r.u8() != kQueryTag) return invalid("not a collection query (bad leading byte)");
  absl::StatusOr<CollectionQuery> query = read_query(r);
  if (!query.ok()) return query.status();
  if (!r.finished_ok()) return invalid("collection query is truncated or has trailing bytes");
  if (auto st = check_query(*query); !st.ok()) return st;
  return canonical(*std::move(query), bytes, encode_query, "collection query");
}

// ---- Query results ------------------------------------------------------------

namespace {

void write_stats(Writer& w, const ShardStats& s) {
  for (uint64_t v : {s.revision, s.live_documents, s.live_vectors, s.slots, s.dead_slots, s.open_points_in_time,
                     s.compactions}) {
    w.varint(v);
  }
  w.boolean(s.vector_index_trained);
}

ShardStats read_stats(Reader& r) {
  ShardStats s;
  for (uint64_t* v : {&s.revision, &s.live_documents, &s.live_vectors, &s.slots, &s.dead_slots,
                      &s.open_points_in_time, &s.compactions}) {
    *v = r.varint();
  }
  s.vector_index_trained = r.boolean();
  return s;
}

absl::StatusOr<IdsAnswer> read_ids(Reader& r) {
  const uint64_t count = r.varint();
  if (!r.ok() || count > kMaxListIdsLimit || count > r.remaining()) return invalid("ids answer has a bad count");
  IdsAnswer answer;
  answer.ids.reserve(count);
  for (uint64_t i = 0; i < count && r.ok(); ++i) {
    LiveId live{r.bytes(), 0};
    live.revision = r.varint();
    if (auto st = check_id("a listed id", live.id, false); !st.ok()) return st;
    answer.ids.push_back(std::move(live));
  }
  answer.more = r.boolean();
  return answer;
}

absl::StatusOr<QueryAnswer> read_answer(Reader& r) {
  const uint8_t kind = r.u8();
  if (!r.ok()) return invalid("collection query result is truncated");
  switch (kind) {
    case 0: return QueryAnswer{};
    case 1: return QueryAnswer{SearchAnswer{r.bytes()}};
    case 2: return QueryAnswer{GetAnswer{r.bytes()}};
    case 3: return QueryAnswer{StatsAnswer{read_stats(r)}};
    case 4: {
      auto ids = read_ids(r);
      if (!ids.ok()) return ids.status();
      return QueryAnswer{*std::move(ids)};
    }
    default: return invalid(absl::StrCat("collection query result has unknown answer kind ", kind));
  }
}

}  // namespace

std::string encode_query_result(const QueryResult& result) {
  Writer w;
  w.u8(kAnswerTag);
  w.u8(static_cast<uint8_t>(result.code));
  w.varint(result.applied_index);
  w.varint(result.revision);
  w.bytes(result.message);
  w.u8(static_cast<uint8_t>(result.answer.index()));
  std::visit(
      [&w](const auto& a) {
        using T = std::decay_t<decltype(a)>;
        if constexpr (std::is_same_v<T, SearchAnswer>) {
          w.bytes(a.shard_result);
        } else if constexpr (std::is_same_v<T, GetAnswer>) {
          w.bytes(a.document_json);
        } else if constexpr (std::is_same_v<T, StatsAnswer>) {
          write_stats(w, a.stats);
        } else if constexpr (std::is_same_v<T, IdsAnswer>) {
          w.varint(a.ids.size());
          for (const LiveId& live : a.ids) {
            w.bytes(live.id);
            w.varint(live.revision);
          }
          w.boolean(a.more);
        }
      },
      result.answer);
  return w.take();
}

absl::StatusOr<QueryResult> decode_query_result(std::string_view bytes) {
  Reader r(bytes);
  if (r.u8() != kAnswerTag) return invalid("not a collection query result (bad leading byte)");
  const uint8_t code = r.u8();
  QueryResult result;
  result.applied_index = r.varint();
  result.revision = r.varint();
  result.message = r.bytes();
  absl::StatusOr<QueryAnswer> answer = read_answer(r);
  if (!answer.ok()) return answer.status();
  if (!r.finished_ok()) return invalid("collection query result is truncated or has trailing bytes");
  if (code > kMaxCollectionCode) return invalid(absl::StrCat("collection query result has unknown code ", code));
  result.code = static_cast<CollectionCode>(code);
  result.answer = *std::move(answer);
  if (result.message.size() > kMaxResultMessageBytes) return invalid("collection query result message is too long");
  // An answer comes with kOk and only with kOk.
  if ((result.code == CollectionCode::kOk) == std::holds_alternative<std::monostate>(result.answer)) {
    return invalid("collection query result's answer does not match its code");
  }
  return canonical(std::move(result), bytes, encode_query_result, "collection query result");
}

// ---- Descriptions -------------------------------------------------------------

std::string describe(const CollectionCommand& command) {
  return std::visit(
      [](const auto& c) -> std::string {
        using T = std::decay_t<decltype(c)>;
        if constexpr (std::is_same_v<T, UpsertDocuments>) {
          return absl::StrCat("upsert(", c.documents_json.size(), " bytes: ", quoted(c.documents_json), ")");
        } else if constexpr (std::is_same_v<T, DeleteDocuments>) {
          std::string out = absl::StrCat("delete(", c.ids.size(), " ids");
          if (!c.ids.empty()) absl::StrAppend(&out, ": ", quoted(c.ids.front()), c.ids.size() > 1 ? ", ..." : "");
          return out + ")";
        } else if constexpr (std::is_same_v<T, OpenPointInTime>) {
          return "open_point_in_time()";
        } else {
          return absl::StrCat("close_point_in_time(", c.revision, ")");
        }
      },
      command);
}

std::string describe(const CommandResult& result) {
  std::string out = absl::StrCat(std::string(code_name(result.code)), " @", result.index, " rev ", result.revision);
  if (result.upserted) absl::StrAppend(&out, " upserted=", result.upserted);
  if (result.deleted) absl::StrAppend(&out, " deleted=", result.deleted);
  if (!result.message.empty()) absl::StrAppend(&out, " (", result.message, ")");
  return out;
}

std::string describe(const CollectionQuery& query) {
  return std::visit(
      [](const auto& q) -> std::string {
        using T = std::decay_t<decltype(q)>;
        if constexpr (std::is_same_v<T, SearchQuery>) {
          return absl::StrCat("search(", quoted(q.request_json), at_revision(q.revision),
                              min_applied(q.min_applied_index), ")");
        } else if constexpr (std::is_same_v<T, GetQuery>) {
          return absl::StrCat("get(", quoted(q.id), at_revision(q.revision), min_applied(q.min_applied_index), ")");
        } else if constexpr (std::is_same_v<T, StatsQuery>) {
          return absl::StrCat("stats(", min_applied(q.min_applied_index), ")");
        } else {
          return absl::StrCat("list_ids(after ", quoted(q.after_id), " limit ", q.limit,
                              min_applied(q.min_applied_index), ")");
        }
      },
      query);
}

std::string describe(const QueryResult& result) {
  std::string out =
      absl::StrCat(std::string(code_name(result.code)), " applied ", result.applied_index, " rev ", result.revision);
  std::visit(
      [&out](const auto& a) {
        using T = std::decay_t<decltype(a)>;
        if constexpr (std::is_same_v<T, SearchAnswer>) {
          absl::StrAppend(&out, " search(", a.shard_result.size(), " bytes)");
        } else if constexpr (std::is_same_v<T, GetAnswer>) {
          absl::StrAppend(&out, " doc=", quoted(a.document_json));
        } else if constexpr (std::is_same_v<T, StatsAnswer>) {
          absl::StrAppend(&out, " live=", a.stats.live_documents, " slots=", a.stats.slots);
        } else if constexpr (std::is_same_v<T, IdsAnswer>) {
          absl::StrAppend(&out, " ids=", a.ids.size(), a.more ? "+" : "");
        }
      },
      result.answer);
  if (!result.message.empty()) absl::StrAppend(&out, " (", result.message, ")");
  return out;
}

}  // namespace shoal::shard
