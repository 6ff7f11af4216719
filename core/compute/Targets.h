// Compute targets: where a worker runs. "local" is always there; SSH hosts are kept in the workspace.
#pragma once

#include <QJsonObject>

#include <stdexcept>
#include <string>
#include <vector>

namespace pw::store {
class Database;
class Workspace;
} // namespace pw::store

namespace pw::compute {

/**
 * What a Slurm target asks of sbatch. Empty strings and zeros are not written into the batch script, so that the
 * cluster's defaults hold.
 */
struct SlurmOptions
{
    std::string partition;
    std::string account;
    std::string qos;
    std::string time; // a time limit as sbatch takes it: MM, MM:SS, HH:MM:SS, D-HH, D-HH:MM, D-HH:MM:SS
    int gpusPerNode = 0;
    int cpusPerTask = 0;
    std::string mem; // per node: 4000, 4000M, 4G, 1T
    std::vector<std::string> sbatchArgs; // each written as one more #SBATCH line
};

/**
 * A place pipewright-worker runs: this machine, a host reached with the system's OpenSSH client, or a Slurm
 * cluster (its submit host reached with ssh, or this machine when it is a submit host itself).
 */
struct Target
{
    std::string name = "local";
    std::string kind = "local"; // local | ssh | slurm
    std::string user; // empty: ssh's own choice (~/.ssh/config, then the login name)
    std::string host;
    int port = 0; // 0: ssh's own choice (~/.ssh/config, then 22)
    std::string workdir; // on the host: shards/, blobs/ and runs/ live under it
    std::string worker = "pipewright-worker"; // the worker program on the host (a path or a name on its PATH)
    std::string identity; // a private key file for ssh -i (empty: the user's keys and agent)
    std::string createdAt;
    SlurmOptions slurm; // kind "slurm" only

    bool isLocal() const { return kind == "local"; }
    bool isSlurm() const { return kind == "slurm"; }
    /** True when the target's commands run on this machine without ssh: "local", and slurm: or slurm://localhost. */
    bool runsHere() const { return isLocal() || (isSlurm() && (host.empty() || host == "localhost") && user.empty()); }
    /** ssh://USER@HOST[:PORT], slurm://USER@HOST[:PORT], slurm: (or "local"). */
    std::string url() const;
    /** USER@HOST or HOST: the destination argument of ssh. */
    std::string destination() const;
};

/** The always-present local target. */
Target localTarget();

/**
 * A target field that cannot be taken: which one (`field`: name, url, workdir, worker, identity, partition,
 * account, qos, time, mem, gpus_per_node, cpus_per_task, sbatch_arg), the value given and the problem. what() names
 * the field in words ("time limit '2h': give …"); the CLI names its option, a dialog its field.
 */
class TargetFieldError : public std::invalid_argument
{
public:
    TargetFieldError(std::string field, std::string value, std::string problem);
    const std::string &field() const noexcept { return m_field; }
    const std::string &value() const noexcept { return m_value; }
    const std::string &problem() const noexcept { return m_problem; }
    /** "SUBJECT 'VALUE': PROBLEM" (or "SUBJECT 'VALUE' is …" when the problem starts with "is "). */
    std::string describe(const std::string &subject) const;

private:
    std::string m_field, m_value, m_problem;
};

/**
 * A target from `targets add` arguments. Throws TargetFieldError naming what is wrong: a name that is
 * not [A-Za-z0-9_.-]+ or is "local", a URL that is not ssh://[USER@]HOST[:PORT], a port outside 1..65535, an
 * empty or relative workdir.
 */
Target makeSshTarget(const std::string &name, const std::string &url, const std::string &workdir,
                     const std::string &worker = {}, const std::string &identity = {});

/**
 * A Slurm target from `targets add NAME slurm://[USER@]HOST[:PORT] …` arguments (slurm: or slurm://localhost: this
 * machine submits with its own sbatch). Throws TargetFieldError naming the field at fault: a time limit sbatch
 * would not take, a count that is not a positive whole number, a memory size that is not N[K|M|G|T], a partition,
 * account or QOS name with characters Slurm names do not have, an --sbatch-arg that is not --OPTION[=VALUE], and
 * a workdir with characters that a batch script's #SBATCH line cannot carry.
 */
Target makeSlurmTarget(const std::string &name, const std::string &url, const std::string &workdir,
                       const std::string &worker, const std::string &identity, const SlurmOptions &options);

/** The target from `targets add` arguments: makeSlurmTarget for slurm: URLs, else makeSshTarget. */
Target makeTarget(const std::string &name, const std::string &url, const std::string &workdir,
                  const std::string &worker, const std::string &identity, const SlurmOptions &options = {});

/** Every target of the workspace: "local" first, then the SSH hosts and Slurm clusters by name. */
std::vector<Target> listTargets(store::Database &db);
/** Their names ("local" first): what a task's or a run's target may be. */
std::vector<std::string> targetNames(store::Database &db);
/** One target by name. Throws std::invalid_argument naming the known targets when there is none. */
Target findTarget(store::Database &db, const std::string &name);
/** Stores a target. Throws std::invalid_argument when the name is taken. */
void addTarget(store::Database &db, const Target &target);
/** Removes a target. Throws std::invalid_argument for "local" or an unknown name. */
void removeTarget(store::Database &db, const std::string &name);

/**
 * Connects to the target and runs `pipewright-worker info` there: {"name", "reachable", "worker", "torch",
 * "cuda", "devices": [...], "seconds"} plus "error" (what went wrong, in words) when it is not reachable or
 * the worker is missing. Never throws for a network problem: it is reported.
 */
QJsonObject testTarget(const Target &target);

/** The target as JSON for `targets list` (a Slurm target with "slurm": {"partition", …}). */
QJsonObject targetJson(const Target &target);

/** The Slurm options as stored and listed: only what was given. */
QJsonObject slurmOptionsJson(const SlurmOptions &options);
/** The options back from slurmOptionsJson (validated as makeSlurmTarget does). */
SlurmOptions slurmOptionsFromJson(const QJsonObject &json);

} // namespace pw::compute
