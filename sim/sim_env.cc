#include "sim/sim_env.h"

#include <cassert>

#include "absl/strings/str_cat.h"

namespace shoal::sim {

// A handle on a simulated file. Like a POSIX descriptor it follows the file
// through renames and keeps an unlinked file readable.
class SimFile final : public File {
 public:
  SimFile(Simulation& sim, Slot& slot, std::shared_ptr<SimFileState> state)
      : sim_(sim), slot_(slot), incarnation_(slot.incarnation), state_(std::move(state)) {}

  uint64_t size() const override { return state_->data.size(); }

  absl::Status write(uint64_t offset, std::string_view data) override {
    if (offset > size()) return absl::OutOfRangeError("write past the end of the file");
    const uint64_t end = offset + data.size();
    const uint64_t growth = end > size() ? end - size() : 0;
    if (auto st = check_space(growth); !st.ok()) return st;
    record({false, offset, std::string(data)});
    return absl::OkStatus();
  }

  absl::Status append(std::string_view data) override { return write(size(), data); }

  absl::Status truncate(uint64_t new_size) override {
    if (new_size > size()) {
      if (auto st = check_space(new_size - size()); !st.ok()) return st;
    }
    record({true, new_size, {}});
    return absl::OkStatus();
  }

  absl::StatusOr<std::string> read(uint64_t offset, uint64_t n) const override {
    const std::string& d = state_->data;
    if (offset > d.size()) return absl::OutOfRangeError("read past the end of the file");
    std::string out = d.substr(offset, n);
    // A faulty medium: the bytes read are not the bytes stored.
    if (!out.empty() && sim_.disk_rng_.chance(slot_.disk.config.read_corruption_probability)) {
      const uint64_t bit = sim_.disk_rng_.below(out.size() * 8);
      out[bit / 8] = static_cast<char>(out[bit / 8] ^ (1 << (bit % 8)));
    }
    return out;
  }

  void sync(SyncCallback done) override {
    assert(slot_.incarnation == incarnation_);
    sim_.schedule_sync(slot_, state_, state_->ops_total, std::move(done));
  }

 private:
  absl::Status check_space(uint64_t growth) const {
    if (growth == 0) return absl::OkStatus();
    const DiskConfig& c = slot_.disk.config;
    if (slot_.disk.full || slot_.disk.used_bytes() + growth > c.capacity_bytes) {
      return absl::ResourceExhaustedError("no space left on device (ENOSPC)");
    }
    return absl::OkStatus();
  }

  void record(SimFileState::Op op) {
    apply_op(state_->data, op);
    state_->pending.push_back(std::move(op));
    state_->ops_total++;
  }

  Simulation& sim_;
  Slot& slot_;
  uint64_t incarnation_;
  std::shared_ptr<SimFileState> state_;
};

SimEnv::SimEnv(Simulation& sim, Slot& slot, Rng rng) : sim_(sim), slot_(slot), rng_(rng) {}

void SimEnv::log(LogLevel level, std::string_view component, std::string_view text) {
  // Log lines are part of what a run did: they feed the hash even untraced, so
  // a divergence shows up as early as possible.
  sim_.trace_hash_ = hash_combine(sim_.trace_hash_, stable_hash(text.data(), text.size()));
  if (sim_.tracing()) {
    static const char* const kLevels[] = {"debug", "info", "warn", "error"};
    sim_.trace("log", slot_.id,
               std::string(kLevels[static_cast<int>(level)]) + " " + std::string(component) + ": " +
                   std::string(text));
  }
}

bool SimEnv::dispatch(Message&& m) {
  auto it = handlers_.find(m.channel);
  if (it == handlers_.end() || !it->second) return false;
  // Copy the handler: it may replace itself while running.
  MessageHandler h = it->second;
  h(std::move(m));
  return true;
}

TimePoint SimEnv::now() const { return sim_.local_time(slot_); }

TimerId SimEnv::after(Duration d, std::function<void()> fn) {
  assert(d.count() >= 0);
  assert(fn);
  return sim_.schedule_timer(slot_, d, std::move(fn));
}

bool SimEnv::cancel(TimerId id) { return sim_.cancel_timer(slot_, id); }

bool SimEnv::send(NodeId to, ChannelId channel, std::string payload) {
  if (payload.size() > kMaxMessageBytes) return false;
  return sim_.send_message(slot_.id, to, channel, std::move(payload));
}

void SimEnv::set_handler(ChannelId channel, MessageHandler handler) {
  if (handler) {
    handlers_[channel] = std::move(handler);
  } else {
    handlers_.erase(channel);
  }
}

absl::StatusOr<std::unique_ptr<File>> SimEnv::open(const std::string& path, bool create) {
  auto& files = slot_.disk.files;
  auto it = files.find(path);
  if (it == files.end()) {
    if (!create) return absl::NotFoundError(absl::StrCat("no such file: ", path));
    if (slot_.disk.full) return absl::ResourceExhaustedError("no space left on device (ENOSPC)");
    it = files.emplace(path, std::make_shared<SimFileState>()).first;
  }
  return std::unique_ptr<File>(new SimFile(sim_, slot_, it->second));
}

bool SimEnv::exists(const std::string& path) const { return slot_.disk.files.contains(path); }

absl::Status SimEnv::rename(const std::string& from, const std::string& to) {
  auto& files = slot_.disk.files;
  auto it = files.find(from);
  if (it == files.end()) return absl::NotFoundError(absl::StrCat("no such file: ", from));
  std::shared_ptr<SimFileState> state = it->second;
  files.erase(it);
  files[to] = std::move(state);
  return absl::OkStatus();
}

absl::Status SimEnv::remove(const std::string& path) {
  if (slot_.disk.files.erase(path) == 0) {
    return absl::NotFoundError(absl::StrCat("no such file: ", path));
  }
  return absl::OkStatus();
}

std::vector<std::string> SimEnv::list(const std::string& prefix) const {
  std::vector<std::string> out;
  const auto& files = slot_.disk.files;
  for (auto it = files.lower_bound(prefix); it != files.end(); ++it) {
    if (it->first.compare(0, prefix.size(), prefix) != 0) break;
    out.push_back(it->first);
  }
  return out;
}

bool SimEnv::buggify(std::string_view site) { return sim_.buggify_fires(site); }

}  // namespace shoal::sim
