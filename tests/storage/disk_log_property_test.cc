// Properties of DiskLog under random workloads, crashes and disk faults in
// the simulator:
//  * a crash never loses an entry whose append completed (unless a later
//    issued mutation removed it) nor the acknowledged hard state;
//  * recovery never returns an entry that was not written as it is, and never
//    takes crash damage for corruption;
//  * a full disk is an error the log reports, never a crash;
//  * a flipped bit at rest before the tail is found and named by file and
//    offset; in the last frame of the newest segment it is cut as a torn tail.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <algorithm>
#include <deque>
#include <map>

#include "engine/storage/wal_format.h"
#include "tests/storage/storage_test_util.h"

namespace shoal {
namespace {

using storage_test::DiskNode;

// What the log should hold: the effect of every issued mutation.
struct ModelLog {
  uint64_t base_index = 0;
  uint64_t base_term = 0;
  std::vector<LogEntry> entries;

  uint64_t first_index() const { return base_index + 1; }
  uint64_t last_index() const { return base_index + entries.size(); }
  uint64_t term(uint64_t i) const {
    return i == base_index ? base_term : entries[i - first_index()].term;
  }
  void truncate_after(uint64_t k) { entries.resize(k - base_index); }
  void append(std::vector<LogEntry> es) {
    if (es.empty()) return;
    truncate_after(es.front().index - 1);
    for (LogEntry& e : es) entries.push_back(std::move(e));
  }
  void compact(uint64_t c, uint64_t t) {
    if (c <= last_index() && term(c) == t) {
      entries.erase(entries.begin(), entries.begin() + static_cast<std::ptrdiff_t>(c - base_index));
    } else {
      entries.clear();
    }
    base_index = c;
    base_term = t;
  }
};

// An issued mutation not yet acknowledged, and what it did.
struct Issued {
  ModelLog log_after;
  HardState hard_state_after;
  uint64_t changed_from = UINT64_MAX;  // the lowest index it removed or replaced
  uint64_t compacted_to = 0;           // the highest index it compacted away
};

// One replica driven by a seed: random mutations, time, crashes and full
// disks, each crash judged against the model of what was acknowledged.
class CrashRun {
 public:
  explicit CrashRun(uint64_t seed) : rng_(seed), sim_(seed, sim_options(rng_)) {
    options_.segment_bytes = std::vector<uint64_t>{256, 1024, 8192}[rng_.below(3)];
    options_.group_bytes = std::vector<uint64_t>{128, 2048, 1u << 20}[rng_.below(3)];
    sim_.add_process(1, "n1", storage_test::disk_node(options_));
    RC_ASSERT(node().log_status.ok());
  }

  void run(int steps) {
    for (int i = 0; i < steps; ++i) step();
    crash_and_judge();
  }

 private:
  static sim::SimOptions sim_options(Rng& rng) {
    sim::SimOptions o;
    // Each run weighs keep / lose / tear of unsynced writes differently.
    o.disk.crash.keep_weight = static_cast<uint32_t>(rng.below(3));
    o.disk.crash.lose_weight = static_cast<uint32_t>(rng.below(3));
    o.disk.crash.tear_weight = static_cast<uint32_t>(1 + rng.below(3));
    o.disk.read_corruption_probability = rng.chance(0.3) ? 0.02 : 0;
    return o;
  }
  DiskNode& node() { return *sim_.process_as<DiskNode>(1); }
  DiskLog& log() { return *node().log; }

  void step() {
    const uint64_t roll = rng_.below(1000);
    if (roll < 470) return append();
    if (roll < 495) return truncate();
    if (roll < 515) return compact();
    if (roll < 600) return save_hard_state();
    if (roll < 630) return issue(log().append({}, completion()), Issued{model_, hard_state_});
    if (roll < 965) return sim_.run_for(Duration(rng_.below(3'000'000)));
    if (roll < 990) return crash_and_judge();
    disk_full_episode();
  }

  // The disk fills while mutations are in flight: they fail, the log fails
  // for good, and the node restarts once space is back.
  void disk_full_episode() {
    sim_.set_disk_full(1, true);
    for (uint64_t n = rng_.below(3); n > 0; --n) append();
    sim_.run_for(milliseconds(5));
    RC_ASSERT(!log().status().ok() || pending_.empty());
    sim_.set_disk_full(1, false);
    crash_and_judge();
  }

  void append() {
    const uint64_t start =
        rng_.chance(0.75) || model_.last_index() < model_.first_index()
            ? model_.last_index() + 1
            : model_.first_index() + rng_.below(model_.last_index() - model_.first_index() + 2);
    const uint64_t count = 1 + rng_.below(6);
    std::vector<LogEntry> es;
    for (uint64_t i = 0; i < count; ++i) {
      if (rng_.chance(0.1)) ++top_term_;
      std::string data = absl::StrCat("#", next_data_++, ":");
      data.append(rng_.below(200), static_cast<char>('a' + rng_.below(26)));
      written_[data] = {start + i, top_term_};
      es.push_back(LogEntry{start + i, top_term_, std::move(data)});
    }
    ModelLog after = model_;
    after.append(es);
    issue(log().append(std::move(es), completion()), Issued{after, hard_state_, start, 0});
  }

  void truncate() {
    // Raft cuts back a few uncommitted entries, now and then many.
    const uint64_t size = model_.last_index() - model_.base_index;
    const uint64_t k =
        model_.last_index() - rng_.below(std::min<uint64_t>(size, rng_.chance(0.2) ? size : 8) + 1);
    ModelLog after = model_;
    after.truncate_after(k);
    issue(log().truncate_after(k, completion()), Issued{after, hard_state_, k + 1, 0});
  }

  void compact() {
    // Like Raft, mostly compact an older prefix and keep the recent entries.
    uint64_t c = model_.base_index + rng_.below((model_.last_index() - model_.base_index) / 2 + 1);
    uint64_t t = model_.term(c);
    // Now and then a snapshot from a leader that the log does not match.
    if (rng_.chance(0.15)) {
      c += rng_.below(4);
      t = ++top_term_;
    }
    issue_compaction(c, t);
  }

  // A compaction that keeps the suffix changes no entry after c; one that
  // discards the log removes them all.
  void issue_compaction(uint64_t c, uint64_t t) {
    const bool keeps_suffix = c <= model_.last_index() && model_.term(c) == t;
    ModelLog after = model_;
    after.compact(c, t);
    snapshot_ = {c, t};
    issue(log().compact(c, t, completion()),
          Issued{after, hard_state_, keeps_suffix ? UINT64_MAX : c + 1, c});
  }

  void save_hard_state() {
    HardState hs = hard_state_;
    if (rng_.chance(0.5)) {
      hs.term = std::max(hs.term, top_term_) + 1;
      hs.vote = static_cast<NodeId>(rng_.below(4));
    } else if (hs.vote == kNoNode) {
      hs.vote = static_cast<NodeId>(1 + rng_.below(3));
    }
    top_term_ = std::max(top_term_, hs.term);
    issue(log().save_hard_state(hs, completion()), Issued{model_, hs, UINT64_MAX, 0});
  }

  StorageCallback completion() {
    return [this](absl::Status st) {
      if (!st.ok()) return;
      // Completions run in issue order, so the acknowledged one is the oldest.
      RC_ASSERT(!pending_.empty());
      acked_log_ = pending_.front().log_after;
      acked_hard_state_ = pending_.front().hard_state_after;
      pending_.pop_front();
    };
  }

  // Records a mutation the log took; a refused one must have a reason.
  void issue(const absl::Status& st, Issued what) {
    if (!st.ok()) {
      RC_ASSERT(!log().status().ok());
      RC_ASSERT(st == log().status());
      return;
    }
    model_ = what.log_after;
    hard_state_ = what.hard_state_after;
    pending_.push_back(std::move(what));
    RC_ASSERT(log().first_index() == model_.first_index());
    RC_ASSERT(log().last_index() == model_.last_index());
    RC_ASSERT(log().hard_state() == hard_state_);
  }

  void crash_and_judge() {
    // What must survive: entries of the acknowledged state that no later
    // issued mutation removed, replaced or compacted.
    uint64_t changed_from = UINT64_MAX;
    uint64_t compacted_to = acked_log_.base_index;
    std::vector<HardState> allowed_hard_states{acked_hard_state_};
    for (const Issued& p : pending_) {
      changed_from = std::min(changed_from, p.changed_from);
      compacted_to = std::max(compacted_to, p.compacted_to);
      allowed_hard_states.push_back(p.hard_state_after);
    }
    storage_test::crash_and_restart(sim_, 1);
    RC_ASSERT(node().log_status.ok());
    const DiskLog& recovered = log();
    for (const LogEntry& e : acked_log_.entries) {
      if (e.index >= changed_from || e.index <= compacted_to) continue;
      RC_ASSERT(recovered.first_index() <= e.index);
      RC_ASSERT(recovered.last_index() >= e.index);
      RC_ASSERT(recovered.entries(e.index, e.index + 1, 0)->front() == e);
    }
    // Nothing comes back that was not written exactly so.
    for (const LogEntry& e : storage_test::all_entries(recovered)) {
      auto it = written_.find(e.data);
      RC_ASSERT(it != written_.end());
      RC_ASSERT(it->second == std::make_pair(e.index, e.term));
    }
    RC_ASSERT(std::find(allowed_hard_states.begin(), allowed_hard_states.end(),
                        recovered.hard_state()) != allowed_hard_states.end());
    adopt_recovered_state();
  }

  // The recovered log is the new truth; like Raft, reconcile it with the
  // snapshot, which is durable before any compaction is issued.
  void adopt_recovered_state() {
    pending_.clear();
    model_ = ModelLog{log().first_index() - 1, *log().term(log().first_index() - 1),
                      storage_test::all_entries(log())};
    hard_state_ = log().hard_state();
    acked_log_ = model_;
    acked_hard_state_ = hard_state_;
    if (snapshot_.first == 0) return;
    RC_ASSERT(snapshot_.first >= model_.base_index);
    issue_compaction(snapshot_.first, snapshot_.second);
  }

  Rng rng_;
  sim::Simulation sim_;
  DiskLogOptions options_;
  uint64_t top_term_ = 1;
  uint64_t next_data_ = 0;
  std::map<std::string, std::pair<uint64_t, uint64_t>> written_;  // data -> (index, term)
  std::pair<uint64_t, uint64_t> snapshot_{0, 0};                  // the latest compaction point
  ModelLog model_;
  HardState hard_state_;
  std::deque<Issued> pending_;
  ModelLog acked_log_;
  HardState acked_hard_state_;
};

RC_GTEST_PROP(DiskLogProperty, CrashesNeverLoseAcknowledgedOrReturnCorruptedRecords, ()) {
  const uint64_t seed = *rc::gen::arbitrary<uint64_t>();
  const int steps = *rc::gen::inRange(10, 400);
  CrashRun(seed).run(steps);
}

// Appends acknowledged entries of random sizes, flips one random bit of one
// segment at rest, reopens, and checks recovery's verdict against where the
// bit was: the last frame of the newest segment is a torn tail (cut, the rest
// served); anywhere else the open fails naming the file and the frame's offset.
RC_GTEST_PROP(DiskLogProperty, AFlippedBitIsNamedOrCutAsATornTail, ()) {
  const uint64_t seed = *rc::gen::arbitrary<uint64_t>();
  Rng rng(seed);
  sim::Simulation sim(seed);
  DiskLogOptions options;
  options.segment_bytes = 256 + rng.below(2048);
  sim.add_process(1, "n1", storage_test::disk_node(options));
  DiskLog* log = sim.process_as<DiskNode>(1)->log.get();
  const uint64_t count = 1 + rng.below(60);
  std::vector<LogEntry> written;
  for (uint64_t i = 1; i <= count;) {
    std::vector<LogEntry> batch;
    for (uint64_t n = 1 + rng.below(5); n > 0 && i <= count; --n, ++i) {
      batch.push_back(storage_test::entry(i, 1, std::string(1 + rng.below(150), 'x')));
      written.push_back(batch.back());
    }
    bool acked = false;
    RC_ASSERT(log->append(std::move(batch), [&](absl::Status st) { acked = st.ok(); }).ok());
    sim.run_for(milliseconds(20));
    RC_ASSERT(acked);
  }
  const std::vector<std::string> files = log->segment_files();
  sim.crash(1);

  const size_t which = rng.below(files.size());
  const std::string& path = files[which];
  const std::string clean = storage_test::stored_bytes(sim, 1, path);
  uint64_t first = 0;
  RC_ASSERT(wal::parse_segment_name(path.substr(path.rfind('/') + 1), &first));
  const wal::SegmentScan scan = wal::scan_segment(clean, first);
  RC_ASSERT(scan.end == wal::SegmentScan::End::kClean);
  std::vector<uint64_t> starts{0};
  starts.insert(starts.end(), scan.entry_offsets.begin(), scan.entry_offsets.end());
  const uint64_t offset = rng.below(clean.size());
  const size_t frame =
      static_cast<size_t>(std::upper_bound(starts.begin(), starts.end(), offset) - starts.begin()) -
      1;
  RC_ASSERT(sim.flip_bit(1, path, offset, static_cast<int>(rng.below(8))));
  sim.restart(1);

  DiskNode& node = *sim.process_as<DiskNode>(1);
  const bool torn = which + 1 == files.size() && frame + 1 == starts.size();
  if (!torn) {
    RC_ASSERT(node.log == nullptr);
    RC_ASSERT(node.log_status.code() == absl::StatusCode::kDataLoss);
    RC_ASSERT(node.log_report.corruption.has_value());
    RC_ASSERT(node.log_report.corruption->file == path);
    RC_ASSERT(node.log_report.corruption->offset == starts[frame]);
    return;
  }
  RC_ASSERT(node.log_status.ok());
  RC_ASSERT(node.log_report.torn_tails.size() == 1u);
  RC_ASSERT(node.log_report.torn_tails[0].file == path);
  RC_ASSERT(node.log_report.torn_tails[0].offset == starts[frame]);
  // The frame cut was entry first + frame - 1 (or the header, frame 0).
  const uint64_t kept = frame == 0 ? first - 1 : first + frame - 2;
  RC_ASSERT(
      storage_test::all_entries(*node.log) ==
      std::vector<LogEntry>(written.begin(), written.begin() + static_cast<std::ptrdiff_t>(kept)));
}

}  // namespace
}  // namespace shoal
