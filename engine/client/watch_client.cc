#include "engine/client/watch_client.h"

#include "engine/core/assert.h"
#include "engine/core/planted.h"
#include "engine/rpc/group_protocol.h"

namespace shoal {

WatchClient::WatchClient(Env& env, WatchClientOptions options, OnEvent on_event, OnCompacted on_compacted)
    : WatchClient(env, std::make_unique<Rpc>(env), nullptr, std::move(options), std::move(on_event),
                  std::move(on_compacted)) {}

WatchClient::WatchClient(Env& env, Rpc& rpc, WatchClientOptions options, OnEvent on_event, OnCompacted on_compacted)
    : WatchClient(env, nullptr, &rpc, std::move(options), std::move(on_event), std::move(on_compacted)) {}

WatchClient::WatchClient(Env& env, std::unique_ptr<Rpc> own, Rpc* shared, WatchClientOptions options,
                         OnEvent on_event, OnCompacted on_compacted)
    : env_(env), options_(std::move(options)), on_event_(std::move(on_event)),
      on_compacted_(std::move(on_compacted)), own_rpc_(std::move(own)), rpc_(shared ? *shared : *own_rpc_),
      timer_(env.clock()), revision_(options_.after_revision) {
  SHOAL_ASSERT(!options_.nodes.empty());
  SHOAL_ASSERT(options_.batch >= 1 && options_.batch <= kv::kMaxWatchEvents);
  node_ = env_.random().below(options_.nodes.size());
}

WatchClient::~WatchClient() = default;

void WatchClient::start() {
  if (running_) return;
  running_ = true;
  timer_.arm(Duration(0), [this] { poll(); });
}

void WatchClient::stop() {
  running_ = false;
  ++poll_number_;  // an answer still on its way is ignored
  timer_.cancel();
}

void WatchClient::poll() {
  if (!running_) return;
  ++stats_.polls;
  kv::Watch watch{options_.key, options_.prefix, revision_, options_.batch,
                  static_cast<uint32_t>(to_ms(options_.wait))};
  if (reconnecting_ && planted_bug() == PlantedBug::kWatchResumeSkips) ++watch.after_revision;
  ClientRequest request{options_.group, false, static_cast<uint8_t>(ReadLevel::kAny), 0, 0,
                        kv::encode_query(watch)};
  const uint64_t number = ++poll_number_;
  std::weak_ptr<const void> alive = alive_;
  rpc_.call(options_.nodes[node_], kGroupRequestMethod, encode_request(request),
            options_.wait + options_.answer_margin, [this, alive, number](Reply reply) {
              if (!alive.expired() && running_ && number == poll_number_) on_answer(std::move(reply));
            });
}

void WatchClient::retry() {
  ++stats_.failed_polls;
  reconnecting_ = true;
  node_ = (node_ + 1) % options_.nodes.size();
  timer_.arm(options_.retry_backoff, [this] { poll(); });
}

void WatchClient::on_answer(Reply reply) {
  if (!reply.ok()) return retry();
  auto served = decode_reply(reply.payload);
  if (!served.ok() || served->accepted) return retry();
  auto result = kv::decode_result(served->payload);
  if (!result.ok() || (result->code != kv::Code::kOk && result->code != kv::Code::kCompacted)) return retry();
  if (result->code == kv::Code::kCompacted) {
    ++stats_.compacted_answers;
    // Another replica may still hold the changes (this one restored a
    // snapshot, say); only when all have said so is the watch over.
    if (++compacted_in_a_row_ < options_.nodes.size()) return retry();
    running_ = false;
    return on_compacted_(result->index);
  }
  compacted_in_a_row_ = 0;
  reconnecting_ = false;
  // A revision may hold several changes (a transaction's keys), and an
  // answer holds whole revisions.
  const uint64_t asked_after = revision_;
  for (const kv::WatchEvent& e : result->events) {
    // An answer lists only changes after what was asked; anything else is
    // already delivered and is not delivered twice.
    if (e.revision <= asked_after) continue;
    revision_ = std::max(revision_, e.revision);
    ++stats_.delivered;
    on_event_(e);
    if (!running_) return;  // the callback stopped the watch
  }
  revision_ = std::max(revision_, result->index);
  timer_.arm(Duration(0), [this] { poll(); });
}

}  // namespace shoal
