// The documents a single node would hold: judging the final contents of a
// sharded collection against the history of document writes, and resolving
// the contents a search oracle should hold.
//
// The history holds one operation per document write: Op::write(id, body)
// for an upsert (body: the JSON object sent, with or without "_id") and
// Op::del(id) for a delete, each with its interval and outcome (history.h);
// other operations are ignored. `final_docs` is what the store holds after
// the cluster healed and quiesced, read back document by document (id ->
// JSON body); an id missing from it is absent.
//
// Bodies are compared through a canonicaliser, since a body read back is not
// byte-equal to the one written (member order, number forms, float32
// vectors). The default one compares JSON values with "_id" dropped, member
// order ignored and numbers compared by value; schema_canonicalizer() parses
// both sides as documents of the schema, which also absorbs float32
// rounding of vectors.
//
// The two promises, as for keys (lost_writes.h, written_values.h):
//   no-lost-documents       every acknowledged upsert or delete is reflected
//                           by the final state of its document, unless a
//                           write that may be newer (one not finished before
//                           it began, or any write of unknown outcome, which
//                           may land at any time) explains the state instead;
//   only-written-documents  every document present holds a body some ok or
//                           unknown-outcome write gave that id.
// Pure functions.
#pragma once

#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "engine/search/schema.h"
#include "scenarios/checkers/check_result.h"
#include "scenarios/checkers/history.h"

namespace shoal::check {

// Document id -> JSON body.
using DocumentSet = std::map<std::string, std::string>;

// Maps a body to a canonical string; equal strings mean equal documents.
using BodyCanonicalizer = std::function<std::string(std::string_view id, std::string_view body)>;

// JSON equality with "_id" dropped, member order ignored, numbers by value.
// A body that is not JSON canonicalises to itself (so it equals only itself).
BodyCanonicalizer json_canonicalizer();
// Documents of `schema` (parse_document): fields by typed value, vectors as
// float32. A body the schema rejects canonicalises to itself.
BodyCanonicalizer schema_canonicalizer(const search::Schema& schema);

struct DocumentJudgement {
  CheckResult no_lost_documents;
  CheckResult only_written_documents;
  // The oracle's content: for each id whose final state the history
  // explains, that state (the body as written); for an id whose state it
  // does not explain, what the history demands: the state of the
  // acknowledged write that completed last (nothing when there is none).
  DocumentSet resolved;
  // Ids whose final state the history does not explain, sorted.
  std::vector<std::string> unexplained;
};

DocumentJudgement check_documents(const History& writes, const DocumentSet& final_docs,
                                  const BodyCanonicalizer& canonical = json_canonicalizer());

}  // namespace shoal::check
