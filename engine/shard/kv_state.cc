#include "engine/shard/kv_state.h"

#include "absl/strings/str_cat.h"
#include "engine/core/assert.h"
#include "engine/core/random.h"

namespace shoal::kv {
namespace {

// Distinct seeds keep a key's hash apart from an equal value's, and each kind
// of entry's hash apart from another's.
constexpr uint64_t kKeySeed = 0x6b76'6b65'7900'0001;      // "kvkey"
constexpr uint64_t kValueSeed = 0x6b76'7661'6c00'0002;    // "kvval"
constexpr uint64_t kMessageSeed = 0x6b76'6d73'6700'0003;  // "kvmsg"
constexpr uint64_t kStateSeed = 0x6b76'7374'6100'0004;    // "kvsta"
constexpr uint64_t kLockSeed = 0x6b76'6c6f'6300'0005;     // "kvloc"

uint64_t hash_bytes(const std::string& s, uint64_t seed) {
  return stable_hash(s.data(), s.size(), seed);
}

uint64_t entry_hash(const std::string& key, const std::string& value) {
  return hash_combine(hash_bytes(key, kKeySeed), hash_bytes(value, kValueSeed));
}

uint64_t lock_hash(const LockInfo& l) {
  uint64_t h = hash_combine(hash_bytes(l.resource, kLockSeed), hash_bytes(l.holder, kLockSeed + 1));
  h = hash_combine(h, l.token);
  h = hash_combine(h, l.ttl_ms);
  return hash_combine(h, l.lease_index);
}

uint64_t user_session_hash(const SessionInfo& u) {
  uint64_t h = hash_combine(hash_bytes(u.id, kLockSeed + 2), hash_bytes(u.user, kLockSeed + 3));
  for (const auto& [k, v] : u.data) h = hash_combine(h, hash_combine(hash_bytes(k, kKeySeed), hash_bytes(v, kValueSeed)));
  h = hash_combine(h, u.data.size());
  h = hash_combine(h, u.ttl_ms);
  h = hash_combine(h, u.created_index);
  return hash_combine(h, u.lease_index);
}

uint64_t result_hash(const Result& r) {
  uint64_t h = hash_combine(static_cast<uint64_t>(r.code), r.index);
  // Absent and empty values must hash apart: a CAS against "absent" differs
  // from one against "".
  h = hash_combine(h, r.value ? hash_bytes(*r.value, kValueSeed) : 0);
  h = hash_combine(h, r.value.has_value() ? 1 : 0);
  for (const LockInfo& l : r.locks) h = hash_combine(h, lock_hash(l));
  for (const SessionInfo& u : r.sessions) h = hash_combine(h, user_session_hash(u));
  return hash_combine(h, hash_bytes(r.message, kMessageSeed));
}

uint64_t session_hash(uint64_t client_id, const SessionEntry& e) {
  return hash_combine(hash_combine(client_id, e.sequence), result_hash(e.result));
}

absl::Status broken(const std::string& what) {
  return absl::InternalError(absl::StrCat("kv state invariant broken: ", what));
}

}  // namespace

size_t session_cost(const SessionEntry& entry) {
  const size_t value_bytes = entry.result.value ? entry.result.value->size() : 0;
  size_t lock_bytes = 0;
  for (const LockInfo& l : entry.result.locks) lock_bytes += kLockOverheadBytes + l.resource.size() + l.holder.size();
  for (const SessionInfo& u : entry.result.sessions) {
    lock_bytes += kLockOverheadBytes + u.id.size() + u.user.size();
    for (const auto& [k, v] : u.data) lock_bytes += k.size() + v.size();
  }
  return kSessionOverheadBytes + value_bytes + entry.result.message.size() + lock_bytes;
}

void KvState::set_applied_index(uint64_t index) {
  SHOAL_ASSERT(index >= applied_index_);
  applied_index_ = index;
}

const std::string* KvState::find(const std::string& key) const {
  auto it = data_.find(key);
  return it == data_.end() ? nullptr : &it->second;
}

void KvState::put(const std::string& key, std::string value) {
  auto [it, inserted] = data_.try_emplace(key);
  if (!inserted) data_hash_ -= entry_hash(key, it->second);
  it->second = std::move(value);
  data_hash_ += entry_hash(key, it->second);
}

bool KvState::erase(const std::string& key) {
  auto it = data_.find(key);
  if (it == data_.end()) return false;
  data_hash_ -= entry_hash(key, it->second);
  data_.erase(it);
  return true;
}

const SessionEntry* KvState::session(uint64_t client_id) const {
  auto it = sessions_.find(client_id);
  return it == sessions_.end() ? nullptr : &it->second;
}

void KvState::link_session(uint64_t client_id, SessionEntry entry) {
  session_hash_ += session_hash(client_id, entry);
  session_bytes_ += session_cost(entry);
  session_by_index_.emplace(entry.result.index, client_id);
  sessions_.emplace(client_id, std::move(entry));
}

void KvState::unlink_session(Sessions::iterator it) {
  session_hash_ -= session_hash(it->first, it->second);
  session_bytes_ -= session_cost(it->second);
  session_by_index_.erase(it->second.result.index);
  sessions_.erase(it);
}

void KvState::remember(uint64_t client_id, SessionEntry entry, const KvOptions& options) {
  SHOAL_ASSERT(entry.result.index == applied_index_);
  SHOAL_ASSERT(session_by_index_.empty() || session_by_index_.rbegin()->first < entry.result.index);
  SHOAL_ASSERT(options.max_sessions >= 1);
  SHOAL_ASSERT(options.max_session_bytes >= kMaxSessionCostBytes);
  if (auto it = sessions_.find(client_id); it != sessions_.end()) unlink_session(it);
  link_session(client_id, std::move(entry));
  // The newest session holds the highest index, so it is evicted last, and
  // the requirements on the options mean it alone always fits.
  while (sessions_.size() > options.max_sessions || session_bytes_ > options.max_session_bytes) {
    const uint64_t oldest_client = session_by_index_.begin()->second;
    SHOAL_ASSERT(oldest_client != client_id);
    unlink_session(sessions_.find(oldest_client));
  }
}

bool KvState::insert_session(uint64_t client_id, SessionEntry entry) {
  if (sessions_.contains(client_id) || session_by_index_.contains(entry.result.index)) return false;
  link_session(client_id, std::move(entry));
  return true;
}

const LockInfo* KvState::lock(const std::string& resource) const {
  auto it = locks_.find(resource);
  return it == locks_.end() ? nullptr : &it->second;
}

void KvState::set_lock(LockInfo lock) {
  SHOAL_ASSERT(lock.token != 0);
  SHOAL_ASSERT(lock.token <= lock.lease_index);
  SHOAL_ASSERT(lock.lease_index <= applied_index_);
  auto [it, inserted] = locks_.try_emplace(lock.resource);
  if (!inserted) lock_hash_ -= lock_hash(it->second);
  it->second = std::move(lock);
  lock_hash_ += lock_hash(it->second);
}

bool KvState::erase_lock(const std::string& resource) {
  auto it = locks_.find(resource);
  if (it == locks_.end()) return false;
  lock_hash_ -= lock_hash(it->second);
  locks_.erase(it);
  return true;
}

const SessionInfo* KvState::user_session(const std::string& id) const {
  auto it = user_sessions_.find(id);
  return it == user_sessions_.end() ? nullptr : &it->second;
}

void KvState::set_user_session(SessionInfo session) {
  SHOAL_ASSERT(session.created_index != 0);
  SHOAL_ASSERT(session.created_index <= session.lease_index);
  SHOAL_ASSERT(session.lease_index <= applied_index_);
  auto [it, inserted] = user_sessions_.try_emplace(session.id);
  if (!inserted) {
    SHOAL_ASSERT(it->second.user == session.user);
    user_session_hash_ -= user_session_hash(it->second);
  } else {
    by_user_.emplace(session.user, session.id);
    ++users_[session.user];
  }
  it->second = std::move(session);
  user_session_hash_ += user_session_hash(it->second);
}

bool KvState::erase_user_session(const std::string& id) {
  auto it = user_sessions_.find(id);
  if (it == user_sessions_.end()) return false;
  user_session_hash_ -= user_session_hash(it->second);
  by_user_.erase({it->second.user, id});
  auto u = users_.find(it->second.user);
  SHOAL_ASSERT(u != users_.end() && u->second > 0);
  if (--u->second == 0) users_.erase(u);
  user_sessions_.erase(it);
  return true;
}

std::vector<std::string> KvState::user_session_ids(const std::string& user) const {
  std::vector<std::string> ids;
  for (auto it = by_user_.lower_bound({user, ""}); it != by_user_.end() && it->first == user; ++it) {
    ids.push_back(it->second);
  }
  return ids;
}

size_t KvState::user_session_count(const std::string& user) const {
  auto it = users_.find(user);
  return it == users_.end() ? 0 : it->second;
}

absl::Status KvState::check_user_sessions() const {
  uint64_t hash = 0;
  absl::btree_map<std::string, uint64_t> users;
  for (const auto& [id, u] : user_sessions_) {
    if (id != u.id) return broken("a user session is filed under another id");
    if (u.created_index == 0 || u.lease_index < u.created_index || u.lease_index > applied_index_) {
      return broken(absl::StrCat("user session ", id, " has impossible indexes"));
    }
    if (!by_user_.contains({u.user, id})) return broken(absl::StrCat("user session ", id, " is missing from the user index"));
    ++users[u.user];
    hash += user_session_hash(u);
  }
  if (by_user_.size() != user_sessions_.size()) return broken("the user index has extra entries");
  if (users != users_) return broken("the per-user counts do not match the sessions");
  for (const auto& [user, n] : users_) {
    if (n > kMaxSessionsPerUser) return broken(absl::StrCat("user ", user, " has more than the limit of sessions"));
  }
  if (user_sessions_.size() > kMaxUserSessions) return broken("more user sessions than the limit");
  if (hash != user_session_hash_) return broken("the user session hash does not match the sessions");
  return absl::OkStatus();
}

uint64_t KvState::fingerprint() const {
  uint64_t h = hash_combine(kStateSeed, applied_index_);
  h = hash_combine(h, data_.size());
  h = hash_combine(h, data_hash_);
  h = hash_combine(h, sessions_.size());
  h = hash_combine(h, session_hash_);
  h = hash_combine(h, locks_.size());
  h = hash_combine(h, lock_hash_);
  h = hash_combine(h, user_sessions_.size());
  h = hash_combine(h, user_session_hash_);
  for (uint64_t c : {counters_.created, counters_.expired, counters_.deleted, counters_.last_expiry_ms}) {
    h = hash_combine(h, c);
  }
  h = hash_combine(h, txns_.hash());
  return h;
}

absl::Status KvState::check_locks() const {
  uint64_t hash = 0;
  for (const auto& [resource, l] : locks_) {
    if (resource != l.resource) return broken("a lock is filed under another resource");
    if (resource.empty() || resource.size() > kMaxResourceBytes) return broken("a lock resource is empty or too long");
    if (l.holder.empty() || l.holder.size() > kMaxHolderBytes) return broken("a lock holder is empty or too long");
    if (l.token == 0) return broken(absl::StrCat("lock ", resource, " has token 0"));
    if (l.lease_index < l.token) return broken(absl::StrCat("lock ", resource, " was renewed before it was granted"));
    if (l.lease_index > applied_index_) return broken(absl::StrCat("lock ", resource, " leased after the applied index"));
    if (l.ttl_ms == 0 || l.ttl_ms > kMaxLockTtlMs) return broken(absl::StrCat("lock ", resource, " has ttl outside the limits"));
    hash += lock_hash(l);
  }
  if (hash != lock_hash_) return broken("the lock hash does not match the locks");
  return absl::OkStatus();
}

absl::Status KvState::check_invariants(const KvOptions& options) const {
  uint64_t data_hash = 0;
  for (const auto& [key, value] : data_) {
    if (key.empty() || key.size() > kMaxKeyBytes) return broken("a key is empty or too long");
    if (value.size() > kMaxValueBytes) return broken("the value of a key is too long");
    data_hash += entry_hash(key, value);
  }
  if (data_hash != data_hash_) return broken("the data hash does not match the data");

  uint64_t session_hash_sum = 0;
  size_t session_bytes = 0;
  for (const auto& [client_id, e] : sessions_) {
    if (client_id == kNoClient) return broken("a session has client id 0");
    if (e.sequence < kFirstSequence) return broken("a session has sequence 0");
    if (e.result.index == 0) return broken("a session's result has index 0");
    if (e.result.index > applied_index_) return broken("a session applied after the applied index");
    auto by_index = session_by_index_.find(e.result.index);
    if (by_index == session_by_index_.end() || by_index->second != client_id) {
      return broken(absl::StrCat("session of client ", client_id, " is missing from the recency index"));
    }
    session_hash_sum += session_hash(client_id, e);
    session_bytes += session_cost(e);
  }
  if (session_by_index_.size() != sessions_.size()) return broken("the recency index has extra entries");
  if (session_hash_sum != session_hash_) return broken("the session hash does not match the sessions");
  if (session_bytes != session_bytes_)
    return broken("the session byte count does not match the sessions");
  if (auto st = check_locks(); !st.ok()) return st;
  if (auto st = check_user_sessions(); !st.ok()) return st;
  if (auto st = txns_.check(applied_index_); !st.ok()) return st;
  if (sessions_.size() > options.max_sessions) {
    return broken(
        absl::StrCat(sessions_.size(), " sessions exceed the limit of ", options.max_sessions));
  }
  if (session_bytes_ > options.max_session_bytes) {
    return broken(
        absl::StrCat(session_bytes_, " session bytes exceed the limit of ", options.max_session_bytes));
  }
  return absl::OkStatus();
}

}  // namespace shoal::kv
