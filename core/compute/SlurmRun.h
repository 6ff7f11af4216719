// A worker run as a Slurm batch job: submitted with sbatch (on this machine, or on the submit host through ssh),
// its state followed with scontrol, its rank 0 events streamed back, cancelled with scancel; and `targets test`.
#pragma once

#include "core/compute/Slurm.h"
#include "core/compute/Targets.h"
#include "core/compute/WorkerProcess.h"

#include <QJsonObject>

#include <atomic>
#include <functional>

namespace pw::compute::slurm {

/**
 * runWorkerOn() for a Slurm target. The inputs go to the workdir content-addressed (as for an SSH host: the
 * workdir is on the cluster's shared filesystem), the batch script (batchScript(), kept as runs/JOB/job.sbatch
 * and as an output) is submitted, and the job is followed until it ends: its events (rank 0's stdout) come as
 * they are written, and besides the worker's events these are reported:
 * slurm_submitted {job_id, cluster, partition, world_size, device, tags}, slurm_state {job_id, state, reason,
 * status, message, restarts, tags} on every change (PENDING with Slurm's reason, RUNNING, ...). `tags` are the
 * run's tags to set (slurm_job_id, slurm_cluster, slurm_partition, world_size, slurm_state, slurm_restart_count,
 * pipewright.status_message). The job's final state comes from sacct where the cluster keeps accounting, else from
 * scontrol or the jobcomp file; FAILED, TIMEOUT, OUT_OF_MEMORY, NODE_FAIL end the run FAILED saying so (and which
 * rank failed), CANCELLED ends it KILLED. `cancel` runs scancel. With job.attachOnly the job that runs/JOB names is
 * followed (its events from the start). A refused sbatch leaves started false and sbatch's message in error.
 */
WorkerExit runJob(const Target &target, const WorkerJob &job, const Shape &shape,
                  const std::function<void(const QJsonObject &)> &onEvent, const std::atomic<bool> *cancel = nullptr,
                  const std::function<void(qint64 pid)> &onStarted = {});

/**
 * `targets test` of a Slurm target: {"name", "url", "kind", "reachable", "cluster", "partitions": [{"name",
 * "default", "availability", "nodes", "idle", "allocated", "gres"}], "accounting", "worker", "torch", "cuda",
 * "devices", "backend" (gloo or nccl), "worker_checked_on" ("submit host"), "seconds"} and "error" when the
 * cluster cannot be reached, lacks the target's partition, account or QOS (naming the ones it has), or the worker
 * is missing.
 */
QJsonObject testCluster(const Target &target);

} // namespace pw::compute::slurm
