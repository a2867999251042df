#include "engine/search/schema.h"

#include "engine/search/str_cat.h"
#include "engine/search/json_util.h"

namespace shoal::search {

namespace json = boost::json;

std::string_view field_type_name(FieldType type) {
  switch (type) {
    case FieldType::kKeyword: return "keyword";
    case FieldType::kInteger: return "integer";
    case FieldType::kFloat: return "float";
    case FieldType::kDate: return "date";
    case FieldType::kBoolean: return "boolean";
  }
  return "unknown";
}

std::string_view vector_metric_name(VectorMetric metric) {
  switch (metric) {
    case VectorMetric::kL2: return "l2_norm";
    case VectorMetric::kInnerProduct: return "dot_product";
    case VectorMetric::kCosine: return "cosine";
  }
  return "unknown";
}

std::string_view vector_index_kind_name(VectorIndexKind kind) {
  switch (kind) {
    case VectorIndexKind::kFlat: return "flat";
    case VectorIndexKind::kIvf: return "ivf";
    case VectorIndexKind::kHnsw: return "hnsw";
  }
  return "unknown";
}

namespace {

// Names that queries use for built-in sort keys; a field may not shadow them.
bool is_reserved(std::string_view name) { return name == "_id" || name == "_score" || name == "_doc"; }

absl::Status check_name(std::string_view name) {
  if (name.empty()) return absl::InvalidArgumentError("schema: a field name is empty");
  if (name.size() > kMaxFieldNameBytes) {
    return absl::InvalidArgumentError(str_cat("schema: field name of ", name.size(),
                                                   " bytes exceeds the limit of ", kMaxFieldNameBytes));
  }
  if (is_reserved(name)) {
    return absl::InvalidArgumentError(str_cat("schema: field name \"", name, "\" is reserved"));
  }
  return absl::OkStatus();
}

absl::Status check_index_options(const VectorIndexOptions& o) {
  if (o.hnsw_m < 2 || o.hnsw_m > kMaxHnswM) {
    return absl::InvalidArgumentError(str_cat("schema: hnsw m ", o.hnsw_m, " is outside [2, ", kMaxHnswM, "]"));
  }
  if (o.hnsw_ef_construction < 1 || o.hnsw_ef_construction > kMaxHnswEf || o.hnsw_ef_search < 1 ||
      o.hnsw_ef_search > kMaxHnswEf) {
    return absl::InvalidArgumentError(str_cat("schema: hnsw ef values must be in [1, ", kMaxHnswEf, "]"));
  }
  if (o.ivf_nlist < 1 || o.ivf_nlist > kMaxIvfLists) {
    return absl::InvalidArgumentError(str_cat("schema: ivf nlist ", o.ivf_nlist, " is outside [1, ",
                                                   kMaxIvfLists, "]"));
  }
  if (o.ivf_nprobe < 1 || o.ivf_nprobe > o.ivf_nlist) {
    return absl::InvalidArgumentError(str_cat("schema: ivf nprobe ", o.ivf_nprobe, " is outside [1, nlist]"));
  }
  if (o.ivf_train_min != 0 && o.ivf_train_min < o.ivf_nlist) {
    return absl::InvalidArgumentError("schema: ivf train_min must be at least nlist (k-means needs a point per list)");
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<Schema> Schema::create(std::vector<FieldSpec> fields, std::optional<VectorSpec> vector) {
  if (fields.size() > kMaxFields) {
    return absl::InvalidArgumentError(str_cat("schema: ", fields.size(), " fields exceed the limit of ",
                                                   kMaxFields));
  }
  Schema s;
  for (size_t i = 0; i < fields.size(); ++i) {
    if (absl::Status st = check_name(fields[i].name); !st.ok()) return st;
    if (field_type_name(fields[i].type) == "unknown") {
      return absl::InvalidArgumentError(str_cat("schema: field \"", fields[i].name, "\" has an unknown type"));
    }
    if (!s.by_name_.emplace(fields[i].name, i).second) {
      return absl::InvalidArgumentError(str_cat("schema: field \"", fields[i].name, "\" is declared twice"));
    }
  }
  if (vector) {
    if (absl::Status st = check_name(vector->name); !st.ok()) return st;
    if (s.by_name_.count(vector->name) != 0) {
      return absl::InvalidArgumentError(str_cat("schema: field \"", vector->name, "\" is declared twice"));
    }
    if (vector->dimension < 1 || vector->dimension > kMaxVectorDimension) {
      return absl::InvalidArgumentError(str_cat("schema: vector dimension ", vector->dimension,
                                                     " is outside [1, ", kMaxVectorDimension, "]"));
    }
    if (vector_metric_name(vector->metric) == "unknown" || vector_index_kind_name(vector->index.kind) == "unknown") {
      return absl::InvalidArgumentError("schema: unknown vector metric or index kind");
    }
    if (absl::Status st = check_index_options(vector->index); !st.ok()) return st;
  }
  s.fields_ = std::move(fields);
  s.vector_ = std::move(vector);
  return s;
}

std::optional<size_t> Schema::field_index(std::string_view name) const {
  auto it = by_name_.find(name);
  if (it == by_name_.end()) return std::nullopt;
  return it->second;
}

namespace {

absl::StatusOr<FieldType> parse_field_type(std::string_view type, std::string_view path) {
  if (type == "keyword") return FieldType::kKeyword;
  if (type == "integer" || type == "long") return FieldType::kInteger;
  if (type == "float" || type == "double") return FieldType::kFloat;
  if (type == "date") return FieldType::kDate;
  if (type == "boolean") return FieldType::kBoolean;
  return json_error(path, str_cat("unknown field type \"", type, "\""));
}

absl::StatusOr<VectorMetric> parse_metric(std::string_view m, std::string_view path) {
  if (m == "l2_norm" || m == "l2") return VectorMetric::kL2;
  if (m == "dot_product" || m == "inner_product" || m == "max_inner_product") return VectorMetric::kInnerProduct;
  if (m == "cosine") return VectorMetric::kCosine;
  return json_error(path, str_cat("unknown similarity \"", m, "\" (use l2_norm, dot_product or cosine)"));
}

absl::Status parse_index_options(const json::value& v, std::string_view path, VectorIndexOptions* o) {
  auto obj = as_object(v, path);
  if (!obj.ok()) return obj.status();
  if (absl::Status st = check_members(**obj, path, {"type", "m", "ef_construction", "ef_search", "nlist", "nprobe",
                                                    "train_min", "seed"});
      !st.ok()) {
    return st;
  }
  for (const auto& kv : **obj) {
    std::string key(kv.key());
    std::string p = join_path(path, key);
    if (key == "type") {
      auto t = as_string(kv.value(), p);
      if (!t.ok()) return t.status();
      if (*t == "flat") o->kind = VectorIndexKind::kFlat;
      else if (*t == "ivf" || *t == "ivf_flat") o->kind = VectorIndexKind::kIvf;
      else if (*t == "hnsw") o->kind = VectorIndexKind::kHnsw;
      else return json_error(p, str_cat("unknown index type \"", *t, "\" (use flat, ivf or hnsw)"));
      continue;
    }
    auto n = as_int(kv.value(), p, 0, key == "seed" || key == "train_min" ? INT64_MAX : UINT32_MAX);
    if (!n.ok()) return n.status();
    uint32_t n32 = static_cast<uint32_t>(*n);
    if (key == "m") o->hnsw_m = n32;
    else if (key == "ef_construction") o->hnsw_ef_construction = n32;
    else if (key == "ef_search") o->hnsw_ef_search = n32;
    else if (key == "nlist") o->ivf_nlist = n32;
    else if (key == "nprobe") o->ivf_nprobe = n32;
    else if (key == "train_min") o->ivf_train_min = static_cast<uint64_t>(*n);
    else o->seed = static_cast<uint64_t>(*n);
  }
  return absl::OkStatus();
}

absl::StatusOr<VectorSpec> parse_vector(std::string name, const json::object& obj, std::string_view path) {
  if (absl::Status st = check_members(obj, path, {"type", "dims", "similarity", "index_options"}); !st.ok()) return st;
  VectorSpec v;
  v.name = std::move(name);
  const json::value* dims = obj.if_contains("dims");
  if (dims == nullptr) return json_error(path, "dense_vector needs \"dims\"");
  auto d = as_int(*dims, join_path(path, "dims"), 1, kMaxVectorDimension);
  if (!d.ok()) return d.status();
  v.dimension = static_cast<uint32_t>(*d);
  if (const json::value* sim = obj.if_contains("similarity")) {
    auto s = as_string(*sim, join_path(path, "similarity"));
    if (!s.ok()) return s.status();
    auto m = parse_metric(*s, join_path(path, "similarity"));
    if (!m.ok()) return m.status();
    v.metric = *m;
  }
  if (const json::value* io = obj.if_contains("index_options")) {
    if (absl::Status st = parse_index_options(*io, join_path(path, "index_options"), &v.index); !st.ok()) return st;
  }
  return v;
}

}  // namespace

absl::StatusOr<Schema> Schema::from_json(std::string_view text) {
  auto doc = parse_json(text, "schema");
  if (!doc.ok()) return doc.status();
  auto root = as_object(*doc, "schema");
  if (!root.ok()) return root.status();
  if (absl::Status st = check_members(**root, "schema", {"properties"}); !st.ok()) return st;
  const json::value* props = (*root)->if_contains("properties");
  if (props == nullptr) return json_error("schema", "expected \"properties\"");
  auto obj = as_object(*props, "schema.properties");
  if (!obj.ok()) return obj.status();
  std::vector<FieldSpec> fields;
  std::optional<VectorSpec> vector;
  for (const auto& kv : **obj) {
    std::string name(kv.key());
    std::string path = join_path("schema.properties", name);
    auto field = as_object(kv.value(), path);
    if (!field.ok()) return field.status();
    const json::value* type = (*field)->if_contains("type");
    if (type == nullptr) return json_error(path, "expected \"type\"");
    auto t = as_string(*type, join_path(path, "type"));
    if (!t.ok()) return t.status();
    if (*t == "dense_vector") {
      if (vector) return json_error(path, "a collection has at most one dense_vector field");
      auto v = parse_vector(name, **field, path);
      if (!v.ok()) return v.status();
      vector = std::move(*v);
      continue;
    }
    if (absl::Status st = check_members(**field, path, {"type"}); !st.ok()) return st;
    auto ft = parse_field_type(*t, join_path(path, "type"));
    if (!ft.ok()) return ft.status();
    fields.push_back({std::move(name), *ft});
  }
  return create(std::move(fields), std::move(vector));
}

void Schema::encode(Writer& w) const {
  w.varint(fields_.size());
  for (const FieldSpec& f : fields_) {
    w.bytes(f.name);
    w.u8(static_cast<uint8_t>(f.type));
  }
  w.boolean(vector_.has_value());
  if (!vector_) return;
  const VectorIndexOptions& o = vector_->index;
  w.bytes(vector_->name);
  w.u32(vector_->dimension);
  w.u8(static_cast<uint8_t>(vector_->metric));
  w.u8(static_cast<uint8_t>(o.kind));
  w.u32(o.hnsw_m);
  w.u32(o.hnsw_ef_construction);
  w.u32(o.hnsw_ef_search);
  w.u32(o.ivf_nlist);
  w.u32(o.ivf_nprobe);
  w.u64(o.ivf_train_min);
  w.u64(o.seed);
}

absl::StatusOr<Schema> Schema::decode(Reader& r) {
  uint64_t n = r.varint();
  if (!r.ok() || n > kMaxFields) return absl::DataLossError("schema: bad field count");
  std::vector<FieldSpec> fields(n);
  for (FieldSpec& f : fields) {
    f.name = r.bytes();
    f.type = static_cast<FieldType>(r.u8());
  }
  std::optional<VectorSpec> vector;
  if (r.boolean()) {
    VectorSpec v;
    v.name = r.bytes();
    v.dimension = r.u32();
    v.metric = static_cast<VectorMetric>(r.u8());
    v.index.kind = static_cast<VectorIndexKind>(r.u8());
    v.index.hnsw_m = r.u32();
    v.index.hnsw_ef_construction = r.u32();
    v.index.hnsw_ef_search = r.u32();
    v.index.ivf_nlist = r.u32();
    v.index.ivf_nprobe = r.u32();
    v.index.ivf_train_min = r.u64();
    v.index.seed = r.u64();
    vector = std::move(v);
  }
  if (!r.ok()) return absl::DataLossError("schema: truncated");
  auto s = create(std::move(fields), std::move(vector));
  if (!s.ok()) return absl::DataLossError(str_cat("schema: ", to_std(s.status().message())));
  return s;
}

}  // namespace shoal::search
