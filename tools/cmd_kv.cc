// `shoal kv put|get|cas|delete|append`: a real-mode client of group 0.
//
//   shoal kv put KEY VALUE --endpoints 1=127.0.0.1:7001,2=127.0.0.1:7002,...
//   shoal kv get KEY --endpoints ... [--read linearizable|lease|session|any]
//   shoal kv cas KEY EXPECTED NEW --endpoints ...   (--expect-absent: KEY must not exist)
//   shoal kv put --prefix k --count 1000 --endpoints ...   (batch: k0..k999 = v0..v999)
//   shoal kv get --prefix k --count 1000 --endpoints ...   (batch: reports missing keys)
//   shoal kv put KEY VALUE --fence RESOURCE:TOKEN --endpoints ...   (also append, cas, delete)
// A fenced write applies only while TOKEN holds the lock on RESOURCE (see
// `shoal lock`); refused, it prints "fenced: OP KEY: why" and exits 1.
// Exit codes: 0 every operation succeeded (a leader-level put, append or
// delete: was accepted by the leader); 1 an operation failed or was fenced,
// a key was missing, or an outcome is unknown (a leader-level CAS or fenced
// write is accepted before its comparison or fence is decided, so its outcome
// is unknown); 2 usage or bad input.
#include <fstream>
#include <iostream>
#include <memory>

#include "engine/client/kv_client.h"
#include "scenarios/checkers/history_io.h"
#include "tools/cli_util.h"
#include "tools/command.h"
#include "tools/kv_session.h"

namespace shoal::tools {
namespace {

struct KvFlags {
  std::string op;
  std::vector<std::string> args;
  KvClientFlags client;
  std::optional<std::string> fence;  // RESOURCE:TOKEN, when given
  std::string prefix;
  int count = 0;
  bool expect_absent = false;
  std::string acked_file;
  std::string keys_file;
  std::string history_file;
};

// Runs operations one after another on one client session, recording each
// in a history.
class Session {
 public:
  Session(const std::map<NodeId, std::string>& endpoints, KvClientOptions o, std::optional<kv::Fence> fence)
      : kv_(endpoints, std::move(o)), fence_(std::move(fence)) {}
  KvOpResult write(kv::Write w) {
    const size_t at = history_.invoke(0, now_ns(), history_op(w));
    const KvOpResult out = kv_.write(std::move(w), fence_);
    record(at, out);
    return out;
  }
  KvOpResult read(std::string key) {
    const size_t at = history_.invoke(0, now_ns(), check::Op::read(key));
    const KvOpResult out = kv_.read(std::move(key));
    record(at, out);
    return out;
  }
  // Every operation of this client, as a history `shoal check` can judge.
  const check::History& history() const { return history_; }

 private:
  int64_t now_ns() { return kv_.runtime().now_ns(); }

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

  KvSession kv_;
  std::optional<kv::Fence> fence_;  // guards every write of this run
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
      if (succeeded(r, /*conditional=*/f.fence.has_value())) {
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
  KvClientOptions o;
  if (std::string err = kv_client_options(f.client, &endpoints, &o); !err.empty()) return usage_error(err);
  std::optional<kv::Fence> fence;
  if (f.fence) {
    std::string err;
    fence = parse_fence(*f.fence, &err);
    if (!fence) return usage_error(err);
  }
  Session s(endpoints, o, fence);
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
  // A fence, like a CAS's comparison, is judged only when the write applies.
  if (succeeded(r, f.op == "cas" || fence.has_value())) {
    std::cout << (f.op == "get" ? r.result.value.value_or("") : r.outcome == OpOutcome::kAccepted ? show(r) : "ok")
              << "\n";
    return save_history(s, f.history_file, kExitPass);
  }
  if (r.outcome == OpOutcome::kOk && r.result.code == kv::Code::kFenced) {
    std::cerr << "fenced: " << f.op << " " << f.args[0] << ": " << r.result.message << "\n";
    return save_history(s, f.history_file, kExitCheckFailed);
  }
  const std::string condition = fence ? "fence" : "comparison";
  std::cerr << "shoal: " << f.op << " " << f.args[0] << ": " << show(r)
            << (r.outcome == OpOutcome::kAccepted
                    ? "; whether the " + condition + " held is not known (use --level quorum)"
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
    add_kv_client_flags(*c, f->client, /*levels=*/true);
    if (std::string(op) != "get") {
      c->add_option_function<std::string>(
          "--fence", [f](const std::string& v) { f->fence = v; },
          "RESOURCE:TOKEN: apply only while TOKEN holds the lock on RESOURCE (see `shoal lock`)");
    }
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
