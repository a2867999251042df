#include "scenarios/checkers/key_race.h"

#include <algorithm>
#include <condition_variable>
#include <exception>
#include <mutex>
#include <set>
#include <system_error>
#include <thread>
#include <utility>

namespace shoal::check::internal {
namespace {

// The shared state of one race. Every member is guarded by mutex_ except a
// key's search while a worker runs a slice of it: a key is then out of
// ready_, so no other worker touches it.
class Race {
 public:
  Race(const History& history, const std::vector<std::vector<size_t>>& keys, const RaceOptions& options)
      : history_(history), keys_(keys), options_(options), deadline_(deadline_of(options.budget)) {
    result_.keys.resize(keys.size());
    for (size_t k = 0; k < keys.size(); ++k) ready_.insert({0, k});
  }

  // Runs slices until no key is left to search. The calling thread starts
  // the other threads once the race has run options.steps_before_threads
  // steps, and joins them before it returns.
  void run();
  RaceResult take();

 private:
  void work();
  void start_helpers(std::unique_lock<std::mutex>& lock);
  bool may_fail_first(size_t key, uint64_t steps) const;
  uint64_t pause_at(size_t key, uint64_t steps) const;
  void run_slice(std::unique_lock<std::mutex>& lock, size_t key, uint64_t pause_at_steps);
  void decided(size_t key, const SearchRun& run);

  const History& history_;
  const std::vector<std::vector<size_t>>& keys_;
  const RaceOptions options_;
  const std::optional<SearchBudget::Clock::time_point> deadline_;

  std::mutex mutex_;
  std::condition_variable changed_;
  uint64_t steps_run_ = 0;  // by all keys, in all slices so far
  bool helpers_started_ = false;
  std::vector<std::thread> helpers_;  // started and joined by the calling thread
  // Keys waiting for a slice, as (steps spent, key): the least advanced first.
  std::set<std::pair<uint64_t, size_t>> ready_;
  size_t running_ = 0;
  // The first failure so far, as (step, key).
  std::optional<std::pair<uint64_t, size_t>> first_failure_;
  std::exception_ptr error_;
  RaceResult result_;
};

// A key paused after `steps` steps fails, if it fails, at a later step; it
// matters only if that could come before the first failure known so far.
bool Race::may_fail_first(size_t key, uint64_t steps) const {
  if (options_.all_keys || !first_failure_) return true;
  return races_before(steps + 1, key, first_failure_->first, first_failure_->second);
}

// The end of the key's next slice, no later than the last step at which it
// could still fail first.
uint64_t Race::pause_at(size_t key, uint64_t steps) const {
  uint64_t end = steps + std::max(kRaceSliceStepsMin, steps / kRaceSliceDivisor);
  if (options_.all_keys || !first_failure_) return end;
  const auto [step, first] = *first_failure_;
  return std::min(end, key < first ? step : step - 1);
}

void Race::run() {
  work();
  for (std::thread& t : helpers_) t.join();
}

// Short races end before threads would start; on a busy machine a thread
// can take longer to be scheduled than the whole race.
void Race::start_helpers(std::unique_lock<std::mutex>& lock) {
  helpers_started_ = true;
  const size_t helpers = std::min<size_t>(std::max(options_.threads, 1u), keys_.size()) - 1;
  lock.unlock();
  try {
    for (size_t i = 0; i < helpers; ++i) helpers_.emplace_back([this] { work(); });
  } catch (const std::system_error&) {
    // No more threads to be had: the ones started (and this one) do the work.
  }
  lock.lock();
}

void Race::work() {
  std::unique_lock<std::mutex> lock(mutex_);
  for (;;) {
    changed_.wait(lock, [&] { return !ready_.empty() || running_ == 0; });
    if (ready_.empty()) return;
    if (!helpers_started_ && steps_run_ >= options_.steps_before_threads) start_helpers(lock);
    if (ready_.empty()) continue;
    const auto [steps, key] = *ready_.begin();
    ready_.erase(ready_.begin());
    if (!may_fail_first(key, steps)) {
      result_.keys[key].search.reset();  // Cancelled: its memory goes now.
      continue;
    }
    run_slice(lock, key, pause_at(key, steps));
  }
}

// Runs one slice of `key` outside the lock, then files the key again.
void Race::run_slice(std::unique_lock<std::mutex>& lock, size_t key, uint64_t pause_at_steps) {
  std::unique_ptr<SlicedSearch>& search = result_.keys[key].search;
  const uint64_t steps_before = search ? search->steps() : 0;
  ++running_;
  lock.unlock();
  std::optional<SearchRun> run;
  std::exception_ptr error;
  try {
    if (!search) {
      search = std::make_unique<SlicedSearch>(history_, keys_[key], SearchBudget(options_.budget, deadline_));
    }
    run = search->advance(pause_at_steps);
  } catch (...) {
    error = std::current_exception();
  }
  lock.lock();
  --running_;
  if (search) steps_run_ += search->steps() - steps_before;
  if (error && !error_) error_ = error;
  if (error_) {
    ready_.clear();  // The race is over: every thread stops.
  } else if (run) {
    decided(key, *run);
  } else {
    ready_.insert({search->steps(), key});
  }
  changed_.notify_all();
}

void Race::decided(size_t key, const SearchRun& run) {
  result_.keys[key].whole = run;
  if (run.verdict != Verdict::kNotLinearizable) return;
  const uint64_t step = result_.keys[key].search->steps();
  if (!first_failure_ || races_before(step, key, first_failure_->first, first_failure_->second)) {
    first_failure_ = {step, key};
  }
}

RaceResult Race::take() {
  if (error_) std::rethrow_exception(error_);
  if (first_failure_) result_.first_failure = first_failure_->second;
  return std::move(result_);
}

}  // namespace

RaceResult race_keys(const History& history, const std::vector<std::vector<size_t>>& keys, const RaceOptions& options) {
  Race race(history, keys, options);
  race.run();
  return race.take();
}

}  // namespace shoal::check::internal
