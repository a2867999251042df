#include "scenarios/checkers/document_oracle.h"

#include <algorithm>
#include <optional>
#include <set>

#include <boost/json.hpp>

#include "engine/search/document.h"
#include "scenarios/checkers/line_reader.h"
#include "scenarios/checkers/lineage.h"

namespace shoal::check {
namespace {

namespace json = boost::json;

// Writes a JSON value with object members sorted by key and every number as
// a double, so that member order and 1 / 1.0 do not make two bodies differ.
void write_canonical(const json::value& v, std::string& out) {
  switch (v.kind()) {
    case json::kind::object: {
      std::vector<std::pair<std::string_view, const json::value*>> members;
      for (const auto& m : v.get_object()) members.emplace_back(m.key(), &m.value());
      std::sort(members.begin(), members.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
      out += '{';
      for (const auto& [key, value] : members) {
        out += json::serialize(json::value(json::string(key)));
        out += ':';
        write_canonical(*value, out);
        out += ',';
      }
      out += '}';
      return;
    }
    case json::kind::array:
      out += '[';
      for (const json::value& e : v.get_array()) {
        write_canonical(e, out);
        out += ',';
      }
      out += ']';
      return;
    case json::kind::int64:
    case json::kind::uint64:
    case json::kind::double_:
      out += json::serialize(json::value(v.to_number<double>()));
      return;
    default: out += json::serialize(v); return;
  }
}

// The body as a JSON object with "_id" set to `id`, or nullopt when it is
// not an object (or names another id).
std::optional<json::value> body_object(std::string_view id, std::string_view body) {
  boost::system::error_code ec;
  json::value v = json::parse(body, ec);
  if (ec || !v.is_object()) return std::nullopt;
  json::object& o = v.get_object();
  if (const json::value* given = o.if_contains("_id"); given && (!given->is_string() || given->get_string() != id)) {
    return std::nullopt;
  }
  o["_id"] = json::string(id);
  return v;
}

bool is_document_write(const Operation& o) { return o.op.type == OpType::kWrite || o.op.type == OpType::kDelete; }

// The writes with canonical bodies; other operations become reads, which no
// checker counts as writes, so history indices stay those of `writes`.
History canonical_history(const History& writes, const BodyCanonicalizer& canonical) {
  History h = writes;
  for (Operation& o : h.mutable_operations()) {
    if (!is_document_write(o)) {
      o.op.type = OpType::kRead;
    } else if (o.op.type == OpType::kWrite && o.op.value) {
      o.op.value = canonical(o.op.key, *o.op.value);
    }
  }
  h.set_initial_value(std::nullopt);
  return h;
}

std::string describe_state(const DocumentSet& final_docs, const std::string& id) {
  auto it = final_docs.find(id);
  return it == final_docs.end() ? std::string("nothing") : internal::snippet(it->second);
}

// The acknowledged write of `id` that completed last, or SIZE_MAX.
size_t last_acknowledged(const History& writes, const std::vector<size_t>& ops) {
  size_t best = SIZE_MAX;
  for (size_t i : ops) {
    if (!internal::acknowledged_write(writes[i])) continue;
    if (best == SIZE_MAX || writes[i].complete_ns >= writes[best].complete_ns) best = i;
  }
  return best;
}

// "upsert #12 by p3 of {...}" or "delete #12 by p3".
std::string describe_write(const History& writes, size_t i) {
  const Operation& o = writes[i];
  if (o.op.type == OpType::kDelete) return internal::str_cat("delete #", i, " by p", o.process);
  return internal::str_cat("upsert #", i, " by p", o.process, " of ", internal::snippet(o.op.value.value_or("")));
}

struct IdState {
  std::vector<size_t> ops;  // document writes of the id, in history order
};

}  // namespace

BodyCanonicalizer json_canonicalizer() {
  return [](std::string_view id, std::string_view body) {
    std::optional<json::value> v = body_object(id, body);
    if (!v) return "\x01" + std::string(body);
    v->get_object().erase("_id");
    std::string out;
    write_canonical(*v, out);
    return out;
  };
}

BodyCanonicalizer schema_canonicalizer(const search::Schema& schema) {
  return [schema](std::string_view id, std::string_view body) {
    std::optional<json::value> v = body_object(id, body);
    if (!v) return "\x01" + std::string(body);
    auto doc = search::parse_document(*v, schema);
    if (!doc.ok()) return "\x01" + std::string(body);
    std::string out;
    write_canonical(search::document_to_json(*doc, schema), out);
    return out;
  };
}

DocumentJudgement check_documents(const History& writes, const DocumentSet& final_docs,
                                  const BodyCanonicalizer& canonical) {
  const History h = canonical_history(writes, canonical);
  internal::Lineage lineage(h);
  std::map<std::string, IdState> ids;
  for (size_t i = 0; i < writes.size(); ++i) {
    if (is_document_write(writes[i])) ids[writes[i].op.key].ops.push_back(i);
  }
  for (const auto& [id, body] : final_docs) ids.try_emplace(id);

  DocumentJudgement out;
  out.no_lost_documents.name = "no-lost-documents";
  out.only_written_documents.name = "only-written-documents";
  size_t acknowledged = 0;
  for (const auto& [id, state] : ids) {
    auto it = final_docs.find(id);
    const Value final_value = it == final_docs.end() ? Value() : Value(canonical(id, it->second));
    bool explained = true;
    std::vector<size_t> producers;
    for (size_t p : lineage.producers(id, final_value)) {
      if (p != internal::kInitialProducer) producers.push_back(p);
    }
    if (final_value && producers.empty()) {
      explained = false;
      out.only_written_documents.add(
          {internal::str_cat("document \"", id, "\" holds a body no write gave it: ", describe_state(final_docs, id)),
           {}});
    }
    size_t lost = SIZE_MAX;
    for (size_t i : state.ops) {
      if (!internal::acknowledged_write(writes[i])) continue;
      ++acknowledged;
      if (!lineage.reflects(final_value, i)) lost = i;  // the last one in history order is reported
    }
    if (lost != SIZE_MAX) {
      explained = false;
      out.no_lost_documents.add({internal::str_cat("document \"", id, "\": acknowledged ",
                                                   describe_write(writes, lost),
                                                   " is lost: the store holds ", describe_state(final_docs, id)),
                                 {lost}});
    }
    if (explained) {
      if (final_value) out.resolved[id] = *writes[producers.front()].op.value;
      continue;
    }
    out.unexplained.push_back(id);
    const size_t demanded = last_acknowledged(writes, state.ops);
    if (demanded != SIZE_MAX && writes[demanded].op.type == OpType::kWrite) {
      out.resolved[id] = *writes[demanded].op.value;
    }
  }
  out.no_lost_documents.summarise("no-lost-documents", acknowledged, "acknowledged document writes");
  out.only_written_documents.summarise("only-written-documents", final_docs.size(), "documents present");
  return out;
}

}  // namespace shoal::check
