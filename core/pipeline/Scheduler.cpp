// The scheduler: timers for schedules, QFileSystemWatcher for file-arrival triggers, runs on their own threads.
#include "core/pipeline/Scheduler.h"

#include "core/catalog/Catalog.h"
#include "core/pipeline/Schedule.h"
#include "core/store/Database.h"
#include "core/store/Workspace.h"

#include <QDir>
#include <QDirIterator>
#include <QFileInfo>
#include <QThread>

#include <algorithm>
#include <cctype>

namespace pw::pipeline {

namespace {

constexpr int kDebounceMillis = 1500; // files still being copied settle first
constexpr qint64 kMaxTimerMillis = 24LL * 3600 * 1000; // re-arm at least daily

bool isImageFile(const QString &name)
{
    static const QStringList exts = {"png", "jpg", "jpeg", "bmp", "tif", "tiff", "webp"};
    return exts.contains(QFileInfo(name).suffix().toLower());
}

QString qs(const std::string &s)
{
    return QString::fromStdString(s);
}

} // namespace

std::vector<FileFact> imageFilesUnder(const std::string &dir)
{
    std::vector<FileFact> out;
    QDirIterator it(qs(dir), QDir::Files | QDir::NoDotAndDotDot, QDirIterator::Subdirectories);
    while (it.hasNext()) {
        it.next();
        const QFileInfo fi = it.fileInfo();
        if (fi.fileName().startsWith('.') || !isImageFile(fi.fileName()))
            continue;
        out.push_back(
            {fi.absoluteFilePath().toStdString(), fi.size(), fi.lastModified().toMSecsSinceEpoch() * 1000000LL});
    }
    std::sort(out.begin(), out.end(), [](const FileFact &a, const FileFact &b) { return a.path < b.path; });
    return out;
}

std::vector<FileFact> untakenFiles(store::Database &db, const std::string &pipeline, const std::string &dir)
{
    std::map<std::string, std::pair<std::int64_t, std::int64_t>> taken;
    store::Statement st(db, "SELECT path, size, mtime_ns FROM pipeline_trigger_files WHERE pipeline = ?1");
    st.bind(1, pipeline);
    while (st.step())
        taken[st.text(0)] = {st.int64(1), st.int64(2)};
    std::vector<FileFact> out;
    for (FileFact &f : imageFilesUnder(dir)) {
        const auto it = taken.find(f.path);
        if (it == taken.end() || it->second != std::make_pair(f.size, f.mtimeNs))
            out.push_back(std::move(f));
    }
    return out;
}

void markFilesTaken(store::Database &db, const std::string &pipeline, const std::vector<FileFact> &files,
                    std::int64_t runId)
{
    store::Transaction tx(db);
    store::Statement st(db, "INSERT INTO pipeline_trigger_files (pipeline, path, size, mtime_ns, run_id) VALUES "
                            "(?1, ?2, ?3, ?4, ?5) ON CONFLICT(pipeline, path) DO UPDATE SET size = excluded.size, "
                            "mtime_ns = excluded.mtime_ns, run_id = excluded.run_id");
    for (const FileFact &f : files) {
        st.bind(1, pipeline).bind(2, f.path).bind(3, f.size).bind(4, f.mtimeNs).bind(5, runId);
        st.exec();
    }
    tx.commit();
}

Scheduler::Scheduler(const store::Workspace &ws, std::string pipelinesDir, QObject *parent)
    : QObject(parent)
    , m_ws(ws)
    , m_dir(pipelinesDir.empty() ? ws.pipelinesDir() : std::move(pipelinesDir))
{
    connect(&m_watcher, &QFileSystemWatcher::directoryChanged, this, [this](const QString &path) {
        if (path.toStdString() == m_dir) {
            reload();
            return;
        }
        for (auto &[file, e] : m_entries) {
            if (e->pipeline.fileArrival
                && (path.toStdString() == e->pipeline.fileArrival->path
                    || path.startsWith(qs(e->pipeline.fileArrival->path) + "/")))
                e->debounce->start(kDebounceMillis);
        }
    });
    connect(&m_watcher, &QFileSystemWatcher::fileChanged, this, [this] { reload(); });
    // Edits that replace a file (rename over it) are not always seen by the watcher: look again now and then.
    m_rescan.setInterval(10000);
    connect(&m_rescan, &QTimer::timeout, this, [this] { reload(); });
}

Scheduler::~Scheduler()
{
    stop(true);
}

int Scheduler::activeRuns() const
{
    return m_active.load();
}

std::map<std::string, QDateTime> Scheduler::nextFires() const
{
    std::map<std::string, QDateTime> out;
    for (const auto &[file, e] : m_entries) {
        if (e->nextFire.isValid())
            out[e->pipeline.name] = e->nextFire;
    }
    return out;
}

std::vector<Scheduler::Watched> Scheduler::watched() const
{
    std::vector<Watched> out;
    for (const auto &[file, e] : m_entries)
        out.push_back({file, e->pipeline.name, e->pipeline.schedule, e->nextFire,
                       e->pipeline.fileArrival ? e->pipeline.fileArrival->path : std::string()});
    return out;
}

void Scheduler::start()
{
    m_stopped = false;
    QDir().mkpath(qs(m_dir));
    m_watcher.addPath(qs(m_dir));
    m_rescan.start();
    reload();
}

void Scheduler::stop(bool cancelRunning)
{
    m_stopped = true;
    m_rescan.stop();
    for (auto &[file, e] : m_entries) {
        if (e->timer)
            e->timer->stop();
        if (e->debounce)
            e->debounce->stop();
    }
    if (cancelRunning)
        m_cancel.store(true);
    for (auto &t : m_threads) {
        auto *thread = static_cast<QThread *>(t.get());
        thread->wait();
    }
    m_threads.clear();
}

void Scheduler::reload()
{
    if (m_stopped)
        return;
    std::set<std::string> seen;
    const QFileInfoList files = QDir(qs(m_dir)).entryInfoList({"*.json"}, QDir::Files, QDir::Name);
    for (const QFileInfo &fi : files) {
        const std::string file = fi.absoluteFilePath().toStdString();
        seen.insert(file);
        auto it = m_entries.find(file);
        if (it != m_entries.end() && it->second->lastModified == fi.lastModified())
            continue;
        std::vector<ValidationError> errors;
        Pipeline p = loadPipeline(file, errors);
        for (auto &e : validate(p))
            errors.push_back(std::move(e));
        if (!errors.empty()) {
            emit message(QString("%1: not scheduled, %2 error(s); the first: %3")
                             .arg(fi.fileName())
                             .arg(errors.size())
                             .arg(qs(errorText(errors.front()))));
            m_entries.erase(file);
            continue;
        }
        auto entry = std::make_unique<Entry>();
        entry->file = file;
        entry->pipeline = std::move(p);
        entry->lastModified = fi.lastModified();
        entry->timer = std::make_unique<QTimer>();
        entry->timer->setSingleShot(true);
        entry->debounce = std::make_unique<QTimer>();
        entry->debounce->setSingleShot(true);
        connect(entry->timer.get(), &QTimer::timeout, this, [this, file] {
            auto found = m_entries.find(file);
            if (found == m_entries.end() || m_stopped)
                return;
            Entry &e = *found->second;
            if (e.nextFire.isValid() && QDateTime::currentDateTimeUtc().msecsTo(e.nextFire) <= 5) {
                const QDateTime due = e.nextFire;
                {
                    auto db = m_ws.openCatalog();
                    store::Statement st(*db,
                                        "INSERT INTO pipeline_schedule_state (pipeline, last_fire) VALUES (?1, ?2) "
                                        "ON CONFLICT(pipeline) DO UPDATE SET last_fire = excluded.last_fire");
                    st.bind(1, e.pipeline.name).bind(2, due.toUTC().toString(Qt::ISODateWithMs).toStdString());
                    st.exec();
                }
                emit message(
                    QString("%1: schedule fired (due %2)").arg(qs(e.pipeline.name), due.toString(Qt::ISODateWithMs)));
                fire(file, "schedule", {});
            }
            arm(e);
        });
        connect(entry->debounce.get(), &QTimer::timeout, this, [this, file] { checkArrivals(file); });
        Entry &e = *entry;
        m_entries[file] = std::move(entry);
        emit message(QString("%1: loaded pipeline '%2'").arg(fi.fileName(), qs(e.pipeline.name)));
        arm(e);
        if (e.pipeline.fileArrival) {
            watchTree(e);
            checkArrivals(file); // files that arrived while nobody watched
        }
    }
    for (auto it = m_entries.begin(); it != m_entries.end();) {
        if (!seen.count(it->first)) {
            emit message(QString("%1: removed").arg(qs(it->first)));
            it = m_entries.erase(it);
        } else {
            ++it;
        }
    }
}

void Scheduler::arm(Entry &e)
{
    e.timer->stop();
    e.nextFire = {};
    const auto &s = e.pipeline.schedule;
    if (!s || s->paused || m_stopped)
        return;
    try {
        const CronExpression expr = parseCron(s->expression, s->quartz);
        const QTimeZone tz = timeZone(s->timezone);
        QDateTime after = QDateTime::currentDateTimeUtc();
        {
            auto db = m_ws.openCatalog();
            store::Statement st(*db, "SELECT last_fire FROM pipeline_schedule_state WHERE pipeline = ?1");
            st.bind(1, e.pipeline.name);
            if (st.step()) {
                const QDateTime last = QDateTime::fromString(qs(st.text(0)), Qt::ISODateWithMs);
                if (last.isValid() && last > after)
                    after = last;
            }
        }
        const auto next = nextFireTime(expr, after, tz);
        if (!next)
            return;
        e.nextFire = *next;
        const qint64 ms = std::clamp<qint64>(QDateTime::currentDateTimeUtc().msecsTo(*next), 0, kMaxTimerMillis);
        e.timer->setTimerType(Qt::PreciseTimer);
        e.timer->start(int(ms));
    } catch (const std::exception &ex) {
        emit message(QString("%1: schedule not armed: %2").arg(qs(e.pipeline.name), ex.what()));
    }
}

void Scheduler::watchTree(Entry &e)
{
    const QString root = qs(e.pipeline.fileArrival->path);
    if (!QFileInfo(root).isDir()) {
        emit message(QString("%1: the file-arrival folder '%2' does not exist (yet)").arg(qs(e.pipeline.name), root));
        return;
    }
    QStringList dirs{root};
    QDirIterator it(root, QDir::Dirs | QDir::NoDotAndDotDot, QDirIterator::Subdirectories);
    while (it.hasNext() && dirs.size() < 10000)
        dirs << it.next();
    for (const QString &d : dirs) {
        if (!m_watcher.directories().contains(d))
            m_watcher.addPath(d);
    }
}

void Scheduler::checkArrivals(const std::string &file)
{
    auto found = m_entries.find(file);
    if (found == m_entries.end() || m_stopped)
        return;
    Entry &e = *found->second;
    if (!e.pipeline.fileArrival)
        return;
    watchTree(e); // new subfolders
    const qint64 minGap = qint64(e.pipeline.fileArrival->minSecondsBetweenTriggers) * 1000;
    if (e.lastTrigger.isValid()) {
        const qint64 since = e.lastTrigger.msecsTo(QDateTime::currentDateTimeUtc());
        if (since < minGap) {
            e.debounce->start(int(minGap - since));
            return;
        }
    }
    auto db = m_ws.openCatalog();
    std::vector<FileFact> files;
    for (FileFact &f : untakenFiles(*db, e.pipeline.name, e.pipeline.fileArrival->path)) {
        if (!e.inFlight.count(f.path))
            files.push_back(std::move(f));
    }
    if (files.empty())
        return;
    e.lastTrigger = QDateTime::currentDateTimeUtc();
    emit message(QString("%1: %2 new file(s) in %3")
                     .arg(qs(e.pipeline.name))
                     .arg(files.size())
                     .arg(qs(e.pipeline.fileArrival->path)));
    fire(file, "file_arrival", files);
}

void Scheduler::fire(const std::string &file, const std::string &trigger, const std::vector<FileFact> &files)
{
    auto found = m_entries.find(file);
    if (found == m_entries.end())
        return;
    const Pipeline p = found->second->pipeline; // the run keeps the pipeline as it was when it started
    for (const FileFact &f : files)
        found->second->inFlight.insert(f.path);
    RunOptions o = m_base;
    o.trigger = trigger;
    o.file = file;
    const std::string name = p.name;
    const bool arrival = trigger == "file_arrival";
    o.onRunCreated = [this, name, files, trigger](std::int64_t runId) {
        if (!files.empty()) {
            auto db = m_ws.openCatalog();
            markFilesTaken(*db, name, files, runId);
        }
        emit runStarted(runId, qs(name), qs(trigger));
    };
    ++m_active;
    QThread *thread = QThread::create([this, p, o, name, file, arrival, files] {
        try {
            const RunInfo r = runPipeline(m_ws, p, o, {}, &m_cancel);
            if (r.lifeCycle == "SKIPPED")
                emit message(qs(name + ": run skipped: " + r.message));
            emit runFinished(qint64(r.runId), qs(name), qs(r.result));
        } catch (const std::exception &e) {
            emit message(qs(name + ": the run could not start: " + e.what()));
        }
        --m_active;
        if (arrival) { // files that came while it ran (or a skipped run's files) are looked at again
            std::vector<std::string> paths;
            for (const FileFact &f : files)
                paths.push_back(f.path);
            QMetaObject::invokeMethod(
                this,
                [this, file, paths] {
                    if (auto it = m_entries.find(file); it != m_entries.end()) {
                        for (const auto &path : paths)
                            it->second->inFlight.erase(path);
                    }
                    checkArrivals(file);
                },
                Qt::QueuedConnection);
        }
    });
    m_threads.emplace_back(thread);
    thread->start();
    // Forget finished threads now and then.
    m_threads.erase(
        std::remove_if(m_threads.begin(), m_threads.end(),
                       [](const std::unique_ptr<QObject> &t) { return static_cast<QThread *>(t.get())->isFinished(); }),
        m_threads.end());
}

} // namespace pw::pipeline
