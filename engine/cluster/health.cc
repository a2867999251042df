#include "engine/cluster/health.h"
#include "engine/core/assert.h"

#include "engine/core/channels.h"
#include "engine/core/checksum.h"
#include "engine/core/codec.h"

namespace shoal {
namespace {

enum MessageKind : uint8_t { kHeartbeat = 1, kAnswer = 2 };

std::string encode(MessageKind kind, uint64_t boot_count, int64_t sent_ns) {
  Writer w;
  w.u8(kind);
  w.varint(boot_count);
  w.i64(sent_ns);
  return w.take();
}

std::string encode_boot(uint64_t boot_count) {
  Writer body;
  body.u64(boot_count);
  Writer w;
  w.u32(crc32c(body.buffer()));
  w.raw(body.buffer());
  return w.take();
}

}  // namespace

const char* to_string(PeerStatus s) {
  switch (s) {
    case PeerStatus::kUnknown: return "unknown";
    case PeerStatus::kHealthy: return "healthy";
    case PeerStatus::kDegraded: return "degraded";
    case PeerStatus::kUnhealthy: return "unhealthy";
  }
  return "?";
}

HealthMonitor::HealthMonitor(Env& env, std::vector<NodeId> peers, HealthConfig config,
                             ChangeCallback on_change)
    : env_(env), config_(config), on_change_(std::move(on_change)), tick_timer_(env.clock()) {
  SHOAL_ASSERT(config_.heartbeat_interval > Duration(0));
  SHOAL_ASSERT(config_.degraded_after_missed < config_.unhealthy_after_missed);
  for (NodeId p : peers) {
    SHOAL_ASSERT(p != env_.self());
    peers_[p] = PeerHealth{};
  }
}

HealthMonitor::~HealthMonitor() { env_.network().set_handler(kHealthChannel, {}); }

absl::StatusOr<uint64_t> HealthMonitor::read_boot_count() {
  if (!env_.disk().exists(kBootFile)) return 0;
  auto file = env_.disk().open(kBootFile, false);
  if (!file.ok()) return file.status();
  auto content = (*file)->read_all();
  if (!content.ok()) return content.status();
  Reader r(*content);
  const uint32_t crc = r.u32();
  std::string_view body;
  if (!r.raw(8, &body) || !r.done() || crc32c(body) != crc) {
    return absl::DataLossError(std::string("corrupt boot counter in ") + kBootFile +
                               " (checksum mismatch)");
  }
  return Reader(body).u64();
}

void HealthMonitor::start() {
  started_at_ = env_.now();
  for (auto& [id, p] : peers_) p.since = started_at_;
  auto previous = read_boot_count();
  if (!previous.ok()) {
    error_ = std::string(previous.status().message());
    env_.log(LogLevel::kError, "health", error_);
    return;
  }
  env_.log(LogLevel::kInfo, "health", "boot counter was " + std::to_string(*previous));
  boot_count_ = *previous + 1;
  write_file_atomically(env_.disk(), kBootFile, encode_boot(boot_count_),
                        [this](absl::Status st) { boot_durable(st); });
}

void HealthMonitor::boot_durable(absl::Status st) {
  if (!st.ok()) {
    error_ = "cannot record the boot counter: " + std::string(st.message());
    env_.log(LogLevel::kError, "health", error_);
    return;
  }
  ready_ = true;
  env_.log(LogLevel::kInfo, "health", "boot " + std::to_string(boot_count_) + " recorded");
  env_.network().set_handler(kHealthChannel, [this](Message&& m) { on_message(std::move(m)); });
  tick();
}

void HealthMonitor::tick() {
  const int64_t now_ns = to_ns(env_.now());
  for (auto& [id, p] : peers_) {
    env_.network().send(id, kHealthChannel, encode(kHeartbeat, boot_count_, now_ns));
    evaluate(id, p);
  }
  tick_timer_.arm(config_.heartbeat_interval, [this] { tick(); });
}

void HealthMonitor::on_message(Message&& m) {
  auto it = peers_.find(m.from);
  if (it == peers_.end()) return;  // not a configured peer
  Reader r(m.payload);
  const uint8_t kind = r.u8();
  const uint64_t boot = r.varint();
  const int64_t sent_ns = r.i64();
  if (!r.finished_ok()) {
    env_.log(LogLevel::kWarn, "health", "malformed heartbeat from " + std::to_string(m.from));
    return;
  }
  PeerHealth& p = it->second;
  if (boot > p.boot_count) {
    if (p.boot_count != 0) p.restarts_seen++;
    p.boot_count = boot;
  }
  if (kind == kHeartbeat) {
    env_.network().send(m.from, kHealthChannel, encode(kAnswer, boot_count_, sent_ns));
    return;
  }
  if (kind != kAnswer) return;
  // The answer echoes our own send time, so the round trip needs no clock
  // agreement between nodes. Only an answer to a newer heartbeat is fresh
  // evidence: a delayed duplicate of an old one proves nothing about now.
  const TimePoint sent = from_ns(sent_ns);
  if (p.answered && sent <= p.newest_echo) return;
  p.answered = true;
  p.newest_echo = sent;
  p.last_answer = env_.now();
  p.rtt = env_.now() - sent;
  evaluate(m.from, p);
}

void HealthMonitor::evaluate(NodeId id, PeerHealth& p) {
  // Silence is counted from the send time of the newest answered heartbeat:
  // the peer was alive at some moment after it.
  const TimePoint reference = p.answered ? p.newest_echo : started_at_;
  const Duration silent = env_.now() - reference;
  p.missed_heartbeats = static_cast<int>(silent / config_.heartbeat_interval);
  PeerStatus next;
  if (p.missed_heartbeats >= config_.unhealthy_after_missed) {
    next = PeerStatus::kUnhealthy;
  } else if (!p.answered) {
    next = PeerStatus::kUnknown;
  } else if (p.missed_heartbeats >= config_.degraded_after_missed || p.rtt > config_.degraded_rtt) {
    next = PeerStatus::kDegraded;
  } else {
    next = PeerStatus::kHealthy;
  }
  if (next == p.status) return;
  p.status = next;
  p.since = env_.now();
  env_.log(LogLevel::kInfo, "health",
           "peer " + std::to_string(id) + " is " + to_string(next) + " (missed " +
               std::to_string(p.missed_heartbeats) + ")");
  if (on_change_) on_change_(id, p);
}

}  // namespace shoal
