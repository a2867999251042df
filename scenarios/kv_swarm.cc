#include "scenarios/kv_swarm.h"

namespace shoal::scenarios {

KvSwarm::KvSwarm(KvRun& run, uint64_t seed, uint64_t salt, const std::vector<chaos::FaultKind>& kinds,
                 Duration start) {
  Rng rng(hash_combine(seed, salt));
  swarm_ = chaos::choose_swarm(rng, kinds, std::nullopt);
  const auto faults = chaos::generate_faults(swarm_, start, run.config().duration, run.node_ids().size(), rng);
  nemesis_ = std::make_unique<chaos::Nemesis>(run.sim(), run.all_node_ids(), [&run] { return run.leader(); },
                                               chaos::NemesisLimits{});
  nemesis_->schedule(faults);
  run.on_heal = [nemesis = nemesis_.get()] { nemesis->stop(); };
}

void KvSwarm::report(ScenarioResult& r) const {
  for (const chaos::AppliedFault& a : nemesis_->applied()) {
    r.faults.push_back({a.start, a.end, std::string(chaos::kind_name(a.kind)), a.detail});
  }
  r.notes.push_back("swarm: " + swarm_.describe());
}

}  // namespace shoal::scenarios
