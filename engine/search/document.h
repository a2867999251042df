// A document as a shard stores it: an id, one value per schema field (missing
// allowed) and at most one vector.
//
// Documents arrive as JSON objects ({"_id": "a1", "color": "red",
// "embedding": [0.1, ...]}) and are validated against the collection's schema
// before anything is applied: an unknown field, a value of the wrong type, a
// vector of the wrong dimension or a non-finite component is an
// InvalidArgument naming the document and the field, never a crash.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include "absl/status/statusor.h"
#include "engine/core/codec.h"
#include "engine/search/schema.h"
#include "engine/search/value.h"

namespace shoal::search {

inline constexpr size_t kMaxIdBytes = 512;
inline constexpr size_t kMaxDocumentsPerBatch = 100000;

struct Document {
  std::string id;
  std::vector<search::Value> fields;  // schema order
  std::vector<float> vector;         // empty when the document has none

  bool operator==(const Document& o) const {
    return id == o.id && fields == o.fields && vector == o.vector;
  }
};

// Validates one JSON document against the schema.
absl::StatusOr<Document> parse_document(const boost::json::value& v, const search::Schema& schema);
// One JSON object or an array of them (at most kMaxDocumentsPerBatch).
absl::StatusOr<std::vector<Document>> parse_documents(std::string_view json, const search::Schema& schema);

// Checks a document built in code (e.g. by a benchmark) the same way.
absl::Status validate_document(const Document& d, const search::Schema& schema);

boost::json::object document_to_json(const Document& d, const search::Schema& schema);

void encode_document(const Document& d, Writer& w);
// REQUIRES nothing of the bytes: malformed input is DataLoss.
absl::StatusOr<Document> decode_document(Reader& r, const search::Schema& schema);

}  // namespace shoal::search
