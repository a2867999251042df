// The history of client operations that every checker judges.
//
// A client (the simulator's client driver, or a real-mode client) records each
// operation twice: `invoke` when it sends the request and `complete` when the
// answer arrives or the client gives up. The outcome says what the client
// knows:
//   * kOk      — the operation took effect once, somewhere inside its interval;
//   * kFail    — the operation definitely did not take effect;
//   * kUnknown — it timed out or the connection broke: it may or may not have
//                taken effect, at any time after its invocation. Its interval
//                stays open to the end of the history.
// An operation still pending when the history is judged counts as kUnknown.
//
// Operations act on string keys holding string values, or on no value at all
// ("absent"). The single register of the cas-register model is the key "".
// Intervals are closed: an operation that completes at t overlaps one invoked
// at t, so only a completion strictly before an invocation orders two
// operations.
//
// History is a plain value: not thread-safe, owned by whoever records it.
#pragma once

#include <cstdint>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace shoal::check {

// The value held by a key; nullopt means the key is absent.
using Value = std::optional<std::string>;
// The values of many keys, e.g. the state read after the cluster quiesced.
using KeyValues = std::map<std::string, Value>;

enum class OpType : uint8_t {
  kRead,    // "read" / "get": observes the value.
  kWrite,   // "write" / "put": sets the value.
  kAppend,  // concatenates to the value (an absent key appends to "").
  kDelete,  // makes the key absent.
  kCas,     // compare-and-set: if value == expected, set it to value.
};

enum class Outcome : uint8_t { kPending, kOk, kFail, kUnknown };

// What the client asked for.
struct Op {
  OpType type = OpType::kRead;
  std::string key;
  Value value;     // kWrite, kAppend: the argument; kCas: the new value.
  Value expected;  // kCas only: the value compared against.

  static Op read(std::string key = {});
  static Op write(std::string key, std::string value);
  static Op append(std::string key, std::string value);
  static Op del(std::string key);
  static Op cas(std::string key, Value expected, std::string value);
  bool operator==(const Op&) const = default;
};

// What the store answered, meaningful only for an outcome of kOk.
struct Result {
  Value value;  // kRead: the value observed.
  // kCas: false when the store answered that the comparison failed, which
  // makes the operation an observation that the value differed from
  // `expected`. (Jepsen's `:fail :cas` is instead recorded as Outcome::kFail.)
  bool applied = true;
  bool operator==(const Result&) const = default;
};

// Time stamp of an interval that never closed.
inline constexpr int64_t kOpenEnd_ns = std::numeric_limits<int64_t>::max();

struct Operation {
  uint32_t process = 0;  // The client session; its operations never overlap.
  int64_t invoke_ns = 0;
  // When the answer came or the client gave up; kOpenEnd_ns while pending.
  // Checkers treat the interval of an unknown outcome as open regardless.
  int64_t complete_ns = kOpenEnd_ns;
  Op op;
  Outcome outcome = Outcome::kPending;
  Result result;
  uint32_t source_line = 0;  // Line in the file it was parsed from, or 0.

  // Pending and unknown operations are both of unknown effect.
  bool effect_unknown() const { return outcome == Outcome::kPending || outcome == Outcome::kUnknown; }
  bool ok() const { return outcome == Outcome::kOk; }
  // True when this operation's interval ends strictly before `other` starts
  // (an operation of unknown effect precedes nothing).
  bool precedes(const Operation& other) const { return !effect_unknown() && complete_ns < other.invoke_ns; }
  bool operator==(const Operation&) const = default;
};

class History {
 public:
  // Records the start of an operation and returns its index for complete().
  size_t invoke(uint32_t process, int64_t t_ns, Op op);
  // REQUIRES: `index` came from invoke() and is still pending; t_ns is not
  // before its invocation. For Outcome::kUnknown the time is when the client
  // gave up; the interval is nevertheless kept open to the end.
  void complete(size_t index, int64_t t_ns, Outcome outcome, Result result = {});
  // Appends a whole operation (used by the parsers and generators).
  size_t add(Operation operation);

  const std::vector<Operation>& operations() const { return ops_; }
  std::vector<Operation>& mutable_operations() { return ops_; }
  const Operation& operator[](size_t i) const { return ops_[i]; }
  size_t size() const { return ops_.size(); }
  bool empty() const { return ops_.empty(); }

  // The value every key holds before the first operation (absent by default;
  // Jepsen's multi-key histories start every key at "").
  const Value& initial_value() const { return initial_value_; }
  void set_initial_value(Value v) { initial_value_ = std::move(v); }

  // The keys touched, sorted, each once.
  std::vector<std::string> keys() const;
  // The operations on `key`, in order, with the same initial value: the
  // history of that key alone, which keys being independent (a key's
  // operations never constrain another's), a checker may judge by itself.
  History of_key(const std::string& key) const;
  bool operator==(const History&) const = default;

 private:
  std::vector<Operation> ops_;
  Value initial_value_;
};

std::string_view to_string(OpType type);
std::string_view to_string(Outcome outcome);
// Parses "read"/"get", "write"/"put", "append", "delete"/"del", "cas".
std::optional<OpType> parse_op_type(std::string_view name);
std::optional<Outcome> parse_outcome(std::string_view name);

// "nil" for absent, else the value in double quotes.
std::string describe(const Value& v);
// One line for messages and reports, e.g. `p3 cas "k" "1"->"2" ok`.
std::string describe(const Operation& operation);

}  // namespace shoal::check
