// The workspace: the folder a user opens, holding catalog.db, thumbnails.db, artifacts/, shards/, ...
#pragma once

#include <memory>
#include <string>

namespace pw::store {

class Database;

/** Paths of one workspace folder; open() creates the folder layout and brings both databases up to date. */
class Workspace
{
public:
    /** Opens the workspace at `root`, creating the folder and its databases when missing. */
    static Workspace open(const std::string &root);
    /** The default workspace: $PIPEWRIGHT_WORKSPACE, else $XDG_DATA_HOME/pipewright/default. */
    static std::string defaultRoot();

    const std::string &root() const { return m_root; }
    std::string catalogPath() const { return m_root + "/catalog.db"; }
    std::string thumbnailsPath() const { return m_root + "/thumbnails.db"; }
    std::string artifactsDir() const { return m_root + "/artifacts"; }
    std::string shardsDir() const { return m_root + "/shards"; }
    std::string pipelinesDir() const { return m_root + "/pipelines"; }
    std::string logsDir() const { return m_root + "/logs"; }
    std::string writerLockPath() const { return m_root + "/.writer.lock"; }

    /** A new connection to catalog.db (one per thread). */
    std::unique_ptr<Database> openCatalog() const;
    /** A new connection to thumbnails.db (one per thread). */
    std::unique_ptr<Database> openThumbnails() const;

private:
    explicit Workspace(std::string root)
        : m_root(std::move(root))
    {
    }
    std::string m_root;
};

/**
 * An exclusive lock on the workspace for one writing operation (an ingest, a merge): held with
 * flock(2), so a crashed or killed holder releases it. The constructor waits for another holder.
 */
class WriterLock
{
public:
    explicit WriterLock(const Workspace &ws);
    ~WriterLock();
    WriterLock(const WriterLock &) = delete;
    WriterLock &operator=(const WriterLock &) = delete;

private:
    int m_fd = -1;
};

} // namespace pw::store
