#include "engine/coordinator/api.h"

#include <algorithm>
#include <utility>

namespace shoal::coord {
namespace {

Error malformed() { return make_error(ErrorCode::kBadRequest, "malformed coordinator call"); }

// What the operation may spend: the caller's timeout, but never past the
// rpc's deadline less the time the reply needs to travel.
Duration budget(const Request& q, Duration wanted, Env& env) {
  return std::min(wanted, q.deadline - env.now() - kApiReplyMargin);
}

// A bounded budget, or an answer saying there is none left.
bool take_budget(const Request& q, Duration wanted, Env& env, Responder& r, Duration* out) {
  *out = budget(q, wanted, env);
  if (*out > Duration::zero()) return true;
  r.fail(make_error(ErrorCode::kDeadline, "no time left for the operation"));
  return false;
}

void answer_write(Responder& r, WriteOutcome o) {
  // Nothing happened: a typed error says all. Otherwise the caller needs the
  // per-shard outcomes to know which documents took effect.
  if (o.outcome() == Outcome::kFail) return r.fail(o.error.ok() ? malformed() : o.error);
  r.reply(encode_reply(o));
}

}  // namespace

void serve_api(Rpc& rpc, Coordinator& coordinator) {
  rpc.serve(kCoordUpsertMethod, [&coordinator](Request q, Responder r) {
    UpsertCall c;
    if (!decode_call(q.payload, &c)) return r.fail(malformed());
    Duration b;
    if (!take_budget(q, c.timeout, coordinator.env(), r, &b)) return;
    coordinator.upsert(std::move(c.collection), std::move(c.documents_json), c.level, b,
                       [r](WriteOutcome o) mutable { answer_write(r, std::move(o)); });
  });
  rpc.serve(kCoordDeleteMethod, [&coordinator](Request q, Responder r) {
    DeleteCall c;
    if (!decode_call(q.payload, &c)) return r.fail(malformed());
    Duration b;
    if (!take_budget(q, c.timeout, coordinator.env(), r, &b)) return;
    coordinator.remove(std::move(c.collection), std::move(c.ids), c.level, b,
                       [r](WriteOutcome o) mutable { answer_write(r, std::move(o)); });
  });
  rpc.serve(kCoordSearchMethod, [&coordinator](Request q, Responder r) {
    SearchCall c;
    if (!decode_call(q.payload, &c)) return r.fail(malformed());
    SearchOptions o;
    if (!take_budget(q, c.timeout, coordinator.env(), r, &o.timeout)) return;
    o.level = c.level;
    o.allow_partial = c.allow_partial;
    o.probe_shards = c.probe_shards;
    o.session_tokens = std::move(c.session_tokens);
    coordinator.search(std::move(c.collection), std::move(c.request_json), std::move(o),
                       [r](SearchOutcome s) mutable {
                         if (!s.error.ok()) return r.fail(std::move(s.error));
                         r.reply(encode_reply(SearchReply{std::move(s.body_json), std::move(s.failed),
                                                          std::move(s.revisions)}));
                       });
  });
  rpc.serve(kCoordGetMethod, [&coordinator](Request q, Responder r) {
    GetCall c;
    if (!decode_call(q.payload, &c)) return r.fail(malformed());
    GetOptions o;
    if (!take_budget(q, c.timeout, coordinator.env(), r, &o.timeout)) return;
    o.level = c.level;
    o.session_tokens = std::move(c.session_tokens);
    coordinator.get(std::move(c.collection), std::move(c.id), std::move(o), [r](GetOutcome g) mutable {
      if (!g.error.ok()) return r.fail(std::move(g.error));
      r.reply(encode_reply(GetReply{std::move(g.document_json), g.shard, g.group, g.revision}));
    });
  });
  rpc.serve(kCoordOpenPitMethod, [&coordinator](Request q, Responder r) {
    OpenPitCall c;
    if (!decode_call(q.payload, &c)) return r.fail(malformed());
    Duration b;
    if (!take_budget(q, c.timeout, coordinator.env(), r, &b)) return;
    coordinator.open_pit(std::move(c.collection), b, [r](PitOutcome p) mutable {
      if (!p.error.ok()) return r.fail(std::move(p.error));
      r.reply(encode_reply(OpenPitReply{std::move(p.pit_id), std::move(p.revisions)}));
    });
  });
  rpc.serve(kCoordClosePitMethod, [&coordinator](Request q, Responder r) {
    ClosePitCall c;
    if (!decode_call(q.payload, &c)) return r.fail(malformed());
    Duration b;
    if (!take_budget(q, c.timeout, coordinator.env(), r, &b)) return;
    coordinator.close_pit(std::move(c.pit_id), b, [r](ClosePitOutcome p) mutable {
      if (!p.error.ok()) return r.fail(std::move(p.error));
      r.reply("");
    });
  });
}

}  // namespace shoal::coord
