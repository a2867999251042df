// Upsert and remove: validate, route by the map, one command per shard (split
// only past the command bounds), to each shard's leader; re-route a shard's
// share by a fresh map when told the map was stale.
#include <algorithm>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <boost/json.hpp>

#include "absl/container/btree_map.h"
#include "absl/strings/str_cat.h"
#include "engine/core/assert.h"
#include "engine/coordinator/operations.h"
#include "engine/search/document.h"
#include "engine/search/json_util.h"
#include "engine/shard/collection_command.h"

namespace shoal::coord {
namespace {

namespace json = boost::json;

// One document of an upsert (or one id of a delete).
struct Item {
  std::string id;
  std::string json;       // upsert: the document's JSON text; delete: empty
  search::Document doc;   // upsert: parsed, for routing
};

// One shard command of the write, as routed by one map.
struct SubWrite {
  enum class State { kQueued, kSent, kRerouting, kDone, kReplaced };
  uint32_t shard = 0;
  GroupId group = 0;
  uint64_t map_version = 0;
  std::vector<NodeId> replicas;
  std::vector<size_t> items;
  int reroutes = 0;
  State state = State::kQueued;
  bool maybe_applied = false;  // some attempt may have taken effect
  Error last_error;
  ShardWrite result;  // kDone
};

bool outcome_unknown(const Error& e, bool maybe_applied) {
  return maybe_applied || e.code == ErrorCode::kDeadline || e.code == ErrorCode::kOutcomeUnknown;
}

class WriteOp : public std::enable_shared_from_this<WriteOp> {
 public:
  WriteOp(CoordinatorCore& core, bool upsert, std::string collection, WriteLevel level, WriteDone done)
      : core_(core), upsert_(upsert), collection_(std::move(collection)), level_(level),
        done_(std::move(done)) {}

  // Starts the operation; `parse` turns the request into items once the
  // collection's schema is known (an error: kBadRequest, nothing sent).
  void start(Duration timeout, std::function<Error(const cluster::CollectionInfo&, std::vector<Item>*)> parse) {
    SHOAL_ASSERT(done_);
    if (!core_.begin_operation()) {
      auto done = std::move(done_);
      return core_.after(Duration::zero(), [done] {
        done(WriteOutcome{make_error(ErrorCode::kOverloaded, "coordinator: too many operations in flight"), {}});
      });
    }
    deadline_ = core_.env.now() + timeout;
    auto self = shared_from_this();
    core_.after(timeout, [self] { self->finish(); });
    core_.resolve(collection_, [self, parse = std::move(parse)](auto map, const cluster::CollectionInfo* info) {
      if (self->finished_) return;
      if (info == nullptr) return self->fail(make_error(ErrorCode::kNotFound, "no collection " + self->collection_));
      if (Error e = parse(*info, &self->items_); !e.ok()) return self->fail(std::move(e));
      std::vector<size_t> all(self->items_.size());
      for (size_t i = 0; i < all.size(); ++i) all[i] = i;
      self->route(*map, *info, all, 0);
      self->pump();
    });
  }

 private:
  // Splits `items` by the shard the map gives each, then by the command bounds.
  void route(const cluster::ShardMap& map, const cluster::CollectionInfo& info, const std::vector<size_t>& items,
             int reroutes) {
    absl::btree_map<uint32_t, std::vector<size_t>> by_shard;
    for (size_t i : items) {
      if (upsert_) {
        by_shard[cluster::route(info, items_[i].doc)].push_back(i);
      } else {
        for (uint32_t s : cluster::shards_for_id(info, items_[i].id)) by_shard[s].push_back(i);
      }
    }
    for (const auto& [shard, list] : by_shard) {
      const cluster::ShardInfo& si = info.shards[shard];
      size_t current = subs_.size();  // none yet for this shard
      size_t bytes = 0;
      for (size_t i : list) {
        // Delete ids travel with a length prefix; documents with a comma.
        const size_t item_bytes = (upsert_ ? items_[i].json.size() : items_[i].id.size() + 8) + 1;
        if (current == subs_.size() || subs_[current].items.size() >= core_.options.documents_per_command_max ||
            bytes + item_bytes > core_.options.command_json_bytes_max) {
          SubWrite s;
          s.shard = shard;
          s.group = si.group;
          s.map_version = map.version;
          s.replicas = si.replicas;
          s.reroutes = reroutes;
          subs_.push_back(std::move(s));
          current = subs_.size() - 1;
          bytes = 2;  // the brackets
        }
        subs_[current].items.push_back(i);
        bytes += item_bytes;
      }
    }
  }

  std::string command_of(const SubWrite& s) const {
    if (upsert_) {
      std::string docs = "[";
      for (size_t k = 0; k < s.items.size(); ++k) {
        if (k > 0) docs += ',';
        docs += items_[s.items[k]].json;
      }
      docs += ']';
      return shard::encode_command(shard::UpsertDocuments{std::move(docs)});
    }
    shard::DeleteDocuments del;
    for (size_t i : s.items) del.ids.push_back(items_[i].id);
    return shard::encode_command(del);
  }

  // Sends queued commands while the in-flight bound allows.
  void pump() {
    for (size_t i = 0; i < subs_.size() && in_flight_ < core_.options.sub_requests_in_flight_max; ++i) {
      if (subs_[i].state == SubWrite::State::kQueued) send(i);
    }
    if (!finished_ && in_flight_ == 0 && rerouting_ == 0) finish();
  }

  void send(size_t i) {
    SubWrite& s = subs_[i];
    s.state = SubWrite::State::kSent;
    in_flight_++;
    GroupCallSpec spec;
    spec.request = ClientRequest{s.group, true, static_cast<uint8_t>(level_), 0, s.map_version, command_of(s)};
    spec.replicas = s.replicas;
    spec.to_leader = true;
    spec.deadline = deadline_;
    auto self = shared_from_this();
    core_.call(std::move(spec), [self, i](GroupCallResult r) { self->on_reply(i, std::move(r)); });
  }

  void on_reply(size_t i, GroupCallResult r) {
    if (finished_) return;
    in_flight_--;
    SubWrite& s = subs_[i];
    s.maybe_applied = s.maybe_applied || r.maybe_applied;
    if (r.error.ok()) {
      conclude_success(s, r.reply);
    } else if (r.error.code == ErrorCode::kStaleMap || r.error.code == ErrorCode::kNotFound) {
      s.last_error = r.error;
      // A stale-map answer wants a map newer than the one routed by, at least.
      const uint64_t wanted =
          r.error.code == ErrorCode::kStaleMap ? std::max(r.error.map_version, s.map_version + 1) : 0;
      start_reroute(i, wanted);
    } else {
      conclude(s, outcome_unknown(r.error, s.maybe_applied) ? Outcome::kUnknown : Outcome::kFail, r.error);
    }
    pump();
  }

  void conclude_success(SubWrite& s, const ClientReply& reply) {
    if (reply.accepted) {
      conclude(s, Outcome::kOk, Error{});
      s.result.accepted = true;
      s.result.index = reply.index;
      return;
    }
    auto result = shard::decode_result(reply.payload);
    if (!result.ok()) {
      // Served, but unreadable: it may well have applied.
      return conclude(s, Outcome::kUnknown, make_error(ErrorCode::kOutcomeUnknown, "malformed shard result"));
    }
    if (result->code != shard::CollectionCode::kOk) {
      // The shard applied the command as "nothing happened".
      return conclude(s, Outcome::kFail, make_error(shard::to_error_code(result->code), result->message));
    }
    conclude(s, Outcome::kOk, Error{});
    s.result.index = result->index;
    s.result.count = upsert_ ? result->upserted : result->deleted;
  }

  void conclude(SubWrite& s, Outcome outcome, Error error) {
    s.state = SubWrite::State::kDone;
    s.result.shard = s.shard;
    s.result.group = s.group;
    s.result.map_version = s.map_version;
    s.result.outcome = outcome;
    s.result.error = std::move(error);
    for (size_t i : s.items) s.result.ids.push_back(items_[i].id);
  }

  // The shard says the map that routed this command is old (kStaleMap), or
  // its node does not host the group (kNotFound). Fetch a newer map and route
  // the command's documents again by it.
  void start_reroute(size_t i, uint64_t wanted_version) {
    SubWrite& s = subs_[i];
    if (s.reroutes >= kReroutesPerSubRequestMax) {
      return conclude(s, s.maybe_applied ? Outcome::kUnknown : Outcome::kFail, s.last_error);
    }
    s.state = SubWrite::State::kRerouting;
    rerouting_++;
    core_.stats.reroutes++;
    auto self = shared_from_this();
    core_.refresh(wanted_version, [self, i, wanted_version](bool) {
      if (self->finished_) return;
      self->rerouting_--;
      self->reroute(i, wanted_version);
    });
  }

  void reroute(size_t i, uint64_t wanted_version) {
    SubWrite& s = subs_[i];
    std::shared_ptr<const cluster::ShardMap> map = core_.maps.current();
    const bool newer = map->version > s.map_version && map->version >= wanted_version;
    if (!newer && wanted_version != 0) {
      // Told the map is stale but no newer one is here yet: never re-send
      // by the stale one. Ask again after a pause, within the bound.
      s.reroutes++;
      rerouting_++;
      auto self = shared_from_this();
      return core_.after(core_.options.backoff, [self, i, wanted_version] {
        if (self->finished_) return;
        self->rerouting_--;
        self->start_reroute(i, wanted_version);
        self->pump();
      });
    }
    const cluster::CollectionInfo* info = map->find(collection_);
    if (info == nullptr) {
      conclude(s, s.maybe_applied ? Outcome::kUnknown : Outcome::kFail,
               make_error(ErrorCode::kNotFound, "collection " + collection_ + " is gone from the map"));
      return pump();
    }
    // kNotFound by the current map (not known to be stale): the group may be
    // joining that node; the next attempt starts over at the first replica.
    if (!newer) core_.leaders.erase(s.group);
    s.state = SubWrite::State::kReplaced;
    const std::vector<size_t> items = s.items;  // route() may grow subs_
    route(*map, *info, items, s.reroutes + 1);
    pump();
  }

  void fail(Error e) {
    SHOAL_ASSERT(subs_.empty());
    error_ = std::move(e);
    finish();
  }

  void finish() {
    if (finished_) return;
    finished_ = true;
    WriteOutcome out;
    out.error = error_;
    for (SubWrite& s : subs_) {
      switch (s.state) {
        case SubWrite::State::kReplaced: continue;
        case SubWrite::State::kDone: break;
        case SubWrite::State::kQueued:
          conclude(s, Outcome::kFail, make_error(ErrorCode::kDeadline, "deadline passed before it was sent"));
          break;
        case SubWrite::State::kSent:
          conclude(s, Outcome::kUnknown, make_error(ErrorCode::kDeadline, "deadline passed before the shard answered"));
          break;
        case SubWrite::State::kRerouting:
          conclude(s, s.maybe_applied ? Outcome::kUnknown : Outcome::kFail,
                   make_error(ErrorCode::kDeadline, "deadline passed while the map was refreshed"));
          break;
      }
      out.shards.push_back(std::move(s.result));
    }
    if (out.error.ok()) out.error = overall_error(out);
    core_.end_operation();
    auto done = std::move(done_);
    done(std::move(out));
  }

  static Error overall_error(const WriteOutcome& out) {
    const Outcome o = out.outcome();
    if (o == Outcome::kOk) return Error{};
    for (const ShardWrite& s : out.shards) {
      if (s.outcome == Outcome::kUnknown) {
        Error e = s.error;
        if (e.code != ErrorCode::kDeadline) e.code = ErrorCode::kOutcomeUnknown;
        e.message = absl::StrCat("shard ", s.shard, ": ", s.error.describe());
        return e;
      }
    }
    for (const ShardWrite& s : out.shards) {
      if (s.outcome == Outcome::kFail) {
        Error e = s.error;
        e.message = absl::StrCat("shard ", s.shard, ": ", s.error.message);
        return e;
      }
    }
    return make_error(ErrorCode::kBadRequest, "nothing to write");
  }

  CoordinatorCore& core_;
  const bool upsert_;
  const std::string collection_;
  const WriteLevel level_;
  WriteDone done_;
  TimePoint deadline_;
  std::vector<Item> items_;
  std::vector<SubWrite> subs_;
  size_t in_flight_ = 0;
  size_t rerouting_ = 0;
  bool finished_ = false;
  Error error_;
};

// Later documents win within a bulk, and an id must reach one shard only:
// keep the last occurrence of each id, in request order.
std::vector<Item> last_of_each_id(std::vector<Item> items) {
  absl::btree_map<std::string, size_t> last;
  for (size_t i = 0; i < items.size(); ++i) last[items[i].id] = i;
  std::vector<Item> out;
  for (size_t i = 0; i < items.size(); ++i) {
    if (last[items[i].id] == i) out.push_back(std::move(items[i]));
  }
  return out;
}

Error parse_upsert(const std::string& text, const cluster::CollectionInfo& info, size_t json_bytes_max,
                   std::vector<Item>* out) {
  auto v = search::parse_json(text, "documents");
  if (!v.ok()) return make_error(ErrorCode::kBadRequest, std::string(v.status().message()));
  std::vector<const json::value*> values;
  if (const json::array* arr = v->if_array()) {
    if (arr->size() > kDocumentsPerUpsertMax) {
      return make_error(ErrorCode::kBadRequest, absl::StrCat("documents: ", arr->size(), " exceed the limit of ",
                                                             kDocumentsPerUpsertMax, " per request"));
    }
    for (const json::value& d : *arr) values.push_back(&d);
  } else {
    values.push_back(&*v);
  }
  if (values.empty()) return make_error(ErrorCode::kBadRequest, "documents: the array is empty");
  std::vector<Item> items;
  for (size_t i = 0; i < values.size(); ++i) {
    auto doc = search::parse_document(*values[i], info.schema);
    if (!doc.ok()) {
      return make_error(ErrorCode::kBadRequest, absl::StrCat("document ", i, ": ", doc.status().message()));
    }
    Item item{doc->id, json::serialize(*values[i]), *std::move(doc)};
    if (item.json.size() + 2 > json_bytes_max) {
      return make_error(ErrorCode::kBadRequest, absl::StrCat("document ", i, " is ", item.json.size(),
                                                             " bytes; one command holds at most ", json_bytes_max));
    }
    items.push_back(std::move(item));
  }
  *out = last_of_each_id(std::move(items));
  return Error{};
}

Error parse_remove(std::vector<std::string> ids, std::vector<Item>* out) {
  if (ids.empty()) return make_error(ErrorCode::kBadRequest, "ids: none given");
  if (ids.size() > kIdsPerDeleteMax) {
    return make_error(ErrorCode::kBadRequest,
                      absl::StrCat("ids: ", ids.size(), " exceed the limit of ", kIdsPerDeleteMax, " per request"));
  }
  std::vector<Item> items;
  for (std::string& id : ids) {
    if (id.empty() || id.size() > kDocumentIdBytesMax) {
      return make_error(ErrorCode::kBadRequest, absl::StrCat("ids: an id must be 1..", kDocumentIdBytesMax, " bytes"));
    }
    items.push_back(Item{std::move(id), {}, {}});
  }
  *out = last_of_each_id(std::move(items));
  return Error{};
}

}  // namespace

void start_upsert(CoordinatorCore& core, std::string collection, std::string documents_json, WriteLevel level,
                  Duration timeout, WriteDone done) {
  auto op = std::make_shared<WriteOp>(core, true, std::move(collection), level, std::move(done));
  const size_t json_max = core.options.command_json_bytes_max;
  op->start(timeout, [text = std::move(documents_json), json_max](const cluster::CollectionInfo& info,
                                                                  std::vector<Item>* out) {
    return parse_upsert(text, info, json_max, out);
  });
}

void start_remove(CoordinatorCore& core, std::string collection, std::vector<std::string> ids, WriteLevel level,
                  Duration timeout, WriteDone done) {
  auto op = std::make_shared<WriteOp>(core, false, std::move(collection), level, std::move(done));
  op->start(timeout, [ids = std::move(ids)](const cluster::CollectionInfo&, std::vector<Item>* out) mutable {
    return parse_remove(std::move(ids), out);
  });
}

}  // namespace shoal::coord
