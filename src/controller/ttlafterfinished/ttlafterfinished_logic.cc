#include "controller/ttlafterfinished/ttlafterfinished_logic.h"

#include "controller/replicaset/replicaset_logic.h"

namespace kubepp::controller::ttlafterfinished {

namespace {

const api::JobCondition* FinishedCondition(const api::Job& job) {
  for (const auto& c : job.status.conditions) {
    if ((c.type == "Complete" || c.type == "Failed") && c.status == "True") return &c;
  }
  return nullptr;
}

}  // namespace

bool NeedsCleanup(const api::Job& job) {
  return job.spec.ttlSecondsAfterFinished.has_value() && FinishedCondition(job) != nullptr;
}

Result<Clock::WallTime> FinishTime(const api::Job& job) {
  const auto* cond = FinishedCondition(job);
  if (cond == nullptr) return Status::Invalid("unable to find the status of the finished Job");
  auto t = replicaset::ParseTime(cond->lastTransitionTime);
  if (!t) t = replicaset::ParseTime(job.status.completionTime);
  if (!t) {
    return Status::Invalid("unable to find the time when the Job " + job.metadata.namespace_ + "/" +
                           job.metadata.name + " finished");
  }
  return *t;
}

Result<Clock::Duration> TimeLeft(const api::Job& job, Clock::WallTime now) {
  if (!job.spec.ttlSecondsAfterFinished) {
    return Status::Invalid("job " + job.metadata.name + " has no ttlSecondsAfterFinished");
  }
  auto finished = FinishTime(job);
  if (!finished.IsOk()) return finished.status();
  const auto expire = *finished + std::chrono::seconds(*job.spec.ttlSecondsAfterFinished);
  return std::chrono::duration_cast<Clock::Duration>(expire - now);
}

}  // namespace kubepp::controller::ttlafterfinished
