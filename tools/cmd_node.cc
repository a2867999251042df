// `shoal node --config FILE`: run one real Shoal node.
// `shoal health --endpoint HOST:PORT`: ask a running node for its health view.
#include <csignal>
#include <iostream>
#include <memory>

#include <boost/asio/signal_set.hpp>
#include <boost/json.hpp>

#include "engine/core/channels.h"
#include "engine/core/codec.h"
#include "engine/real/runtime.h"
#include "engine/server/node.h"
#include "tools/cli_util.h"
#include "tools/command.h"
#include "tools/kv_session.h"

namespace shoal::tools {
namespace {

// A node hosts at most this many txn groups.
constexpr int kTxnGroupsMax = 16;

struct NodeFlags {
  int id = 0;
  std::string listen;
  std::string data_dir;
  std::vector<std::string> peers;  // "id=host:port", this node included
  std::string heartbeat_interval = "100ms";
  int degraded_after_missed = 2;
  int unhealthy_after_missed = 5;
  std::string degraded_rtt = "200ms";
  std::string log_level = "info";
  std::string election_timeout = "300ms";
  std::string raft_heartbeat_interval = "50ms";
  // A sharded node hosts the metadata group (every peer a voter) and the
  // collection shards the map places on it; a KV node hosts group 0's map.
  bool sharded = false;
  // A KV node also hosts groups 1..txn_groups, over which `shoal txn`
  // spreads its keys (engine/txn): every node of a cluster must say the same.
  int txn_groups = 2;
};

// Turns flags into runtime and node configuration, or names what is wrong.
std::string configure(const NodeFlags& f, real::RuntimeConfig* rc, NodeConfig* nc) {
  if (f.id <= 0 || static_cast<NodeId>(f.id) >= kClientIdBase) return "id must be a positive node id";
  if (f.listen.empty()) return "listen (host:port) is required";
  if (f.data_dir.empty()) return "data_dir is required";
  rc->self = static_cast<NodeId>(f.id);
  rc->listen = f.listen;
  rc->data_dir = f.data_dir;
  for (const std::string& p : f.peers) {
    const auto eq = p.find('=');
    int id = 0;
    try {
      id = eq == std::string::npos ? 0 : std::stoi(p.substr(0, eq));
    } catch (const std::exception&) {
    }
    if (id <= 0) return "peer '" + p + "' is not of the form id=host:port";
    if (rc->peers.contains(id)) return "peer id " + std::to_string(id) + " appears twice";
    const std::string address = p.substr(eq + 1);
    for (const auto& [other, other_address] : rc->peers) {
      if (other_address == address) {
        return "peers " + std::to_string(other) + " and " + std::to_string(id) + " have the same address " + address;
      }
    }
    rc->peers[static_cast<NodeId>(id)] = address;
    nc->members.push_back(static_cast<NodeId>(id));
  }
  if (!rc->peers.contains(rc->self)) return "peers must list this node's own id " + std::to_string(f.id);
  const auto interval = parse_duration(f.heartbeat_interval);
  const auto rtt = parse_duration(f.degraded_rtt);
  if (!interval || *interval <= Duration(0)) {
    return "heartbeat_interval: '" + f.heartbeat_interval + "' is not a positive duration (e.g. 100ms)";
  }
  if (!rtt) return "degraded_rtt: '" + f.degraded_rtt + "' is not a duration (e.g. 200ms)";
  if (f.degraded_after_missed < 1 || f.unhealthy_after_missed <= f.degraded_after_missed) {
    return "need 1 <= degraded_after_missed < unhealthy_after_missed";
  }
  nc->health = HealthConfig{*interval, f.degraded_after_missed, f.unhealthy_after_missed, *rtt};
  const auto election = parse_duration(f.election_timeout);
  const auto raft_beat = parse_duration(f.raft_heartbeat_interval);
  if (!election) return "election_timeout: '" + f.election_timeout + "' is not a duration (e.g. 300ms)";
  if (!raft_beat) return "raft_heartbeat_interval: '" + f.raft_heartbeat_interval + "' is not a duration (e.g. 50ms)";
  if (*raft_beat <= Duration(0)) return "raft_heartbeat_interval must be positive";
  if (*election <= *raft_beat * 2) {
    return "election_timeout (" + f.election_timeout + ") must be more than twice raft_heartbeat_interval (" +
           f.raft_heartbeat_interval + ")";
  }
  RaftOptions raft;
  raft.election_timeout_min = *election;
  raft.heartbeat_interval = *raft_beat;
  if (f.sharded) {
    nc->metadata_voters = nc->members;
    nc->shard_raft = raft;
  } else {
    // Every member hosts a replica of group 0 and of each txn group; the
    // initial voters are the peers.
    if (f.txn_groups < 0 || f.txn_groups > kTxnGroupsMax) {
      return "txn_groups must be 0.." + std::to_string(kTxnGroupsMax);
    }
    GroupSpec g;
    g.raft = raft;
    g.raft.initial_voters = nc->members;
    for (int id = 0; id <= f.txn_groups; ++id) {
      g.id = static_cast<GroupId>(id);
      nc->groups.push_back(g);
    }
  }
  static const std::map<std::string, LogLevel> levels = {
      {"debug", LogLevel::kDebug}, {"info", LogLevel::kInfo}, {"warn", LogLevel::kWarn}, {"error", LogLevel::kError}};
  if (!levels.contains(f.log_level)) return "log_level must be debug, info, warn or error";
  rc->log_level = levels.at(f.log_level);
  return "";
}

int run_node(const NodeFlags& f) {
  real::RuntimeConfig rc;
  NodeConfig nc;
  if (std::string err = configure(f, &rc, &nc); !err.empty()) return usage_error("config: " + err);
  std::unique_ptr<real::Runtime> rt;
  try {
    for (const auto& [id, addr] : rc.peers) real::parse_endpoint(addr);
    rt = std::make_unique<real::Runtime>(rc);
  } catch (const std::runtime_error& e) {
    return usage_error(e.what());
  }
  Node node(*rt, nc);
  node.start();
  if (!node.error().empty()) {
    std::cerr << "shoal: node " << f.id << " cannot serve: " << node.error() << "\n";
    return kExitCheckFailed;
  }
  boost::asio::signal_set signals(rt->io(), SIGINT, SIGTERM);
  signals.async_wait([&rt](boost::system::error_code, int) { rt->stop(); });
  rt->log(LogLevel::kInfo, "node", "serving on " + f.listen + " with data in " + f.data_dir);
  rt->run();
  return kExitPass;
}

// Sends one admin request and waits for the reply.
int query_health(const std::string& endpoint, const std::string& timeout_text, bool json) {
  const auto timeout = parse_duration(timeout_text);
  if (!timeout) return usage_error("--timeout: '" + timeout_text + "' is not a duration");
  std::unique_ptr<ClientRuntime> rt;
  try {
    rt = std::make_unique<ClientRuntime>(std::map<NodeId, std::string>{{1, endpoint}}, /*anonymous=*/true);
  } catch (const std::runtime_error& e) {
    return usage_error(e.what());
  }
  const std::string reply = rt->admin_status(1, *timeout);
  if (reply.empty()) {
    std::cerr << "shoal: no answer from " << endpoint << " within " << timeout_text << "\n";
    return kExitCheckFailed;
  }
  if (json) {
    std::cout << reply << "\n";
    return kExitPass;
  }
  auto v = boost::json::parse(reply).as_object();
  std::cout << "node " << v["id"] << " boot " << v["boot_count"] << "\n";
  for (const auto& p : v["peers"].as_array()) {
    const auto& o = p.as_object();
    std::cout << "  peer " << o.at("id") << "  " << o.at("status").as_string().c_str() << "  missed "
              << o.at("missed_heartbeats") << "  rtt_us " << o.at("rtt_us") << "  boot "
              << o.at("boot_count") << "\n";
  }
  return kExitPass;
}

// Reads the node's TOML file with CLI11's config support. The file is parsed
// by an app of its own: CLI11 resolves config keys against the app that owns
// the --config option, and at top level a key is simply the option's name.
int load_and_run(const std::string& path) {
  NodeFlags f;
  CLI::App cfg{"shoal node configuration"};
  cfg.set_config("--config", "", "the node's configuration file (TOML)", /*config_required=*/true);
  // Extras are collected rather than refused, so an unknown key is named as
  // such (CLI11's own refusal speaks of INI parsing).
  cfg.allow_config_extras(true);
  cfg.add_option("--id", f.id);
  cfg.add_option("--listen", f.listen);
  cfg.add_option("--data_dir", f.data_dir);
  cfg.add_option("--peers", f.peers);
  cfg.add_option("--heartbeat_interval", f.heartbeat_interval);
  cfg.add_option("--degraded_after_missed", f.degraded_after_missed);
  cfg.add_option("--unhealthy_after_missed", f.unhealthy_after_missed);
  cfg.add_option("--degraded_rtt", f.degraded_rtt);
  cfg.add_option("--log_level", f.log_level);
  cfg.add_option("--election_timeout", f.election_timeout);
  cfg.add_option("--sharded", f.sharded);
  cfg.add_option("--raft_heartbeat_interval", f.raft_heartbeat_interval);
  cfg.add_option("--txn_groups", f.txn_groups);
  try {
    cfg.parse(std::vector<std::string>{path, "--config"});
  } catch (const CLI::ParseError& e) {
    return usage_error("config " + path + ": " + e.what());
  }
  if (!cfg.remaining().empty()) {
    std::string known;
    for (const CLI::Option* o : cfg.get_options()) {
      if (o->get_name() != "--config" && o->get_name() != "--help") known += (known.empty() ? "" : ", ") + o->get_name().substr(2);
    }
    std::string key = cfg.remaining().front();
    if (key.rfind("--", 0) == 0) key = key.substr(2);
    return usage_error("config " + path + ": unknown key '" + key + "' (known: " + known + ")");
  }
  return run_node(f);
}

CommandRegistration reg("node", [](CLI::App& root) {
  auto config = std::make_shared<std::string>();
  CLI::App* n = root.add_subcommand(
      "node",
      "run one real Shoal node; the config file (TOML) sets id, listen, data_dir, peers "
      "(id=host:port for every member), heartbeat_interval, degraded_after_missed, "
      "unhealthy_after_missed, degraded_rtt, log_level, election_timeout, raft_heartbeat_interval, sharded, "
      "txn_groups");
  n->add_option("--config", *config, "the node's configuration file (TOML)")->required();
  set_action(*n, [config] { return load_and_run(*config); });

  auto endpoint = std::make_shared<std::string>();
  auto timeout = std::make_shared<std::string>("2s");
  auto json = std::make_shared<bool>(false);
  CLI::App* h = root.add_subcommand("health", "print a running node's view of its peers");
  h->add_option("--endpoint", *endpoint, "the node's address, host:port")->required();
  h->add_option("--timeout", *timeout, "how long to wait for the answer")->capture_default_str();
  h->add_flag("--json", *json, "print the raw JSON status");
  set_action(*h, [endpoint, timeout, json] { return query_health(*endpoint, *timeout, *json); });
});

}  // namespace
}  // namespace shoal::tools
