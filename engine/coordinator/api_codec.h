// The coordinator API's messages: what a client sends a node's coordinator
// and what comes back, as codec bytes (engine/core/codec.h).
//
// Header-only (inline) on purpose: the client library (engine/client) speaks
// these messages but links no coordinator code.
//
// Every decoder bounds-checks, rejects unknown enum values, counts larger
// than the bytes could hold and trailing bytes, and returns false for any of
// them; garbage is an error, never a crash. Errors that END a call travel as
// typed rpc Errors (engine/rpc); the per-shard errors inside a reply are
// encoded here with their code, message, leader hint and map version.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "engine/core/codec.h"
#include "engine/core/error.h"
#include "engine/core/time.h"
#include "engine/coordinator/outcomes.h"
#include "engine/rpc/group_protocol.h"
#include "engine/rpc/wire.h"

namespace shoal::coord {

// The client-facing methods every node serves (serve_api in api.h).
inline constexpr MethodId kCoordUpsertMethod = 100;
inline constexpr MethodId kCoordDeleteMethod = 101;
inline constexpr MethodId kCoordSearchMethod = 102;
inline constexpr MethodId kCoordGetMethod = 103;
inline constexpr MethodId kCoordOpenPitMethod = 104;
inline constexpr MethodId kCoordClosePitMethod = 105;

struct UpsertCall {
  std::string collection;
  std::string documents_json;
  WriteLevel level = WriteLevel::kQuorum;
  Duration timeout = seconds(5);
  bool operator==(const UpsertCall&) const = default;
};

struct DeleteCall {
  std::string collection;
  std::vector<std::string> ids;
  WriteLevel level = WriteLevel::kQuorum;
  Duration timeout = seconds(5);
  bool operator==(const DeleteCall&) const = default;
};

struct SearchCall {
  std::string collection;
  std::string request_json;
  ReadLevel level = ReadLevel::kLinearizable;
  bool allow_partial = true;
  uint32_t probe_shards = 0;
  Duration timeout = seconds(5);
  std::map<GroupId, uint64_t> session_tokens;
  bool operator==(const SearchCall&) const = default;
};

struct GetCall {
  std::string collection;
  std::string id;
  ReadLevel level = ReadLevel::kLinearizable;
  Duration timeout = seconds(5);
  std::map<GroupId, uint64_t> session_tokens;
  bool operator==(const GetCall&) const = default;
};

struct OpenPitCall {
  std::string collection;
  Duration timeout = seconds(5);
  bool operator==(const OpenPitCall&) const = default;
};

struct ClosePitCall {
  std::string pit_id;
  Duration timeout = seconds(5);
  bool operator==(const ClosePitCall&) const = default;
};

// A search answer: the rendered body (hits with ids and scores in order,
// the total, aggregations, next_cursor, pit_id, _shards), the shards that did
// not answer, and the revision read per group.
struct SearchReply {
  std::string body_json;
  std::vector<ShardFailure> failed;
  std::map<GroupId, uint64_t> revisions;
};

struct GetReply {
  std::string document_json;
  uint32_t shard = 0;
  GroupId group = 0;
  uint64_t revision = 0;
};

struct OpenPitReply {
  std::string pit_id;
  std::map<GroupId, uint64_t> revisions;
};

// ---- Encoding ---------------------------------------------------------------

namespace api_detail {

// Message tags: a reply or request of one kind never decodes as another.
enum Tag : uint8_t {
  kUpsertTag = 1, kDeleteTag, kSearchTag, kGetTag, kOpenPitTag, kClosePitTag,
  kWriteReplyTag, kSearchReplyTag, kGetReplyTag, kOpenPitReplyTag, kClosePitReplyTag,
};

inline void put_duration(Writer& w, Duration d) { w.i64(d.count()); }
inline bool get_duration(Reader& r, Duration* d) {
  int64_t ns = 0;
  if (!r.i64(&ns) || ns <= 0) return false;
  *d = Duration(ns);
  return true;
}

inline void put_error(Writer& w, const Error& e) {
  w.u8(static_cast<uint8_t>(e.code));
  w.bytes(e.message);
  w.u32(e.leader_hint);
  w.varint(e.map_version);
}
inline bool get_error(Reader& r, Error* e) {
  uint8_t code = 0;
  if (!r.u8(&code) || code > kErrorCodeMax) return false;
  e->code = static_cast<ErrorCode>(code);
  return r.bytes(&e->message) && r.u32(&e->leader_hint) && r.varint(&e->map_version) &&
         e->message.size() <= kRpcErrorMessageBytesMax * 64;
}

inline void put_tokens(Writer& w, const std::map<GroupId, uint64_t>& m) {
  w.varint(m.size());
  for (const auto& [g, v] : m) {
    w.u32(g);
    w.varint(v);
  }
}
inline bool get_tokens(Reader& r, std::map<GroupId, uint64_t>* m) {
  uint64_t n = 0;
  if (!r.varint(&n) || n > r.remaining() / 5) return false;
  for (uint64_t i = 0; i < n; ++i) {
    uint32_t g = 0;
    uint64_t v = 0;
    if (!r.u32(&g) || !r.varint(&v)) return false;
    if (!m->empty() && g <= m->rbegin()->first) return false;  // ascending, once each
    (*m)[g] = v;
  }
  return true;
}

inline void put_strings(Writer& w, const std::vector<std::string>& v) {
  w.varint(v.size());
  for (const std::string& s : v) w.bytes(s);
}
inline bool get_strings(Reader& r, std::vector<std::string>* v) {
  uint64_t n = 0;
  if (!r.varint(&n) || n > r.remaining()) return false;
  v->resize(n);
  for (std::string& s : *v) {
    if (!r.bytes(&s)) return false;
  }
  return true;
}

inline void put_failures(Writer& w, const std::vector<ShardFailure>& v) {
  w.varint(v.size());
  for (const ShardFailure& f : v) {
    w.u32(f.shard);
    w.u32(f.group);
    put_error(w, f.error);
  }
}
inline bool get_failures(Reader& r, std::vector<ShardFailure>* v) {
  uint64_t n = 0;
  if (!r.varint(&n) || n > r.remaining() / 10) return false;
  v->resize(n);
  for (ShardFailure& f : *v) {
    if (!r.u32(&f.shard) || !r.u32(&f.group) || !get_error(r, &f.error)) return false;
  }
  return true;
}

template <typename Read>
bool decode_tagged(std::string_view bytes, Tag tag, Read read) {
  Reader r(bytes);
  uint8_t t = 0;
  if (!r.u8(&t) || t != tag) return false;
  return read(r) && r.finished_ok();
}

inline bool get_write_level(Reader& r, WriteLevel* l) {
  uint8_t v = 0;
  if (!r.u8(&v) || v < 1 || v > 3) return false;
  *l = static_cast<WriteLevel>(v);
  return true;
}
inline bool get_read_level(Reader& r, ReadLevel* l) {
  uint8_t v = 0;
  if (!r.u8(&v) || v < 1 || v > 4) return false;
  *l = static_cast<ReadLevel>(v);
  return true;
}

}  // namespace api_detail

inline std::string encode_call(const UpsertCall& c) {
  Writer w;
  w.u8(api_detail::kUpsertTag);
  w.bytes(c.collection);
  w.bytes(c.documents_json);
  w.u8(static_cast<uint8_t>(c.level));
  api_detail::put_duration(w, c.timeout);
  return w.take();
}
inline bool decode_call(std::string_view bytes, UpsertCall* c) {
  using namespace api_detail;
  return decode_tagged(bytes, kUpsertTag, [c](Reader& r) {
    return r.bytes(&c->collection) && r.bytes(&c->documents_json) && get_write_level(r, &c->level) &&
           get_duration(r, &c->timeout);
  });
}

inline std::string encode_call(const DeleteCall& c) {
  Writer w;
  w.u8(api_detail::kDeleteTag);
  w.bytes(c.collection);
  api_detail::put_strings(w, c.ids);
  w.u8(static_cast<uint8_t>(c.level));
  api_detail::put_duration(w, c.timeout);
  return w.take();
}
inline bool decode_call(std::string_view bytes, DeleteCall* c) {
  using namespace api_detail;
  return decode_tagged(bytes, kDeleteTag, [c](Reader& r) {
    return r.bytes(&c->collection) && get_strings(r, &c->ids) && get_write_level(r, &c->level) &&
           get_duration(r, &c->timeout);
  });
}

inline std::string encode_call(const SearchCall& c) {
  Writer w;
  w.u8(api_detail::kSearchTag);
  w.bytes(c.collection);
  w.bytes(c.request_json);
  w.u8(static_cast<uint8_t>(c.level));
  w.boolean(c.allow_partial);
  w.u32(c.probe_shards);
  api_detail::put_duration(w, c.timeout);
  api_detail::put_tokens(w, c.session_tokens);
  return w.take();
}
inline bool decode_call(std::string_view bytes, SearchCall* c) {
  using namespace api_detail;
  return decode_tagged(bytes, kSearchTag, [c](Reader& r) {
    uint8_t partial = 0;
    const bool ok = r.bytes(&c->collection) && r.bytes(&c->request_json) && get_read_level(r, &c->level) &&
                    r.u8(&partial) && partial <= 1 && r.u32(&c->probe_shards) && get_duration(r, &c->timeout) &&
                    get_tokens(r, &c->session_tokens);
    c->allow_partial = partial == 1;
    return ok;
  });
}

inline std::string encode_call(const GetCall& c) {
  Writer w;
  w.u8(api_detail::kGetTag);
  w.bytes(c.collection);
  w.bytes(c.id);
  w.u8(static_cast<uint8_t>(c.level));
  api_detail::put_duration(w, c.timeout);
  api_detail::put_tokens(w, c.session_tokens);
  return w.take();
}
inline bool decode_call(std::string_view bytes, GetCall* c) {
  using namespace api_detail;
  return decode_tagged(bytes, kGetTag, [c](Reader& r) {
    return r.bytes(&c->collection) && r.bytes(&c->id) && get_read_level(r, &c->level) &&
           get_duration(r, &c->timeout) && get_tokens(r, &c->session_tokens);
  });
}

inline std::string encode_call(const OpenPitCall& c) {
  Writer w;
  w.u8(api_detail::kOpenPitTag);
  w.bytes(c.collection);
  api_detail::put_duration(w, c.timeout);
  return w.take();
}
inline bool decode_call(std::string_view bytes, OpenPitCall* c) {
  using namespace api_detail;
  return decode_tagged(bytes, kOpenPitTag,
                       [c](Reader& r) { return r.bytes(&c->collection) && get_duration(r, &c->timeout); });
}

inline std::string encode_call(const ClosePitCall& c) {
  Writer w;
  w.u8(api_detail::kClosePitTag);
  w.bytes(c.pit_id);
  api_detail::put_duration(w, c.timeout);
  return w.take();
}
inline bool decode_call(std::string_view bytes, ClosePitCall* c) {
  using namespace api_detail;
  return decode_tagged(bytes, kClosePitTag,
                       [c](Reader& r) { return r.bytes(&c->pit_id) && get_duration(r, &c->timeout); });
}

inline std::string encode_reply(const WriteOutcome& o) {
  Writer w;
  w.u8(api_detail::kWriteReplyTag);
  api_detail::put_error(w, o.error);
  w.varint(o.shards.size());
  for (const ShardWrite& s : o.shards) {
    w.u32(s.shard);
    w.u32(s.group);
    w.varint(s.map_version);
    w.u8(static_cast<uint8_t>(s.outcome));
    w.boolean(s.accepted);
    w.varint(s.index);
    w.varint(s.count);
    api_detail::put_error(w, s.error);
    api_detail::put_strings(w, s.ids);
  }
  return w.take();
}
inline bool decode_reply(std::string_view bytes, WriteOutcome* o) {
  using namespace api_detail;
  return decode_tagged(bytes, kWriteReplyTag, [o](Reader& r) {
    uint64_t n = 0;
    if (!get_error(r, &o->error) || !r.varint(&n) || n > r.remaining() / 16) return false;
    o->shards.resize(n);
    for (ShardWrite& s : o->shards) {
      uint8_t outcome = 0, accepted = 0;
      if (!r.u32(&s.shard) || !r.u32(&s.group) || !r.varint(&s.map_version) || !r.u8(&outcome) ||
          outcome > kOutcomeMax || !r.u8(&accepted) || accepted > 1 || !r.varint(&s.index) ||
          !r.varint(&s.count) || !get_error(r, &s.error) || !get_strings(r, &s.ids)) {
        return false;
      }
      s.outcome = static_cast<Outcome>(outcome);
      s.accepted = accepted == 1;
    }
    return true;
  });
}

inline std::string encode_reply(const SearchReply& s) {
  Writer w;
  w.u8(api_detail::kSearchReplyTag);
  w.bytes(s.body_json);
  api_detail::put_failures(w, s.failed);
  api_detail::put_tokens(w, s.revisions);
  return w.take();
}
inline bool decode_reply(std::string_view bytes, SearchReply* s) {
  using namespace api_detail;
  return decode_tagged(bytes, kSearchReplyTag, [s](Reader& r) {
    return r.bytes(&s->body_json) && get_failures(r, &s->failed) && get_tokens(r, &s->revisions);
  });
}

inline std::string encode_reply(const GetReply& g) {
  Writer w;
  w.u8(api_detail::kGetReplyTag);
  w.bytes(g.document_json);
  w.u32(g.shard);
  w.u32(g.group);
  w.varint(g.revision);
  return w.take();
}
inline bool decode_reply(std::string_view bytes, GetReply* g) {
  using namespace api_detail;
  return decode_tagged(bytes, kGetReplyTag, [g](Reader& r) {
    return r.bytes(&g->document_json) && r.u32(&g->shard) && r.u32(&g->group) && r.varint(&g->revision);
  });
}

inline std::string encode_reply(const OpenPitReply& p) {
  Writer w;
  w.u8(api_detail::kOpenPitReplyTag);
  w.bytes(p.pit_id);
  api_detail::put_tokens(w, p.revisions);
  return w.take();
}
inline bool decode_reply(std::string_view bytes, OpenPitReply* p) {
  using namespace api_detail;
  return decode_tagged(bytes, kOpenPitReplyTag,
                       [p](Reader& r) { return r.bytes(&p->pit_id) && get_tokens(r, &p->revisions); });
}

}  // namespace shoal::coord
