// A Raft group in the simulator for tests: each process hosts one RaftNode on
// DiskLog and DiskSnapshotStore, applying commands to a list state machine.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "engine/core/assert.h"
#include "engine/core/codec.h"
#include "engine/raft/invariants.h"
#include "engine/raft/raft.h"
#include "engine/storage/disk_log.h"
#include "engine/storage/disk_snapshot_store.h"
#include "sim/simulation.h"

namespace shoal::testing {

// Applies commands by appending them to a list; query returns the list joined.
class ListMachine final : public StateMachine {
 public:
  std::string apply(uint64_t index, std::string_view command) override {
    skip(index);
    items_.emplace_back(command);
    return std::to_string(items_.size());
  }
  void skip(uint64_t index) override {
    SHOAL_ASSERT(index > applied_);
    applied_ = index;
  }
  uint64_t applied_index() const override { return applied_; }
  std::string query(std::string_view) const override {
    std::string s;
    for (const auto& i : items_) s += i + ",";
    return s;
  }
  std::string snapshot() const override {
    Writer w;
    w.varint(applied_);
    w.varint(items_.size());
    for (const auto& i : items_) w.bytes(i);
    return w.take();
  }
  absl::Status restore(std::string_view bytes) override {
    Reader r(bytes);
    const uint64_t applied = r.varint();
    std::vector<std::string> items(r.varint());
    for (auto& i : items) i = r.bytes();
    if (!r.finished_ok()) return absl::DataLossError("bad list snapshot");
    applied_ = applied;
    items_ = std::move(items);
    return absl::OkStatus();
  }
  uint64_t fingerprint() const override {
    const std::string s = snapshot();
    return stable_hash(s.data(), s.size());
  }
  const std::vector<std::string>& items() const { return items_; }

 private:
  uint64_t applied_ = 0;
  std::vector<std::string> items_;
};

class RaftProcess final : public sim::Process {
 public:
  RaftProcess(Env& env, RaftOptions options, RaftObserver* observer) {
    auto log = DiskLog::open_dir(env, "raft/", {}, &report_);
    auto snaps = DiskSnapshotStore::open_dir(env, "raft/");
    if (!log.ok() || !snaps.ok()) {
      error_ = !log.ok() ? std::string(log.status().message()) : std::string(snaps.status().message());
      return;
    }
    raft_ = std::make_unique<RaftNode>(env, std::move(options), std::move(*log), std::move(*snaps), sm_, observer);
    raft_->start();
  }
  RaftNode* raft() { return raft_.get(); }
  ListMachine& sm() { return sm_; }
  const std::string& error() const { return error_; }

 private:
  ListMachine sm_;
  RecoveryReport report_;
  std::unique_ptr<RaftNode> raft_;
  std::string error_;
};

struct RaftCluster {
  explicit RaftCluster(uint64_t seed, int n, RaftOptions base = {}) : sim(seed) {
    for (int i = 1; i <= n; ++i) base.initial_voters.push_back(static_cast<NodeId>(i));
    options = base;
    for (int i = 1; i <= n; ++i) add(static_cast<NodeId>(i), options);
  }
  void add(NodeId id, RaftOptions o) {
    sim.add_process(id, "n" + std::to_string(id), [this, o](Env& env) {
      return std::make_unique<RaftProcess>(env, o, &invariants);
    });
  }
  RaftNode* node(NodeId id) {
    auto* p = sim.process_as<RaftProcess>(id);
    return p ? p->raft() : nullptr;
  }
  // The unique running leader with the highest term, or kNoNode.
  NodeId leader() {
    NodeId best = kNoNode;
    uint64_t term = 0;
    for (NodeId id : sim.process_ids()) {
      RaftNode* r = node(id);
      if (r && r->is_leader() && !sim.paused(id) && r->term() >= term) {
        best = id;
        term = r->term();
      }
    }
    return best;
  }
  bool wait_leader(Duration within) {
    return sim.run_until([this] { return leader() != kNoNode; }, sim.now() + within);
  }
  // Proposes through the current leader and runs until it answers.
  absl::Status put(const std::string& cmd, Duration within = seconds(5), Ack ack = Ack::kQuorum) {
    NodeId l = leader();
    if (l == kNoNode) return absl::UnavailableError("no leader");
    bool done = false;
    absl::Status st;
    node(l)->propose(cmd, ack, [&](RaftResult r) {
      done = true;
      st = r.ok() ? absl::OkStatus() : absl::UnavailableError(std::string(to_string(r.error)) + ": " + r.message);
    });
    sim.run_until([&] { return done; }, sim.now() + within);
    return done ? st : absl::DeadlineExceededError("no answer");
  }
  std::vector<const RaftNode*> running() {
    std::vector<const RaftNode*> v;
    for (NodeId id : sim.process_ids()) if (node(id)) v.push_back(node(id));
    return v;
  }

  sim::Simulation sim;
  RaftOptions options;
  RaftInvariants invariants;
};

}  // namespace shoal::testing
