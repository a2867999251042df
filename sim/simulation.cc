#include "sim/simulation.h"

#include <algorithm>
#include <cassert>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "sim/sim_env.h"

namespace shoal::sim {
namespace {

uint64_t link_key(NodeId from, NodeId to) { return (uint64_t{from} << 32) | to; }

uint64_t label_hash(const std::string& s) { return stable_hash(s.data(), s.size()); }

constexpr uint64_t kTestStreamSalt = 0x7e57;
constexpr uint64_t kNetStreamSalt = 0x4e37;
constexpr uint64_t kDiskStreamSalt = 0xd15c;
constexpr uint64_t kBuggifyStreamSalt = 0xb066;

}  // namespace

Simulation::Simulation(uint64_t seed, SimOptions options)
    : seed_(seed),
      options_(options),
      test_rng_(hash_combine(seed, kTestStreamSalt)),
      net_rng_(hash_combine(seed, kNetStreamSalt)),
      disk_rng_(hash_combine(seed, kDiskStreamSalt)),
      buggify_rng_(hash_combine(seed, kBuggifyStreamSalt)),
      trace_hash_(hash_combine(0, seed)) {}

Simulation::~Simulation() {
  // Destroy every process before the queue: engine destructors may cancel
  // timers, and closures in the queue may own engine objects.
  for (auto& s : slots_) {
    s->process.reset();
    s->env.reset();
  }
  queue_.clear();
}

template <typename Fn>
void Simulation::guarded(Fn&& fn) {
  if (options_.guard == nullptr) return fn();
  try {
    fn();
  } catch (const AssertionFailure& failure) {
    options_.guard->assertion(failure, stats_.events, now_);
    stopped_ = true;
  } catch (const std::exception& e) {
    // An exception that escapes engine code (std::map::at on a missing key,
    // say) would end the process in real mode: it is a crash of the same
    // class as a failed assertion, and the run stops there with its verdict.
    const std::string what = std::string("uncaught exception: ") + e.what();
    options_.guard->assertion(AssertionFailure(what.c_str(), "(no file: an exception)", 0), stats_.events, now_);
    stopped_ = true;
  }
}

// ---- processes --------------------------------------------------------------

void Simulation::add_process(NodeId id, std::string name, ProcessFactory factory) {
  assert(id != kNoNode);
  assert(!by_id_.contains(id));
  auto s = std::make_unique<Slot>();
  s->id = id;
  s->name = std::move(name);
  s->factory = std::move(factory);
  s->disk.config = options_.disk;
  s->clock_base_virtual_ns = to_ns(now_);
  by_id_[id] = s.get();
  slots_.push_back(std::move(s));
  // A process's constructor runs engine code, outside any event.
  guarded([this] { start_incarnation(*slots_.back()); });
}

void Simulation::start_incarnation(Slot& s) {
  assert(!s.running);
  s.running = true;
  s.paused = false;
  s.live_timers.clear();
  s.next_timer = 1;
  Rng rng(hash_combine(hash_combine(seed_, s.id), s.incarnation));
  s.env = std::make_unique<SimEnv>(*this, s, rng);
  trace("fault", s.id, absl::StrCat("start ", s.name, " incarnation ", s.incarnation));
  trace_hash_ = hash_combine(trace_hash_, hash_combine(s.id, s.incarnation));
  s.process = s.factory(*s.env);
}

Slot& Simulation::slot(NodeId id) {
  auto it = by_id_.find(id);
  assert(it != by_id_.end());
  return *it->second;
}

const Slot* Simulation::find_slot(NodeId id) const {
  auto it = by_id_.find(id);
  return it == by_id_.end() ? nullptr : it->second;
}

Process* Simulation::process(NodeId id) {
  Slot* s = by_id_.contains(id) ? &slot(id) : nullptr;
  return s && s->running ? s->process.get() : nullptr;
}

Env* Simulation::env(NodeId id) {
  Slot* s = by_id_.contains(id) ? &slot(id) : nullptr;
  return s && s->running ? s->env.get() : nullptr;
}

std::vector<NodeId> Simulation::process_ids() const {
  std::vector<NodeId> ids;
  for (const auto& s : slots_) ids.push_back(s->id);
  return ids;
}

uint64_t Simulation::incarnation(NodeId id) const { return find_slot(id)->incarnation; }

SimDiskState& Simulation::disk_state(NodeId id) { return slot(id).disk; }

Duration Simulation::clock_offset(NodeId id) const { return local_time(*find_slot(id)) - now_; }

// ---- BUGGIFY -------------------------------------------------------------------

bool Simulation::buggify_site_enabled(std::string_view site_view) {
  const std::string site(site_view);
  auto it = buggify_sites_.find(site);
  if (it != buggify_sites_.end()) return it->second;
  // From the seed and the site's name only, so enabling does not depend on
  // the order in which sites are first reached.
  const uint64_t h = hash_combine(hash_combine(seed_, kBuggifyStreamSalt), stable_hash(site.data(), site.size()));
  const bool on = static_cast<double>(h >> 11) * 0x1.0p-53 < options_.buggify.site_probability;
  buggify_sites_.emplace(site, on);
  note(kNoNode, "buggify", absl::StrCat(site, on ? " enabled" : " disabled"));
  return on;
}

bool Simulation::buggify_fires(std::string_view site) {
  if (!options_.buggify.enabled || !buggify_site_enabled(site)) return false;
  if (!buggify_rng_.chance(options_.buggify.fire_probability)) return false;
  stats_.buggify_fired++;
  return true;
}

// ---- the event loop ----------------------------------------------------------

void Simulation::push(Event e) {
  e.sequence = next_sequence_++;
  queue_.push_back(std::move(e));
  std::push_heap(queue_.begin(), queue_.end(), EventOrder{});
}

bool Simulation::step() {
  if (stopped_ || queue_.empty()) return false;
  std::pop_heap(queue_.begin(), queue_.end(), EventOrder{});
  Event e = std::move(queue_.back());
  queue_.pop_back();
  assert(e.at_ns >= to_ns(now_));
  now_ = from_ns(e.at_ns);
  guarded([this, &e] { execute(e); });
  if (options_.guard != nullptr && options_.guard->exceeded(stats_.events, now_)) stopped_ = true;
  return true;
}

void Simulation::run_until(TimePoint t) {
  while (!stopped_ && !queue_.empty() && queue_.front().at_ns <= to_ns(t)) step();
  if (t > now_) now_ = t;
}

bool Simulation::run_until(const std::function<bool()>& pred, TimePoint deadline) {
  while (!pred()) {
    if (stopped_ || queue_.empty() || queue_.front().at_ns > to_ns(deadline)) {
      if (deadline > now_) now_ = deadline;
      return pred();
    }
    step();
  }
  return true;
}

void Simulation::at(TimePoint t, std::string label, std::function<void()> fn) {
  Event e;
  e.at_ns = to_ns(std::max(t, now_));
  e.kind = EventKind::kDriver;
  e.tag = label_hash(label);
  e.fn = [this, label = std::move(label), fn = std::move(fn)] {
    trace("driver", kNoNode, label);
    fn();
  };
  push(std::move(e));
}

void Simulation::repeat(TimePoint t, std::string label, std::function<std::optional<Duration>()> fn) {
  std::string again = label;
  at(t, std::move(label), [this, again = std::move(again), fn = std::move(fn)]() mutable {
    const std::optional<Duration> next = fn();
    if (next) repeat(now_ + *next, std::move(again), std::move(fn));
  });
}

bool Simulation::admit(const Event& e) {
  // The events bound counts events that run: a cancelled timer or a message
  // to a crashed node popped after the last allowed event does not stop a
  // run that would have ended there.
  if (options_.guard != nullptr && !options_.guard->allows_event(stats_.events, now_)) {
    stopped_ = true;
    return false;
  }
  uint64_t h = hash_combine(trace_hash_, static_cast<uint64_t>(e.at_ns));
  h = hash_combine(h, (static_cast<uint64_t>(e.kind) << 32) | e.node);
  trace_hash_ = hash_combine(h, e.tag);
  stats_.events++;
  return true;
}

void Simulation::execute(Event& e) {
  if (e.kind == EventKind::kDriver) {
    if (admit(e)) e.fn();
    return;
  }
  if (e.kind == EventKind::kDeliver) return deliver(e);
  Slot& s = slot(e.node);
  // Timers and sync completions belong to one incarnation and die with it.
  if (!s.running || s.incarnation != e.incarnation) return;
  if (e.kind == EventKind::kTimer && !s.live_timers.contains(e.tag)) return;
  if (s.paused) {
    // Keep the event; it runs (in order) when the process resumes.
    s.held.push_back([this, ev = std::make_shared<Event>(std::move(e))]() mutable {
      ev->at_ns = to_ns(now_);
      execute(*ev);
    });
    return;
  }
  if (e.kind == EventKind::kTimer) {
    s.live_timers.erase(e.tag);
    stats_.timers_fired++;
    if (tracing()) trace("timer", e.node, absl::StrCat("timer ", e.tag));
  } else {
    stats_.syncs_completed++;
    if (tracing()) trace("sync", e.node, absl::StrCat("sync done (op ", e.tag, ")"));
  }
  if (admit(e)) e.fn();
}

void Simulation::deliver(Event& e) {
  Message& m = e.message;
  const uint64_t key = link_key(m.from, m.to);
  if (cut_.contains(key)) {
    stats_.messages_dropped_cut++;
    return;
  }
  Slot& s = slot(m.to);
  if (!s.running) {
    stats_.messages_dropped_down++;
    return;
  }
  if (s.paused) {
    s.held.push_back([this, ev = std::make_shared<Event>(std::move(e))]() mutable {
      ev->at_ns = to_ns(now_);
      deliver(*ev);
    });
    return;
  }
  if (!admit(e)) return;
  if (tracing()) {
    trace("deliver", m.to,
          absl::StrCat(m.from, "->", m.to, " ch=", m.channel, " ", m.payload.size(), "B"));
  }
  if (s.env->dispatch(std::move(m))) {
    stats_.messages_delivered++;
  } else {
    stats_.messages_dropped_no_handler++;
  }
}

// ---- clocks and timers -------------------------------------------------------

TimePoint Simulation::local_time(const Slot& s) const {
  const int64_t elapsed = to_ns(now_) - s.clock_base_virtual_ns;
  const int64_t skew = std::llround(static_cast<double>(elapsed) * s.clock_drift);
  return from_ns(s.clock_base_local_ns + elapsed + skew);
}

TimerId Simulation::schedule_timer(Slot& s, Duration local_delay, std::function<void()> fn) {
  // A timer waits for the node's clock to advance by local_delay; a fast clock
  // gets there sooner in virtual time.
  const double rate = 1.0 + s.clock_drift;
  const int64_t virtual_delay =
      static_cast<int64_t>(std::ceil(static_cast<double>(local_delay.count()) / rate));
  const TimerId id = s.next_timer++;
  s.live_timers.insert(id);
  Event e;
  e.at_ns = to_ns(now_) + virtual_delay;
  e.kind = EventKind::kTimer;
  e.node = s.id;
  e.incarnation = s.incarnation;
  e.tag = id;
  e.fn = std::move(fn);
  push(std::move(e));
  return id;
}

bool Simulation::cancel_timer(Slot& s, TimerId id) { return s.live_timers.erase(id) > 0; }

void Simulation::set_clock(NodeId node, const ClockConfig& config) {
  assert(config.drift > -0.5 && config.drift < 0.5);
  Slot& s = slot(node);
  // Rebase so the new offset and drift apply from now on.
  s.clock_base_local_ns = to_ns(now_) + config.offset.count();
  s.clock_base_virtual_ns = to_ns(now_);
  s.clock_drift = config.drift;
  note(node, "fault", absl::StrCat("clock offset=", format_duration(config.offset),
                                   " drift=", config.drift));
}

void Simulation::jump_clock(NodeId node, Duration delta) {
  Slot& s = slot(node);
  const int64_t local_now = to_ns(local_time(s));
  s.clock_base_virtual_ns = to_ns(now_);
  s.clock_base_local_ns = local_now + delta.count();
  note(node, "fault", absl::StrCat("clock jump ", format_duration(delta)));
}

// ---- network -----------------------------------------------------------------

bool Simulation::send_message(NodeId from, NodeId to, ChannelId channel, std::string payload) {
  if (!by_id_.contains(to)) return false;
  stats_.messages_sent++;
  const uint64_t key = link_key(from, to);
  auto cit = link_config_.find(key);
  const LinkConfig& c = cit == link_config_.end() ? options_.link : cit->second;
  if (cut_.contains(key)) {
    stats_.messages_dropped_cut++;
    return true;
  }
  if (net_rng_.chance(c.loss_probability)) {
    stats_.messages_dropped_loss++;
    return true;
  }
  const int copies = net_rng_.chance(c.duplicate_probability) ? 2 : 1;
  if (copies == 2) stats_.messages_duplicated++;
  const uint64_t fingerprint =
      hash_combine(stable_hash(payload.data(), payload.size()), (uint64_t{from} << 32) | channel);
  for (int i = 0; i < copies; ++i) {
    const bool reordered = net_rng_.chance(c.reorder_probability);
    int64_t at = to_ns(now_) + net_rng_.range(c.latency_min, c.latency_max).count();
    if (reordered) {
      at += net_rng_.range(Duration(0), c.reorder_delay_max).count();
    } else {
      // A link without reordering is FIFO, like a TCP connection.
      int64_t& fifo = link_fifo_ns_[key];
      at = std::max(at, fifo);
      fifo = at;
    }
    // A clogged link or node holds its traffic until the clog ends.
    auto lc = link_clog_until_ns_.find(key);
    if (lc != link_clog_until_ns_.end()) at = std::max(at, lc->second);
    at = std::max({at, slot(from).clog_until_ns, slot(to).clog_until_ns});
    Event e;
    e.at_ns = at;
    e.kind = EventKind::kDeliver;
    e.node = to;
    e.tag = fingerprint;
    e.message = Message{from, to, channel, i + 1 == copies ? std::move(payload) : payload};
    push(std::move(e));
  }
  return true;
}

// ---- disks -------------------------------------------------------------------

void Simulation::schedule_sync(Slot& s, std::shared_ptr<SimFileState> file, uint64_t marker,
                               SyncCallback done) {
  const DiskConfig& c = s.disk.config;
  const double stretch = s.crash_in_next_sync ? s.crash_in_next_sync_stretch : 1;
  const int64_t latency = static_cast<int64_t>(
      static_cast<double>(disk_rng_.range(c.sync_latency_min, c.sync_latency_max).count()) *
      s.disk.sync_slowdown * stretch);
  // A device completes syncs in the order they were issued.
  const TimePoint done_at = std::max(now_ + Duration(latency), s.disk.last_sync_done);
  s.disk.last_sync_done = done_at;
  if (s.crash_in_next_sync) {
    // The trap springs: the process dies while this sync is in flight, so
    // nothing it wrote since the last finished sync reaches the medium.
    std::function<void()> crashed = std::move(s.crash_in_next_sync);
    s.crash_in_next_sync = nullptr;
    const Duration in_flight = done_at - now_;
    const TimePoint crash_at = now_ + (in_flight > Duration(1) ? disk_rng_.range(Duration(0), in_flight - Duration(1)) : Duration(0));
    at(crash_at, absl::StrCat("crash n", s.id, " mid-sync"), [this, &s, inc = s.incarnation, crashed] {
      if (!s.running || s.incarnation != inc) return;
      crash(s.id, CrashDiskConfig{.keep_weight = 0, .lose_weight = 1, .tear_weight = 0});
      crashed();
    });
  }
  Event e;
  e.at_ns = to_ns(done_at);
  e.kind = EventKind::kSyncDone;
  e.node = s.id;
  e.incarnation = s.incarnation;
  e.tag = marker;
  e.fn = [file = std::move(file), marker, done = std::move(done)] {
    // Everything recorded before the sync call is now durable.
    if (marker > file->ops_made_durable) {
      file->make_durable(static_cast<size_t>(marker - file->ops_made_durable));
    }
    done(absl::OkStatus());
  };
  push(std::move(e));
}

}  // namespace shoal::sim
