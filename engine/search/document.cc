#include "engine/search/document.h"

#include <cmath>
#include <cstring>

#include <boost/json.hpp>

#include "engine/search/json_util.h"
#include "engine/search/str_cat.h"

namespace shoal::search {

namespace json = boost::json;
using search::str_cat;
using search::to_std;

namespace {

absl::Status check_id(std::string_view id) {
  if (id.empty()) return absl::InvalidArgumentError("document: \"_id\" is empty");
  if (id.size() > kMaxIdBytes) {
    return absl::InvalidArgumentError(str_cat("document: _id of ", id.size(), " bytes exceeds the limit of ",
                                              kMaxIdBytes));
  }
  return absl::OkStatus();
}

absl::Status check_vector(const std::vector<float>& v, const search::VectorSpec& spec, std::string_view id) {
  if (v.size() != spec.dimension) {
    return absl::InvalidArgumentError(str_cat("document \"", id, "\": field \"", spec.name, "\" has dimension ",
                                              spec.dimension, "; got a vector of ", v.size()));
  }
  double norm = 0;
  for (size_t i = 0; i < v.size(); ++i) {
    if (!std::isfinite(v[i])) {
      return absl::InvalidArgumentError(str_cat("document \"", id, "\": field \"", spec.name, "\"[", i,
                                                "] is not a finite float"));
    }
    norm += static_cast<double>(v[i]) * v[i];
  }
  if (spec.metric == search::VectorMetric::kCosine && norm == 0) {
    return absl::InvalidArgumentError(str_cat("document \"", id, "\": field \"", spec.name,
                                              "\" uses cosine similarity, which needs a non-zero vector"));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<float>> parse_vector(const json::value& v, const search::VectorSpec& spec,
                                                std::string_view id) {
  const json::array* arr = v.if_array();
  if (arr == nullptr) {
    return absl::InvalidArgumentError(str_cat("document \"", id, "\": field \"", spec.name,
                                              "\" is a dense_vector; got ", search::describe(v)));
  }
  std::vector<float> out;
  out.reserve(arr->size());
  for (const json::value& x : *arr) {
    if (!x.is_number()) {
      return absl::InvalidArgumentError(str_cat("document \"", id, "\": field \"", spec.name,
                                                "\" holds a non-number ", search::describe(x)));
    }
    out.push_back(static_cast<float>(x.to_number<double>()));
  }
  if (absl::Status s = check_vector(out, spec, id); !s.ok()) return s;
  return out;
}

}  // namespace

absl::StatusOr<Document> parse_document(const json::value& v, const search::Schema& schema) {
  const json::object* obj = v.if_object();
  if (obj == nullptr) return absl::InvalidArgumentError(str_cat("document: expected an object, got ", search::describe(v)));
  const json::value* idv = obj->if_contains("_id");
  if (idv == nullptr || !idv->is_string()) return absl::InvalidArgumentError("document: expected a string \"_id\"");
  Document d;
  d.id = std::string(idv->get_string());
  if (absl::Status s = check_id(d.id); !s.ok()) return s;
  d.fields.resize(schema.fields().size());
  for (const auto& kv : *obj) {
    std::string_view name(kv.key().data(), kv.key().size());
    if (name == "_id") continue;
    if (schema.is_vector_field(name)) {
      if (kv.value().is_null()) continue;
      auto vec = parse_vector(kv.value(), *schema.vector(), d.id);
      if (!vec.ok()) return vec.status();
      d.vector = std::move(*vec);
      continue;
    }
    std::optional<size_t> i = schema.field_index(name);
    if (!i) return absl::InvalidArgumentError(str_cat("document \"", d.id, "\": unknown field \"", name, "\""));
    auto value = search::parse_field_value(kv.value(), schema.field(*i).type, name);
    if (!value.ok()) {
      return absl::InvalidArgumentError(str_cat("document \"", d.id, "\": ", to_std(value.status().message())));
    }
    d.fields[*i] = std::move(*value);
  }
  return d;
}

absl::StatusOr<std::vector<Document>> parse_documents(std::string_view text, const search::Schema& schema) {
  auto v = search::parse_json(text, "documents");
  if (!v.ok()) return v.status();
  std::vector<Document> out;
  if (const json::array* arr = v->if_array()) {
    if (arr->size() > kMaxDocumentsPerBatch) {
      return absl::InvalidArgumentError(str_cat("documents: ", arr->size(), " exceed the batch limit of ",
                                                kMaxDocumentsPerBatch));
    }
    for (const json::value& d : *arr) {
      auto doc = parse_document(d, schema);
      if (!doc.ok()) return doc.status();
      out.push_back(std::move(*doc));
    }
    return out;
  }
  auto doc = parse_document(*v, schema);
  if (!doc.ok()) return doc.status();
  out.push_back(std::move(*doc));
  return out;
}

absl::Status validate_document(const Document& d, const search::Schema& schema) {
  if (absl::Status s = check_id(d.id); !s.ok()) return s;
  if (d.fields.size() != schema.fields().size()) {
    return absl::InvalidArgumentError(str_cat("document \"", d.id, "\": has ", d.fields.size(),
                                              " field slots; the schema has ", schema.fields().size()));
  }
  for (size_t i = 0; i < d.fields.size(); ++i) {
    const search::Value& v = d.fields[i];
    if (v.missing()) continue;
    const search::FieldSpec& f = schema.field(i);
    if (v.type() != f.type) {
      return absl::InvalidArgumentError(str_cat("document \"", d.id, "\": field \"", f.name, "\" is ",
                                                search::field_type_name(f.type), "; got a ",
                                                search::field_type_name(v.type())));
    }
    if (v.type() == search::FieldType::kFloat && std::fabs(v.as_float()) > search::kMaxFloatMagnitude) {
      return absl::InvalidArgumentError(str_cat("document \"", d.id, "\": field \"", f.name,
                                                "\" exceeds the supported magnitude"));
    }
  }
  if (d.vector.empty()) return absl::OkStatus();
  if (!schema.vector()) {
    return absl::InvalidArgumentError(str_cat("document \"", d.id, "\": the collection has no dense_vector field"));
  }
  return check_vector(d.vector, *schema.vector(), d.id);
}

json::object document_to_json(const Document& d, const search::Schema& schema) {
  json::object o;
  o["_id"] = d.id;
  for (size_t i = 0; i < d.fields.size(); ++i) {
    const search::Value& v = d.fields[i];
    if (v.missing()) continue;
    o[schema.field(i).name] = v.type() == search::FieldType::kDate ? json::value(json::string(v.to_string())) : v.to_json();
  }
  if (!d.vector.empty()) {
    json::array vec;
    for (float x : d.vector) vec.push_back(static_cast<double>(x));
    o[schema.vector()->name] = std::move(vec);
  }
  return o;
}

void encode_document(const Document& d, Writer& w) {
  w.bytes(d.id);
  w.varint(d.fields.size());
  for (const search::Value& v : d.fields) v.encode(w);
  w.varint(d.vector.size());
  for (float x : d.vector) {
    uint32_t bits;
    std::memcpy(&bits, &x, sizeof bits);
    w.u32(bits);
  }
}

absl::StatusOr<Document> decode_document(Reader& r, const search::Schema& schema) {
  Document d;
  d.id = r.bytes();
  const uint64_t n = r.varint();
  if (!r.ok() || n != schema.fields().size()) return absl::DataLossError("document: bad field count");
  d.fields.resize(n);
  for (search::Value& v : d.fields) {
    if (!search::Value::decode(r, &v)) return absl::DataLossError("document: bad field value");
  }
  const uint64_t dim = r.varint();
  const uint64_t expected = schema.vector() ? schema.vector()->dimension : 0;
  if (!r.ok() || (dim != 0 && dim != expected)) return absl::DataLossError("document: bad vector dimension");
  d.vector.resize(dim);
  for (float& x : d.vector) {
    const uint32_t bits = r.u32();
    std::memcpy(&x, &bits, sizeof bits);
  }
  if (!r.ok()) return absl::DataLossError("document: truncated");
  if (absl::Status s = validate_document(d, schema); !s.ok()) return absl::DataLossError(s.message());
  return d;
}

}  // namespace shoal::search
