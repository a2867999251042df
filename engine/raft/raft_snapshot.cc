// RaftNode: snapshots — taking them, sending them in chunks, installing them.
#include <algorithm>
#include <limits>

#include "engine/core/assert.h"
#include "engine/env/buggify.h"
#include "engine/raft/raft.h"

namespace shoal {

Membership RaftNode::config_at(uint64_t index) const {
  auto it = config_history_.upper_bound(index);
  return std::prev(it)->second;
}

void RaftNode::restore_from_snapshot_store() {
  const auto& latest = snapshots_->latest();
  if (!latest) return;
  auto snap = snapshots_->load();
  if (!snap.ok()) return fail(snap.status());
  auto cfg = decode_membership(snap->meta.config);
  if (!cfg.ok()) return fail(absl::DataLossError("snapshot holds a malformed configuration"));
  if (absl::Status st = sm_.restore(snap->state); !st.ok()) return fail(st);
  const uint64_t index = snap->meta.index, term = snap->meta.term;
  // The machine's state is the state after applying the snapshot's index;
  // snapshots written before machines counted skipped entries may name an
  // earlier index, which the skip brings level.
  SHOAL_ASSERT(sm_.applied_index() <= index);
  if (sm_.applied_index() < index) sm_.skip(index);
  // Configurations the snapshot covers are replaced by the one it carries.
  config_history_.erase(config_history_.begin(), config_history_.upper_bound(index));
  config_history_[index] = *cfg;
  config_ = config_history_.rbegin()->second;
  commit_ = std::max(commit_, index);
  applied_ = index;
  if (observer_) observer_->on_restore(*this, index, term);
  // The log may still hold what the snapshot covers (or end before it).
  if (log_->first_index() <= index || log_->last_index() < index) {
    absl::Status st = log_->compact(index, term, [this](absl::Status s) {
      if (!s.ok()) fail(s);
    });
    if (!st.ok()) fail(st);
  }
}

void RaftNode::maybe_snapshot() {
  const uint64_t last_snap = snapshots_->latest() ? snapshots_->latest()->meta.index : 0;
  // BUGGIFY: a snapshot long before the threshold (more compactions, more
  // followers caught up by snapshot).
  const bool early = applied_ > last_snap && BUGGIFY(env_);
  if (applied_ < last_snap + options_.snapshot_threshold && !early) return;
  if (snapshot_inflight_index_ != 0 || installing_ || !failure_.ok()) return;
  SnapshotMeta meta;
  meta.index = applied_;
  meta.term = term_at(applied_);
  meta.config = encode_membership(config_at(applied_));
  snapshot_inflight_index_ = applied_;
  const uint64_t index = applied_;
  absl::Status st = snapshots_->save(meta, sm_.snapshot(), [this, index](absl::Status s) {
    snapshot_inflight_index_ = 0;
    if (!s.ok()) {
      if (!snapshots_->status().ok()) fail(s);
      return;
    }
    // Keep a tail of entries so that briefly lagging followers catch up
    // from the log rather than by snapshot.
    const uint64_t keep_from = index > options_.snapshot_keep_entries ? index - options_.snapshot_keep_entries : 0;
    if (keep_from + 1 <= log_->first_index()) return;
    auto t = log_->term(keep_from);
    if (!t.ok()) return;
    absl::Status c = log_->compact(keep_from, *t, [this](absl::Status cs) {
      if (!cs.ok()) fail(cs);
    });
    if (!c.ok()) return fail(c);
    // History below the log's new start collapses into the configuration in
    // force there.
    Membership at = config_at(keep_from);
    config_history_.erase(config_history_.begin(), config_history_.upper_bound(keep_from));
    config_history_[keep_from] = std::move(at);
  });
  if (!st.ok()) {
    snapshot_inflight_index_ = 0;
    if (!snapshots_->status().ok()) fail(st);
  }
}

void RaftNode::send_snapshot_chunk(NodeId to) {
  Progress& p = progress_.at(to);
  const auto& latest = snapshots_->latest();
  if (!latest) return;
  if (p.snapshot_index != latest->meta.index) {
    // A newer snapshot replaced the one being sent: start it over.
    p.snapshot_index = latest->meta.index;
    p.snapshot_chunk = 0;
  }
  auto data = snapshots_->read_chunk(p.snapshot_chunk);
  if (!data.ok()) return fail(data.status());
  RaftMessage m;
  m.type = MsgType::kSnapshot;
  m.index = latest->meta.index;
  m.log_term = latest->meta.term;
  m.chunk = p.snapshot_chunk;
  m.chunk_count = latest->chunk_count;
  m.seq = heartbeat_seq_;
  m.data = std::move(*data);
  send(to, std::move(m));
}

void RaftNode::on_snapshot(RaftMessage&& m) {
  RaftMessage r = accept_leader(m, MsgType::kSnapshotResp);
  r.index = m.index;
  r.success = true;
  if (m.index <= commit_ || installing_) {
    // Already covered (or being finished): say it is done, or wait.
    r.chunk = installing_ ? m.chunk : m.chunk_count;
    r.success = !installing_;
    send(m.from, std::move(r));
    return;
  }
  if (m.chunk == 0) {
    if (absl::Status st = snapshots_->begin_install(m.index, m.log_term, m.chunk_count); !st.ok()) {
      r.success = false;
      send(m.from, std::move(r));
      return;
    }
  }
  if (!snapshots_->installing()) {
    r.chunk = 0;  // ask for the first chunk again
    send(m.from, std::move(r));
    return;
  }
  absl::Status st = snapshots_->install_chunk(m.chunk, m.data);
  if (!st.ok() || snapshots_->next_install_chunk() < m.chunk_count) {
    r.chunk = snapshots_->installing() ? snapshots_->next_install_chunk() : 0;
    send(m.from, std::move(r));
    return;
  }
  installing_ = true;
  const uint64_t t = term_;
  const NodeId to = m.from;
  absl::Status fin = snapshots_->finish_install([this, t, to, r](absl::Status s) mutable {
    installing_ = false;
    if (!s.ok()) {
      if (!snapshots_->status().ok()) fail(s);
      return;
    }
    restore_from_snapshot_store();
    // The snapshot is durable; the log behind it may have been discarded
    // (its entries conflicted with the snapshot), so what was durable of
    // the log before counts only as far as the log still reaches.
    durable_index_ = std::max(std::min(durable_index_, log_->last_index()), applied_);
    maybe_lift_vote_suspension();
    env_.log(LogLevel::kInfo, "raft", "installed snapshot at " + std::to_string(applied_));
    serve_waiting_reads();
    if (term_ != t) return;
    r.chunk = r.index == applied_ ? std::numeric_limits<uint64_t>::max() : 0;
    r.index = applied_;
    send(to, std::move(r));
  });
  if (!fin.ok()) {
    installing_ = false;
    r.chunk = 0;
    r.success = false;
    send(m.from, std::move(r));
  }
}

void RaftNode::on_snapshot_response(const RaftMessage& m) {
  if (role_ != Role::kLeader) return;
  auto it = progress_.find(m.from);
  if (it == progress_.end()) return;
  Progress& p = it->second;
  p.last_contact = env_.now();
  p.acked_seq = std::max(p.acked_seq, m.seq);
  serve_reads();
  if (p.state != Progress::State::kSnapshot) return;
  if (!m.success) {
    p.snapshot_chunk = 0;
    return;
  }
  const auto& latest = snapshots_->latest();
  if (latest && m.chunk >= latest->chunk_count) {
    // Installed: replicate from the snapshot on.
    p.match = std::max(p.match, m.index);
    p.next = p.match + 1;
    p.state = Progress::State::kProbe;
    p.probe_sent = false;
    maybe_commit();
    // Committing may have ended this leadership (see on_append_response).
    if (role_ == Role::kLeader && progress_.count(m.from)) send_append(m.from, /*heartbeat=*/false);
    return;
  }
  p.snapshot_chunk = m.chunk;
  send_snapshot_chunk(m.from);
}

}  // namespace shoal
