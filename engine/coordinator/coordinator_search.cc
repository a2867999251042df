// Search: parse once, pick the shards, one SearchQuery per shard to one
// replica, merge what arrives by the deadline, and name what did not.
#include <algorithm>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <boost/json.hpp>

#include "absl/strings/str_cat.h"
#include "engine/core/assert.h"
#include "engine/core/planted.h"
#include "engine/coordinator/operations.h"
#include "engine/coordinator/pit_token.h"
#include "engine/coordinator/read_common.h"
#include "engine/search/json_util.h"
#include "engine/search/request.h"
#include "engine/shard/collection_command.h"

namespace shoal::coord {
namespace {

namespace json = boost::json;

// One shard's part of the search.
struct ShardRead {
  enum class State { kQueued, kSent, kRefreshing, kAnswered, kFailed };
  uint32_t shard = 0;
  GroupId group = 0;
  std::vector<NodeId> replicas;
  std::optional<uint64_t> revision;  // a point in time's
  uint64_t open_index = 0;           // a point in time's: the replica must have applied it
  State state = State::kQueued;
  int reroutes = 0;
  Error error;  // kFailed
  search::ShardResult result;  // kAnswered
};

// The request as the shards get it, and the point in time it names. The
// coordinator's point-in-time ids are not the search library's, so the "pit"
// member is taken out before the library parses the request; a cursor's pit
// (which the library passes through unchecked) is checked here.
struct Prepared {
  std::string shard_json;
  search::SearchRequest request;
  std::optional<PitToken> pit;
};

Error bad(std::string message) { return make_error(ErrorCode::kBadRequest, std::move(message)); }

Error take_pit_member(const std::string& text, std::string* shard_json, std::optional<std::string>* pit_id) {
  *shard_json = text;
  auto v = search::parse_json(text, "search request");
  if (!v.ok() || !v->is_object()) return Error{};  // the library's parse names the problem
  json::object& root = v->as_object();
  json::value* pit = root.if_contains("pit");
  if (pit == nullptr) return Error{};
  const json::object* p = pit->if_object();
  if (p == nullptr) return bad("pit: expected an object");
  for (const auto& kv : *p) {
    if (kv.key() != "id" && kv.key() != "keep_alive") return bad(absl::StrCat("pit: unknown member ", std::string(kv.key())));
  }
  const json::value* id = p->if_contains("id");
  if (id == nullptr || !id->is_string()) return bad("pit.id: expected a string");
  *pit_id = std::string(id->as_string());
  root.erase("pit");
  *shard_json = json::serialize(root);
  return Error{};
}

Error prepare(const std::string& text, const cluster::CollectionInfo& info, Prepared* out) {
  if (text.size() > kRequestJsonBytesMax) {
    return bad(absl::StrCat("search request: ", text.size(), " bytes exceed ", kRequestJsonBytesMax));
  }
  std::optional<std::string> pit_id;
  if (Error e = take_pit_member(text, &out->shard_json, &pit_id); !e.ok()) return e;
  auto request = search::parse_search_request(out->shard_json, info.schema);
  if (!request.ok()) return bad(std::string(request.status().message()));
  out->request = *std::move(request);
  if (pit_id && out->request.pit_id && *pit_id != *out->request.pit_id) {
    return bad("cursor: was issued for a different pit");
  }
  if (!pit_id) pit_id = out->request.pit_id;
  if (pit_id) {
    auto token = decode_pit_token(*pit_id);
    if (!token.ok()) return bad(std::string(token.status().message()));
    if (token->collection != info.settings.name) {
      return bad("pit: was opened on collection " + token->collection);
    }
    out->pit = *std::move(token);
    out->request.pit_id = *pit_id;
  }
  return Error{};
}

bool is_behind(const ClientReply& reply) {
  auto r = shard::decode_query_result(reply.payload);
  return r.ok() && r->code == shard::CollectionCode::kBehind;
}

class SearchOp : public std::enable_shared_from_this<SearchOp> {
 public:
  SearchOp(CoordinatorCore& core, std::string collection, std::string request_json, SearchOptions options,
           SearchDone done)
      : core_(core), collection_(std::move(collection)), request_json_(std::move(request_json)),
        options_(std::move(options)), done_(std::move(done)) {}

  void start() {
    if (!core_.begin_operation()) {
      auto done = std::move(done_);
      return core_.after(Duration::zero(), [done] {
        done(SearchOutcome{make_error(ErrorCode::kOverloaded, "coordinator: too many operations in flight")});
      });
    }
    deadline_ = core_.env.now() + options_.timeout;
    auto self = shared_from_this();
    core_.after(options_.timeout, [self] { self->finish(); });
    core_.resolve(collection_, [self](auto map, const cluster::CollectionInfo* info) {
      if (self->finished_) return;
      if (info == nullptr) return self->fail(make_error(ErrorCode::kNotFound, "no collection " + self->collection_));
      self->schema_ = info->schema;
      if (Error e = prepare(self->request_json_, *info, &self->prepared_); !e.ok()) return self->fail(std::move(e));
      self->plan(*map, *info);
    });
  }

 private:
  // Picks the shards and sends to them.
  void plan(const cluster::ShardMap& map, const cluster::CollectionInfo& info) {
    generation_++;
    reads_.clear();
    in_flight_ = 0;
    map_version_ = map.version;
    if (prepared_.pit) {
      if (Error e = check_pit_matches(*prepared_.pit, info); !e.ok()) return fail(std::move(e));
    }
    std::vector<uint32_t> shards = chosen_shards(info);
    if (shards.size() > kShardsPerRequestMax) return fail(bad("too many shards"));
    for (uint32_t s : shards) {
      ShardRead r;
      r.shard = s;
      r.group = info.shards[s].group;
      r.replicas = info.shards[s].replicas;
      if (prepared_.pit) {
        for (const PitShard& p : prepared_.pit->shards) {
          if (p.shard == s) {
            r.revision = p.revision;
            r.open_index = p.open_index;
          }
        }
      }
      reads_.push_back(std::move(r));
    }
    pump();
  }

  std::vector<uint32_t> chosen_shards(const cluster::CollectionInfo& info) const {
    const search::SearchRequest& req = prepared_.request;
    std::vector<uint32_t> shards;
    if (options_.probe_shards > 0 && req.knn && info.settings.strategy == cluster::ShardingStrategy::kVector) {
      shards = cluster::shards_for_knn(info, req.knn->query_vector, options_.probe_shards);
      std::sort(shards.begin(), shards.end());
    } else {
      for (const cluster::ShardInfo& s : info.shards) shards.push_back(s.shard);
    }
    return shards;
  }

  void pump() {
    for (size_t i = 0; i < reads_.size() && in_flight_ < core_.options.sub_requests_in_flight_max; ++i) {
      if (reads_[i].state == ShardRead::State::kQueued) send(i);
    }
    if (!finished_ && std::all_of(reads_.begin(), reads_.end(), [](const ShardRead& r) {
          return r.state == ShardRead::State::kAnswered || r.state == ShardRead::State::kFailed;
        })) {
      finish();
    }
  }

  void send(size_t i) {
    ShardRead& r = reads_[i];
    r.state = ShardRead::State::kSent;
    in_flight_++;
    const uint64_t token = session_token(options_.level, options_.session_tokens, r.group);
    shard::SearchQuery q{prepared_.shard_json, r.revision, std::max(token, r.open_index)};
    GroupCallSpec spec = read_spec(options_.level, r.group, token, map_version_, shard::encode_query(q), r.replicas,
                                   deadline_);
    spec.behind = is_behind;
    auto self = shared_from_this();
    const uint64_t gen = generation_;
    core_.call(std::move(spec), [self, i, gen](GroupCallResult result) {
      if (self->finished_ || gen != self->generation_) return;
      self->in_flight_--;
      self->on_reply(i, std::move(result));
      if (!self->finished_ && gen == self->generation_) self->pump();
    });
  }

  void on_reply(size_t i, GroupCallResult result) {
    ShardRead& r = reads_[i];
    if (result.error.code == ErrorCode::kStaleMap || result.error.code == ErrorCode::kNotFound) {
      return refresh_and_retry(i, result.error);
    }
    if (!result.error.ok()) return shard_failed(r, std::move(result.error));
    auto qr = shard::decode_query_result(result.reply.payload);
    if (!qr.ok()) return shard_failed(r, make_error(ErrorCode::kUnavailable, "malformed shard answer"));
    switch (qr->code) {
      case shard::CollectionCode::kOk: break;
      case shard::CollectionCode::kBadRequest:
        // Parsed here already, so the shard disagrees about the request: no
        // shard can answer it; fail rather than name every shard missing.
        return fail(make_error(ErrorCode::kBadRequest, absl::StrCat("shard ", r.shard, ": ", qr->message)));
      case shard::CollectionCode::kRevisionGone:
        return fail(make_error(ErrorCode::kNotFound,
                               absl::StrCat("shard ", r.shard, ": the point in time is gone: ", qr->message)));
      default:
        return shard_failed(r, make_error(shard::to_error_code(qr->code), qr->message));
    }
    const auto* answer = std::get_if<shard::SearchAnswer>(&qr->answer);
    if (answer == nullptr) return shard_failed(r, make_error(ErrorCode::kUnavailable, "shard answer of a wrong kind"));
    auto decoded = search::decode_shard_result(prepared_.request, schema_, answer->shard_result);
    if (!decoded.ok()) {
      return shard_failed(r, make_error(ErrorCode::kUnavailable, std::string(decoded.status().message())));
    }
    r.result = *std::move(decoded);
    r.state = ShardRead::State::kAnswered;
    revisions_[r.group] = qr->revision;
  }

  void shard_failed(ShardRead& r, Error e) {
    r.state = ShardRead::State::kFailed;
    r.error = std::move(e);
  }

  // A shard said the map is old or that its node does not hold the group.
  // With a fresh map: the same groups → ask that shard again at its current
  // replicas; groups moved → start the whole search over on the new map
  // (a point in time cannot move: kConflict).
  void refresh_and_retry(size_t i, const Error& error) {
    ShardRead& r = reads_[i];
    if (r.reroutes >= kReroutesPerSubRequestMax) return shard_failed(r, error);
    r.state = ShardRead::State::kRefreshing;
    r.reroutes++;
    core_.stats.reroutes++;
    const uint64_t wanted = error.code == ErrorCode::kStaleMap ? std::max(error.map_version, map_version_ + 1) : 0;
    auto self = shared_from_this();
    const uint64_t gen = generation_;
    core_.refresh(wanted, [self, i, gen, wanted, error](bool) {
      if (self->finished_ || gen != self->generation_) return;
      self->after_refresh(i, wanted, error);
      if (!self->finished_ && gen == self->generation_) self->pump();
    });
  }

  void after_refresh(size_t i, uint64_t wanted, const Error& error) {
    std::shared_ptr<const cluster::ShardMap> map = core_.maps.current();
    ShardRead& r = reads_[i];
    if (map->version < wanted) return shard_failed(r, error);  // no newer map to be had: never read by the old
    const cluster::CollectionInfo* info = map->find(collection_);
    if (info == nullptr) return fail(make_error(ErrorCode::kNotFound, "collection " + collection_ + " is gone"));
    if (!same_groups(*info)) {
      if (prepared_.pit) return fail(check_pit_matches(*prepared_.pit, *info));
      if (restarts_ >= kReadRestartsMax) return shard_failed(r, error);
      restarts_++;
      core_.stats.read_restarts++;
      revisions_.clear();
      return plan(*map, *info);
    }
    map_version_ = map->version;
    if (wanted == 0) core_.leaders.erase(r.group);
    r.replicas = info->shards[r.shard].replicas;
    r.state = ShardRead::State::kQueued;
  }

  bool same_groups(const cluster::CollectionInfo& info) const {
    for (const ShardRead& r : reads_) {
      if (r.shard >= info.shards.size() || info.shards[r.shard].group != r.group) return false;
    }
    return true;
  }

  void fail(Error e) {
    error_ = std::move(e);
    finish();
  }

  void finish() {
    if (finished_) return;
    finished_ = true;
    core_.end_operation();
    auto done = std::move(done_);
    SearchOutcome out;
    if (!error_.ok()) {
      out.error = std::move(error_);
      return done(std::move(out));
    }
    std::vector<std::pair<uint32_t, search::ShardResult>> results;
    std::vector<uint32_t> missing;
    for (ShardRead& r : reads_) {
      if (r.state == ShardRead::State::kAnswered) {
        results.emplace_back(r.shard, std::move(r.result));
        continue;
      }
      if (r.state != ShardRead::State::kFailed) {
        r.error = make_error(ErrorCode::kDeadline, "no answer by the deadline");
      }
      // Planted: a shard that did not answer is left out without a word.
      if (planted_bug() == PlantedBug::kSearchSkipsUnavailableShard) continue;
      missing.push_back(r.shard);
      out.failed.push_back(ShardFailure{r.shard, r.group, r.error});
    }
    core_.stats.shards_missing += missing.size();
    if (!missing.empty() && !options_.allow_partial) {
      out.error = make_error(ErrorCode::kUnavailable, "shards did not answer: " + describe_failures(out.failed));
      return done(std::move(out));
    }
    out.revisions = std::move(revisions_);
    out.response = search::merge_shard_results(prepared_.request, std::move(results), std::move(missing));
    auto body = search::render_response(prepared_.request, schema_, out.response);
    if (!body.ok()) {
      out.error = make_error(ErrorCode::kBadRequest, std::string(body.status().message()));
      return done(std::move(out));
    }
    (*body)["_shards"] = shards_json(out.response.shards_total, out.failed);
    out.body_json = json::serialize(*body);
    done(std::move(out));
  }

  CoordinatorCore& core_;
  const std::string collection_;
  const std::string request_json_;
  const SearchOptions options_;
  SearchDone done_;
  TimePoint deadline_;
  search::Schema schema_;
  Prepared prepared_;
  uint64_t map_version_ = 0;
  uint64_t generation_ = 0;
  int restarts_ = 0;
  std::vector<ShardRead> reads_;
  size_t in_flight_ = 0;
  std::map<GroupId, uint64_t> revisions_;
  bool finished_ = false;
  Error error_;
};

}  // namespace

void start_search(CoordinatorCore& core, std::string collection, std::string request_json, SearchOptions options,
                  SearchDone done) {
  SHOAL_ASSERT(done);
  auto op = std::make_shared<SearchOp>(core, std::move(collection), std::move(request_json), std::move(options),
                                       std::move(done));
  op->start();
}

}  // namespace shoal::coord
