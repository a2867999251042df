// The one-shot real-mode client runtime that `shoal kv`, `shoal lock` and
// `shoal collection` share.
//
// A client command is one short process: it opens a Runtime (an event loop
// on the calling thread, TCP to the given endpoints, no disk, no listening
// socket), runs its operations one after another — each call starts one
// operation and runs the loop until that operation's callback has run — and
// exits. ClientRuntime is that loop; KvSession adds one KvClient session
// against replication group 0 (a fresh random client id per process, so two
// processes never share a session).
//
// The KV-group commands (kv, lock) take the same client flags, parsed here
// once: --endpoints and --timeout, and --level / --read where they apply.
// Everything here runs on the calling thread; nothing is thread-safe.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <CLI/CLI.hpp>

#include "engine/client/kv_client.h"
#include "engine/core/ids.h"
#include "engine/env/env.h"
#include "engine/shard/kv_command.h"

namespace shoal::real {
class Runtime;
}

namespace shoal::tools {

class ClientRuntime {
 public:
  // Throws std::runtime_error with a one-line message on a bad endpoint.
  // `anonymous`: frames go to whoever listens at an endpoint, whatever its
  // id (for a command given one address and no id).
  explicit ClientRuntime(const std::map<NodeId, std::string>& endpoints, bool anonymous = false);
  ~ClientRuntime();
  ClientRuntime(const ClientRuntime&) = delete;
  ClientRuntime& operator=(const ClientRuntime&) = delete;

  Env& env();
  // A node's status (Node::status_json) over the admin channel; "" when it
  // did not answer within `timeout`.
  std::string admin_status(NodeId node, Duration timeout);
  // Nanoseconds on this process's clock (for histories).
  int64_t now_ns();

  // Calls start(done) and runs the event loop until done has run; returns
  // what done was given. REQUIRES: start arranges for done to run exactly
  // once, later, on the loop (every client in engine/client promises that).
  template <typename R, typename Start>
  R wait(Start&& start) {
    R out{};
    start([this, &out](const R& r) {
      out = r;
      stop();
    });
    run();
    return out;
  }

 private:
  void run();
  void stop();

  std::unique_ptr<real::Runtime> rt_;
};

// A client of replication group 0 on its own ClientRuntime.
class KvSession {
 public:
  // `options.client_id` is replaced by a fresh random session id.
  KvSession(const std::map<NodeId, std::string>& endpoints, KvClientOptions options);
  ~KvSession();

  KvOpResult write(kv::Write w, std::optional<kv::Fence> fence = std::nullopt);
  KvOpResult read(std::string key);
  KvOpResult query(kv::Query q);

  ClientRuntime& runtime() { return rt_; }
  KvClient& kv() { return *client_; }

 private:
  ClientRuntime rt_;
  std::unique_ptr<KvClient> client_;
};

// The client flags of `shoal kv` and `shoal lock`, as given on the line.
struct KvClientFlags {
  std::string endpoints;
  std::string write_level = "quorum";
  std::string read_level = "linearizable";
  std::string timeout = "5s";
};

// Adds --endpoints (required) and --timeout to `cmd`; with `levels`, also
// --level and --read.
void add_kv_client_flags(CLI::App& cmd, KvClientFlags& flags, bool levels);

// The endpoints and client options the flags give (nodes, levels, operation
// timeout), or a one-line error for a usage message; "" when fine.
std::string kv_client_options(const KvClientFlags& flags, std::map<NodeId, std::string>* endpoints,
                              KvClientOptions* options);

// --fence RESOURCE:TOKEN (split at the last ':', so a resource may hold
// colons): the fence, or a one-line error naming what is wrong.
std::optional<kv::Fence> parse_fence(std::string_view text, std::string* error);

// A lock token: a whole number of at least 1 (tokens are log indexes). The
// error names `flag` and the text.
std::optional<uint64_t> parse_token(std::string_view flag, std::string_view text, std::string* error);

}  // namespace shoal::tools
