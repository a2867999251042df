// Internal to the history checkers other than linearizability: which
// operations could have produced a value read from a key, and whether a value
// shows the effect of a given write.
//
// An "overwrite" is a write, a delete or a cas that applied or may have; an
// append adds to whatever is there. A value v read from a key is produced by
// an overwrite whose value is v (or, on a key that has appends, begins v),
// or by the initial value, which comes before everything. Values are
// precise when every write writes a value of its own, which the simulator's
// client driver arranges; when values repeat, every checker gives the
// benefit of the doubt (it reports nothing that some choice of writer
// explains).
#pragma once

#include <cstddef>
#include <map>
#include <string>
#include <vector>

#include "scenarios/checkers/history.h"

namespace shoal::check::internal {

// The initial value as a producer: it precedes every operation.
inline constexpr size_t kInitialProducer = SIZE_MAX;

class Lineage {
 public:
  explicit Lineage(const History& history);

  // The overwrites (history indices, or kInitialProducer) that could have
  // produced `v` on `key`. Empty when nothing could: a value never written.
  std::vector<size_t> producers(const std::string& key, const Value& v) const;

  // Whether `v`, read from the key of `write` (an operation that took
  // effect), shows that write: an overwrite shows if v was produced by it or
  // by an overwrite that may be newer; an append shows if v contains its
  // value or an overwrite that may be newer produced v.
  bool reflects(const Value& v, size_t write) const;

  // Whether producer `a` certainly took effect before producer `b` began.
  bool precedes(size_t a, size_t b) const;

  bool has_appends(const std::string& key) const;

 private:
  struct KeyOps {
    bool has_appends = false;
    std::vector<size_t> overwrites;
  };
  bool produces(size_t overwrite, const Value& v, bool has_appends) const;

  const History& history_;
  std::map<std::string, KeyOps> keys_;
};

// True for operations that took effect (ok, and for a cas, applied).
bool acknowledged_write(const Operation& o);
// True for operations that may have taken effect and change the value.
bool may_write(const Operation& o);
bool starts_with(const Value& v, const Value& prefix);

}  // namespace shoal::check::internal
