#include "scenarios/checkers/shard_balance.h"

#include <cmath>
#include <stdexcept>

#include "scenarios/checkers/line_reader.h"

namespace shoal::check {

using internal::str_cat;

CheckResult check_shard_sizes_balanced(const std::map<uint32_t, size_t>& documents_by_shard,
                                       double tolerance_fraction, size_t slack_documents) {
  if (!(tolerance_fraction >= 0)) throw std::invalid_argument("check_shard_sizes_balanced: negative tolerance");
  CheckResult r;
  size_t total = 0;
  for (const auto& [shard, n] : documents_by_shard) total += n;
  const double mean = documents_by_shard.empty() ? 0 : static_cast<double>(total) / documents_by_shard.size();
  const double band = mean * tolerance_fraction + static_cast<double>(slack_documents);
  for (const auto& [shard, n] : documents_by_shard) {
    const double x = static_cast<double>(n);
    if (std::fabs(x - mean) <= band) continue;
    r.add({str_cat("shard ", shard, " holds ", n, " documents, outside ", mean - band, "..", mean + band, " (mean ",
                   mean, " ± ", tolerance_fraction * 100, "%", slack_documents ? str_cat(" + ", slack_documents) : "",
                   ")"),
           {}});
  }
  r.summarise("shard-sizes-balanced", documents_by_shard.size(), str_cat("shards, ", total, " documents"));
  r.name = "shard-sizes-balanced";
  return r;
}

CheckResult check_documents_on_owner(const std::vector<std::pair<std::string, uint32_t>>& held,
                                     const std::map<std::string, uint32_t>& owner) {
  CheckResult r;
  std::map<std::string, std::vector<uint32_t>> shards_of;
  for (const auto& [id, shard] : held) shards_of[id].push_back(shard);
  for (const auto& [id, shards] : shards_of) {
    auto o = owner.find(id);
    if (o == owner.end()) {
      r.add({str_cat("document \"", id, "\" is on shard ", shards.front(), " but the router names no owner"), {}});
      continue;
    }
    for (uint32_t s : shards) {
      if (s == o->second) continue;
      r.add({str_cat("document \"", id, "\" is on shard ", s, " but its owner is shard ", o->second), {}});
    }
  }
  r.summarise("documents-on-owner", shards_of.size(), "documents");
  r.name = "documents-on-owner";
  return r;
}

}  // namespace shoal::check
