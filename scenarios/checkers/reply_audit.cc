#include "scenarios/checkers/reply_audit.h"

namespace shoal::check {

ReplyAudit check_replies_match_log(const History& history, const std::vector<ReplyClaim>& claims,
                                   const std::function<const LogRecord*(uint64_t)>& log_at) {
  ReplyAudit audit;
  for (const ReplyClaim& c : claims) {
    ++audit.claims;
    const LogRecord* entry = log_at(c.index);
    const std::string at = " at log index " + std::to_string(c.index);
    const bool lost = entry == nullptr || entry->client != c.client;
    if (lost && c.may_be_lost) {
      ++audit.lost;
      continue;
    }
    if (entry == nullptr) {
      audit.check.add({describe(history[c.op]) + " was acknowledged" + at + ", which never committed", {c.op}});
    } else if (entry->client != c.client) {
      audit.check.add({describe(history[c.op]) + " was acknowledged" + at + ", which holds client " +
                           std::to_string(entry->client) + "'s command: the write was lost",
                       {c.op}});
    } else if (c.result && *c.result != entry->result) {
      audit.check.add({describe(history[c.op]) + " was told \"" + *c.result + "\" but applying its entry" + at +
                           " gave \"" + entry->result + "\"",
                       {c.op}});
    }
  }
  audit.check.summarise("replies-match-log", audit.claims, "write replies");
  return audit;
}

}  // namespace shoal::check
