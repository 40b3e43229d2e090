// The CronJob controller (upstream's pkg/controller/cronjob, the v2 controller): creates a Job
// for each due schedule time of a CronJob.
//
// - Watches CronJobs and Jobs; keys are "namespace/name" of CronJobs (a Job event enqueues its
//   controlling CronJob), synced by `concurrent_cron_job_syncs` workers.
// - A Sync (upstream's sync + syncCronJob): finished Jobs beyond successfulJobsHistoryLimit /
//   failedJobsHistoryLimit are deleted oldest first (Background); status.active drops finished
//   (SawCompletedJob) and vanished (MissingJob) Jobs and notes unknown running ones
//   (UnexpectedJob); lastSuccessfulTime follows the newest completionTime. Then, unless the
//   CronJob is being deleted, suspended, or its schedule/timeZone is unusable (UnparseableSchedule,
//   InvalidSchedule, UnknownTimeZone), the most recent missed schedule time since
//   lastScheduleTime (or creation), within startingDeadlineSeconds (MissSchedule), is run:
//   Forbid skips while a Job is active (JobAlreadyActive), Replace deletes the active Jobs
//   first, and a Job "<cronjob>-<minutes since epoch>" is created (SuccessfulCreate; an
//   existing one of ours counts as created). More than 100 missed times: TooManyMissedTimes.
// - The key comes back at the next schedule time (+100 ms), measured on ctx.clock.
//
// Threading: see controller.h. Everything the factory receives must outlive the controller.
// Time zones are read from /usr/share/zoneinfo once per name and cached.
#pragma once

#include <memory>

#include "controller/controller.h"

namespace kubepp::controller {

// Makes the CronJob controller ("cronjob-controller"; alias "cronjob").
std::unique_ptr<Controller> NewCronJobController(const ControllerContext& ctx);

}  // namespace kubepp::controller
