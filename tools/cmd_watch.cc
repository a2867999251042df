// `shoal watch`: follows the changes to a key, or to every key under a
// prefix, of group 0 and prints each as it comes (engine/client/watch_client.h).
//
//   shoal watch KEY --endpoints E [--from REV] [--count N] [--json]
//   shoal watch --prefix P --endpoints E [--from REV] [--count N] [--json]
//
// It delivers every change after revision --from (default 0: every change a
// node still holds), in revision order, once each, resuming from where it
// got across node failures and restarts. One line per change on stdout:
// "REVISION put KEY VALUE" or "REVISION delete KEY" (key and value
// C-escaped), or with --json one object per line:
// {"revision":N,"op":"put","key":"k","value":"v"} (no "value" for a delete).
// Without --count it runs until it is stopped.
// Exit codes: 0 after --count changes; 1 when every node has compacted the
// changes just after the revision it needs (one line on stderr names the
// revision to reload at and watch from); 2 usage or bad input.
#include <iostream>
#include <memory>
#include <optional>

#include <boost/json.hpp>

#include "absl/strings/escaping.h"
#include "engine/client/watch_client.h"
#include "tools/cli_util.h"
#include "tools/command.h"
#include "tools/kv_session.h"

namespace shoal::tools {
namespace {

struct WatchFlags {
  std::string endpoints;
  std::optional<std::string> key, prefix, from, count;  // as given
  bool json = false;
};

// What the watch needs, checked; an error line when the flags are not right.
std::optional<WatchClientOptions> watch_options(const WatchFlags& f, uint64_t* count, std::string* error) {
  WatchClientOptions o;
  if (f.key.has_value() == f.prefix.has_value()) {
    return (*error = "watch takes a KEY or --prefix P, not both and not neither", std::nullopt);
  }
  o.prefix = f.prefix.has_value();
  o.key = o.prefix ? *f.prefix : *f.key;
  if ((!o.prefix && o.key.empty()) || o.key.size() > kv::kMaxKeyBytes) {
    return (*error = "a key has 1.." + std::to_string(kv::kMaxKeyBytes) + " bytes (a prefix 0..)", std::nullopt);
  }
  if (f.from) {
    const auto from = parse_whole_number(*f.from);
    if (!from) return (*error = "--from: '" + *f.from + "' is not a revision (a whole number)", std::nullopt);
    o.after_revision = *from;
  }
  *count = 0;
  if (f.count) {
    const auto n = parse_whole_number(*f.count);
    if (!n || *n == 0) return (*error = "--count: '" + *f.count + "' is not a whole number from 1", std::nullopt);
    *count = *n;
  }
  return o;
}

void print(const kv::WatchEvent& e, bool json) {
  if (json) {
    boost::json::object o{{"revision", e.revision}, {"op", e.deleted ? "delete" : "put"}, {"key", e.key}};
    if (!e.deleted) o["value"] = e.value;
    std::cout << boost::json::serialize(o) << std::endl;
    return;
  }
  std::cout << e.revision << (e.deleted ? " delete " : " put ") << absl::CEscape(e.key);
  if (!e.deleted) std::cout << " " << absl::CEscape(e.value);
  std::cout << std::endl;  // each change shows as it comes, even into a pipe
}

int run_watch(const WatchFlags& f) {
  std::map<NodeId, std::string> endpoints;
  if (std::string err = parse_endpoints(f.endpoints, &endpoints); !err.empty()) return usage_error(err);
  std::string error;
  uint64_t count = 0;
  std::optional<WatchClientOptions> o = watch_options(f, &count, &error);
  if (!o) return usage_error(error);
  for (const auto& [id, addr] : endpoints) o->nodes.push_back(id);
  ClientRuntime rt(endpoints);
  std::unique_ptr<WatchClient> client;
  uint64_t printed = 0;
  return rt.wait<int>([&](auto done) {
    client = std::make_unique<WatchClient>(
        rt.env(), *o,
        [&, done](const kv::WatchEvent& e) {
          print(e, f.json);
          if (count != 0 && ++printed >= count) {
            client->stop();
            done(kExitPass);
          }
        },
        [&, done](uint64_t oldest) {
          std::cerr << "shoal: watch: compacted: every node has dropped the changes after revision "
                    << client->revision() << "; reload and watch again with --from " << oldest << "\n";
          done(kExitCheckFailed);
        });
    client->start();
  });
}

CommandRegistration reg("watch", [](CLI::App& root) {
  auto f = std::make_shared<WatchFlags>();
  CLI::App* c = root.add_subcommand(
      "watch", "print the changes to a key, or to every key under --prefix, of the key-value group as they come");
  c->add_option_function<std::string>("key", [f](const std::string& v) { f->key = v; }, "the key to watch");
  c->add_option_function<std::string>(
      "--prefix", [f](const std::string& v) { f->prefix = v; }, "watch every key that starts with P (\"\": all)");
  c->add_option("--endpoints", f->endpoints, "nodes as id=host:port,... (ids default to 1,2,...)")->required();
  c->add_option_function<std::string>(
      "--from", [f](const std::string& v) { f->from = v; }, "print the changes after this revision (default 0)");
  c->add_option_function<std::string>(
      "--count", [f](const std::string& v) { f->count = v; }, "exit 0 after this many changes (default: never)");
  c->add_flag("--json", f->json, "one JSON object per change");
  set_action(*c, [f] { return run_watch(*f); });
});

}  // namespace
}  // namespace shoal::tools
