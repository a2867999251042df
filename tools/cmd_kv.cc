// `shoal kv put|get|cas|delete|append`: a real-mode client of group 0.
//
//   shoal kv put KEY VALUE --endpoints 1=127.0.0.1:7001,2=127.0.0.1:7002,...
//   shoal kv get KEY --endpoints ... [--read linearizable|lease|session|any]
//   shoal kv cas KEY EXPECTED NEW --endpoints ...   (--expect-absent: KEY must not exist)
//   shoal kv put --prefix k --count 1000 --endpoints ...   (batch: k0..k999 = v0..v999)
//   shoal kv get --prefix k --count 1000 --endpoints ...   (batch: reports missing keys)
// Exit codes: 0 every operation succeeded (a leader-level put, append or
// delete: was accepted by the leader); 1 an operation failed, a key was
// missing, or an outcome is unknown (a leader-level CAS is accepted before its
// comparison is decided, so its outcome is unknown); 2 usage or bad input.
#include <fstream>
#include <iostream>
#include <memory>

#include "engine/client/kv_client.h"
#include "engine/real/runtime.h"
#include "scenarios/checkers/history_io.h"
#include "tools/cli_util.h"
#include "tools/command.h"

namespace shoal::tools {
namespace {

struct KvFlags {
  std::string op;
  std::vector<std::string> args;
  std::string endpoints;
  std::string write_level = "quorum";
  std::string read_level = "linearizable";
  std::string timeout = "5s";
  std::string prefix;
  int count = 0;
  bool expect_absent = false;
  std::string acked_file;
  std::string keys_file;
  std::string history_file;
};

// Runs operations one after another on one client and event loop.
class Session {
 public:
  Session(const std::map<NodeId, std::string>& endpoints, KvClientOptions o) {
    real::RuntimeConfig rc;
    rc.self = random_client_id();
    rc.peers = endpoints;
    rc.log_level = LogLevel::kError;
    rt_ = std::make_unique<real::Runtime>(rc);
    o.client_id = rt_->random().next_u64() | 1;
    client_ = std::make_unique<KvClient>(*rt_, o);
  }
  KvOpResult write(kv::Write w) {
    const size_t at = history_.invoke(0, now_ns(), history_op(w));
    KvOpResult out;
    client_->write(std::move(w), [&](const KvOpResult& r) { out = r; rt_->stop(); });
    rt_->io().restart();
    rt_->run();
    record(at, out);
    return out;
  }
  KvOpResult read(std::string key) {
    const size_t at = history_.invoke(0, now_ns(), check::Op::read(key));
    KvOpResult out;
    client_->read(std::move(key), [&](const KvOpResult& r) { out = r; rt_->stop(); });
    rt_->io().restart();
    rt_->run();
    record(at, out);
    return out;
  }
  // Every operation of this client, as a history `shoal check` can judge.
  const check::History& history() const { return history_; }

 private:
  int64_t now_ns() { return to_ns(rt_->clock().now()); }

  static check::Op history_op(const kv::Write& w) {
    if (const auto* p = std::get_if<kv::Put>(&w)) return check::Op::write(p->key, p->value);
    if (const auto* a = std::get_if<kv::Append>(&w)) return check::Op::append(a->key, a->suffix);
    if (const auto* d = std::get_if<kv::Delete>(&w)) return check::Op::del(d->key);
    const auto& c = std::get<kv::Cas>(w);
    return check::Op::cas(c.key, c.expected, c.value);
  }

  void record(size_t at, const KvOpResult& r) {
    check::Outcome outcome = r.outcome == OpOutcome::kOk     ? check::Outcome::kOk
                             : r.outcome == OpOutcome::kFail ? check::Outcome::kFail
                                                             : check::Outcome::kUnknown;
    check::Result result;
    if (outcome == check::Outcome::kOk) {
      if (r.result.code == kv::Code::kOk) result.value = r.result.value;
      else if (r.result.code == kv::Code::kCasFailed) result.applied = false;
      else if (r.result.code != kv::Code::kNotFound) outcome = check::Outcome::kFail;
    }
    history_.complete(at, now_ns(), outcome, result);
  }

  std::unique_ptr<real::Runtime> rt_;
  std::unique_ptr<KvClient> client_;
  check::History history_;
};

int save_history(const Session& s, const std::string& path, int code) {
  if (path.empty()) return code;
  std::ofstream out(path);
  if (!out) return usage_error("--history: cannot write " + path);
  check::write_shoal_history(s.history(), out);
  return code;
}

std::string show(const KvOpResult& r) {
  if (r.outcome == OpOutcome::kAccepted) {
    return "accepted at index " + std::to_string(r.index) + " (leader level: held by the leader, not applied yet)";
  }
  if (r.outcome != OpOutcome::kOk) return std::string(to_string(r.outcome)) + ": " + r.error;
  return kv::describe(r.result);
}

// Whether a single operation did what was asked. A leader-level write that
// the leader accepted did, for a put, append or delete (that is the level's
// promise); a CAS's comparison is decided only when it applies, so an
// accepted CAS has an unknown outcome.
bool succeeded(const KvOpResult& r, bool conditional) {
  if (r.outcome == OpOutcome::kAccepted) return !conditional;
  return r.outcome == OpOutcome::kOk && r.result.code == kv::Code::kOk;
}

// The batch's keys: PREFIX0..PREFIX<count-1>, or those listed in --keys-file
// (each must start with PREFIX; its value is "v" + the rest).
std::vector<std::string> batch_keys(const KvFlags& f) {
  std::vector<std::string> keys;
  if (f.keys_file.empty()) {
    for (int i = 0; i < f.count; ++i) keys.push_back(f.prefix + std::to_string(i));
    return keys;
  }
  std::ifstream in(f.keys_file);
  if (!in) throw std::runtime_error("--keys-file: cannot read " + f.keys_file);
  for (std::string line; std::getline(in, line);) {
    if (line.empty()) continue;
    if (line.rfind(f.prefix, 0) != 0) throw std::runtime_error("--keys-file: key '" + line + "' lacks the prefix");
    keys.push_back(line);
  }
  return keys;
}

int run_batch(Session& s, const KvFlags& f) {
  int ok = 0, bad = 0;
  std::ofstream acked;
  if (!f.acked_file.empty()) {
    acked.open(f.acked_file);
    if (!acked) return usage_error("--acked-file: cannot write " + f.acked_file);
  }
  for (const std::string& key : batch_keys(f)) {
    const std::string value = "v" + key.substr(f.prefix.size());
    if (f.op == "put") {
      const KvOpResult r = s.write(kv::Put{key, value});
      if (succeeded(r, /*conditional=*/false)) {
        ++ok;
        if (acked) acked << key << "\n" << std::flush;
      } else {
        ++bad;
        std::cerr << key << ": " << show(r) << "\n";
      }
    } else {
      const KvOpResult r = s.read(key);
      if (r.outcome == OpOutcome::kOk && r.result.code == kv::Code::kOk && r.result.value == value) {
        ++ok;
      } else {
        ++bad;
        std::cout << "missing " << key << ": " << show(r) << "\n";
      }
    }
  }
  std::cout << f.op << ": " << ok << " ok, " << bad << " not ok\n";
  return bad == 0 ? kExitPass : kExitCheckFailed;
}

int run_kv(const KvFlags& f) {
  std::map<NodeId, std::string> endpoints;
  if (std::string err = parse_endpoints(f.endpoints, &endpoints); !err.empty()) return usage_error(err);
  const auto write_level = parse_write_level(f.write_level);
  const auto read_level = parse_read_level(f.read_level);
  if (!write_level) return usage_error("--level must be leader, quorum or all");
  if (!read_level) return usage_error("--read must be linearizable, lease, session or any");
  const auto timeout = parse_duration(f.timeout);
  if (!timeout) return usage_error("--timeout: '" + f.timeout + "' is not a duration");
  if (*timeout <= Duration(0)) return usage_error("--timeout must be longer than 0 (an operation needs time to be sent)");
  KvClientOptions o;
  for (const auto& [id, addr] : endpoints) o.nodes.push_back(id);
  o.write_level = *write_level;
  o.read_level = *read_level;
  o.operation_timeout = *timeout;
  Session s(endpoints, o);
  const bool batch = f.count > 0 || !f.keys_file.empty();
  if (batch) {
    if (f.op != "put" && f.op != "get") return usage_error("--count works with put and get");
    if (!f.args.empty()) return usage_error("batch mode takes no KEY/VALUE arguments");
    return save_history(s, f.history_file, run_batch(s, f));
  }
  const size_t need = f.op == "get" || f.op == "delete" ? 1 : f.op == "cas" ? (f.expect_absent ? 2 : 3) : 2;
  if (f.args.size() != need) return usage_error("kv " + f.op + " takes " + std::to_string(need) + " arguments");
  KvOpResult r;
  if (f.op == "get") r = s.read(f.args[0]);
  else if (f.op == "put") r = s.write(kv::Put{f.args[0], f.args[1]});
  else if (f.op == "append") r = s.write(kv::Append{f.args[0], f.args[1]});
  else if (f.op == "delete") r = s.write(kv::Delete{f.args[0]});
  else if (f.expect_absent) r = s.write(kv::Cas{f.args[0], std::nullopt, f.args[1]});
  else r = s.write(kv::Cas{f.args[0], f.args[1], f.args[2]});
  if (succeeded(r, f.op == "cas")) {
    std::cout << (f.op == "get" ? r.result.value.value_or("") : r.outcome == OpOutcome::kAccepted ? show(r) : "ok")
              << "\n";
    return save_history(s, f.history_file, kExitPass);
  }
  std::cerr << "shoal: " << f.op << " " << f.args[0] << ": " << show(r)
            << (r.outcome == OpOutcome::kAccepted ? "; whether the comparison held is not known (use --level quorum)"
                                                  : "")
            << "\n";
  return save_history(s, f.history_file, kExitCheckFailed);
}

CommandRegistration reg("kv", [](CLI::App& root) {
  CLI::App& kv = group(root, "kv", "a client of the replicated key-value store (group 0)");
  for (const char* op : {"put", "get", "cas", "delete", "append"}) {
    auto f = std::make_shared<KvFlags>();
    f->op = op;
    CLI::App* c = kv.add_subcommand(op, std::string(op) + " (see `shoal kv " + op + " --help`)");
    c->add_option("args", f->args, "KEY [VALUE] (cas: KEY EXPECTED NEW)");
    c->add_option("--endpoints", f->endpoints, "nodes as id=host:port,... (ids default to 1,2,...)")->required();
    c->add_option("--level", f->write_level, "write level: leader, quorum, all")->capture_default_str();
    c->add_option("--read", f->read_level, "read level: linearizable, lease, session, any")->capture_default_str();
    c->add_option("--timeout", f->timeout, "give up after this long")->capture_default_str();
    c->add_option("--prefix", f->prefix, "batch mode: key prefix");
    c->add_option("--count", f->count, "batch mode: keys PREFIX0..PREFIX<count-1>")->check(CLI::Range(0, 10000000));
    c->add_option("--acked-file", f->acked_file, "batch put: write each acknowledged key to FILE");
    c->add_option("--keys-file", f->keys_file, "batch get: the keys to check, one per line");
    c->add_option("--history", f->history_file, "record every operation (invoke / ok / fail / unknown) to FILE "
                                                 "as Shoal JSON lines, for `shoal check`");
    if (std::string(op) == "cas") c->add_flag("--expect-absent", f->expect_absent, "KEY must not exist (cas KEY NEW)");
    set_action(*c, [f] { return run_kv(*f); });
  }
});

}  // namespace
}  // namespace shoal::tools
