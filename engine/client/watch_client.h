// WatchClient: follows the changes to a key, or to every key under a prefix,
// of a KV group, from a revision on — in revision order, with no gaps and no
// duplicates, across leader changes, node crashes and reconnects.
//
// It long-polls any node of the group (kv::Watch, served by any replica from
// its watch history) and asks each time for the changes after the revision
// it has delivered through; an answer says how far it is complete, so the
// next poll starts exactly there, from whichever node answers. A node that
// fails or times out is left for the next one. A node that no longer holds
// the changes after that revision answers "compacted"; when every node has
// said so in turn, the watch ends with on_compacted(revision): the caller
// must reload what it watches (reading at some revision R) and watch again
// after R.
//
// A process has one Rpc (rpc.h): a watch either makes its own or shares the
// process's with its other clients; destroyed while a poll is pending on a
// shared Rpc, it never hears of the poll again.
//
// Callbacks run on the event loop. Single-threaded.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "engine/env/env.h"
#include "engine/rpc/rpc.h"
#include "engine/shard/kv_command.h"

namespace shoal {

struct WatchClientOptions {
  std::vector<NodeId> nodes;  // where to look for the group
  uint32_t group = 0;
  std::string key;            // the key, or the prefix
  bool prefix = false;
  uint64_t after_revision = 0;       // deliver changes after this revision
  Duration wait = seconds(1);        // how long a node may hold a poll
  Duration answer_margin = milliseconds(500);  // beyond `wait`, for the answer to come back
  Duration retry_backoff = milliseconds(50);
  uint32_t batch = 256;              // events per answer, 1..kv::kMaxWatchEvents
};

struct WatchStats {
  uint64_t delivered = 0, polls = 0, failed_polls = 0, compacted_answers = 0;
};

class WatchClient {
 public:
  using OnEvent = std::function<void(const kv::WatchEvent&)>;
  using OnCompacted = std::function<void(uint64_t oldest_revision)>;

  WatchClient(Env& env, WatchClientOptions options, OnEvent on_event, OnCompacted on_compacted);
  // On a shared Rpc. REQUIRES: `rpc` outlives this client.
  WatchClient(Env& env, Rpc& rpc, WatchClientOptions options, OnEvent on_event, OnCompacted on_compacted);
  ~WatchClient();
  WatchClient(const WatchClient&) = delete;
  WatchClient& operator=(const WatchClient&) = delete;

  // Starts polling (the first poll goes out on the loop, not now).
  void start();
  void stop();
  bool running() const { return running_; }
  // Every matching change up to here has been delivered.
  uint64_t revision() const { return revision_; }
  const WatchStats& stats() const { return stats_; }

 private:
  WatchClient(Env& env, std::unique_ptr<Rpc> own, Rpc* shared, WatchClientOptions options, OnEvent on_event,
              OnCompacted on_compacted);
  void poll();
  void on_answer(Reply reply);
  void retry();

  Env& env_;
  WatchClientOptions options_;
  OnEvent on_event_;
  OnCompacted on_compacted_;
  std::unique_ptr<Rpc> own_rpc_;  // when not sharing one
  Rpc& rpc_;
  std::shared_ptr<const void> alive_ = std::make_shared<char>(0);
  TimerSlot timer_;
  bool running_ = false;
  bool reconnecting_ = false;
  uint64_t revision_ = 0;
  uint64_t poll_number_ = 0;
  size_t node_ = 0;
  size_t compacted_in_a_row_ = 0;
  WatchStats stats_;
};

}  // namespace shoal
