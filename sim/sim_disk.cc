#include "sim/sim_disk.h"

#include <algorithm>
#include <cassert>

namespace shoal::sim {

void apply_op(std::string& content, const SimFileState::Op& op) {
  if (op.truncate) {
    content.resize(op.offset, '\0');
    return;
  }
  assert(op.offset <= content.size());
  const uint64_t end = op.offset + op.bytes.size();
  if (end > content.size()) content.resize(end, '\0');
  content.replace(op.offset, op.bytes.size(), op.bytes);
}

void SimFileState::make_durable(size_t n) {
  assert(n <= pending.size());
  for (size_t i = 0; i < n; ++i) apply_op(durable, pending[i]);
  pending.erase(pending.begin(), pending.begin() + static_cast<std::ptrdiff_t>(n));
  ops_made_durable += n;
}

uint64_t SimDiskState::used_bytes() const {
  uint64_t used = 0;
  for (const auto& [name, f] : files) used += f->data.size();
  return used;
}

namespace {

// The torn op: a prefix of its bytes reached the medium, and the sector the
// write stopped in may hold garbage.
void tear(SimFileState& f, SimFileState::Op op, Rng& rng) {
  if (!op.truncate && !op.bytes.empty()) {
    const uint64_t length = op.bytes.size();
    const uint64_t keep = rng.below(length);
    op.bytes.resize(keep);
    if (rng.chance(0.5)) {
      // Garbage stays inside the range the write covered.
      const uint64_t garbage = std::min<uint64_t>(length - keep, 1 + rng.below(16));
      for (uint64_t i = 0; i < garbage; ++i) op.bytes.push_back(static_cast<char>(rng.below(256)));
    }
    apply_op(f.durable, op);
  } else if (rng.chance(0.5)) {
    apply_op(f.durable, op);
  }
}

}  // namespace

void SimDiskState::crash(Rng& rng, const CrashDiskConfig& fates) {
  const CrashDiskConfig& w = fates;
  const uint64_t total = uint64_t{w.keep_weight} + w.lose_weight + w.tear_weight;
  for (auto& [name, f] : files) {
    if (!f->pending.empty() && total > 0) {
      const uint64_t roll = rng.below(total);
      if (roll < w.keep_weight) {
        f->make_durable(f->pending.size());
      } else if (roll >= uint64_t{w.keep_weight} + w.lose_weight) {
        const size_t whole = rng.below(f->pending.size());
        SimFileState::Op torn = f->pending[whole];
        f->make_durable(whole);
        tear(*f, std::move(torn), rng);
      }
    }
    f->pending.clear();
    f->ops_made_durable = f->ops_total;
    f->data = f->durable;
  }
}

}  // namespace shoal::sim
