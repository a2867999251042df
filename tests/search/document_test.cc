// Documents: JSON in, JSON out, codec round trip, and bounds-checked decoding.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <boost/json.hpp>

#include "engine/search/document.h"
#include "tests/search/search_fixtures.h"

namespace shoal::search {
namespace {

TEST(Document, JsonRoundTripKeepsEveryField) {
  const search::Schema schema = testing::make_schema(2, "l2_norm", R"({"type": "flat"})");
  auto docs = parse_documents(
      R"({"_id": "x", "color": "red", "n": -4, "price": 2.5, "at": "2024-02-29T10:00:00Z", "flag": false,
          "v": [0.5, -1]})",
      schema);
  ASSERT_TRUE(docs.ok()) << docs.status();
  const Document& d = (*docs)[0];
  EXPECT_EQ(boost::json::serialize(document_to_json(d, schema)),
            R"({"_id":"x","color":"red","n":-4,"price":2.5E0,"at":"2024-02-29T10:00:00.000Z","flag":false,"v":[5E-1,-1E0]})");
  auto again = parse_documents(boost::json::serialize(document_to_json(d, schema)), schema);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ((*again)[0], d);
}

RC_GTEST_PROP(Document, CodecRoundTripsAndRejectsTruncation, ()) {
  const search::Schema schema = testing::make_schema(3, "l2_norm", R"({"type": "flat"})");
  const uint64_t seed = *rc::gen::arbitrary<uint64_t>();
  for (const Document& d : testing::make_docs(seed, 5, 3, false)) {
    Writer w;
    encode_document(d, w);
    const std::string bytes = w.take();
    Reader r(bytes);
    auto back = decode_document(r, schema);
    RC_ASSERT(back.ok());
    RC_ASSERT(*back == d);
    const size_t cut = *rc::gen::inRange<size_t>(0, bytes.size());
    Reader shorter(std::string_view(bytes).substr(0, cut));
    RC_ASSERT(!decode_document(shorter, schema).ok());
  }
}

TEST(Document, CodeBuiltDocumentsAreValidatedToo) {
  const search::Schema schema = testing::make_schema(2, "l2_norm", R"({"type": "flat"})");
  Document d{"a", std::vector<search::Value>(5), {1, 2}};
  EXPECT_TRUE(validate_document(d, schema).ok());
  d.fields[1] = search::Value::keyword("not a number");
  EXPECT_NE(validate_document(d, schema).message().find("field \"n\" is integer"), std::string::npos);
  d.fields[1] = search::Value();
  d.vector = {1, std::numeric_limits<float>::infinity()};
  EXPECT_FALSE(validate_document(d, schema).ok());
  d.vector = {1, 2};
  d.id = std::string(kMaxIdBytes + 1, 'x');
  EXPECT_FALSE(validate_document(d, schema).ok());
}

}  // namespace
}  // namespace shoal::search
