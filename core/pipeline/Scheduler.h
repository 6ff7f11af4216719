// The in-process scheduler (used by `pipewright scheduler` and by the workbench while it is open): fires the
// schedules of the workspace's pipelines at their Quartz/cron times, and their file-arrival triggers when new
// image files land in a watched folder (inotify through QFileSystemWatcher, debounced, never twice for a file).
#pragma once

#include "core/pipeline/Executor.h"
#include "core/pipeline/Pipeline.h"

#include <QDateTime>
#include <QFileSystemWatcher>
#include <QObject>
#include <QTimer>

#include <atomic>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace pw::store {
class Workspace;
}

namespace pw::pipeline {

/** The image files under `dir` (recursively; the ingest extensions), as (path, size, mtime_ns). */
struct FileFact
{
    std::string path;
    std::int64_t size = 0;
    std::int64_t mtimeNs = 0;
};
std::vector<FileFact> imageFilesUnder(const std::string &dir);

/**
 * Files under a trigger's folder not yet handed to a run of `pipeline` (new paths, or changed size or mtime).
 */
std::vector<FileFact> untakenFiles(store::Database &db, const std::string &pipeline, const std::string &dir);
/** Records `files` as taken by run `runId` of `pipeline`. */
void markFilesTaken(store::Database &db, const std::string &pipeline, const std::vector<FileFact> &files,
                    std::int64_t runId);

class Scheduler : public QObject
{
    Q_OBJECT
public:
    /** Watches the pipeline files of `pipelinesDir` (default: the workspace's pipelines/ folder). */
    explicit Scheduler(const store::Workspace &ws, std::string pipelinesDir = {}, QObject *parent = nullptr);
    ~Scheduler() override;

    /** Loads the pipelines and arms their schedules and triggers; re-reads the folder when it changes. */
    void start();
    /** Stops arming new runs; running ones are asked to cancel when `cancelRunning`. Waits for them. */
    void stop(bool cancelRunning);
    /** Runs in progress. */
    int activeRuns() const;
    /** The next fire time of each scheduled, unpaused pipeline (by name). */
    std::map<std::string, QDateTime> nextFires() const;
    /** The folder of pipeline files it watches. */
    const std::string &folder() const { return m_dir; }
    /** What it watches for one pipeline file it loaded. */
    struct Watched
    {
        std::string file;
        std::string pipeline;
        std::optional<ScheduleSpec> schedule;
        QDateTime nextFire; // invalid when paused, unscheduled or never again
        std::string arrivalPath; // the file-arrival trigger's folder, or empty
    };
    /** Every pipeline file it loaded, in file order (files that do not validate are left out: see message()). */
    std::vector<Watched> watched() const;
    /** Extra options for every run (e.g. the CLI path); set before start(). */
    void setRunOptions(const RunOptions &base) { m_base = base; }

signals:
    void runStarted(qint64 runId, const QString &pipeline, const QString &trigger);
    void runFinished(qint64 runId, const QString &pipeline, const QString &result);
    /** A line for the user: what was loaded, fired, skipped, or could not be read. */
    void message(const QString &text);

private:
    struct Entry
    {
        std::string file;
        Pipeline pipeline;
        QDateTime lastModified;
        std::unique_ptr<QTimer> timer; // next schedule fire
        QDateTime nextFire;
        std::unique_ptr<QTimer> debounce; // file arrival
        QDateTime lastTrigger;
        std::vector<std::string> watched;
        std::set<std::string> inFlight; // files handed to a run that has not recorded them yet
    };

    void reload();
    void arm(Entry &e);
    void fire(const std::string &file, const std::string &trigger, const std::vector<FileFact> &files);
    void checkArrivals(const std::string &file);
    void watchTree(Entry &e);

    const store::Workspace &m_ws;
    std::string m_dir;
    RunOptions m_base;
    std::map<std::string, std::unique_ptr<Entry>> m_entries; // by file
    QFileSystemWatcher m_watcher;
    QTimer m_rescan;
    std::atomic<bool> m_cancel{false};
    std::atomic<int> m_active{0};
    std::vector<std::unique_ptr<QObject>> m_threads;
    bool m_stopped = false;
};

} // namespace pw::pipeline
