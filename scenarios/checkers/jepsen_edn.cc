// Jepsen histories as EDN, one operation event (a map) per line:
//   {:process 9, :type :invoke, :f :append, :key "0", :value "x 9 0 y"}
// Keys are optional (a history without them is one register); a cas carries
// its arguments as :value [EXPECTED NEW]. Events of a non-numeric process
// (the nemesis) are skipped. Jepsen's multi-key tests start every key at "",
// its register tests (no :key) start the register absent; the parsed history's
// initial value follows that convention (callers may override it).
#include "absl/strings/numbers.h"
#include "scenarios/checkers/edn.h"
#include "scenarios/checkers/history_io.h"
#include "scenarios/checkers/jepsen_events.h"
#include "scenarios/checkers/line_reader.h"

namespace shoal::check {
namespace {

using internal::Edn;
using internal::line_error;

// A scalar as a register value: nil is absent, a string is its contents and a
// number, keyword or symbol is its text.
std::optional<Value> scalar_value(const Edn* e) {
  if (e == nullptr || e->kind == Edn::Kind::kNil) return Value(std::nullopt);
  if (e->kind == Edn::Kind::kVector || e->kind == Edn::Kind::kList || e->kind == Edn::Kind::kMap) {
    return std::nullopt;
  }
  return Value(e->text);
}

class EdnParser {
 public:
  explicit EdnParser(std::string_view source) : source_(source), builder_(source) {}

  absl::Status event(uint32_t line, const Edn& m) {
    line_ = line;
    if (m.kind != Edn::Kind::kMap) return error("expected a map {...}");
    const Edn* process = m.get("process");
    if (process == nullptr) return error("missing :process");
    if (process->kind != Edn::Kind::kNumber) return absl::OkStatus();  // nemesis and the like
    int64_t p = 0;
    if (!absl::SimpleAtoi(process->text, &p)) return error("bad :process " + process->text);
    const Edn* type = m.get("type");
    const Edn* f = m.get("f");
    if (type == nullptr || type->kind != Edn::Kind::kKeyword) return error("missing or bad :type");
    if (f == nullptr || f->kind != Edn::Kind::kKeyword) return error("missing or bad :f");
    std::optional<OpType> op_type = parse_op_type(f->text);
    if (!op_type) return error("unknown function :" + f->text);
    const Edn* key_field = m.get("key");
    std::optional<Value> key = scalar_value(key_field);
    if (!key) return error("bad :key");
    has_keys_ = has_keys_ || key_field != nullptr;
    const Edn* value = m.get("value");
    if (type->text == "invoke") return invoke(p, *op_type, key->value_or(""), value);
    if (type->text == "ok") return ok(p, *op_type, value);
    if (type->text == "fail") return builder_.complete(line_, p, Outcome::kFail, *op_type, {});
    if (type->text == "info") return builder_.complete(line_, p, Outcome::kUnknown, *op_type, {});
    return error("unknown :type :" + type->text);
  }

  History take() { return builder_.take(); }
  bool has_keys() const { return has_keys_; }

 private:
  absl::Status error(std::string_view message) { return line_error(source_, line_, message); }

  absl::Status invoke(int64_t p, OpType type, std::string key, const Edn* value) {
    Op op{type, std::move(key), std::nullopt, std::nullopt};
    if (type == OpType::kWrite || type == OpType::kAppend) {
      std::optional<Value> v = scalar_value(value);
      if (!v || !*v) return error("expected a string :value to " + std::string(to_string(type)));
      op.value = *v;
    } else if (type == OpType::kCas) {
      if (value == nullptr || value->kind != Edn::Kind::kVector || value->items.size() != 2) {
        return error("expected :value [EXPECTED NEW] for cas");
      }
      std::optional<Value> expected = scalar_value(&value->items[0]);
      std::optional<Value> desired = scalar_value(&value->items[1]);
      if (!expected || !desired || !*desired) return error("bad cas :value");
      op.expected = *expected;
      op.value = *desired;
    }
    return builder_.invoke(line_, p, std::move(op));
  }

  absl::Status ok(int64_t p, OpType type, const Edn* value) {
    Result result;
    if (type == OpType::kRead) {
      std::optional<Value> v = scalar_value(value);
      if (!v) return error("expected the value read (a string or nil)");
      result.value = *v;
    }
    return builder_.complete(line_, p, Outcome::kOk, type, std::move(result));
  }

  std::string source_;
  internal::JepsenEventBuilder builder_;
  uint32_t line_ = 0;
  bool has_keys_ = false;
};

}  // namespace

absl::StatusOr<History> parse_jepsen_edn(std::string_view text, std::string_view source) {
  EdnParser parser(source);
  absl::Status s = internal::for_each_line(text, source, [&](uint32_t number, std::string_view line) {
    std::string error;
    std::optional<Edn> m = internal::parse_edn(line, &error);
    if (!m) return line_error(source, number, "not an EDN map: " + error);
    return parser.event(number, *m);
  });
  if (!s.ok()) return s;
  const bool multi_key = parser.has_keys();
  History history = parser.take();
  if (multi_key) history.set_initial_value(std::string());
  return history;
}

}  // namespace shoal::check
