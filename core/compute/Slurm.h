// Slurm's side of a run, as pure functions: the batch script Pipewright submits and what squeue, scontrol, sacct,
// the jobcomp file, sinfo and srun say, parsed and put into words. SlurmRun.cpp runs the commands.
#pragma once

#include "core/compute/Targets.h"

#include <QByteArray>
#include <QString>
#include <QStringList>

#include <vector>

namespace pw::compute::slurm {

/** How many workers a job starts: nodes x processes per node ranks (one per GPU, typically). */
struct Shape
{
    int nodes = 1;
    int processesPerNode = 1;
    int ranks() const { return nodes * processesPerNode; }
};

/** One batch job of a run. */
struct BatchJob
{
    QString jobName; // sbatch --job-name
    QString jobDir; // absolute, on the cluster's shared filesystem: the job's files go there
    QStringList workerArgv; // the worker program and its arguments (paths on the cluster)
    Shape shape;
    QString checkpoint; // a file name in jobDir: when it exists the worker gets --resume (empty: never)
};

/** The exit code with which the worker asks to be requeued (it checkpointed on SIGUSR1). */
inline constexpr int kRequeueExitCode = 4;

/**
 * The batch script: #SBATCH lines (job name, partition, account, qos, time, nodes, ntasks-per-node, and only the
 * --mem, --cpus-per-task and --gpus-per-node that were given, each --sbatch-arg, --signal=USR1@120,
 * --open-mode=append, --requeue, the output file), RANK/WORLD_SIZE/LOCAL_RANK/MASTER_ADDR/MASTER_PORT from Slurm's
 * variables, `srun --kill-on-bad-exit=1` with one worker per task (rank R's stdout is events.R.jsonl, its stderr
 * worker.R.log), --resume when the checkpoint exists, and `scontrol requeue` when the worker exits with
 * kRequeueExitCode. Every value is quoted for the shell.
 */
QString batchScript(const SlurmOptions &options, const BatchJob &job);

/** A job's state as Slurm reports it. */
struct JobState
{
    bool known = false; // false: nothing could be parsed
    QString jobId;
    QString state; // PENDING, RUNNING, COMPLETED, FAILED, CANCELLED, TIMEOUT, NODE_FAIL, OUT_OF_MEMORY, ...
    QString reason; // why it waits (Resources, Priority, BeginTime, ...) or failed; "None" becomes empty
    QString partition;
    QString nodes;
    int exitCode = 0; // of the batch script
    int signal = 0; // that ended the batch script
    int restarts = 0; // requeues so far (SLURM_RESTART_COUNT)
};

/** `scontrol show job -o ID` (one line of Key=Value pairs). */
JobState parseScontrolJob(const QByteArray &line);
/** `sacct -n -P -X -o JobID,State,ExitCode,Reason,Partition` (the first line). "CANCELLED by 0" is CANCELLED. */
JobState parseSacct(const QByteArray &line);
/** The last line of a jobcomp/filetxt file for `jobId` (JobId=… JobState=… ExitCode=…). */
JobState parseJobComp(const QByteArray &text, const QString &jobId);

/** True for a state the job does not leave (it ended). */
bool isFinal(const QString &state);
/** The run's status for a job state: PENDING, RUNNING, FINISHED, FAILED or KILLED. */
QString runStatus(const QString &state);
/** What a final state means, in words ("the job reached its time limit (--time 00:01:00)"). */
QString describeEnd(const JobState &state, const SlurmOptions &options);
/** "queued on debug: Resources (the nodes are busy)". */
QString queuedMessage(const JobState &state);

/**
 * The failed ranks from srun's messages in the job's output ("srun: error: node1: task 1: Killed"):
 * "rank 1 on node1 was killed", "rank 0 on node1 exited with code 2", joined; empty when srun named none.
 */
QString failedRanks(const QByteArray &srunOutput);

/** The job id from `sbatch --parsable` ("123" or "123;cluster"); empty when there is none. */
QString parseSubmittedJobId(const QByteArray &out);

/** A partition from sinfo. */
struct Partition
{
    QString name;
    bool isDefault = false;
    QString availability; // up, down, drain, inact
    int nodes = 0;
    int idle = 0; // nodes idle
    int allocated = 0; // nodes allocated, mixed or completing
    QString gres; // e.g. gpu:4, or empty
};

/** `sinfo -h -o '%P|%a|%D|%T|%G'`: one line per partition and node state, folded into partitions. */
std::vector<Partition> parseSinfo(const QByteArray &text);

} // namespace pw::compute::slurm
