// Simulation's FaultControls: the test side's levers on processes, links,
// clocks and disks. Each lever records itself in the trace and the hash.
#include <cassert>

#include "absl/strings/str_cat.h"
#include "engine/core/assert.h"
#include "sim/sim_env.h"
#include "sim/simulation.h"

namespace shoal::sim {
namespace {
uint64_t link_key(NodeId from, NodeId to) { return (uint64_t{from} << 32) | to; }
}  // namespace

void Simulation::trace(const char* kind, NodeId node, std::string text) {
  if (!tracer_) return;
  tracer_(TraceRecord{now_, next_sequence_, kind, node, std::move(text)});
}

void Simulation::note(NodeId node, const char* kind, std::string text) {
  trace_hash_ = hash_combine(trace_hash_, hash_combine(node, stable_hash(text.data(), text.size())));
  trace(kind, node, std::move(text));
}

void Simulation::crash(NodeId node) { crash(node, slot(node).disk.config.crash); }

void Simulation::crash(NodeId node, const CrashDiskConfig& fates) {
  Slot& s = slot(node);
  if (!s.running) return;
  note(node, "fault", absl::StrCat("crash ", s.name));
  stats_.crashes++;
  s.running = false;
  s.paused = false;
  // Memory goes first (engine destructors may still cancel timers through
  // their Env), then the Env; pending timers and syncs of this incarnation
  // are skipped when they come due because the incarnation moves on.
  s.process.reset();
  s.env.reset();
  s.incarnation++;
  s.live_timers.clear();
  s.held.clear();
  s.disk.crash(disk_rng_, fates);
  if (crash_observer_) crash_observer_(node);
}

void Simulation::restart(NodeId node) {
  Slot& s = slot(node);
  if (s.running) return;
  stats_.restarts++;
  start_incarnation(s);
}

void Simulation::pause(NodeId node) {
  Slot& s = slot(node);
  if (!s.running || s.paused) return;
  note(node, "fault", "pause");
  s.paused = true;
}

void Simulation::resume(NodeId node) {
  Slot& s = slot(node);
  if (!s.running || !s.paused) return;
  note(node, "fault", absl::StrCat("resume (", s.held.size(), " events held)"));
  s.paused = false;
  // What came due during the pause runs now, in the order it came due.
  while (!s.held.empty()) {
    Event e;
    e.at_ns = to_ns(now_);
    e.kind = EventKind::kDriver;
    e.node = node;
    e.fn = std::move(s.held.front());
    s.held.pop_front();
    push(std::move(e));
  }
}

bool Simulation::running(NodeId node) const {
  const Slot* s = find_slot(node);
  return s != nullptr && s->running;
}

bool Simulation::paused(NodeId node) const {
  const Slot* s = find_slot(node);
  return s != nullptr && s->running && s->paused;
}

void Simulation::cut(NodeId from, NodeId to) {
  if (cut_.emplace(link_key(from, to), true).second) {
    note(from, "fault", absl::StrCat("cut ", from, "->", to));
  }
}

void Simulation::heal(NodeId from, NodeId to) {
  if (cut_.erase(link_key(from, to)) > 0) {
    note(from, "fault", absl::StrCat("heal ", from, "->", to));
  }
}

void Simulation::heal_all_links() {
  if (cut_.empty()) return;
  cut_.clear();
  note(kNoNode, "fault", "heal all links");
}

bool Simulation::is_cut(NodeId from, NodeId to) const { return cut_.contains(link_key(from, to)); }

void Simulation::partition(const std::vector<std::vector<NodeId>>& groups) {
  heal_all_links();
  std::string text = "partition";
  for (size_t g = 0; g < groups.size(); ++g) {
    text += g == 0 ? " " : " | ";
    for (NodeId n : groups[g]) absl::StrAppend(&text, n, " ");
    for (size_t h = 0; h < groups.size(); ++h) {
      if (h == g) continue;
      for (NodeId a : groups[g]) {
        for (NodeId b : groups[h]) cut_.emplace(link_key(a, b), true);
      }
    }
  }
  note(kNoNode, "fault", std::move(text));
}

void Simulation::set_link(NodeId from, NodeId to, const LinkConfig& config) {
  link_config_[link_key(from, to)] = config;
  note(from, "fault", absl::StrCat("link ", from, "->", to, " latency ",
                                   format_duration(config.latency_min), "..",
                                   format_duration(config.latency_max), " loss ",
                                   config.loss_probability));
}

void Simulation::set_all_links(const LinkConfig& config) {
  options_.link = config;
  link_config_.clear();
  note(kNoNode, "fault", "links reconfigured");
}

void Simulation::clog_link(NodeId from, NodeId to, Duration length) {
  link_clog_until_ns_[link_key(from, to)] = to_ns(now_ + length);
  note(from, "fault", absl::StrCat("clog ", from, "->", to, " for ", format_duration(length)));
}

void Simulation::clog_node(NodeId node, Duration length) {
  slot(node).clog_until_ns = to_ns(now_ + length);
  note(node, "fault", absl::StrCat("clog node for ", format_duration(length)));
}

void Simulation::set_disk(NodeId node, const DiskConfig& config) {
  slot(node).disk.config = config;
  note(node, "fault", "disk reconfigured");
}

void Simulation::set_disk_full(NodeId node, bool full) {
  slot(node).disk.full = full;
  note(node, "fault", full ? "disk full" : "disk has space");
}

int64_t Simulation::disk_lost_at_ns(NodeId node) const {
  const Slot* s = find_slot(node);
  return s == nullptr ? -1 : s->disk_lost_at_ns;
}

void Simulation::wipe_disk(NodeId node) {
  SHOAL_ASSERT(!running(node));
  slot(node).disk.files.clear();
  slot(node).disk_lost_at_ns = to_ns(now_);
  note(node, "fault", "disk wiped");
}

bool Simulation::flip_bit(NodeId node, const std::string& path, uint64_t offset, int bit) {
  SimDiskState& d = slot(node).disk;
  auto it = d.files.find(path);
  if (it == d.files.end()) return false;
  SimFileState& f = *it->second;
  if (offset >= f.data.size() || bit < 0 || bit > 7) return false;
  // At rest: the stored bytes change, durable or not.
  f.data[offset] = static_cast<char>(f.data[offset] ^ (1 << bit));
  if (offset < f.durable.size()) f.durable[offset] = static_cast<char>(f.durable[offset] ^ (1 << bit));
  slot(node).disk_lost_at_ns = to_ns(now_);
  note(node, "fault", absl::StrCat("flip bit ", bit, " of ", path, " at ", offset));
  return true;
}

void Simulation::crash_in_next_sync(NodeId node, std::function<void()> crashed, double stretch) {
  SHOAL_ASSERT(stretch >= 1);
  slot(node).crash_in_next_sync = std::move(crashed);
  slot(node).crash_in_next_sync_stretch = stretch;
}

void Simulation::slow_sync(NodeId node, double factor) {
  assert(factor > 0);
  slot(node).disk.sync_slowdown = factor;
  note(node, "fault", absl::StrCat("sync slowdown x", factor));
}

}  // namespace shoal::sim
