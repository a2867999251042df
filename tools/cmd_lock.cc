// `shoal lock acquire|release|extend|status|force-release`: locks with
// fencing tokens on group 0's lock table (engine/client/lock_client.h), one
// operation per process, on the client runtime `shoal kv` uses.
//
//   shoal lock acquire RESOURCE --ttl 5s [--wait 10s] [--holder NAME] --endpoints E
//   shoal lock release RESOURCE --token N --endpoints E
//   shoal lock extend RESOURCE --token N --ttl 5s --endpoints E
//   shoal lock status [RESOURCE] --endpoints E     (no RESOURCE: every held lock, a table)
//   shoal lock force-release RESOURCE --endpoints E
//
// acquire asks until the lock is granted or --wait runs out (0s: ask once).
// The holder defaults to HOST:PID, so each process is a holder of its own;
// a holder that asks again (the same --holder) renews its lease and learns
// its token — the way to recover a grant whose answer was lost. Data writes
// under the lock carry the token: `shoal kv put KEY VALUE --fence R:TOKEN`.
//
// Output: one line per result — on stdout when it succeeded, on stderr when
// it did not (as `shoal kv` does); with --json, one JSON object on stdout
// whatever happened. "valid" is how long, by this machine's clock, the lease
// is certainly still ours (the ttl shortened by the clock-drift bound); act
// under the lock only within it, and fence every write anyway.
// Exit codes (those of `shoal kv`): 0 done; 1 refused (still locked when the
// wait ran out, not the holder, free) or failed, or the outcome is unknown
// (the cluster could not be reached or did not answer in --timeout; --json
// says which under "outcome"); 2 usage or bad input.
#include <unistd.h>

#include <cstdio>
#include <iostream>
#include <memory>

#include <boost/json.hpp>

#include "engine/client/lock_client.h"
#include "tools/cli_util.h"
#include "tools/command.h"
#include "tools/kv_session.h"

namespace shoal::tools {
namespace {

namespace json = boost::json;

// acquire waits at most this long for a held lock.
constexpr Duration kAcquireWaitMax = hours(1);
// status without a resource reads at most this many pages of
// kv::kMaxLocksListed locks.
constexpr int kStatusPagesMax = 100;

struct LockFlags {
  std::string op;
  std::string resource;
  KvClientFlags client;
  std::string ttl, wait = "0s", token;
  std::optional<std::string> holder;  // when given
  bool json = false;
};

// The checked input of one command.
struct LockInput {
  std::string resource, holder;
  Duration ttl{0}, wait{0};
  uint64_t token = 0;
};

std::string default_holder() {
  char host[256] = {};
  if (::gethostname(host, sizeof host - 1) != 0) host[0] = '\0';
  return std::string(host[0] ? host : "host") + ":" + std::to_string(::getpid());
}

// A lease length: whole milliseconds, 1 ms .. kv::kMaxLockTtlMs.
std::optional<Duration> parse_ttl(const std::string& text, std::string* error) {
  const auto d = parse_duration(text);
  if (!d) return (*error = "--ttl: '" + text + "' is not a duration", std::nullopt);
  if (*d % milliseconds(1) != Duration(0)) {
    return (*error = "--ttl: '" + text + "' is not a whole number of milliseconds", std::nullopt);
  }
  if (*d < milliseconds(1) || *d > milliseconds(kv::kMaxLockTtlMs)) {
    return (*error = "--ttl: '" + text + "' is outside 1ms..24h", std::nullopt);
  }
  return d;
}

// What the command needs, checked; an error line when it is not right.
std::optional<LockInput> check_input(const LockFlags& f, std::string* error) {
  LockInput in;
  in.resource = f.resource;
  if (f.op != "status" || !f.resource.empty()) {
    if (in.resource.empty() || in.resource.size() > kv::kMaxResourceBytes) {
      return (*error = "a resource name has 1.." + std::to_string(kv::kMaxResourceBytes) + " bytes", std::nullopt);
    }
  }
  if (f.op == "acquire" || f.op == "extend") {
    const auto ttl = parse_ttl(f.ttl, error);
    if (!ttl) return std::nullopt;
    in.ttl = *ttl;
  }
  if (f.op == "release" || f.op == "extend") {
    const auto token = parse_token("--token", f.token, error);
    if (!token) return std::nullopt;
    in.token = *token;
  }
  if (f.op == "acquire") {
    const auto wait = parse_duration(f.wait);
    if (!wait || *wait > kAcquireWaitMax) {
      return (*error = "--wait: '" + f.wait + "' is not a duration of 0s..1h", std::nullopt);
    }
    in.wait = *wait;
    in.holder = f.holder.value_or(default_holder());
    if (in.holder.empty() || in.holder.size() > kv::kMaxHolderBytes) {
      *error = "--holder: a holder name has 1.." + std::to_string(kv::kMaxHolderBytes) + " bytes";
      return std::nullopt;
    }
  }
  return in;
}

json::object lock_json(const kv::LockInfo& l) {
  return {{"resource", l.resource}, {"holder", l.holder}, {"token", l.token}, {"ttl_ms", l.ttl_ms},
          {"lease_index", l.lease_index}};
}

// A lease's ttl as given: "5s", or "1500ms" when not whole seconds.
std::string ttl_text(uint64_t ttl_ms) {
  return ttl_ms % 1000 == 0 ? std::to_string(ttl_ms / 1000) + "s" : std::to_string(ttl_ms) + "ms";
}

std::string seconds_text(Duration d) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2fs", to_seconds_f(d));
  return buf;
}

// The line a result prints, without the stream or the exit code.
std::string result_line(const LockFlags& f, const LockInput& in, const LockResult& r, Duration valid) {
  if (r.outcome != OpOutcome::kOk) {
    return "shoal: " + f.op + " " + in.resource + ": " + to_string(r.outcome) + ": " + r.error;
  }
  const kv::LockInfo* lock = r.locks.empty() ? nullptr : &r.locks.front();
  switch (r.code) {
    case kv::Code::kOk:
      if (f.op == "acquire") {
        return "acquired " + in.resource + " token " + std::to_string(r.grant->token) + " valid " +
               seconds_text(valid) + " (holder " + in.holder + ")";
      }
      if (f.op == "extend") {
        return "extended " + in.resource + " token " + std::to_string(in.token) + " valid " + seconds_text(valid);
      }
      if (f.op == "release") return "released " + in.resource + " token " + std::to_string(in.token);
      if (f.op == "force-release") return "force-released " + in.resource;
      return in.resource + " held by " + lock->holder + " token " + std::to_string(lock->token) + " (lease of " +
             ttl_text(lock->ttl_ms) + " from index " + std::to_string(lock->lease_index) + ")";
    case kv::Code::kLocked:
      return "locked: " + in.resource + " held by " +
             (lock ? lock->holder + " token " + std::to_string(lock->token) : "another") + " (asked " +
             std::to_string(r.attempts) + " times)";
    case kv::Code::kNotHolder: return "not holder: " + in.resource + ": " + r.error;
    case kv::Code::kNotFound: return "free: " + in.resource + " is not held";
    default: return "shoal: " + f.op + " " + in.resource + ": " + std::string(kv::code_name(r.code)) + ": " + r.error;
  }
}

int report(const LockFlags& f, const LockInput& in, const LockResult& r, Env& env) {
  const bool ok = r.outcome == OpOutcome::kOk && r.code == kv::Code::kOk;
  const Duration valid = r.grant ? std::max(Duration(0), r.grant->valid_until - env.now()) : Duration(0);
  if (!f.json) {
    (ok ? std::cout : std::cerr) << result_line(f, in, r, valid) << "\n";
    return ok ? kExitPass : kExitCheckFailed;
  }
  json::object o{{"op", f.op}, {"resource", in.resource}, {"outcome", to_string(r.outcome)}};
  if (r.outcome == OpOutcome::kOk) o["code"] = kv::code_name(r.code);
  if (r.index != 0) o["index"] = r.index;
  if (!r.error.empty()) o["message"] = r.error;
  if (f.op == "acquire") {
    o["holder"] = in.holder;
    o["attempts"] = r.attempts;
  }
  if (r.grant) {
    o["token"] = r.grant->token;
    o["ttl_ms"] = to_ms(r.grant->ttl);
    o["valid_ms"] = to_ms(valid);
  }
  json::array locks;
  for (const kv::LockInfo& l : r.locks) locks.push_back(lock_json(l));
  o["locks"] = std::move(locks);
  std::cout << json::serialize(o) << "\n";
  return ok ? kExitPass : kExitCheckFailed;
}

// Every held lock, page by page. Each page is a read of its own, so a lock
// taken or freed while the pages are read may be missed or shown stale.
int status_all(KvSession& s, const LockFlags& f) {
  std::vector<kv::LockInfo> all;
  std::string after;
  bool more = false;
  for (int page = 0; page < kStatusPagesMax; ++page) {
    const KvOpResult r = s.query(kv::ActiveLocks{after, 0});
    if (r.outcome != OpOutcome::kOk || r.result.code != kv::Code::kOk) {
      const bool answered = r.outcome == OpOutcome::kOk;
      const std::string why = answered ? r.result.message : r.error;
      if (f.json) {
        json::object o{{"op", "status"}, {"outcome", to_string(r.outcome)}, {"message", why}};
        if (answered) o["code"] = kv::code_name(r.result.code);
        std::cout << json::serialize(o) << "\n";
      } else {
        std::cerr << "shoal: status: " << (answered ? kv::code_name(r.result.code) : to_string(r.outcome)) << ": "
                  << why << "\n";
      }
      return kExitCheckFailed;
    }
    all.insert(all.end(), r.result.locks.begin(), r.result.locks.end());
    more = r.result.locks.size() == kv::kMaxLocksListed;
    if (!more) break;
    after = r.result.locks.back().resource;
  }
  if (f.json) {
    json::array locks;
    for (const kv::LockInfo& l : all) locks.push_back(lock_json(l));
    std::cout << json::serialize(json::object{{"op", "status"}, {"outcome", "ok"}, {"truncated", more},
                                              {"locks", std::move(locks)}})
              << "\n";
    return kExitPass;
  }
  if (all.empty()) std::cout << "no locks held\n";
  else std::printf("%-24s %-24s %12s %10s %12s\n", "RESOURCE", "HOLDER", "TOKEN", "TTL", "LEASE_INDEX");
  for (const kv::LockInfo& l : all) {
    std::printf("%-24s %-24s %12llu %10s %12llu\n", l.resource.c_str(), l.holder.c_str(),
                static_cast<unsigned long long>(l.token), ttl_text(l.ttl_ms).c_str(),
                static_cast<unsigned long long>(l.lease_index));
  }
  if (more) std::cout << "(the first " << all.size() << " locks; more are held)\n";
  return kExitPass;
}

int run_lock(const LockFlags& f) {
  std::map<NodeId, std::string> endpoints;
  KvClientOptions o;
  if (std::string err = kv_client_options(f.client, &endpoints, &o); !err.empty()) return usage_error(err);
  std::string error;
  const auto in = check_input(f, &error);
  if (!in) return usage_error(error);
  KvSession s(endpoints, o);
  if (f.op == "status" && in->resource.empty()) return status_all(s, f);
  LockClient locks(s.runtime().env(), s.kv(), in->holder.empty() ? default_holder() : in->holder);
  const LockGrant grant{in->resource, in->token, Duration(0), TimePoint{}};
  const LockResult r = s.runtime().wait<LockResult>([&](LockCallback done) {
    if (f.op == "acquire") locks.acquire(in->resource, in->ttl, in->wait, std::move(done));
    else if (f.op == "release") locks.release(grant, std::move(done));
    else if (f.op == "extend") locks.extend(grant, in->ttl, std::move(done));
    else if (f.op == "status") locks.status(in->resource, std::move(done));
    else locks.force_release(in->resource, std::move(done));
  });
  return report(f, *in, r, s.runtime().env());
}

void add_lock_options(CLI::App& c, LockFlags& f) {
  const std::string& op = f.op;
  c.add_option("resource", f.resource, "the lock's name")->required(op != "status");
  add_kv_client_flags(c, f.client, /*levels=*/false);
  if (op == "acquire" || op == "extend") c.add_option("--ttl", f.ttl, "the lease: 1ms..24h, e.g. 5s")->required();
  if (op == "release" || op == "extend") {
    c.add_option("--token", f.token, "the fencing token the grant gave")->required();
  }
  if (op == "acquire") {
    c.add_option("--wait", f.wait, "while another holds the lock, ask again for this long")->capture_default_str();
    c.add_option_function<std::string>(
        "--holder", [&f](const std::string& v) { f.holder = v; },
        "who asks (default HOST:PID); the same holder asking again renews its lease");
  }
  if (op == "status") {
    c.add_option("--read", f.client.read_level, "read level: linearizable, lease, session, any")->capture_default_str();
  }
  c.add_flag("--json", f.json, "print the result as one JSON object");
}

CommandRegistration reg("lock", [](CLI::App& root) {
  CLI::App& lock = group(root, "lock", "locks with fencing tokens on the key-value group (group 0)");
  const std::pair<const char*, const char*> ops[] = {
      {"acquire", "take a lock for a lease of --ttl, waiting up to --wait while another holds it"},
      {"release", "free a lock the token holds"},
      {"extend", "renew the lease the token holds, --ttl from now"},
      {"status", "who holds a lock; without RESOURCE, every held lock"},
      {"force-release", "free a lock whoever holds it (an administrator's escape hatch)"}};
  for (const auto& [op, help] : ops) {
    auto f = std::make_shared<LockFlags>();
    f->op = op;
    CLI::App* c = lock.add_subcommand(op, help);
    add_lock_options(*c, *f);
    set_action(*c, [f] { return run_lock(*f); });
  }
});

}  // namespace
}  // namespace shoal::tools
