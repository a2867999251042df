// MetadataStateMachine: every command's success and error codes, version
// bumps on routing changes only, replica convergence, reads with a minimum
// applied index, and snapshots that restore exactly or not at all.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <string>
#include <vector>

#include "engine/cluster/metadata_command.h"
#include "engine/cluster/metadata_state_machine.h"
#include "engine/core/checksum.h"
#include "engine/core/codec.h"
#include "tests/cluster/cluster_test_util.h"

namespace shoal::cluster {
namespace {

using search::Value;

// Applies through the byte interface, as Raft does, and decodes the answer.
MetadataResult apply(MetadataStateMachine& m, uint64_t index, const MetadataCommand& c) {
  absl::StatusOr<MetadataResult> r = decode_result(m.apply(index, encode_command(c)));
  EXPECT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(m.applied_index(), index);
  EXPECT_TRUE(m.check_invariants().ok()) << m.check_invariants().describe();
  return r.ok() ? *r : MetadataResult{};
}

MetadataResult read(const MetadataStateMachine& m, const MetadataQuery& q) {
  absl::StatusOr<MetadataResult> r = decode_result(m.query(encode_query(q)));
  EXPECT_TRUE(r.ok()) << r.status();
  return r.ok() ? *r : MetadataResult{};
}

CreateCollection create(const std::string& name, uint32_t shards, uint32_t rf) {
  return CreateCollection{test::settings(name, ShardingStrategy::kHash, shards, rf), {}};
}

// A fixed history touching every command kind, successes and failures.
std::vector<MetadataCommand> history() {
  RoutingData range;
  range.split_points = {Value::keyword("m")};
  return {
      AddMember{1}, AddMember{2}, AddMember{3},
      create("books", 4, 3),
      CreateCollection{test::settings("people", ShardingStrategy::kRange, 2, 2, "color"), range},
      SetLeaderHint{2, 3},
      create("books", 1, 1),  // conflict
      AddMember{4},
      DropCollection{"people"},
      RemoveMember{4},
      create("logs", 2, 1),
  };
}

TEST(MetadataMachine, MembersJoinAndLeaveWithTypedErrors) {
  MetadataStateMachine m;
  uint64_t i = 0;
  MetadataResult r = apply(m, ++i, AddMember{7});
  EXPECT_EQ(r.code, ErrorCode::kNone);
  EXPECT_EQ(r.map_version, 1u);
  EXPECT_EQ(r.index, 1u);
  EXPECT_EQ(apply(m, ++i, AddMember{3}).map_version, 2u);
  EXPECT_EQ(m.map().members, (std::vector<NodeId>{3, 7}));
  r = apply(m, ++i, AddMember{7});
  EXPECT_EQ(r.code, ErrorCode::kConflict);
  EXPECT_EQ(r.map_version, 2u) << "a refused command changes nothing";
  EXPECT_EQ(apply(m, ++i, AddMember{kNoNode}).code, ErrorCode::kBadRequest);
  EXPECT_EQ(apply(m, ++i, AddMember{kClientIdBase + 5}).code, ErrorCode::kBadRequest);
  EXPECT_EQ(apply(m, ++i, RemoveMember{9}).code, ErrorCode::kNotFound);
  r = apply(m, ++i, RemoveMember{3});
  EXPECT_EQ(r.code, ErrorCode::kNone);
  EXPECT_EQ(r.map_version, 3u);
  EXPECT_EQ(m.map().members, (std::vector<NodeId>{7}));
}

TEST(MetadataMachine, RemovingANodeThatHoldsAReplicaIsAConflict) {
  MetadataStateMachine m;
  apply(m, 1, AddMember{1});
  apply(m, 2, AddMember{2});
  ASSERT_TRUE(apply(m, 3, create("books", 2, 2)).ok());
  const uint64_t version = m.map().version;
  const MetadataResult r = apply(m, 4, RemoveMember{2});
  EXPECT_EQ(r.code, ErrorCode::kConflict);
  EXPECT_NE(r.message.find("books"), std::string::npos) << r.message;
  EXPECT_EQ(m.map().version, version);
  EXPECT_TRUE(m.map().has_member(2));
  ASSERT_TRUE(apply(m, 5, DropCollection{"books"}).ok());
  EXPECT_TRUE(apply(m, 6, RemoveMember{2}).ok());
}

TEST(MetadataMachine, CollectionsAreCreatedOnceAndDroppedOnce) {
  MetadataStateMachine m;
  for (NodeId n : {1, 2, 3}) apply(m, n, AddMember{n});
  MetadataResult r = apply(m, 4, create("books", 4, 3));
  ASSERT_EQ(r.code, ErrorCode::kNone) << r.message;
  EXPECT_EQ(r.map_version, 4u);
  absl::StatusOr<CollectionInfo> info = decode_collection_info(r.payload);
  ASSERT_TRUE(info.ok()) << info.status();
  EXPECT_EQ(*info, *m.map().find("books"));
  EXPECT_EQ(info->created_version, 4u);
  EXPECT_EQ(info->shards.front().group, kFirstShardGroup);
  EXPECT_EQ(m.map().next_group, kFirstShardGroup + 4);

  EXPECT_EQ(apply(m, 5, create("books", 4, 3)).code, ErrorCode::kConflict);
  EXPECT_EQ(apply(m, 6, create("Books", 1, 1)).code, ErrorCode::kBadRequest);
  EXPECT_EQ(apply(m, 7, create("wide", 1, 4)).code, ErrorCode::kBadRequest);  // rf > members
  CreateCollection no_points{test::settings("r", ShardingStrategy::kRange, 2, 1, "color"), {}};
  EXPECT_EQ(apply(m, 8, no_points).code, ErrorCode::kBadRequest);
  EXPECT_EQ(m.map().version, 4u);
  EXPECT_EQ(m.map().next_group, kFirstShardGroup + 4) << "refused creates allocate no groups";

  EXPECT_EQ(apply(m, 9, DropCollection{"nope"}).code, ErrorCode::kNotFound);
  r = apply(m, 10, DropCollection{"books"});
  EXPECT_EQ(r.code, ErrorCode::kNone);
  EXPECT_EQ(r.map_version, 5u);
  EXPECT_EQ(apply(m, 11, DropCollection{"books"}).code, ErrorCode::kNotFound);
  // Recreated, it gets new groups: an old group's messages cannot reach it.
  ASSERT_TRUE(apply(m, 12, create("books", 1, 1)).ok());
  EXPECT_EQ(m.map().find("books")->shards[0].group, kFirstShardGroup + 4);
}

TEST(MetadataMachine, LeaderHintsChangeNoVersion) {
  MetadataStateMachine m;
  for (NodeId n : {1, 2, 3}) apply(m, n, AddMember{n});
  ASSERT_TRUE(apply(m, 4, create("books", 2, 3)).ok());
  const uint64_t version = m.map().version;
  MetadataResult r = apply(m, 5, SetLeaderHint{2, 3});
  EXPECT_EQ(r.code, ErrorCode::kNone);
  EXPECT_EQ(r.map_version, version);
  EXPECT_EQ(m.map().find("books")->shards[1].leader_hint, 3u);
  EXPECT_EQ(apply(m, 6, SetLeaderHint{2, 9}).code, ErrorCode::kBadRequest);  // not a member
  EXPECT_EQ(apply(m, 7, SetLeaderHint{99, 1}).code, ErrorCode::kNotFound);
  EXPECT_EQ(apply(m, 8, SetLeaderHint{kMetadataGroup, 1}).code, ErrorCode::kNotFound);
  EXPECT_TRUE(apply(m, 9, SetLeaderHint{2, kNoNode}).ok());
  EXPECT_EQ(m.map().find("books")->shards[1].leader_hint, kNoNode);
  EXPECT_EQ(m.map().version, version);
}

TEST(MetadataMachine, RemovingAMemberClearsHintsNamingIt) {
  MetadataStateMachine m;
  apply(m, 1, AddMember{1});
  apply(m, 2, AddMember{2});
  ASSERT_TRUE(apply(m, 3, create("books", 1, 1)).ok());
  const NodeId holder = m.map().find("books")->shards[0].replicas[0];
  const NodeId other = holder == 1 ? 2 : 1;
  ASSERT_TRUE(apply(m, 4, SetLeaderHint{1, other}).ok());
  ASSERT_TRUE(apply(m, 5, RemoveMember{other}).ok());
  EXPECT_EQ(m.map().find("books")->shards[0].leader_hint, kNoNode);
}

TEST(MetadataMachine, MalformedCommandsAreBadRequestsThatStillApply) {
  MetadataStateMachine m;
  apply(m, 1, AddMember{1});
  const uint64_t before = m.fingerprint();
  for (const std::string& bytes : {std::string(), std::string("c"), std::string("c\x09"), std::string("C\x01"),
                                   encode_command(AddMember{2}) + "x"}) {
    absl::StatusOr<MetadataResult> r = decode_result(m.apply(m.applied_index() + 1, bytes));
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->code, ErrorCode::kBadRequest);
  }
  EXPECT_EQ(m.applied_index(), 6u);
  EXPECT_EQ(m.map().members, (std::vector<NodeId>{1}));
  EXPECT_NE(m.fingerprint(), before) << "the applied index is part of the state";
}

TEST(MetadataMachine, ReadsServeTheMapOrSayTheyAreBehind) {
  MetadataStateMachine m;
  apply(m, 1, AddMember{1});
  ASSERT_TRUE(apply(m, 2, create("books", 2, 1)).ok());
  m.skip(5);
  MetadataResult r = read(m, GetMap{});
  ASSERT_EQ(r.code, ErrorCode::kNone);
  EXPECT_EQ(r.index, 5u);
  EXPECT_EQ(r.map_version, 2u);
  absl::StatusOr<ShardMap> map = decode_shard_map(r.payload);
  ASSERT_TRUE(map.ok()) << map.status();
  EXPECT_EQ(*map, m.map());
  EXPECT_EQ(read(m, GetMap{5}).code, ErrorCode::kNone);
  r = read(m, GetMap{6});
  EXPECT_EQ(r.code, ErrorCode::kUnavailable);
  EXPECT_EQ(r.index, 5u);
  EXPECT_TRUE(r.payload.empty());

  r = read(m, GetCollection{"books", 2});
  ASSERT_EQ(r.code, ErrorCode::kNone);
  absl::StatusOr<CollectionInfo> info = decode_collection_info(r.payload);
  ASSERT_TRUE(info.ok()) << info.status();
  EXPECT_EQ(*info, *m.map().find("books"));
  EXPECT_EQ(read(m, GetCollection{"nope"}).code, ErrorCode::kNotFound);
  EXPECT_EQ(read(m, GetCollection{"books", 9}).code, ErrorCode::kUnavailable);
  absl::StatusOr<MetadataResult> bad = decode_result(m.query("q\x07"));
  ASSERT_TRUE(bad.ok());
  EXPECT_EQ(bad->code, ErrorCode::kBadRequest);
}

TEST(MetadataMachine, ReplicasFedTheSameCommandsConverge) {
  MetadataStateMachine a, b;
  uint64_t index = 0;
  for (const MetadataCommand& c : history()) {
    index += 1 + index % 3;  // gaps, as no-ops and config entries leave
    const MetadataResult ra = apply(a, index, c);
    EXPECT_EQ(ra, apply(b, index, c)) << describe(c);
    EXPECT_EQ(a.fingerprint(), b.fingerprint());
  }
  EXPECT_EQ(a.map(), b.map());
  EXPECT_EQ(a.snapshot(), b.snapshot());
  // A different history gives a different fingerprint.
  MetadataStateMachine c;
  apply(c, 1, AddMember{1});
  EXPECT_NE(c.fingerprint(), a.fingerprint());
}

TEST(MetadataMachine, VersionsCountRoutingChangesOnly) {
  MetadataStateMachine m;
  uint64_t index = 0;
  uint64_t routing_changes = 0;
  for (const MetadataCommand& c : history()) {
    const MetadataResult r = apply(m, ++index, c);
    if (r.ok() && !std::holds_alternative<SetLeaderHint>(c)) ++routing_changes;
    EXPECT_EQ(m.map().version, routing_changes) << describe(c);
  }
  EXPECT_EQ(routing_changes, 9u);  // 11 commands; one hint, one conflict
}

TEST(MetadataMachine, SnapshotsRestoreExactly) {
  MetadataStateMachine a;
  uint64_t index = 0;
  for (const MetadataCommand& c : history()) apply(a, ++index, c);
  const std::string snapshot = a.snapshot();
  MetadataStateMachine b;
  ASSERT_TRUE(b.restore(snapshot).ok());
  EXPECT_EQ(b.map(), a.map());
  EXPECT_EQ(b.applied_index(), a.applied_index());
  EXPECT_EQ(b.fingerprint(), a.fingerprint());
  EXPECT_EQ(b.snapshot(), snapshot);
  // And both go on identically.
  EXPECT_EQ(apply(a, index + 1, create("more", 3, 2)), apply(b, index + 1, create("more", 3, 2)));
  EXPECT_EQ(a.fingerprint(), b.fingerprint());
}

// A snapshot whose map breaks a rule, sealed with a correct checksum.
std::string sealed_snapshot(uint64_t applied_index, const std::string& map_bytes) {
  std::string out;
  Writer w(&out);
  w.u32(0x444d4853);
  w.u8(1);
  w.varint(applied_index);
  w.bytes(map_bytes);
  w.u32(crc32c(out));
  return out;
}

TEST(MetadataMachine, DamagedSnapshotsAreRefusedAndChangeNothing) {
  MetadataStateMachine victim;
  apply(victim, 1, AddMember{5});
  const uint64_t before = victim.fingerprint();
  MetadataStateMachine source;
  uint64_t index = 0;
  for (const MetadataCommand& c : history()) apply(source, ++index, c);
  const std::string good = source.snapshot();

  std::vector<std::string> bad = {"", "abc", good.substr(0, good.size() - 1), good + "x"};
  for (size_t at : {size_t{0}, size_t{5}, good.size() / 2, good.size() - 1}) {
    std::string flipped = good;
    flipped[at] ^= 0x10;
    bad.push_back(flipped);
  }
  ShardMap broken = source.map();
  broken.members.push_back(kNoNode);  // checksum right, map wrong
  bad.push_back(sealed_snapshot(9, encode_shard_map(broken)));
  std::string wrong_magic = good.substr(0, good.size() - 4);
  wrong_magic[0] = 'X';
  {
    Writer w(&wrong_magic);
    w.u32(crc32c(std::string_view(wrong_magic)));
  }
  bad.push_back(wrong_magic);
  for (const std::string& bytes : bad) {
    const absl::Status st = victim.restore(bytes);
    EXPECT_TRUE(absl::IsDataLoss(st)) << st;
    EXPECT_EQ(victim.fingerprint(), before);
    EXPECT_EQ(victim.applied_index(), 1u);
    EXPECT_EQ(victim.map().members, (std::vector<NodeId>{5}));
  }
  EXPECT_TRUE(victim.restore(sealed_snapshot(9, encode_shard_map(source.map()))).ok());
}

TEST(MetadataCommandCodec, RoundTripsEveryKindAndRefusesGarbage) {
  std::vector<MetadataCommand> commands = history();
  commands.push_back(RemoveMember{kClientIdBase + 2});
  for (const MetadataCommand& c : commands) {
    const std::string bytes = encode_command(c);
    absl::StatusOr<MetadataCommand> back = decode_command(bytes);
    ASSERT_TRUE(back.ok()) << back.status();
    EXPECT_EQ(*back, c);
    for (size_t n = 0; n < bytes.size(); ++n) EXPECT_FALSE(decode_command(bytes.substr(0, n)).ok());
    EXPECT_FALSE(decode_command(bytes + '\0').ok());
    EXPECT_FALSE(decode_query(bytes).ok());
    EXPECT_FALSE(decode_result(bytes).ok());
  }
  for (const MetadataQuery& q : {MetadataQuery{GetMap{}}, MetadataQuery{GetMap{77}},
                                 MetadataQuery{GetCollection{"books", 3}}}) {
    absl::StatusOr<MetadataQuery> back = decode_query(encode_query(q));
    ASSERT_TRUE(back.ok()) << back.status();
    EXPECT_EQ(*back, q);
  }
  const MetadataResult result{ErrorCode::kConflict, 4, 19, "exists", std::string("\0\1", 2)};
  absl::StatusOr<MetadataResult> back = decode_result(encode_result(result));
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(*back, result);
  std::string bad_code = encode_result(result);
  bad_code[1] = static_cast<char>(kErrorCodeMax + 1);
  EXPECT_FALSE(decode_result(bad_code).ok());
}

RC_GTEST_PROP(MetadataCommandProperty, ArbitraryBytesNeverCrashAndApplyAsBadRequestOrACommand,
              (const std::string& tail, uint8_t kind)) {
  for (const char tag : {'c', 'q', 'r'}) {
    const std::string bytes = std::string{tag, static_cast<char>(kind % 7)} + tail;
    if (auto c = decode_command(bytes); c.ok()) RC_ASSERT(encode_command(*c) == bytes);
    if (auto q = decode_query(bytes); q.ok()) RC_ASSERT(encode_query(*q) == bytes);
    if (auto r = decode_result(bytes); r.ok()) RC_ASSERT(encode_result(*r) == bytes);
    MetadataStateMachine m;
    m.apply(1, encode_command(AddMember{1}));
    RC_ASSERT(decode_result(m.apply(2, bytes)).ok());
    RC_ASSERT(decode_result(m.query(bytes)).ok());
    RC_ASSERT(m.check_invariants().ok());
    RC_ASSERT(m.applied_index() == 2u);
    // Garbage as a snapshot is refused and leaves the machine alone.
    const uint64_t before = m.fingerprint();
    RC_ASSERT(!m.restore(bytes).ok());
    RC_ASSERT(m.fingerprint() == before);
  }
}

}  // namespace
}  // namespace shoal::cluster

namespace shoal::cluster {
namespace {

// A KV command sent to a sharded node's group 0 must be refused before it
// reaches the metadata log (Replica checks accepts_command).
TEST(MetadataStateMachine, RefusesBytesThatAreNotMetadataCommandsOrQueries) {
  MetadataStateMachine sm;
  EXPECT_TRUE(sm.accepts_command(encode_command(AddMember{1})));
  EXPECT_TRUE(sm.accepts_query(encode_query(GetMap{})));
  for (const std::string& junk : {std::string(), std::string("\x01\x02kv-put k v"), std::string(64, '\xff')}) {
    EXPECT_FALSE(sm.accepts_command(junk));
    EXPECT_FALSE(sm.accepts_query(junk));
  }
}

}  // namespace
}  // namespace shoal::cluster
