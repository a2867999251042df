// `shoal txn OPS`: one multi-key transaction, atomic and serializable, over
// the KV nodes' txn groups (engine/txn/txn_client.h), from a JSON list:
//
//   shoal txn '[{"op":"get","key":"a"},{"op":"put","key":"b","value":"1"},
//               {"op":"append","key":"c","value":"x"},{"op":"delete","key":"d"}]' --endpoints E
//   shoal txn @ops.json --endpoints E          (the list from a file; @- reads stdin)
//
// The operations run in order; a get sees the txn's own earlier writes. The
// keys are spread over the txn groups the nodes host (their `txn_groups`
// setting; this command asks the first node that answers which they are), so
// a txn may span several groups and still applies whole or not at all.
//
// Output: "committed" and each get's value on stdout; "aborted" or
// "unknown" with the reason on stderr; with --json one object on stdout
// whatever happened ({"outcome", "error", "message", "txn", "groups",
// "reads": [{"key", "value"|null}]}). Exit codes (those of `shoal kv`): 0
// committed; 1 aborted (a conflict, a changed read: nothing was applied —
// run it again) or unknown (the commit was sent and not answered); 2 usage
// or bad input.
#include <fstream>
#include <iostream>
#include <sstream>

#include <boost/json.hpp>

#include "engine/txn/txn_client.h"
#include "tools/cli_util.h"
#include "tools/command.h"
#include "tools/kv_session.h"

namespace shoal::tools {
namespace {

namespace json = boost::json;

// A txn names at most this many operations, and its list at most this many bytes.
constexpr size_t kTxnOpsMax = 1000;
constexpr size_t kTxnListBytesMax = 16 << 20;
// How long one node gets to tell its txn groups before the next is asked.
constexpr Duration kStatusWaitMax = seconds(2);

struct TxnFlags {
  std::string ops;
  KvClientFlags client;
  bool json = false;
};

// The list's text: the argument itself, or @FILE / @- (stdin).
bool read_list(const std::string& arg, std::string* text, std::string* error) {
  if (arg.empty() || arg[0] != '@') {
    *text = arg;
    return true;
  }
  std::ostringstream out;
  if (arg == "@-") {
    out << std::cin.rdbuf();
  } else {
    std::ifstream in(arg.substr(1), std::ios::binary);
    if (!in) {
      *error = "cannot read " + arg.substr(1);
      return false;
    }
    out << in.rdbuf();
  }
  *text = out.str();
  if (text->size() > kTxnListBytesMax) {
    *error = "the operation list is over " + std::to_string(kTxnListBytesMax) + " bytes";
    return false;
  }
  return true;
}

// One operation object, checked: its op, key and (put, append) value only.
std::optional<txn::TxnOp> parse_op(const json::value& v, size_t i, std::string* error) {
  const std::string at = "operation " + std::to_string(i) + ": ";
  const json::object* o = v.if_object();
  if (o == nullptr) return *error = at + "is not an object", std::nullopt;
  static const std::map<std::string, txn::TxnOp::Kind> kinds = {{"get", txn::TxnOp::Kind::kGet},
                                                                 {"put", txn::TxnOp::Kind::kPut},
                                                                 {"delete", txn::TxnOp::Kind::kDelete},
                                                                 {"append", txn::TxnOp::Kind::kAppend}};
  const json::value* op = o->if_contains("op");
  const json::value* key = o->if_contains("key");
  if (op == nullptr || !op->is_string() || !kinds.contains(std::string(op->as_string()))) {
    return *error = at + "\"op\" must be get, put, delete or append", std::nullopt;
  }
  txn::TxnOp out;
  out.kind = kinds.at(std::string(op->as_string()));
  if (key == nullptr || !key->is_string() || key->as_string().empty() || key->as_string().size() > kv::kMaxKeyBytes) {
    return *error = at + "\"key\" must be a string of 1.." + std::to_string(kv::kMaxKeyBytes) + " bytes", std::nullopt;
  }
  out.key = std::string(key->as_string());
  const bool wants_value = out.kind == txn::TxnOp::Kind::kPut || out.kind == txn::TxnOp::Kind::kAppend;
  const json::value* value = o->if_contains("value");
  if (wants_value && (value == nullptr || !value->is_string())) {
    return *error = at + op->as_string().c_str() + " needs a string \"value\"", std::nullopt;
  }
  if (!wants_value && value != nullptr) return *error = at + op->as_string().c_str() + " takes no \"value\"", std::nullopt;
  if (value != nullptr) out.value = std::string(value->as_string());
  if (out.value.size() > kv::kMaxValueBytes) return *error = at + "the value is too long", std::nullopt;
  for (const auto& field : *o) {
    if (field.key() != "op" && field.key() != "key" && field.key() != "value") {
      return *error = at + "unknown field \"" + std::string(field.key()) + "\"", std::nullopt;
    }
  }
  return out;
}

std::optional<std::vector<txn::TxnOp>> parse_ops(const std::string& text, std::string* error) {
  boost::system::error_code ec;
  const json::value v = json::parse(text, ec);
  if (ec) return *error = "the operation list is not JSON: " + ec.message(), std::nullopt;
  if (!v.is_array() || v.as_array().empty()) return *error = "the operations must be a non-empty JSON list", std::nullopt;
  if (v.as_array().size() > kTxnOpsMax) {
    return *error = "a txn has at most " + std::to_string(kTxnOpsMax) + " operations", std::nullopt;
  }
  std::vector<txn::TxnOp> ops;
  for (size_t i = 0; i < v.as_array().size(); ++i) {
    auto op = parse_op(v.as_array()[i], i, error);
    if (!op) return std::nullopt;
    ops.push_back(std::move(*op));
  }
  return ops;
}

// The txn groups the nodes host: every KV group but 0, from the first node
// that answers its status.
std::vector<uint32_t> txn_groups(ClientRuntime& rt, const std::vector<NodeId>& nodes, Duration timeout,
                                 std::string* error) {
  for (NodeId node : nodes) {
    const std::string reply = rt.admin_status(node, std::min<Duration>(timeout, kStatusWaitMax));
    boost::system::error_code ec;
    const json::value v = json::parse(reply, ec);
    if (reply.empty() || ec || !v.is_object() || !v.as_object().contains("groups")) continue;
    std::vector<uint32_t> groups;
    try {
      for (const json::value& g : v.at("groups").as_array()) {
        const json::object& o = g.as_object();
        if (o.at("kind").as_string() == "kv" && o.at("id").to_number<uint64_t>() != 0) {
          groups.push_back(static_cast<uint32_t>(o.at("id").to_number<uint64_t>()));
        }
      }
    } catch (const std::exception&) {
      continue;  // not a status this command understands: ask the next node
    }
    std::sort(groups.begin(), groups.end());
    if (groups.empty()) *error = "node " + std::to_string(node) + " hosts no txn groups (its txn_groups is 0)";
    return groups;
  }
  *error = "no node answered its status, so the txn groups are unknown";
  return {};
}

int report(const TxnFlags& f, const std::vector<txn::TxnOp>& ops, const txn::TxnResult& r) {
  const bool committed = r.outcome == txn::TxnOutcome::kCommitted;
  if (f.json) {
    json::array reads;
    for (size_t i = 0; committed && i < ops.size(); ++i) {
      if (ops[i].kind != txn::TxnOp::Kind::kGet) continue;
      json::value value = r.reads[i] ? json::value(*r.reads[i]) : json::value(nullptr);
      reads.push_back(json::object{{"key", ops[i].key}, {"value", std::move(value)}});
    }
    std::cout << json::serialize(json::object{{"outcome", txn::to_string(r.outcome)},
                                              {"error", txn::to_string(r.error)},
                                              {"message", r.message},
                                              {"txn", r.txn},
                                              {"groups", r.groups},
                                              {"reads", std::move(reads)}})
              << "\n";
    return committed ? kExitPass : kExitCheckFailed;
  }
  if (!committed) {
    std::cerr << txn::to_string(r.outcome) << ": " << txn::to_string(r.error) << ": " << r.message << " (txn "
              << r.txn << ")\n";
    return kExitCheckFailed;
  }
  std::cout << "committed (txn " << r.txn << ", " << r.groups << (r.groups == 1 ? " group" : " groups") << ")\n";
  for (size_t i = 0; i < ops.size(); ++i) {
    if (ops[i].kind != txn::TxnOp::Kind::kGet) continue;
    std::cout << ops[i].key << " = " << (r.reads[i] ? "\"" + *r.reads[i] + "\"" : std::string("(absent)")) << "\n";
  }
  return kExitPass;
}

int run_txn(const TxnFlags& f) {
  std::map<NodeId, std::string> endpoints;
  KvClientOptions ko;
  if (std::string err = kv_client_options(f.client, &endpoints, &ko); !err.empty()) return usage_error(err);
  std::string text, error;
  if (!read_list(f.ops, &text, &error)) return usage_error(error);
  const auto ops = parse_ops(text, &error);
  if (!ops) return usage_error(error);
  std::unique_ptr<ClientRuntime> rt;
  try {
    rt = std::make_unique<ClientRuntime>(endpoints);
  } catch (const std::runtime_error& e) {
    return usage_error(e.what());
  }
  txn::TxnClientOptions o;
  o.nodes = ko.nodes;
  o.groups = txn_groups(*rt, o.nodes, ko.operation_timeout, &error);
  if (o.groups.empty()) {
    std::cerr << "shoal: " << error << "\n";
    return kExitCheckFailed;
  }
  o.client_id = rt->env().random().next_u64() | 1;
  o.operation_timeout = ko.operation_timeout;
  txn::TxnClient client(rt->env(), o);
  const txn::TxnResult r =
      rt->wait<txn::TxnResult>([&](txn::TxnCallback done) { client.run(*ops, std::move(done)); });
  return report(f, *ops, r);
}

CommandRegistration reg("txn", [](CLI::App& root) {
  auto f = std::make_shared<TxnFlags>();
  CLI::App* c = root.add_subcommand(
      "txn", "run one atomic, serializable transaction over the KV nodes' txn groups, from a JSON list of "
             "operations (get, put, delete, append)");
  c->add_option("ops", f->ops,
                "the operations: '[{\"op\":\"get\",\"key\":\"a\"},{\"op\":\"put\",\"key\":\"b\",\"value\":\"1\"}]', "
                "or @FILE, or @- for stdin")
      ->required();
  add_kv_client_flags(*c, f->client, /*levels=*/false);
  c->add_flag("--json", f->json, "print the result as one JSON object");
  set_action(*c, [f] { return run_txn(*f); });
});

}  // namespace
}  // namespace shoal::tools
