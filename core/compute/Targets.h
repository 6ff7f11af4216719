// Compute targets: where a worker runs. "local" is always there; SSH hosts are kept in the workspace.
#pragma once

#include <QJsonObject>

#include <string>
#include <vector>

namespace pw::store {
class Database;
class Workspace;
} // namespace pw::store

namespace pw::compute {

/** A place pipewright-worker runs: this machine, or a host reached with the system's OpenSSH client. */
struct Target
{
    std::string name = "local";
    std::string kind = "local"; // local | ssh
    std::string user; // empty: ssh's own choice (~/.ssh/config, then the login name)
    std::string host;
    int port = 0; // 0: ssh's own choice (~/.ssh/config, then 22)
    std::string workdir; // on the host: shards/, blobs/ and runs/ live under it
    std::string worker = "pipewright-worker"; // the worker program on the host (a path or a name on its PATH)
    std::string identity; // a private key file for ssh -i (empty: the user's keys and agent)
    std::string createdAt;

    bool isLocal() const { return kind == "local"; }
    /** ssh://USER@HOST[:PORT] (or "local"). */
    std::string url() const;
    /** USER@HOST or HOST: the destination argument of ssh. */
    std::string destination() const;
};

/** The always-present local target. */
Target localTarget();

/**
 * A target from `targets add` arguments. Throws std::invalid_argument naming what is wrong: a name that is
 * not [A-Za-z0-9_.-]+ or is "local", a URL that is not ssh://[USER@]HOST[:PORT], a port outside 1..65535, an
 * empty or relative workdir.
 */
Target makeSshTarget(const std::string &name, const std::string &url, const std::string &workdir,
                     const std::string &worker = {}, const std::string &identity = {});

/** Every target of the workspace: "local" first, then the SSH hosts by name. */
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

/** The target as JSON for `targets list`. */
QJsonObject targetJson(const Target &target);

} // namespace pw::compute
