// The aggregations of a search request, parsed and validated against a schema.
//
// The 14 kinds are Elasticsearch's: the bucket kinds terms, histogram,
// date_histogram, range and filters (which may hold sub-aggregations), and the
// metric kinds stats, extended_stats, avg, min, max, sum, value_count,
// percentiles and cardinality. Which field types each kind accepts:
//   terms, value_count, cardinality     any field type
//   min, max, percentiles, range        integer, float, date
//   stats, extended_stats, avg, sum     integer, float
//   histogram                           integer, float
//   date_histogram                      date
// An aggregation over another type is rejected with an error naming the
// aggregation, its kind, the field and the field's type.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/json/value.hpp>

#include "absl/status/statusor.h"
#include "engine/search/clause.h"
#include "engine/search/date.h"
#include "engine/search/schema.h"

namespace shoal::search {

enum class AggKind : uint8_t {
  kTerms = 1,
  kStats,
  kExtendedStats,
  kHistogram,
  kDateHistogram,
  kRange,
  kFilters,
  kAvg,
  kMin,
  kMax,
  kSum,
  kValueCount,
  kPercentiles,
  kCardinality,
};
inline constexpr int kAggKindCount = 14;

std::string_view agg_kind_name(AggKind kind);
bool is_bucket_kind(AggKind kind);
// Kinds whose shard partials merge to exactly the single-node answer.
bool is_exact_kind(AggKind kind);

// Limits on aggregations.
inline constexpr size_t kMaxAggregations = 100;      // in one request, all levels
inline constexpr unsigned kMaxAggDepth = 5;
inline constexpr size_t kMaxBuckets = 65536;         // per bucket aggregation, per shard and merged
inline constexpr uint32_t kMaxTermsSize = 10000;
inline constexpr uint32_t kMaxShardSize = 100000;
inline constexpr size_t kMaxRanges = 1000;
inline constexpr size_t kMaxFilters = 1000;
inline constexpr size_t kMaxPercents = 100;

enum class TermsOrder : uint8_t { kCountDesc = 1, kKeyAsc, kKeyDesc };

struct AggRange {
  std::optional<double> from;  // inclusive
  std::optional<double> to;    // exclusive
  std::string key;             // given or generated ("*-10.0")
};

struct AggSpec {
  std::string name;
  AggKind kind = AggKind::kValueCount;
  size_t field = 0;  // unused by filters
  FieldType field_type = FieldType::kKeyword;

  // terms
  uint32_t size = 10;
  uint32_t shard_size = 25;
  TermsOrder order = TermsOrder::kCountDesc;
  bool show_term_doc_count_error = false;
  // histogram (bucket index j covers [offset + j·interval, offset + (j+1)·interval))
  double interval = 0;
  double offset = 0;
  uint64_t min_doc_count = 0;  // histograms; terms always use 1
  // date_histogram
  bool calendar = false;
  CalendarUnit calendar_unit = CalendarUnit::kDay;
  int64_t fixed_interval_ms = 0;
  int64_t time_zone_offset_ms = 0;
  int64_t offset_ms = 0;
  // range
  std::vector<AggRange> ranges;
  // filters, in request order
  std::vector<std::pair<std::string, Clause>> filters;
  // percentiles
  std::vector<double> percents;
  double compression = 100;
  // cardinality
  uint64_t precision_threshold = 3000;
  // extended_stats
  double sigma = 2;

  std::vector<AggSpec> children;
};

// Parses the "aggs" (or "aggregations") object of a request.
absl::StatusOr<std::vector<AggSpec>> parse_aggs(const boost::json::value& v, const Schema& schema,
                                                std::string_view path);

}  // namespace shoal::search
