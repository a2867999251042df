#include "tools/kv_session.h"

#include "engine/core/channels.h"
#include "engine/core/codec.h"
#include "engine/real/runtime.h"
#include "engine/server/node.h"
#include "tools/cli_util.h"

namespace shoal::tools {

ClientRuntime::ClientRuntime(const std::map<NodeId, std::string>& endpoints, bool anonymous) {
  real::RuntimeConfig rc;
  rc.self = random_client_id();
  rc.peers = endpoints;
  rc.anonymous_peers = anonymous;
  rc.log_level = LogLevel::kError;
  rt_ = std::make_unique<real::Runtime>(rc);
}

ClientRuntime::~ClientRuntime() = default;

Env& ClientRuntime::env() { return *rt_; }

int64_t ClientRuntime::now_ns() { return to_ns(rt_->clock().now()); }

void ClientRuntime::run() {
  // The loop stopped after the previous operation; it must be restarted
  // before it runs again.
  rt_->io().restart();
  rt_->run();
}

void ClientRuntime::stop() { rt_->stop(); }

std::string ClientRuntime::admin_status(NodeId node, Duration timeout) {
  const uint64_t request_id = rt_->random().next_u64();
  // The handler and the timer outlive this call (the loop runs again for
  // the next operation), so they share a flag: only the first may answer.
  return wait<std::string>([&](std::function<void(const std::string&)> done) {
    auto answered = std::make_shared<bool>(false);
    rt_->network().set_handler(kAdminChannel, [done, answered, request_id](Message&& m) {
      Reader r(m.payload);
      r.u8();
      if (r.u64() != request_id || *answered) return;
      *answered = true;
      done(r.bytes());
    });
    rt_->clock().after(timeout, [done, answered] {
      if (*answered) return;
      *answered = true;
      done("");
    });
    Writer w;
    w.u8(static_cast<uint8_t>(AdminKind::kStatus));
    w.u64(request_id);
    rt_->network().send(node, kAdminChannel, w.take());
  });
}

KvSession::KvSession(const std::map<NodeId, std::string>& endpoints, KvClientOptions options) : rt_(endpoints) {
  options.client_id = rt_.env().random().next_u64() | 1;
  client_ = std::make_unique<KvClient>(rt_.env(), std::move(options));
}

KvSession::~KvSession() = default;

KvOpResult KvSession::write(kv::Write w, std::optional<kv::Fence> fence) {
  return rt_.wait<KvOpResult>(
      [&](KvCallback done) { client_->write(std::move(w), std::move(fence), std::move(done)); });
}

KvOpResult KvSession::read(std::string key) {
  return rt_.wait<KvOpResult>([&](KvCallback done) { client_->read(std::move(key), std::move(done)); });
}

KvOpResult KvSession::query(kv::Query q) {
  return rt_.wait<KvOpResult>([&](KvCallback done) { client_->query(std::move(q), std::move(done)); });
}

void add_kv_client_flags(CLI::App& cmd, KvClientFlags& flags, bool levels) {
  cmd.add_option("--endpoints", flags.endpoints, "nodes as id=host:port,... (ids default to 1,2,...)")->required();
  cmd.add_option("--timeout", flags.timeout, "give up on an operation after this long")->capture_default_str();
  if (!levels) return;
  cmd.add_option("--level", flags.write_level, "write level: leader, quorum, all")->capture_default_str();
  cmd.add_option("--read", flags.read_level, "read level: linearizable, lease, session, any")->capture_default_str();
}

std::string kv_client_options(const KvClientFlags& flags, std::map<NodeId, std::string>* endpoints,
                              KvClientOptions* options) {
  if (std::string err = parse_endpoints(flags.endpoints, endpoints); !err.empty()) return err;
  const auto write_level = parse_write_level(flags.write_level);
  const auto read_level = parse_read_level(flags.read_level);
  if (!write_level) return "--level must be leader, quorum or all";
  if (!read_level) return "--read must be linearizable, lease, session or any";
  const auto timeout = parse_duration(flags.timeout);
  if (!timeout) return "--timeout: '" + flags.timeout + "' is not a duration";
  if (*timeout <= Duration(0)) return "--timeout must be longer than 0 (an operation needs time to be sent)";
  options->nodes.clear();
  for (const auto& [id, addr] : *endpoints) options->nodes.push_back(id);
  options->write_level = *write_level;
  options->read_level = *read_level;
  options->operation_timeout = *timeout;
  return "";
}

std::optional<uint64_t> parse_token(std::string_view flag, std::string_view text, std::string* error) {
  const auto token = parse_whole_number(text);
  if (!token || *token == 0) {
    *error = std::string(flag) + ": '" + std::string(text) + "' is not a token (a whole number from 1)";
    return std::nullopt;
  }
  return token;
}

std::optional<kv::Fence> parse_fence(std::string_view text, std::string* error) {
  const size_t colon = text.rfind(':');
  if (colon == std::string_view::npos || colon == 0) {
    *error = "--fence: '" + std::string(text) + "' is not RESOURCE:TOKEN";
    return std::nullopt;
  }
  const std::string_view resource = text.substr(0, colon);
  if (resource.size() > kv::kMaxResourceBytes) {
    *error = "--fence: the resource is longer than " + std::to_string(kv::kMaxResourceBytes) + " bytes";
    return std::nullopt;
  }
  const auto token = parse_token("--fence", text.substr(colon + 1), error);
  if (!token) return std::nullopt;
  return kv::Fence{std::string(resource), *token};
}

}  // namespace shoal::tools
