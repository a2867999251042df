// `shoal session create|get|update|extend|delete|list|logout|stats`:
// application sessions with a TTL on group 0 (kv_command.h, the session
// commands), one operation per process, on the client runtime `shoal kv` uses.
//
//   shoal session create USER [--ttl 30m] [--data k=v ...] [--id ID] --endpoints E   (prints the id)
//   shoal session get ID [--touch] --endpoints E         (--touch renews the lease)
//   shoal session update ID --data k=v ... [--ttl T] --endpoints E
//   shoal session extend ID --ttl T --endpoints E
//   shoal session delete ID --endpoints E
//   shoal session list USER --endpoints E                (the user's live sessions)
//   shoal session logout USER --endpoints E              (delete every session of the user)
//   shoal session stats --endpoints E
//
// The group's leader ends a session ttl after its last renewal (create,
// touch, update, extend); an ended session is gone, and touching it says so.
// Output: one line per session (id, user, ttl, data), or --json. Exit codes
// as `shoal kv`: 0 done; 1 not found, exists, refused, or unknown; 2 bad input.
#include <iostream>
#include <memory>

#include <boost/json.hpp>

#include "tools/cli_util.h"
#include "tools/command.h"
#include "tools/kv_session.h"

namespace shoal::tools {
namespace {

namespace json = boost::json;

struct SessionFlags {
  std::string op;
  std::string name;  // the id, or the user
  KvClientFlags client;
  std::string ttl = "30m";
  std::vector<std::string> data;
  std::string id;
  bool touch = false, json = false;
};

std::optional<uint64_t> parse_session_ttl(const std::string& text, std::string* error) {
  const auto d = parse_duration(text);
  if (!d || *d < milliseconds(1) || *d > milliseconds(kv::kMaxSessionTtlMs) || *d % milliseconds(1) != Duration(0)) {
    *error = "--ttl: '" + text + "' is not a whole number of milliseconds in 1ms..30 days";
    return std::nullopt;
  }
  return static_cast<uint64_t>(to_ms(*d));
}

std::optional<kv::SessionData> parse_data(const std::vector<std::string>& items, std::string* error) {
  std::map<std::string, std::string> m;
  for (const std::string& item : items) {
    const size_t eq = item.find('=');
    if (eq == std::string::npos || eq == 0) {
      *error = "--data: '" + item + "' is not KEY=VALUE";
      return std::nullopt;
    }
    m[item.substr(0, eq)] = item.substr(eq + 1);
  }
  return kv::SessionData(m.begin(), m.end());
}

// The command's write or query, checked; an error line when it is not right.
std::optional<std::variant<kv::Write, kv::Query>> build(const SessionFlags& f, Rng& rng, std::string* error) {
  if (f.op != "stats" && (f.name.empty() || f.name.size() > kv::kMaxSessionNameBytes)) {
    *error = "a session id or user has 1.." + std::to_string(kv::kMaxSessionNameBytes) + " bytes";
    return std::nullopt;
  }
  auto data = parse_data(f.data, error);
  if (!data) return std::nullopt;
  std::optional<uint64_t> ttl = 0;
  if (f.op == "create" || f.op == "extend" || (f.op == "update" && f.ttl != "keep")) ttl = parse_session_ttl(f.ttl, error);
  if (!ttl) return std::nullopt;
  if (f.op == "create") {
    std::string id = f.id;
    if (id.empty()) id = "s" + std::to_string(rng.next_u64());
    kv::Write w = kv::SessionCreate{id, f.name, *data, *ttl};
    if (auto st = kv::check_command(kv::Command{std::nullopt, w, std::nullopt}); !st.ok()) {
      return (*error = std::string(st.message()), std::nullopt);
    }
    return w;
  }
  if (f.op == "get") {
    if (f.touch) return kv::Write{kv::SessionTouch{f.name}};
    return kv::Query{kv::SessionGet{f.name, 0}};
  }
  if (f.op == "update") return kv::Write{kv::SessionUpdate{f.name, *data, *ttl}};
  if (f.op == "extend") return kv::Write{kv::SessionExtend{f.name, *ttl}};
  if (f.op == "delete") return kv::Write{kv::SessionDelete{f.name}};
  if (f.op == "logout") return kv::Write{kv::SessionDeleteByUser{f.name}};
  if (f.op == "list") return kv::Query{kv::SessionsByUser{f.name, 0}};
  return kv::Query{kv::SessionStatsQuery{0}};
}

json::object session_json(const kv::SessionInfo& s) {
  json::object data;
  for (const auto& [k, v] : s.data) data[k] = v;
  return {{"id", s.id}, {"user", s.user}, {"ttl_ms", s.ttl_ms}, {"created_index", s.created_index},
          {"lease_index", s.lease_index}, {"data", std::move(data)}};
}

int report(const SessionFlags& f, const KvOpResult& r) {
  const bool ok = r.outcome == OpOutcome::kOk && r.result.code == kv::Code::kOk;
  if (f.json) {
    json::object o{{"op", f.op}, {"outcome", to_string(r.outcome)}};
    if (r.outcome == OpOutcome::kOk) o["code"] = kv::code_name(r.result.code);
    if (!ok) o["message"] = r.outcome == OpOutcome::kOk ? r.result.message : r.error;
    json::array sessions;
    for (const kv::SessionInfo& s : r.result.sessions) sessions.push_back(session_json(s));
    o["sessions"] = std::move(sessions);
    if (const auto& st = r.result.stats) {
      o["stats"] = json::object{{"active", st->active}, {"created", st->created}, {"expired", st->expired},
                                {"deleted", st->deleted}, {"users", st->users}};
    }
    std::cout << json::serialize(o) << "\n";
    return ok ? kExitPass : kExitCheckFailed;
  }
  if (!ok) {
    std::cerr << "shoal: session " << f.op << ": "
              << (r.outcome == OpOutcome::kOk ? std::string(kv::code_name(r.result.code)) + ": " + r.result.message
                                              : std::string(to_string(r.outcome)) + ": " + r.error)
              << "\n";
    return kExitCheckFailed;
  }
  if (const auto& st = r.result.stats) {
    std::cout << "active " << st->active << ", created " << st->created << ", expired " << st->expired
              << ", deleted " << st->deleted << ", users " << st->users << "\n";
  }
  if (f.op == "create" && !r.result.sessions.empty()) std::cout << r.result.sessions[0].id << "\n";
  else if (f.op == "logout") std::cout << "logged out " << r.result.sessions.size() << " session(s)\n";
  else if (f.op == "delete") std::cout << "deleted " << f.name << "\n";
  else {
    for (const kv::SessionInfo& s : r.result.sessions) {
      std::cout << s.id << " user " << s.user << " ttl " << s.ttl_ms << "ms";
      for (const auto& [k, v] : s.data) std::cout << " " << k << "=" << v;
      std::cout << "\n";
    }
  }
  return kExitPass;
}

int run_session(const SessionFlags& f) {
  std::map<NodeId, std::string> endpoints;
  KvClientOptions o;
  if (std::string err = kv_client_options(f.client, &endpoints, &o); !err.empty()) return usage_error(err);
  KvSession s(endpoints, o);
  std::string error;
  const auto op = build(f, s.runtime().env().random(), &error);
  if (!op) return usage_error(error);
  const KvOpResult r = std::holds_alternative<kv::Write>(*op) ? s.write(std::get<kv::Write>(*op))
                                                              : s.query(std::get<kv::Query>(*op));
  return report(f, r);
}

CommandRegistration reg("session", [](CLI::App& root) {
  CLI::App& session = group(root, "session", "application sessions with a TTL on the key-value group (group 0)");
  const std::tuple<const char*, const char*, const char*> ops[] = {
      {"create", "start a session for USER (prints its id)", "user"},
      {"get", "a session (--touch renews its lease)", "id"},
      {"update", "merge --data into a session and renew it", "id"},
      {"extend", "renew a session for --ttl from now", "id"},
      {"delete", "end a session", "id"},
      {"list", "the live sessions of USER", "user"},
      {"logout", "end every session of USER", "user"},
      {"stats", "counts: active, created, expired, deleted, users", nullptr}};
  for (const auto& [op, help, what] : ops) {
    auto f = std::make_shared<SessionFlags>();
    f->op = op;
    CLI::App* c = session.add_subcommand(op, help);
    if (what != nullptr) c->add_option(what, f->name, std::string("the session's ") + what)->required();
    add_kv_client_flags(*c, f->client, /*levels=*/f->op == "get" || f->op == "list" || f->op == "stats");
    if (f->op == "update") f->ttl = "keep";
    if (f->op == "create" || f->op == "update" || f->op == "extend") {
      c->add_option("--ttl", f->ttl, f->op == "update" ? "a new lease (default: keep)" : "the lease, e.g. 30m")
          ->capture_default_str();
    }
    if (f->op == "create" || f->op == "update") c->add_option("--data", f->data, "KEY=VALUE entries");
    if (f->op == "create") c->add_option("--id", f->id, "the id (default: a random one)");
    if (f->op == "get") c->add_flag("--touch", f->touch, "renew the lease");
    c->add_flag("--json", f->json, "print the result as one JSON object");
    set_action(*c, [f] { return run_session(*f); });
  }
});

}  // namespace
}  // namespace shoal::tools
