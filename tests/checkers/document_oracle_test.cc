// The document oracle on write histories known to be good and known to be
// bad: lost, stale, resurrected and invented documents.
#include <gtest/gtest.h>

#include "scenarios/checkers/document_oracle.h"
#include "tests/checkers/search_oracle_fixtures.h"

namespace shoal::check {
namespace {

class Writes {
 public:
  size_t upsert(uint32_t p, int64_t t0, int64_t t1, const std::string& id, const std::string& body,
                Outcome outcome = Outcome::kOk) {
    size_t i = h.invoke(p, t0, Op::write(id, body));
    h.complete(i, t1, outcome);
    return i;
  }
  size_t del(uint32_t p, int64_t t0, int64_t t1, const std::string& id, Outcome outcome = Outcome::kOk) {
    size_t i = h.invoke(p, t0, Op::del(id));
    h.complete(i, t1, outcome);
    return i;
  }
  History h;
};

TEST(DocumentOracle, FinalStateThatReflectsEveryAcknowledgedWritePasses) {
  Writes w;
  w.upsert(1, 0, 10, "a", R"({"n": 1})");
  w.upsert(1, 20, 30, "a", R"({"n": 2})");
  w.upsert(2, 0, 10, "b", R"({"n": 3})");
  w.del(2, 20, 30, "b");
  w.upsert(3, 0, 10, "c", R"({"n": 4})", Outcome::kFail);
  DocumentJudgement j = check_documents(w.h, {{"a", R"({"_id": "a", "n": 2})"}});
  EXPECT_TRUE(j.no_lost_documents.ok) << j.no_lost_documents.message;
  EXPECT_TRUE(j.only_written_documents.ok) << j.only_written_documents.message;
  EXPECT_EQ(j.resolved, (DocumentSet{{"a", R"({"n": 2})"}}));
  EXPECT_TRUE(j.unexplained.empty());
  EXPECT_EQ(j.no_lost_documents.name, "no-lost-documents");
}

TEST(DocumentOracle, AnAcknowledgedUpsertMissingIsLost) {
  Writes w;
  const size_t lost = w.upsert(1, 0, 10, "a", R"({"n": 1})");
  w.upsert(1, 20, 30, "b", R"({"n": 2})");
  DocumentJudgement j = check_documents(w.h, {{"b", R"({"n": 2})"}});
  ASSERT_FALSE(j.no_lost_documents.ok);
  EXPECT_EQ(j.no_lost_documents.violation_count, 1u);
  EXPECT_EQ(j.no_lost_documents.violations[0].ops, std::vector<size_t>{lost});
  EXPECT_NE(j.no_lost_documents.message.find("document \"a\""), std::string::npos) << j.no_lost_documents.message;
  EXPECT_NE(j.no_lost_documents.message.find("holds nothing"), std::string::npos);
  EXPECT_TRUE(j.only_written_documents.ok);
  // The oracle holds what the history demands.
  EXPECT_EQ(j.resolved.at("a"), R"({"n": 1})");
  EXPECT_EQ(j.unexplained, std::vector<std::string>{"a"});
}

TEST(DocumentOracle, AStaleBodyIsALostUpdate) {
  Writes w;
  w.upsert(1, 0, 10, "a", R"({"n": 1})");
  w.upsert(1, 20, 30, "a", R"({"n": 2})");
  DocumentJudgement j = check_documents(w.h, {{"a", R"({"n": 1})"}});
  EXPECT_FALSE(j.no_lost_documents.ok);
  EXPECT_TRUE(j.only_written_documents.ok);
  EXPECT_EQ(j.resolved.at("a"), R"({"n": 2})");
}

TEST(DocumentOracle, ConcurrentAcknowledgedUpsertsMayLandInEitherOrder) {
  Writes w;
  w.upsert(1, 0, 20, "a", R"({"n": 1})");
  w.upsert(2, 5, 15, "a", R"({"n": 2})");  // overlaps the first
  EXPECT_TRUE(check_documents(w.h, {{"a", R"({"n": 1})"}}).no_lost_documents.ok);
  EXPECT_TRUE(check_documents(w.h, {{"a", R"({"n": 2})"}}).no_lost_documents.ok);
}

TEST(DocumentOracle, AnUnknownWriteMayLandAfterEverything) {
  Writes w;
  w.upsert(1, 0, 10, "a", R"({"n": 9})", Outcome::kUnknown);  // timed out early...
  w.upsert(2, 20, 30, "a", R"({"n": 1})");                     // ...and may still apply after this
  w.del(3, 40, 50, "a");
  DocumentJudgement j = check_documents(w.h, {{"a", R"({"n": 9})"}});
  EXPECT_TRUE(j.no_lost_documents.ok) << j.no_lost_documents.message;
  EXPECT_TRUE(j.only_written_documents.ok);
  EXPECT_EQ(j.resolved.at("a"), R"({"n": 9})");
  // Absent is explained by the acknowledged delete.
  EXPECT_TRUE(check_documents(w.h, {}).no_lost_documents.ok);
  // The acknowledged upsert's body is not: the delete certainly followed it.
  EXPECT_FALSE(check_documents(w.h, {{"a", R"({"n": 1})"}}).no_lost_documents.ok);
}

TEST(DocumentOracle, AnAcknowledgedDeleteThatIsUndoneIsLost) {
  Writes w;
  w.upsert(1, 0, 10, "a", R"({"n": 1})");
  const size_t d = w.del(1, 20, 30, "a");
  DocumentJudgement j = check_documents(w.h, {{"a", R"({"n": 1})"}});
  ASSERT_FALSE(j.no_lost_documents.ok);
  EXPECT_EQ(j.no_lost_documents.violations[0].ops, std::vector<size_t>{d});
  EXPECT_NE(j.no_lost_documents.violations[0].what.find("delete"), std::string::npos);
  EXPECT_EQ(j.resolved.count("a"), 0u);
}

TEST(DocumentOracle, AnInventedDocumentIsNotWritten) {
  Writes w;
  w.upsert(1, 0, 10, "a", R"({"n": 1})");
  DocumentJudgement j = check_documents(w.h, {{"a", R"({"n": 1})"}, {"zz", R"({"n": 5})"}});
  EXPECT_TRUE(j.no_lost_documents.ok) << j.no_lost_documents.message;
  ASSERT_FALSE(j.only_written_documents.ok);
  EXPECT_NE(j.only_written_documents.violations[0].what.find("\"zz\""), std::string::npos);
  EXPECT_EQ(j.resolved.count("zz"), 0u);
}

TEST(DocumentOracle, ABodyNoWriteGaveTheIdIsInvented) {
  Writes w;
  w.upsert(1, 0, 10, "a", R"({"n": 1})", Outcome::kUnknown);
  w.upsert(1, 20, 30, "b", R"({"n": 7})", Outcome::kFail);  // failed: never took effect
  DocumentJudgement j = check_documents(w.h, {{"a", R"({"n": 2})"}, {"b", R"({"n": 7})"}});
  EXPECT_FALSE(j.only_written_documents.ok);
  EXPECT_EQ(j.only_written_documents.violation_count, 2u);
}

TEST(DocumentOracle, BodiesCompareAsJsonNotAsBytes) {
  Writes w;
  w.upsert(1, 0, 10, "a", R"({"n": 1, "price": 2.0, "color": "red"})");
  DocumentJudgement j = check_documents(w.h, {{"a", R"({"color":"red","price":2,"_id":"a","n":1.0})"}});
  EXPECT_TRUE(j.no_lost_documents.ok) << j.no_lost_documents.message;
  EXPECT_TRUE(j.only_written_documents.ok);
  EXPECT_FALSE(check_documents(w.h, {{"a", R"({"color":"red","price":2.5,"n":1})"}}).only_written_documents.ok);
  // A body naming another id is not this document's.
  EXPECT_FALSE(check_documents(w.h, {{"a", R"({"_id":"b","color":"red","price":2,"n":1})"}}).only_written_documents.ok);
}

TEST(DocumentOracle, TheSchemaCanonicaliserAbsorbsFloat32Vectors) {
  const search::Schema schema = testing::small_schema();
  Writes w;
  w.upsert(1, 0, 10, "a", R"({"price": 0.1, "v": [0.1, 0.2, 0.3, 0.4]})");
  // What a store renders back: the vector as float32 widened to double.
  const std::string read_back =
      R"({"_id": "a", "price": 0.1, "v": [0.10000000149011612, 0.20000000298023224, 0.30000001192092896, 0.4000000059604645]})";
  EXPECT_FALSE(check_documents(w.h, {{"a", read_back}}).only_written_documents.ok);
  DocumentJudgement j = check_documents(w.h, {{"a", read_back}}, schema_canonicalizer(schema));
  EXPECT_TRUE(j.only_written_documents.ok) << j.only_written_documents.message;
  EXPECT_TRUE(j.no_lost_documents.ok);
  EXPECT_FALSE(check_documents(w.h, {{"a", R"({"price": 0.1, "v": [0.1, 0.2, 0.3, 0.5]})"}},
                               schema_canonicalizer(schema))
                   .only_written_documents.ok);
}

}  // namespace
}  // namespace shoal::check
