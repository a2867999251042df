// `shoal collection ...`: a real-mode client of the sharded store, through
// any node's coordinator (engine/client/collection_client.h).
//
//   shoal collection create NAME --schema JSON|@FILE --shards 6 --replicas 3
//        [--strategy hash|range|vector] [--range-field F] [--sample @FILE] --endpoints E
//   shoal collection upsert NAME --file DOCS [--bulk 1000] [--acked-file F] --endpoints E
//   shoal collection search NAME --query JSON|@FILE [--read any] [--strict] --endpoints E
//   shoal collection get NAME ID --endpoints E
//   shoal collection ids NAME --endpoints E      (every id, paged with a point in time)
// DOCS is a JSON array of documents or one document per line (JSON lines).
// Upserts are idempotent, so a bulk whose outcome is unknown is sent again
// until it is acknowledged or --timeout passes.
// Exit codes: 0 done; 1 failed, partial (with --strict), or outcome unknown;
// 2 usage or bad input.
#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>

#include <boost/json.hpp>

#include "engine/client/collection_client.h"
#include "engine/cluster/metadata_command.h"
#include "engine/server/node.h"
#include "tools/cli_util.h"
#include "tools/command.h"
#include "tools/kv_session.h"

namespace shoal::tools {
namespace {

namespace json = boost::json;

struct CollectionFlags {
  std::string op;
  std::string name;
  std::vector<std::string> args;
  std::string endpoints;
  std::string schema, sample, strategy = "hash", range_field;
  int shards = 1, replicas = 1;
  std::string file, acked_file;
  int bulk = 1000;
  std::string query, read_level = "linearizable", write_level = "quorum", timeout = "10s";
  bool strict = false;
};

// TEXT, or the contents of FILE for "@FILE".
std::optional<std::string> text_or_file(const std::string& v) {
  if (v.empty() || v[0] != '@') return v;
  std::ifstream in(v.substr(1));
  if (!in) return std::nullopt;
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// One real-mode client and its event loop; each call runs the loop until
// the operation completes.
class Client {
 public:
  Client(const std::map<NodeId, std::string>& endpoints, CollectionClientOptions o) : rt_(endpoints) {
    rpc_ = std::make_unique<Rpc>(rt_.env());
    for (const auto& [id, addr] : endpoints) nodes_.push_back(id);
    client_ = std::make_unique<CollectionClient>(rt_.env(), *rpc_, nodes_, o);
  }
  template <typename Start>
  CollectionResult wait(Start start) {
    return rt_.wait<CollectionResult>(std::move(start));
  }
  Reply call(MethodId method, std::string payload, Duration timeout) {
    return rt_.wait<Reply>([&](std::function<void(Reply)> done) {
      rpc_->call(nodes_[next_++ % nodes_.size()], method, std::move(payload), timeout, std::move(done));
    });
  }
  CollectionClient& operator*() { return *client_; }

 private:
  ClientRuntime rt_;
  std::unique_ptr<Rpc> rpc_;
  std::vector<NodeId> nodes_;
  size_t next_ = 0;
  std::unique_ptr<CollectionClient> client_;
};

int create(Client& c, const CollectionFlags& f, Duration timeout) {
  CreateCollectionRequest r;
  r.settings.name = f.name;
  const auto schema = text_or_file(f.schema);
  if (!schema || schema->empty()) return usage_error("--schema: give the mapping as JSON or @FILE");
  r.settings.schema_json = *schema;
  r.settings.shard_count = static_cast<uint32_t>(f.shards);
  r.settings.replication_factor = static_cast<uint32_t>(f.replicas);
  if (!cluster::parse_strategy(f.strategy, &r.settings.strategy)) return usage_error("--strategy must be hash, range or vector");
  r.settings.range_field = f.range_field;
  if (!f.sample.empty()) {
    const auto sample = text_or_file(f.sample);
    if (!sample) return usage_error("--sample: cannot read " + f.sample);
    r.sample_json = *sample;
  }
  // Until the metadata group has a leader and every node registered, a
  // create may be refused as unavailable; ask again within the timeout.
  const double deadline = wall_seconds() + to_seconds_f(timeout);
  while (true) {
    Reply reply = c.call(kCreateCollectionMethod, encode_create_collection(r), seconds(5));
    if (reply.ok()) {
      auto result = cluster::decode_result(reply.payload);
      if (!result.ok()) return usage_error("garbled reply");
      if (result->ok()) {
        std::cout << "created " << f.name << " (map version " << result->map_version << ")\n";
        return kExitPass;
      }
      std::cerr << "shoal: create " << f.name << ": " << to_string(result->code) << ": " << result->message << "\n";
      return result->code == ErrorCode::kBadRequest ? kExitUsage : kExitCheckFailed;
    }
    if (!is_retryable(reply.error.code) || wall_seconds() > deadline) {
      std::cerr << "shoal: create " << f.name << ": " << reply.error.describe() << "\n";
      return reply.error.code == ErrorCode::kBadRequest ? kExitUsage : kExitCheckFailed;
    }
  }
}

// The documents of --file: a JSON array, or one JSON object per line.
std::optional<std::vector<json::value>> read_documents(const std::string& path, std::string* error) {
  std::ifstream in(path);
  if (!in) return (*error = "--file: cannot read " + path, std::nullopt);
  std::stringstream ss;
  ss << in.rdbuf();
  const std::string text = ss.str();
  std::vector<json::value> docs;
  boost::system::error_code ec;
  json::value all = json::parse(text, ec);
  if (!ec && all.is_array()) {
    for (auto& d : all.as_array()) docs.push_back(d);
    return docs;
  }
  std::istringstream lines(text);
  int n = 0;
  for (std::string line; std::getline(lines, line);) {
    ++n;
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    json::value v = json::parse(line, ec);
    if (ec || !v.is_object()) return (*error = path + ":" + std::to_string(n) + ": not a JSON object", std::nullopt);
    docs.push_back(std::move(v));
  }
  return docs;
}

int upsert(Client& c, const CollectionFlags& f, Duration timeout) {
  if (f.bulk < 1) return usage_error("--bulk must be at least 1");
  std::string error;
  auto docs = read_documents(f.file, &error);
  if (!docs) return usage_error(error);
  std::ofstream acked;
  if (!f.acked_file.empty()) {
    acked.open(f.acked_file);
    if (!acked) return usage_error("--acked-file: cannot write " + f.acked_file);
  }
  size_t ok = 0;
  for (size_t at = 0; at < docs->size(); at += static_cast<size_t>(f.bulk)) {
    json::array bulk;
    for (size_t i = at; i < std::min(docs->size(), at + static_cast<size_t>(f.bulk)); ++i) bulk.push_back((*docs)[i]);
    const std::string body = json::serialize(bulk);
    const double deadline = wall_seconds() + to_seconds_f(timeout);
    CollectionResult r;
    // An unknown outcome is asked again: upserts are idempotent.
    do {
      r = c.wait([&](CollectionDone done) { (*c).upsert(f.name, body, std::move(done)); });
    } while (r.outcome == coord::Outcome::kUnknown && wall_seconds() < deadline);
    if (r.outcome != coord::Outcome::kOk) {
      std::cerr << "shoal: bulk at " << at << ": " << to_string(r.outcome) << ": " << r.error.describe() << "\n";
      std::cout << "upsert: " << ok << " documents acknowledged, stopped at " << at << "\n";
      return r.error.code == ErrorCode::kBadRequest ? kExitUsage : kExitCheckFailed;
    }
    for (const auto& d : bulk) {
      ++ok;
      if (acked && d.is_object() && d.as_object().contains("_id") && d.as_object().at("_id").is_string()) {
        acked << std::string_view(d.as_object().at("_id").as_string()) << "\n";
      }
    }
    if (acked) acked.flush();  // a watcher sees each bulk as it is acknowledged
  }
  std::cout << "upsert: " << ok << " documents acknowledged\n";
  return kExitPass;
}

int search(Client& c, const CollectionFlags& f) {
  const auto query = text_or_file(f.query);
  if (!query || query->empty()) return usage_error("--query: give the request as JSON or @FILE");
  CollectionResult r = c.wait([&](CollectionDone done) {
    (*c).search(f.name, *query, CollectionSearchParams{.allow_partial = !f.strict}, std::move(done));
  });
  if (r.outcome != coord::Outcome::kOk) {
    std::cerr << "shoal: search: " << r.error.describe() << "\n";
    return r.error.code == ErrorCode::kBadRequest ? kExitUsage : kExitCheckFailed;
  }
  std::cout << r.search.body_json << "\n";
  return r.search.failed.empty() ? kExitPass : kExitCheckFailed;
}

// Every id, in id order, paged with a point in time.
int ids(Client& c, const CollectionFlags& f) {
  CollectionResult pit = c.wait([&](CollectionDone done) { (*c).open_pit(f.name, std::move(done)); });
  if (pit.outcome != coord::Outcome::kOk) {
    std::cerr << "shoal: ids: " << pit.error.describe() << "\n";
    return kExitCheckFailed;
  }
  std::optional<std::string> cursor;
  size_t n = 0;
  do {
    json::object request{{"query", json::object{{"match_all", json::object{}}}}, {"size", 1000}, {"_source", false},
                         {"sort", json::array{"_id"}}, {"pit", json::object{{"id", pit.pit_id}}}};
    if (cursor) request["cursor"] = *cursor;
    CollectionResult r = c.wait([&](CollectionDone done) {
      (*c).search(f.name, json::serialize(request), CollectionSearchParams{.allow_partial = false}, std::move(done));
    });
    if (r.outcome != coord::Outcome::kOk) {
      std::cerr << "shoal: ids: " << r.error.describe() << "\n";
      return kExitCheckFailed;
    }
    json::value body = json::parse(r.search.body_json);
    cursor.reset();
    if (const json::value* next = body.as_object().if_contains("next_cursor")) cursor = std::string(next->as_string());
    for (const auto& h : body.at("hits").at("hits").as_array()) {
      std::cout << std::string_view(h.at("_id").as_string()) << "\n";
      ++n;
    }
  } while (cursor);
  c.wait([&](CollectionDone done) { (*c).close_pit(pit.pit_id, std::move(done)); });
  std::cerr << "ids: " << n << "\n";
  return kExitPass;
}

int run(const CollectionFlags& f) {
  std::map<NodeId, std::string> endpoints;
  if (std::string err = parse_endpoints(f.endpoints, &endpoints); !err.empty()) return usage_error(err);
  const auto write_level = parse_write_level(f.write_level);
  const auto read_level = parse_read_level(f.read_level);
  if (!write_level) return usage_error("--level must be leader, quorum or all");
  if (!read_level) return usage_error("--read must be linearizable, lease, session or any");
  const auto timeout = parse_duration(f.timeout);
  if (!timeout || *timeout <= Duration(0)) return usage_error("--timeout: '" + f.timeout + "' is not a positive duration");
  if (f.shards < 1 || f.replicas < 1) return usage_error("--shards and --replicas must be at least 1");
  CollectionClientOptions o;
  o.operation_timeout = *timeout;
  // A node that went away is left after this long (a bulk of 1,000 takes a
  // fraction of it on a healthy cluster).
  o.attempt_timeout = std::min(*timeout, Duration(seconds(2)));
  o.write_level = *write_level;
  o.read_level = *read_level;
  std::unique_ptr<Client> c;
  try {
    c = std::make_unique<Client>(endpoints, o);
  } catch (const std::runtime_error& e) {
    return usage_error(e.what());
  }
  if (f.op == "create") return create(*c, f, *timeout);
  if (f.op == "upsert") return f.file.empty() ? usage_error("upsert needs --file") : upsert(*c, f, *timeout);
  if (f.op == "search") return search(*c, f);
  if (f.op == "ids") return ids(*c, f);
  if (f.args.size() != 1) return usage_error("get takes one ID");
  CollectionResult r = c->wait([&](CollectionDone done) { (**c).get(f.name, f.args[0], std::move(done)); });
  if (r.outcome != coord::Outcome::kOk) {
    std::cerr << "shoal: get " << f.args[0] << ": " << r.error.describe() << "\n";
    return kExitCheckFailed;
  }
  std::cout << r.get.document_json << "\n";
  return kExitPass;
}

CommandRegistration reg("collection", [](CLI::App& root) {
  CLI::App& col = group(root, "collection", "a client of the sharded store's collections (any node coordinates)");
  for (const char* op : {"create", "upsert", "search", "get", "ids"}) {
    auto f = std::make_shared<CollectionFlags>();
    f->op = op;
    CLI::App* c = col.add_subcommand(op, std::string(op) + " (see `shoal collection " + op + " --help`)");
    c->add_option("name", f->name, "the collection")->required();
    if (std::string(op) == "get") c->add_option("id", f->args, "the document id");
    c->add_option("--endpoints", f->endpoints, "nodes as id=host:port,...")->required();
    c->add_option("--timeout", f->timeout, "how long an operation may take (default 10s)");
    if (std::string(op) == "create") {
      c->add_option("--schema", f->schema, "the mapping as JSON, or @FILE")->required();
      c->add_option("--shards", f->shards, "shard count");
      c->add_option("--replicas", f->replicas, "replicas per shard");
      c->add_option("--strategy", f->strategy, "hash, range or vector");
      c->add_option("--range-field", f->range_field, "range: the keyword or integer field");
      c->add_option("--sample", f->sample, "documents (JSON array, or @FILE) that range and vector routing is computed from");
    }
    if (std::string(op) == "upsert") {
      c->add_option("--file", f->file, "documents: a JSON array or JSON lines");
      c->add_option("--bulk", f->bulk, "documents per request (default 1000)");
      c->add_option("--acked-file", f->acked_file, "write each acknowledged id here");
      c->add_option("--level", f->write_level, "leader, quorum or all");
    }
    if (std::string(op) == "search") {
      c->add_option("--query", f->query, "the request as JSON, or @FILE")->required();
      c->add_option("--read", f->read_level, "linearizable, lease, session or any");
      c->add_flag("--strict", f->strict, "fail rather than answer without a shard");
    }
    set_action(*c, [f] { return run(*f); });
  }
});

}  // namespace
}  // namespace shoal::tools
