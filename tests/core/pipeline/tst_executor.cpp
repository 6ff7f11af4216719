// Tests of the local pipeline executor (core/pipeline/Executor.h) on a temporary workspace, with shell tasks
// only: dependency order and parallelism, retries, timeouts that end the whole process tree, the run_if matrix,
// upstream failures, cancel (in process and through the catalog), repair, max_concurrent_runs, parameter values
// that stay literal, outputs and partial runs, bounded logs, the run JSON and invalid input. Pipelines are
// written as pipeline-file JSON and read with parsePipeline(); values reach the scripts only as argv elements.
#include "core/pipeline/Executor.h"
#include "core/pipeline/Pipeline.h"
#include "core/store/Database.h"
#include "core/store/Workspace.h"

#include <QDateTime>
#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QRegularExpression>
#include <QStringList>
#include <QTemporaryDir>
#include <QTest>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdint>
#include <functional>
#include <limits>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <signal.h>
#include <sys/types.h>

using namespace pw;
using pipeline::Pipeline;
using pipeline::RunInfo;
using pipeline::RunOptions;
using pipeline::TaskRunInfo;

namespace {

QString qs(const std::string &s)
{
    return QString::fromStdString(s);
}

/** A JSON value as its compact text: a string quoted and escaped, a number or a boolean as is. */
QByteArray jsonText(const QJsonValue &v)
{
    return QJsonDocument(QJsonArray{v}).toJson(QJsonDocument::Compact).mid(1).chopped(1);
}

/**
 * Reads pipeline-file JSON into `p`, each @NAME@ in it replaced by values[NAME] written as JSON (so scripts and
 * paths need no hand escaping). Returns the parse and validation errors as text: empty for a valid pipeline.
 */
QString parseInto(QByteArray json, const std::map<QByteArray, QJsonValue> &values, Pipeline &p)
{
    for (const auto &[name, value] : values)
        json.replace("@" + name + "@", jsonText(value));
    std::vector<pipeline::ValidationError> errors;
    p = pipeline::parsePipeline(json, errors);
    if (errors.empty())
        errors = pipeline::validate(p);
    QStringList text;
    for (const auto &e : errors)
        text << qs(e.taskKey + " " + e.field + ": " + e.message);
    return text.join('\n');
}

QByteArray readFile(const QString &path)
{
    QFile f(path);
    return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray("<cannot read " + path.toUtf8() + ">");
}

QStringList linesOf(const QString &path)
{
    return QString::fromUtf8(readFile(path)).split('\n', Qt::SkipEmptyParts);
}

void touch(const QString &path)
{
    QFile f(path);
    f.open(QIODevice::WriteOnly);
}

/** The task `key` of a run; one with life cycle "<no such task>" when the run has none. */
TaskRunInfo taskOf(const RunInfo &run, const std::string &key)
{
    for (const TaskRunInfo &t : run.tasks) {
        if (t.key == key)
            return t;
    }
    TaskRunInfo missing;
    missing.key = key;
    missing.lifeCycle = "<no such task>";
    return missing;
}

/** "LIFE_CYCLE/RESULT" of a task, or of the run itself. */
QString stateOf(const RunInfo &run, const std::string &key)
{
    const TaskRunInfo t = taskOf(run, key);
    return qs(t.lifeCycle + "/" + t.result);
}

QString stateOf(const RunInfo &run)
{
    return qs(run.lifeCycle + "/" + run.result);
}

/** Milliseconds from one recorded ISO time to another; the lowest qint64 when either does not parse. */
qint64 msBetween(const std::string &from, const std::string &to)
{
    const QDateTime a = QDateTime::fromString(qs(from), Qt::ISODateWithMs);
    const QDateTime b = QDateTime::fromString(qs(to), Qt::ISODateWithMs);
    return a.isValid() && b.isValid() ? a.msecsTo(b) : std::numeric_limits<qint64>::min();
}

/** The message of the std::runtime_error `f` throws, or "<no error>". */
QString errorOf(const std::function<void()> &f)
{
    try {
        f();
    } catch (const std::runtime_error &e) {
        return QString::fromUtf8(e.what());
    }
    return QStringLiteral("<no error>");
}

std::vector<pid_t> readPids(const QString &path)
{
    std::vector<pid_t> pids;
    for (const QString &line : linesOf(path))
        pids.push_back(pid_t(line.trimmed().toInt()));
    return pids;
}

/** Whether `pid` has ended: no such process, or a zombie (ended, waiting only for init to reap it). */
bool processGone(pid_t pid)
{
    if (::kill(pid, 0) != 0 && errno == ESRCH)
        return true;
    QFile stat(QStringLiteral("/proc/%1/stat").arg(pid));
    if (!stat.open(QIODevice::ReadOnly))
        return ::kill(pid, 0) != 0 && errno == ESRCH;
    const QByteArray text = stat.readAll();
    const qsizetype close = text.lastIndexOf(')'); // "pid (comm) S ...": the state follows the command name
    return close >= 0 && text.size() > close + 2 && text.at(close + 2) == 'Z';
}

/** Whether every pid (at least one) is gone within `waitMs`. */
bool allGone(const std::vector<pid_t> &pids, int waitMs)
{
    if (pids.empty())
        return false;
    QElapsedTimer timer;
    timer.start();
    while (!std::all_of(pids.begin(), pids.end(), processGone)) {
        if (timer.elapsed() > waitMs)
            return false;
        QTest::qSleep(50);
    }
    return true;
}

struct Interval
{
    qint64 start = -1, end = -1; // nanoseconds since the epoch
};

/** Task intervals from lines "KEY start NS" and "KEY end NS". */
std::map<QString, Interval> readIntervals(const QString &path)
{
    std::map<QString, Interval> out;
    for (const QString &line : linesOf(path)) {
        const QStringList f = line.split(' ');
        if (f.size() != 3)
            continue;
        (f[1] == QLatin1String("start") ? out[f[0]].start : out[f[0]].end) = f[2].toLongLong();
    }
    return out;
}

bool overlap(const Interval &a, const Interval &b)
{
    return a.start < b.end && b.start < a.end;
}

/** Runs `work` on a thread; the destructor calls `stop` (so the work ends) and joins, also on an early return. */
class Background
{
public:
    Background(std::function<void()> work, std::function<void()> stop)
        : m_stop(std::move(stop))
        , m_thread(std::move(work))
    {
    }
    ~Background()
    {
        if (m_thread.joinable()) {
            m_stop();
            m_thread.join();
        }
    }
    void join() { m_thread.join(); }

private:
    std::function<void()> m_stop;
    std::thread m_thread;
};

// Appends "KEY start NS" and "KEY end NS". $1: task key, $2: the times file, $3: a peer task (or empty) that must have
// started before this one ends: with it, two tasks overlap exactly when they run at the same time, however busy the
// machine (the wait ends after 30 s all the same, so tasks run one at a time cannot hang).
const char kStampScript[] = R"sh(echo "$1 start $(date +%s%N)" >> "$2"
i=0; while [ -n "$3" ] && ! grep -q "^$3 start" "$2" && [ $i -lt 600 ]; do sleep 0.05; i=$((i+1)); done
echo "$1 end $(date +%s%N)" >> "$2")sh";

// Two background sleeps whose pids go to the file "$1.ATTEMPT", then waits; with $2 = ignore, all of them
// ignore SIGTERM.
const char kTreeScript[] = R"sh(if [ "$2" = ignore ]; then trap '' TERM; fi
sleep 60 & echo $! > "$1.$PIPEWRIGHT_ATTEMPT"
sleep 60 & echo $! >> "$1.$PIPEWRIGHT_ATTEMPT"
wait)sh";

} // namespace

class tst_Executor : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void init();
    void cleanup();

    void orderAndParallelism_data();
    void orderAndParallelism();
    void retries_data();
    void retries();
    void timeoutKillsTheTree_data();
    void timeoutKillsTheTree();
    void runIfMatrix_data();
    void runIfMatrix();
    void upstreamFailedPropagates();
    void cancel_data();
    void cancel();
    void repair();
    void repairRerunsDownstreamOfRepairedTasks();
    void earlierAttemptsFollowRetriesAndRepairs();
    void maxConcurrentRuns();
    void metacharactersStayLiteral_data();
    void metacharactersStayLiteral();
    void outputsFlowDownstream();
    void notifications();
    void partialRuns_data();
    void partialRuns();
    void logIsBounded();
    void runJsonContract();
    void cycleIsRejected();
    void unknownTaskInOptionsIsRejected_data();
    void unknownTaskInOptionsIsRejected();
    void missingProgramFails_data();
    void missingProgramFails();

private:
    /** Options with the pipeline parameter "dir" set to the test's file folder. */
    RunOptions options() const;
    QString file(const QString &name) const { return m_files + "/" + name; }

    std::unique_ptr<QTemporaryDir> m_dir;
    std::unique_ptr<store::Workspace> m_ws;
    QString m_files; // where the tasks write what the tests read
};

void tst_Executor::init()
{
    m_dir = std::make_unique<QTemporaryDir>();
    QVERIFY(m_dir->isValid());
    m_ws = std::make_unique<store::Workspace>(store::Workspace::open(m_dir->filePath("ws").toStdString()));
    m_files = m_dir->filePath("files");
    QVERIFY(QDir().mkpath(m_files));
}

void tst_Executor::cleanup()
{
    m_ws.reset();
    m_dir.reset();
}

RunOptions tst_Executor::options() const
{
    RunOptions o;
    o.params["dir"] = m_files.toStdString();
    return o;
}

void tst_Executor::orderAndParallelism_data()
{
    QTest::addColumn<int>("parallel");
    QTest::newRow("two at a time") << 2;
    QTest::newRow("one at a time") << 1;
}

void tst_Executor::orderAndParallelism()
{
    QFETCH(int, parallel);
    static const char json[] = R"({
      "name": "diamond", "format_version": 1, "max_parallel_tasks": @PARALLEL@, "parameters": {"dir": ""},
      "tasks": [
        {"task_key": "a", "type": "shell",
         "params": {"argv": ["/bin/sh", "-c", @STAMP@, "sh", "a", "{{params.dir}}/times"]}},
        {"task_key": "b", "type": "shell", "depends_on": [{"task_key": "a"}],
         "params": {"argv": ["/bin/sh", "-c", @STAMP@, "sh", "b", "{{params.dir}}/times", @PEER_OF_B@]}},
        {"task_key": "c", "type": "shell", "depends_on": [{"task_key": "a"}],
         "params": {"argv": ["/bin/sh", "-c", @STAMP@, "sh", "c", "{{params.dir}}/times", @PEER_OF_C@]}},
        {"task_key": "d", "type": "shell", "depends_on": [{"task_key": "b"}, {"task_key": "c"}],
         "params": {"argv": ["/bin/sh", "-c", @STAMP@, "sh", "d", "{{params.dir}}/times"]}}
      ]})";
    Pipeline p;
    // Two at a time: b and c each wait for the other to start, which only running both at once allows.
    QCOMPARE(parseInto(json,
                       {{"PARALLEL", parallel},
                        {"STAMP", kStampScript},
                        {"PEER_OF_B", parallel == 2 ? "c" : ""},
                        {"PEER_OF_C", parallel == 2 ? "b" : ""}},
                       p),
             QString());
    QCOMPARE(p.maxParallelTasks, parallel);

    const RunInfo run = pipeline::runPipeline(*m_ws, p, options());
    QCOMPARE(stateOf(run), QStringLiteral("TERMINATED/SUCCESS"));
    for (const char *key : {"a", "b", "c", "d"}) {
        QCOMPARE(stateOf(run, key), QStringLiteral("TERMINATED/SUCCESS"));
        QCOMPARE(taskOf(run, key).attempts, 1);
    }

    const auto t = readIntervals(file("times"));
    QCOMPARE(t.size(), std::size_t(4));
    for (const auto &[key, interval] : t)
        QVERIFY2(interval.start > 0 && interval.end > interval.start, qPrintable(key));
    const Interval a = t.at("a"), b = t.at("b"), c = t.at("c"), d = t.at("d");
    QVERIFY(a.end <= b.start);
    QVERIFY(a.end <= c.start);
    QVERIFY(d.start >= b.end);
    QVERIFY(d.start >= c.end);
    if (parallel == 2) {
        QVERIFY2(overlap(b, c), "b and c are independent and should run at the same time");
    } else {
        for (const auto &[k1, i1] : t) {
            for (const auto &[k2, i2] : t)
                QVERIFY2(k1 == k2 || !overlap(i1, i2), qPrintable(k1 + " overlaps " + k2));
        }
    }
}

void tst_Executor::retries_data()
{
    QTest::addColumn<int>("maxRetries");
    QTest::addColumn<int>("attempts");
    QTest::addColumn<QString>("result");
    // The task fails on attempts 1 and 2 and succeeds from attempt 3.
    QTest::newRow("succeeds on the last retry") << 2 << 3 << "SUCCESS";
    QTest::newRow("retries run out") << 1 << 2 << "FAILED";
}

void tst_Executor::retries()
{
    QFETCH(int, maxRetries);
    QFETCH(int, attempts);
    QFETCH(QString, result);
    static const char json[] = R"({
      "name": "flaky", "format_version": 1, "parameters": {"dir": ""},
      "tasks": [
        {"task_key": "flaky", "type": "shell", "max_retries": @RETRIES@, "min_retry_interval_millis": 300,
         "params": {"argv": ["/bin/sh", "-c", @SCRIPT@, "sh", "{{params.dir}}/flaky"]}}
      ]})";
    static const char script[] = R"sh(echo "$PIPEWRIGHT_ATTEMPT start $(date +%s%N)" >> "$1.times"
echo "output of attempt $PIPEWRIGHT_ATTEMPT"
echo "$PIPEWRIGHT_ATTEMPT" >> "$1.attempts"
echo "$PIPEWRIGHT_ATTEMPT end $(date +%s%N)" >> "$1.times"
[ "$PIPEWRIGHT_ATTEMPT" -ge 3 ])sh";
    Pipeline p;
    QCOMPARE(parseInto(json, {{"RETRIES", maxRetries}, {"SCRIPT", script}}, p), QString());

    const RunInfo run = pipeline::runPipeline(*m_ws, p, options());
    QCOMPARE(stateOf(run), "TERMINATED/" + result);
    const TaskRunInfo t = taskOf(run, "flaky");
    QCOMPARE(qs(t.result), result);
    QCOMPARE(t.attempts, attempts);
    QCOMPARE(int(t.attemptList.size()), attempts);

    QStringList expectedAttempts;
    for (int i = 1; i <= attempts; ++i)
        expectedAttempts << QString::number(i);
    QCOMPARE(linesOf(file("flaky.attempts")), expectedAttempts); // each attempt ran once, as its own process
    const auto times = readIntervals(file("flaky.times"));
    for (int i = 0; i < attempts; ++i) {
        const pipeline::AttemptInfo &a = t.attemptList[std::size_t(i)];
        QCOMPARE(a.attempt, i + 1);
        QCOMPARE(qs(a.result), i + 1 < attempts ? QStringLiteral("FAILED") : result);
        QCOMPARE(a.exitCode, std::optional<int>(i + 1 >= 3 ? 0 : 1));
        // Its own log, holding its own output only.
        const QByteArray log = readFile(qs(a.logPath));
        QVERIFY2(log.contains("output of attempt " + QByteArray::number(i + 1)), log.constData());
        QCOMPARE(log.count("output of attempt"), qsizetype(1));
        if (i > 0) {
            const pipeline::AttemptInfo &before = t.attemptList[std::size_t(i - 1)];
            QVERIFY(a.logPath != before.logPath);
            QVERIFY2(msBetween(before.end, a.start) >= 300, qPrintable(qs(before.end + " -> " + a.start)));
            const qint64 gapNs = times.at(QString::number(i + 1)).start - times.at(QString::number(i)).end;
            QVERIFY2(gapNs >= 300'000'000, qPrintable(QString::number(gapNs)));
        }
    }
}

void tst_Executor::timeoutKillsTheTree_data()
{
    QTest::addColumn<bool>("retryOnTimeout");
    QTest::addColumn<QString>("term");
    QTest::addColumn<int>("attempts");
    QTest::newRow("no retry on timeout") << false << "default" << 1;
    QTest::newRow("retry on timeout") << true << "default" << 2;
    QTest::newRow("SIGTERM ignored: SIGKILL after the grace") << false << "ignore" << 1;
}

void tst_Executor::timeoutKillsTheTree()
{
    QFETCH(bool, retryOnTimeout);
    QFETCH(QString, term);
    QFETCH(int, attempts);
    static const char json[] = R"({
      "name": "slow", "format_version": 1, "parameters": {"dir": "", "term": "default"},
      "tasks": [
        {"task_key": "slow", "type": "shell", "timeout_seconds": 1, "max_retries": 1, "retry_on_timeout": @RETRY@,
         "params": {"argv": ["/bin/sh", "-c", @SCRIPT@, "sh", "{{params.dir}}/pids", "{{params.term}}"]}}
      ]})";
    Pipeline p;
    QCOMPARE(parseInto(json, {{"RETRY", retryOnTimeout}, {"SCRIPT", kTreeScript}}, p), QString());
    RunOptions o = options();
    o.params["term"] = term.toStdString();
    o.killGraceMillis = 500;

    QElapsedTimer timer;
    timer.start();
    const RunInfo run = pipeline::runPipeline(*m_ws, p, o);
    const qint64 elapsed = timer.elapsed();
    QVERIFY2(elapsed >= 900 * attempts, qPrintable(QString::number(elapsed))); // not ended before the timeout
    QVERIFY2(elapsed < 3000 * attempts, qPrintable(QString::number(elapsed)));

    QCOMPARE(stateOf(run), QStringLiteral("TERMINATED/FAILED"));
    const TaskRunInfo t = taskOf(run, "slow");
    QCOMPARE(qs(t.lifeCycle + "/" + t.result), QStringLiteral("TERMINATED/TIMEDOUT"));
    QCOMPARE(t.attempts, attempts);
    QCOMPARE(int(t.attemptList.size()), attempts);
    for (const pipeline::AttemptInfo &a : t.attemptList) {
        QCOMPARE(qs(a.result), QStringLiteral("TIMEDOUT"));
        QVERIFY2(qs(a.message).contains("timed out"), a.message.c_str());
        const std::vector<pid_t> pids = readPids(file("pids." + QString::number(a.attempt)));
        QCOMPARE(int(pids.size()), 2);
        QVERIFY2(allGone(pids, 1500), "a process of the timed-out task is still running");
    }
}

void tst_Executor::runIfMatrix_data()
{
    QTest::addColumn<QString>("u1");
    QTest::addColumn<QString>("u2");
    QTest::addColumn<QString>("runIf");
    QTest::addColumn<QString>("expected"); // the downstream task's LIFE_CYCLE/RESULT
    // Databricks Jobs: ALL_SUCCESS, AT_LEAST_ONE_SUCCESS and NONE_FAILED not met -> "Upstream failed";
    // AT_LEAST_ONE_FAILED and ALL_FAILED not met -> "Excluded"; ALL_DONE always runs.
    const QString ran = "TERMINATED/SUCCESS", upstreamFailed = "SKIPPED/UPSTREAM_FAILED", excluded = "SKIPPED/EXCLUDED";
    struct Row
    {
        const char *u1, *u2, *runIf;
        QString expected;
    };
    const Row rows[] = {
        {"0", "0", "ALL_SUCCESS", ran},
        {"0", "1", "ALL_SUCCESS", upstreamFailed},
        {"1", "1", "ALL_SUCCESS", upstreamFailed},
        {"0", "0", "AT_LEAST_ONE_SUCCESS", ran},
        {"0", "1", "AT_LEAST_ONE_SUCCESS", ran},
        {"1", "1", "AT_LEAST_ONE_SUCCESS", upstreamFailed},
        {"0", "0", "NONE_FAILED", ran},
        {"0", "1", "NONE_FAILED", upstreamFailed},
        {"1", "1", "NONE_FAILED", upstreamFailed},
        {"0", "0", "ALL_DONE", ran},
        {"0", "1", "ALL_DONE", ran},
        {"1", "1", "ALL_DONE", ran},
        {"0", "0", "AT_LEAST_ONE_FAILED", excluded},
        {"0", "1", "AT_LEAST_ONE_FAILED", ran},
        {"1", "1", "AT_LEAST_ONE_FAILED", ran},
        {"0", "0", "ALL_FAILED", excluded},
        {"0", "1", "ALL_FAILED", excluded},
        {"1", "1", "ALL_FAILED", ran},
    };
    auto word = [](const char *code) { return QString(code) == "0" ? "success" : "fail"; };
    for (const Row &r : rows)
        QTest::addRow("%s/%s %s", word(r.u1), word(r.u2), r.runIf) << r.u1 << r.u2 << r.runIf << r.expected;
}

void tst_Executor::runIfMatrix()
{
    QFETCH(QString, u1);
    QFETCH(QString, u2);
    QFETCH(QString, runIf);
    QFETCH(QString, expected);
    static const char json[] = R"({
      "name": "runif", "format_version": 1, "parameters": {"dir": "", "u1": "0", "u2": "0"},
      "tasks": [
        {"task_key": "u1", "type": "shell", "params": {"argv": ["/bin/sh", "-c", "exit \"$1\"", "sh", "{{params.u1}}"]}},
        {"task_key": "u2", "type": "shell", "params": {"argv": ["/bin/sh", "-c", "exit \"$1\"", "sh", "{{params.u2}}"]}},
        {"task_key": "d", "type": "shell", "depends_on": [{"task_key": "u1"}, {"task_key": "u2"}], "run_if": @RUN_IF@,
         "params": {"argv": ["/bin/sh", "-c", "echo ran >> \"$1\"", "sh", "{{params.dir}}/d-ran"]}}
      ]})";
    Pipeline p;
    QCOMPARE(parseInto(json, {{"RUN_IF", runIf}}, p), QString());
    QCOMPARE(qs(p.task("d")->runIf), runIf);
    RunOptions o = options();
    o.params["u1"] = u1.toStdString();
    o.params["u2"] = u2.toStdString();

    const RunInfo run = pipeline::runPipeline(*m_ws, p, o);
    QCOMPARE(stateOf(run, "u1"),
             u1 == "0" ? QStringLiteral("TERMINATED/SUCCESS") : QStringLiteral("TERMINATED/FAILED"));
    QCOMPARE(stateOf(run, "u2"),
             u2 == "0" ? QStringLiteral("TERMINATED/SUCCESS") : QStringLiteral("TERMINATED/FAILED"));
    QCOMPARE(stateOf(run, "d"), expected);
    const bool shouldRun = expected == "TERMINATED/SUCCESS";
    QCOMPARE(taskOf(run, "d").attempts, shouldRun ? 1 : 0);
    QCOMPARE(QFile::exists(file("d-ran")), shouldRun);
    if (!shouldRun)
        QVERIFY2(qs(taskOf(run, "d").message).contains(runIf), taskOf(run, "d").message.c_str());
}

void tst_Executor::upstreamFailedPropagates()
{
    static const char json[] = R"({
      "name": "chain", "format_version": 1, "parameters": {"dir": ""},
      "tasks": [
        {"task_key": "a", "type": "shell", "params": {"argv": ["/bin/sh", "-c", "echo broken; exit 3"]}},
        {"task_key": "b", "type": "shell", "depends_on": [{"task_key": "a"}], "run_if": "ALL_SUCCESS",
         "params": {"argv": ["/bin/sh", "-c", "echo ran >> \"$1\"", "sh", "{{params.dir}}/ran"]}},
        {"task_key": "c", "type": "shell", "depends_on": [{"task_key": "b"}],
         "params": {"argv": ["/bin/sh", "-c", "echo ran >> \"$1\"", "sh", "{{params.dir}}/ran"]}}
      ]})";
    Pipeline p;
    QCOMPARE(parseInto(json, {}, p), QString());
    const RunInfo run = pipeline::runPipeline(*m_ws, p, options());

    QCOMPARE(stateOf(run), QStringLiteral("TERMINATED/FAILED"));
    QVERIFY2(qs(run.message).contains("'a'"), run.message.c_str());
    QCOMPARE(stateOf(run, "a"), QStringLiteral("TERMINATED/FAILED"));
    const TaskRunInfo a = taskOf(run, "a");
    QCOMPARE(int(a.attemptList.size()), 1);
    QCOMPARE(a.attemptList[0].exitCode, std::optional<int>(3));
    QVERIFY2(qs(a.message).contains("3"), a.message.c_str());
    QVERIFY(readFile(qs(a.attemptList[0].logPath)).contains("broken"));
    QCOMPARE(stateOf(run, "b"), QStringLiteral("SKIPPED/UPSTREAM_FAILED"));
    QCOMPARE(stateOf(run, "c"), QStringLiteral("SKIPPED/UPSTREAM_FAILED"));
    QCOMPARE(taskOf(run, "b").attempts, 0);
    QCOMPARE(taskOf(run, "c").attempts, 0);
    QVERIFY(!QFile::exists(file("ran")));
    // What runPipeline returned is what the catalog holds.
    auto db = m_ws->openCatalog();
    QCOMPARE(pipeline::runJson(pipeline::loadRun(*db, run.runId)), pipeline::runJson(run));
}

void tst_Executor::cancel_data()
{
    QTest::addColumn<bool>("throughCatalog");
    QTest::newRow("cancel flag") << false;
    QTest::newRow("requestCancel from another connection") << true;
}

void tst_Executor::cancel()
{
    QFETCH(bool, throughCatalog);
    static const char json[] = R"({
      "name": "cancelable", "format_version": 1, "parameters": {"dir": "", "term": "default"},
      "tasks": [
        {"task_key": "long", "type": "shell",
         "params": {"argv": ["/bin/sh", "-c", @SCRIPT@, "sh", "{{params.dir}}/pids", "{{params.term}}"]}},
        {"task_key": "after", "type": "shell", "depends_on": [{"task_key": "long"}],
         "params": {"argv": ["/bin/sh", "-c", "echo ran >> \"$1\"", "sh", "{{params.dir}}/ran"]}},
        {"task_key": "last", "type": "shell", "depends_on": [{"task_key": "after"}],
         "params": {"argv": ["/bin/sh", "-c", "echo ran >> \"$1\"", "sh", "{{params.dir}}/ran"]}}
      ]})";
    Pipeline p;
    QCOMPARE(parseInto(json, {{"SCRIPT", kTreeScript}}, p), QString());
    std::atomic<bool> cancelFlag{false};
    std::atomic<std::int64_t> runId{0};
    RunOptions o = options();
    o.onRunCreated = [&runId](std::int64_t id) { runId = id; };
    RunInfo run;
    QString error;
    QElapsedTimer clock;
    clock.start();
    qint64 returnedAt = 0;
    Background worker(
        [&] {
            try {
                run = pipeline::runPipeline(*m_ws, p, o, {}, &cancelFlag);
            } catch (const std::exception &e) {
                error = QString::fromUtf8(e.what());
            }
            returnedAt = clock.elapsed();
        },
        [&] { cancelFlag = true; });

    // Both sleeps are running (and at least 0.5 s have passed): cancel.
    QTRY_VERIFY_WITH_TIMEOUT(readPids(file("pids.1")).size() == 2, 60000);
    const std::vector<pid_t> pids = readPids(file("pids.1"));
    QVERIFY(runId.load() > 0);
    while (clock.elapsed() < 500)
        QTest::qSleep(20);
    auto db = m_ws->openCatalog();
    QCOMPARE(qs(pipeline::loadRun(*db, runId).lifeCycle), QStringLiteral("RUNNING"));
    const qint64 canceledAt = clock.elapsed();
    if (throughCatalog)
        QVERIFY(pipeline::requestCancel(*db, runId));
    else
        cancelFlag = true;
    worker.join();

    QCOMPARE(error, QString());
    QVERIFY2(returnedAt - canceledAt < 3000, qPrintable(QString::number(returnedAt - canceledAt)));
    QCOMPARE(run.runId, runId.load());
    QCOMPARE(stateOf(run), QStringLiteral("TERMINATED/CANCELED"));
    QCOMPARE(stateOf(run, "long"), QStringLiteral("TERMINATED/CANCELED"));
    QCOMPARE(stateOf(run, "after"), QStringLiteral("SKIPPED/UPSTREAM_CANCELED"));
    QCOMPARE(stateOf(run, "last"), QStringLiteral("SKIPPED/UPSTREAM_CANCELED"));
    QVERIFY(!QFile::exists(file("ran")));
    QVERIFY2(allGone(pids, 1500), "a process of the canceled task is still running");
    // An ended run cannot be canceled again.
    QVERIFY(!pipeline::requestCancel(*db, runId));
    QCOMPARE(stateOf(pipeline::loadRun(*db, runId)), QStringLiteral("TERMINATED/CANCELED"));
}

void tst_Executor::repair()
{
    static const char json[] = R"({
      "name": "repairable", "format_version": 1, "parameters": {"dir": ""},
      "tasks": [
        {"task_key": "a", "type": "shell",
         "params": {"argv": ["/bin/sh", "-c", "echo ran >> \"$1\"; echo x=1 >> \"$PIPEWRIGHT_OUTPUTS\"", "sh",
                             "{{params.dir}}/a-count"]}},
        {"task_key": "b", "type": "shell", "depends_on": [{"task_key": "a"}],
         "params": {"argv": ["/bin/sh", "-c", "[ -e \"$1\" ] || exit 1; printf %s \"$2\" > \"$3\"", "sh",
                             "{{params.dir}}/flag", "{{tasks.a.x}}", "{{params.dir}}/b-got"]}},
        {"task_key": "c", "type": "shell", "depends_on": [{"task_key": "b"}],
         "params": {"argv": ["/bin/sh", "-c", "echo ran >> \"$1\"", "sh", "{{params.dir}}/c-count"]}}
      ]})";
    Pipeline p;
    QCOMPARE(parseInto(json, {}, p), QString());
    const RunInfo first = pipeline::runPipeline(*m_ws, p, options());
    QCOMPARE(stateOf(first), QStringLiteral("TERMINATED/FAILED"));
    QCOMPARE(stateOf(first, "a"), QStringLiteral("TERMINATED/SUCCESS"));
    QCOMPARE(stateOf(first, "b"), QStringLiteral("TERMINATED/FAILED"));
    QCOMPARE(stateOf(first, "c"), QStringLiteral("SKIPPED/UPSTREAM_FAILED"));
    QCOMPARE(linesOf(file("a-count")).size(), qsizetype(1));

    touch(file("flag"));
    const RunInfo repaired = pipeline::repairRun(*m_ws, first.runId);
    QVERIFY(repaired.runId != first.runId);
    QCOMPARE(repaired.repairOf, first.runId);
    QCOMPARE(qs(repaired.trigger), QStringLiteral("repair"));
    QCOMPARE(stateOf(repaired), QStringLiteral("TERMINATED/SUCCESS"));
    // a is reused, not run again.
    const TaskRunInfo a = taskOf(repaired, "a");
    QCOMPARE(qs(a.lifeCycle + "/" + a.result), QStringLiteral("TERMINATED/SUCCESS"));
    QCOMPARE(a.attempts, 0);
    QVERIFY2(qs(a.message).contains("reused"), a.message.c_str());
    QCOMPARE(a.outputs.value("x").toString(), QStringLiteral("1"));
    QCOMPARE(linesOf(file("a-count")).size(), qsizetype(1));
    // b and c run, b with a's output.
    QCOMPARE(stateOf(repaired, "b"), QStringLiteral("TERMINATED/SUCCESS"));
    QCOMPARE(taskOf(repaired, "b").attempts, 1);
    QCOMPARE(readFile(file("b-got")), QByteArray("1"));
    QCOMPARE(stateOf(repaired, "c"), QStringLiteral("TERMINATED/SUCCESS"));
    QCOMPARE(linesOf(file("c-count")).size(), qsizetype(1));

    // The first run is left as it was; both are listed, newest first.
    auto db = m_ws->openCatalog();
    QCOMPARE(stateOf(pipeline::loadRun(*db, first.runId)), QStringLiteral("TERMINATED/FAILED"));
    const auto runs = pipeline::listRuns(*db, "repairable");
    QCOMPARE(int(runs.size()), 2);
    QCOMPARE(runs[0].runId, repaired.runId);
    QCOMPARE(runs[1].runId, first.runId);

    // Nothing to repair in a run that succeeded, or in one that does not exist.
    QVERIFY(errorOf([&] { pipeline::repairRun(*m_ws, repaired.runId); }).contains("succeeded"));
    QVERIFY(errorOf([&] { pipeline::repairRun(*m_ws, 987654); }).contains("987654"));
    QCOMPARE(int(pipeline::listRuns(*db).size()), 2);
}

void tst_Executor::repairRerunsDownstreamOfRepairedTasks()
{
    // Executor.h: a repair "runs its failed, timed-out, canceled and skipped tasks again, and everything downstream
    // of them". `report` succeeded in the first run (ALL_DONE after the failed `a`), but it is downstream of `a`.
    static const char json[] = R"({
      "name": "reporting", "format_version": 1, "parameters": {"dir": ""},
      "tasks": [
        {"task_key": "a", "type": "shell", "params": {"argv": ["/bin/sh", "-c", "[ -e \"$1\" ]", "sh", "{{params.dir}}/flag"]}},
        {"task_key": "report", "type": "shell", "depends_on": [{"task_key": "a"}], "run_if": "ALL_DONE",
         "params": {"argv": ["/bin/sh", "-c", "echo ran >> \"$1\"", "sh", "{{params.dir}}/report-count"]}}
      ]})";
    Pipeline p;
    QCOMPARE(parseInto(json, {}, p), QString());
    const RunInfo first = pipeline::runPipeline(*m_ws, p, options());
    QCOMPARE(stateOf(first, "a"), QStringLiteral("TERMINATED/FAILED"));
    QCOMPARE(stateOf(first, "report"), QStringLiteral("TERMINATED/SUCCESS"));
    QCOMPARE(linesOf(file("report-count")).size(), qsizetype(1));

    touch(file("flag"));
    const RunInfo repaired = pipeline::repairRun(*m_ws, first.runId);
    QCOMPARE(stateOf(repaired, "a"), QStringLiteral("TERMINATED/SUCCESS"));
    QCOMPARE(taskOf(repaired, "a").attempts, 1);
    QCOMPARE(stateOf(repaired, "report"), QStringLiteral("TERMINATED/SUCCESS"));
    QCOMPARE(taskOf(repaired, "report").attempts, 1);
    QCOMPARE(linesOf(file("report-count")).size(), qsizetype(2));
}

void tst_Executor::earlierAttemptsFollowRetriesAndRepairs()
{
    // What a retry or a repair looks at to reuse what a killed attempt created: the earlier attempts of the task,
    // newest first, in this run and then in the runs it repairs, with what each recorded (also when it failed).
    static const char json[] = R"({
      "name": "recording", "format_version": 1, "parameters": {"dir": ""},
      "tasks": [
        {"task_key": "t", "type": "shell", "max_retries": 1,
         "params": {"argv": ["/bin/sh", "-c", "echo made=$PIPEWRIGHT_RUN_ID.$PIPEWRIGHT_ATTEMPT >> \"$PIPEWRIGHT_OUTPUTS\"; [ -e \"$1\" ]",
                             "sh", "{{params.dir}}/flag"]}}
      ]})";
    Pipeline p;
    QCOMPARE(parseInto(json, {}, p), QString());
    const RunInfo first = pipeline::runPipeline(*m_ws, p, options());
    QCOMPARE(taskOf(first, "t").attempts, 2);
    touch(file("flag"));
    const RunInfo second = pipeline::repairRun(*m_ws, first.runId);
    QCOMPARE(stateOf(second, "t"), QStringLiteral("TERMINATED/SUCCESS"));

    auto db = m_ws->openCatalog();
    auto made = [&](std::int64_t run, int attempt) {
        QStringList out;
        for (const auto &e : pipeline::earlierAttempts(*db, run, "t", attempt))
            out << QString("%1.%2 %3 %4")
                       .arg(e.runId)
                       .arg(e.attempt)
                       .arg(qs(e.result), e.outputs.value("made").toString());
        return out;
    };
    const QString r1 = QString::number(first.runId), r2 = QString::number(second.runId);
    QCOMPARE(made(first.runId, 1), QStringList());
    QCOMPARE(made(first.runId, 2), QStringList{r1 + ".1 FAILED " + r1 + ".1"});
    QCOMPARE(made(second.runId, 1), (QStringList{r1 + ".2 FAILED " + r1 + ".2", r1 + ".1 FAILED " + r1 + ".1"}));
    QCOMPARE(made(second.runId, 2), (QStringList{r2 + ".1 SUCCESS " + r2 + ".1", r1 + ".2 FAILED " + r1 + ".2",
                                                 r1 + ".1 FAILED " + r1 + ".1"}));
    QCOMPARE(made(second.runId + 100, 1), QStringList());

    // Recorded while an attempt runs: what loadRun and the next attempt see.
    pipeline::recordAttemptOutputs(*db, first.runId, "t", 2, QJsonObject{{"made", "recorded"}});
    QCOMPARE(taskOf(pipeline::loadRun(*db, first.runId), "t").outputs.value("made").toString(),
             QStringLiteral("recorded"));
    QCOMPARE(made(second.runId, 1).first(), r1 + ".2 FAILED recorded");
}

void tst_Executor::maxConcurrentRuns()
{
    // `hold` runs until the test creates the release file (10 s at most).
    static const char json[] = R"({
      "name": "exclusive", "format_version": 1, "max_concurrent_runs": 1, "parameters": {"dir": ""},
      "tasks": [
        {"task_key": "hold", "type": "shell",
         "params": {"argv": ["/bin/sh", "-c", "i=0; while [ ! -e \"$1\" ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i+1)); done",
                             "sh", "{{params.dir}}/release"]}}
      ]})";
    Pipeline p;
    QCOMPARE(parseInto(json, {}, p), QString());
    QCOMPARE(p.maxConcurrentRuns, 1);
    std::atomic<std::int64_t> firstId{0};
    RunOptions o = options();
    o.onRunCreated = [&firstId](std::int64_t id) { firstId = id; };
    RunInfo first;
    QString error;
    Background worker(
        [&] {
            try {
                first = pipeline::runPipeline(*m_ws, p, o);
            } catch (const std::exception &e) {
                error = QString::fromUtf8(e.what());
            }
        },
        [this] { touch(file("release")); });
    QTRY_VERIFY_WITH_TIMEOUT(firstId.load() > 0, 60000);

    bool createdSecond = false;
    RunOptions o2 = options();
    o2.onRunCreated = [&createdSecond](std::int64_t) { createdSecond = true; };
    QElapsedTimer timer;
    timer.start();
    const RunInfo second = pipeline::runPipeline(*m_ws, p, o2);
    QVERIFY2(timer.elapsed() < 2000, qPrintable(QString::number(timer.elapsed())));
    QVERIFY(second.runId != firstId.load());
    QCOMPARE(stateOf(second), QStringLiteral("SKIPPED/MAXIMUM_CONCURRENT_RUNS_REACHED"));
    QVERIFY2(qs(second.message).contains("max_concurrent_runs"), second.message.c_str());
    QVERIFY(!second.end.empty());
    QCOMPARE(taskOf(second, "hold").attempts, 0);
    QVERIFY(!createdSecond);
    auto db = m_ws->openCatalog();
    const RunInfo running = pipeline::loadRun(*db, firstId);
    QVERIFY2(running.lifeCycle == "RUNNING" || running.lifeCycle == "PENDING", running.lifeCycle.c_str());

    touch(file("release"));
    worker.join();
    QCOMPARE(error, QString());
    QCOMPARE(stateOf(first), QStringLiteral("TERMINATED/SUCCESS"));

    const RunInfo third = pipeline::runPipeline(*m_ws, p, options());
    QCOMPARE(stateOf(third), QStringLiteral("TERMINATED/SUCCESS"));
    QCOMPARE(taskOf(third, "hold").attempts, 1);
    QCOMPARE(int(pipeline::listRuns(*db, "exclusive").size()), 3);
}

void tst_Executor::metacharactersStayLiteral_data()
{
    QTest::addColumn<bool>("overridden");
    QTest::newRow("parameter default") << false;
    QTest::newRow("RunOptions::params override") << true;
}

void tst_Executor::metacharactersStayLiteral()
{
    QFETCH(bool, overridden);
    // Shell syntax of every kind, naming files that must never be created, and references that are not
    // substituted again (a value is not scanned for {{...}}).
    auto nasty = [this](const QString &tag) {
        return "; touch " + file("PWNED_" + tag + "1") + " && echo $(touch " + file("PWNED_" + tag + "2") + ") `touch "
               + file("PWNED_" + tag + "3") + "` | cat > " + file("PWNED_" + tag + "4") + " \"quoted' {{params.other}} "
               + "{{ }} {{";
    };
    const QString byDefault = nasty("default"), byOverride = nasty("override");
    static const char json[] = R"({
      "name": "literal", "format_version": 1, "parameters": {"dir": "", "other": "OTHER", "text": @TEXT@},
      "tasks": [
        {"task_key": "show", "type": "shell", "params": {"argv": ["/usr/bin/printf", "%s", "{{params.text}}"]}}
      ]})";
    Pipeline p;
    QCOMPARE(parseInto(json, {{"TEXT", byDefault}}, p), QString());
    RunOptions o = options();
    if (overridden)
        o.params["text"] = byOverride.toStdString();
    const QString expected = overridden ? byOverride : byDefault;

    const RunInfo run = pipeline::runPipeline(*m_ws, p, o);
    QCOMPARE(stateOf(run, "show"), QStringLiteral("TERMINATED/SUCCESS"));
    QCOMPARE(QString::fromUtf8(readFile(qs(taskOf(run, "show").attemptList.at(0).logPath))), expected);
    QCOMPARE(run.parameters.value("text").toString(), expected);
    QCOMPARE(QDir(m_files).entryList({"PWNED*"}, QDir::Files), QStringList());
    QCOMPARE(QDir(QDir::currentPath()).entryList({"PWNED*"}, QDir::Files), QStringList());
}

void tst_Executor::notifications()
{
    // on_start and on_success commands run with the run's id, name and result in their environment; a desktop
    // entry goes to the notifier; on_failure runs for a failed run only.
    static const char json[] = R"({
      "name": "notify", "format_version": 1, "parameters": {"dir": "", "fail": "0"},
      "notifications": {
        "on_start": [{"argv": ["/bin/sh", "-c", "echo start $PIPEWRIGHT_RUN_ID $PIPEWRIGHT_PIPELINE >> \"$0\"", @LOG@]}],
        "on_success": [{"argv": ["/bin/sh", "-c", "echo success $PIPEWRIGHT_RESULT >> \"$0\"", @LOG@]}, {"desktop": true}],
        "on_failure": [{"argv": ["/bin/sh", "-c", "echo failure $PIPEWRIGHT_RESULT >> \"$0\"", @LOG@]}]
      },
      "tasks": [{"task_key": "t", "type": "shell", "params": {"argv": ["/bin/sh", "-c", "exit $0", "{{params.fail}}"]}}]})";
    Pipeline p;
    QCOMPARE(parseInto(json, {{"LOG", file("notify.log")}}, p), QString());
    RunOptions o = options();
    QStringList desktop;
    o.desktopNotifier = [&](const std::string &title, const std::string &body) { desktop << qs(title + " | " + body); };
    const RunInfo ok = pipeline::runPipeline(*m_ws, p, o);
    QCOMPARE(stateOf(ok), QStringLiteral("TERMINATED/SUCCESS"));
    o.params["fail"] = "3";
    const RunInfo failed = pipeline::runPipeline(*m_ws, p, o);
    QCOMPARE(stateOf(failed), QStringLiteral("TERMINATED/FAILED"));
    QCOMPARE(linesOf(file("notify.log")),
             (QStringList{QString("start %1 notify").arg(ok.runId), "success SUCCESS",
                          QString("start %1 notify").arg(failed.runId), "failure FAILED"}));
    QCOMPARE(desktop.size(), qsizetype(1));
    QVERIFY2(desktop.front().contains(QString::number(ok.runId)) && desktop.front().contains("SUCCESS"),
             qPrintable(desktop.front()));
}

void tst_Executor::outputsFlowDownstream()
{
    static const char json[] = R"({
      "name": "outputs", "format_version": 1, "parameters": {"dir": ""},
      "tasks": [
        {"task_key": "a", "type": "shell",
         "params": {"argv": ["/bin/sh", "-c", "echo ran >> \"$1\"; echo out=42 >> \"$PIPEWRIGHT_OUTPUTS\"", "sh",
                             "{{params.dir}}/a-count"]}},
        {"task_key": "b", "type": "shell", "depends_on": [{"task_key": "a"}], "params": {"argv": ["/bin/echo", "{{tasks.a.out}}"]}}
      ]})";
    Pipeline p;
    QCOMPARE(parseInto(json, {}, p), QString());
    const RunInfo run = pipeline::runPipeline(*m_ws, p, options());
    QCOMPARE(stateOf(run), QStringLiteral("TERMINATED/SUCCESS"));
    QCOMPARE(taskOf(run, "a").outputs.value("out").toString(), QStringLiteral("42"));
    const TaskRunInfo b = taskOf(run, "b");
    QCOMPARE(readFile(qs(b.attemptList.at(0).logPath)), QByteArray("42\n"));
    QVERIFY(b.outputs.contains("exit_code"));
    QCOMPARE(b.outputs.value("exit_code").toInt(-1), 0);

    // Only b: a is excluded and never runs; b still gets a's output from its last successful run.
    RunOptions o = options();
    o.only = {"b"};
    const RunInfo partial = pipeline::runPipeline(*m_ws, p, o);
    QCOMPARE(stateOf(partial), QStringLiteral("TERMINATED/SUCCESS"));
    QCOMPARE(stateOf(partial, "a"), QStringLiteral("SKIPPED/EXCLUDED"));
    QCOMPARE(taskOf(partial, "a").attempts, 0);
    QCOMPARE(linesOf(file("a-count")).size(), qsizetype(1));
    QCOMPARE(stateOf(partial, "b"), QStringLiteral("TERMINATED/SUCCESS"));
    QCOMPARE(readFile(qs(taskOf(partial, "b").attemptList.at(0).logPath)), QByteArray("42\n"));
}

void tst_Executor::partialRuns_data()
{
    QTest::addColumn<QStringList>("only");
    QTest::addColumn<QString>("from");
    QTest::addColumn<QString>("to");
    QTest::addColumn<QStringList>("ran"); // sorted; the rest are SKIPPED/EXCLUDED
    // The chain w -> x -> y -> z.
    QTest::newRow("from x: x and downstream") << QStringList() << "x"
                                              << "" << QStringList{"x", "y", "z"};
    QTest::newRow("to y: y and upstream") << QStringList() << ""
                                          << "y" << QStringList{"w", "x", "y"};
    QTest::newRow("from x to y: between") << QStringList() << "x"
                                          << "y" << QStringList{"x", "y"};
    QTest::newRow("only w and z") << QStringList{"w", "z"} << ""
                                  << "" << QStringList{"w", "z"};
}

void tst_Executor::partialRuns()
{
    QFETCH(QStringList, only);
    QFETCH(QString, from);
    QFETCH(QString, to);
    QFETCH(QStringList, ran);
    static const char json[] = R"({
      "name": "chain4", "format_version": 1, "parameters": {"dir": ""},
      "tasks": [
        {"task_key": "w", "type": "shell", "params": {"argv": ["/bin/sh", "-c", "echo \"$1\" >> \"$2\"", "sh", "w", "{{params.dir}}/ran"]}},
        {"task_key": "x", "type": "shell", "depends_on": [{"task_key": "w"}],
         "params": {"argv": ["/bin/sh", "-c", "echo \"$1\" >> \"$2\"", "sh", "x", "{{params.dir}}/ran"]}},
        {"task_key": "y", "type": "shell", "depends_on": [{"task_key": "x"}],
         "params": {"argv": ["/bin/sh", "-c", "echo \"$1\" >> \"$2\"", "sh", "y", "{{params.dir}}/ran"]}},
        {"task_key": "z", "type": "shell", "depends_on": [{"task_key": "y"}],
         "params": {"argv": ["/bin/sh", "-c", "echo \"$1\" >> \"$2\"", "sh", "z", "{{params.dir}}/ran"]}}
      ]})";
    Pipeline p;
    QCOMPARE(parseInto(json, {}, p), QString());
    RunOptions o = options();
    for (const QString &k : only)
        o.only.push_back(k.toStdString());
    o.from = from.toStdString();
    o.to = to.toStdString();

    const RunInfo run = pipeline::runPipeline(*m_ws, p, o);
    QCOMPARE(stateOf(run), QStringLiteral("TERMINATED/SUCCESS"));
    QStringList actuallyRan = linesOf(file("ran"));
    actuallyRan.sort();
    QCOMPARE(actuallyRan, ran);
    for (const char *key : {"w", "x", "y", "z"}) {
        const bool selected = ran.contains(key);
        QCOMPARE(stateOf(run, key),
                 selected ? QStringLiteral("TERMINATED/SUCCESS") : QStringLiteral("SKIPPED/EXCLUDED"));
        QCOMPARE(taskOf(run, key).attempts, selected ? 1 : 0);
    }
}

void tst_Executor::logIsBounded()
{
    static const char json[] = R"({
      "name": "chatty", "format_version": 1, "parameters": {"dir": ""},
      "tasks": [
        {"task_key": "talk", "type": "shell", "params": {"argv": ["/bin/sh", "-c", "yes 0123456789abcdef | head -c 3000000"]}}
      ]})";
    Pipeline p;
    QCOMPARE(parseInto(json, {}, p), QString());
    RunOptions o = options();
    const qint64 limit = 1024 * 1024;
    o.logLimitBytes = limit;
    const RunInfo run = pipeline::runPipeline(*m_ws, p, o);
    QCOMPARE(stateOf(run, "talk"), QStringLiteral("TERMINATED/SUCCESS"));

    const QByteArray log = readFile(qs(taskOf(run, "talk").attemptList.at(0).logPath));
    QVERIFY2(log.size() >= limit && log.size() <= limit + 1024, qPrintable(QString::number(log.size())));
    // The kept part is the start of the output, unchanged.
    QCOMPARE(log.left(17 * 4), QByteArray("0123456789abcdef\n").repeated(4));
    QCOMPARE(log.left(limit).count('\n'), qsizetype(limit / 17));
    // The note says how much was left out: 3,000,000 - 1,048,576.
    QVERIFY2(log.endsWith("more bytes were not kept]\n"), log.right(200).constData());
    QVERIFY2(log.right(200).contains(" 1951424 more bytes"), log.right(200).constData());
}

void tst_Executor::runJsonContract()
{
    static const char json[] = R"({
      "name": "contract", "format_version": 1, "parameters": {"dir": ""},
      "tasks": [
        {"task_key": "a", "type": "shell", "params": {"argv": ["/bin/sh", "-c", "sleep 0.2; echo out=7 >> \"$PIPEWRIGHT_OUTPUTS\""]}},
        {"task_key": "b", "type": "shell", "depends_on": [{"task_key": "a"}], "params": {"argv": ["/bin/sh", "-c", "exit 4"]}},
        {"task_key": "c", "type": "shell", "depends_on": [{"task_key": "b"}], "params": {"argv": ["/bin/true"]}}
      ]})";
    Pipeline p;
    QCOMPARE(parseInto(json, {}, p), QString());
    const RunInfo run = pipeline::runPipeline(*m_ws, p, options());
    const QJsonObject j = pipeline::runJson(run);

    QVERIFY(j.value("run_id").isDouble());
    QCOMPARE(j.value("run_id").toInteger(), qint64(run.runId));
    QCOMPARE(j.value("result_state").toString(), QStringLiteral("FAILED"));
    QCOMPARE(j.value("pipeline").toString(), QStringLiteral("contract"));
    const QJsonArray tasks = j.value("tasks").toArray();
    QCOMPARE(tasks.size(), qsizetype(3));
    const char *keys[] = {"a", "b", "c"};
    for (qsizetype i = 0; i < tasks.size(); ++i) {
        const QJsonObject t = tasks.at(i).toObject();
        QCOMPARE(t.value("task_key").toString(), QString(keys[i])); // dependency order
        QVERIFY(t.value("result_state").isString());
        QVERIFY(t.value("attempts").isDouble());
        QVERIFY(t.value("duration_s").isDouble());
        QVERIFY(t.value("outputs").isObject());
    }
    const QJsonObject a = tasks.at(0).toObject(), b = tasks.at(1).toObject(), c = tasks.at(2).toObject();
    QCOMPARE(a.value("result_state").toString(), QStringLiteral("SUCCESS"));
    QCOMPARE(a.value("attempts").toInt(), 1);
    QVERIFY2(a.value("duration_s").toDouble() >= 0.15 && a.value("duration_s").toDouble() < 10,
             qPrintable(QString::number(a.value("duration_s").toDouble())));
    QCOMPARE(a.value("outputs").toObject(), (QJsonObject{{"out", "7"}, {"exit_code", 0}}));
    QCOMPARE(b.value("result_state").toString(), QStringLiteral("FAILED"));
    QCOMPARE(b.value("attempts").toInt(), 1);
    QCOMPARE(b.value("outputs").toObject().value("exit_code").toInt(), 4);
    QCOMPARE(c.value("result_state").toString(), QStringLiteral("UPSTREAM_FAILED"));
    QCOMPARE(c.value("attempts").toInt(), 0);
    QCOMPARE(c.value("duration_s").toDouble(), 0.0);
    QCOMPARE(c.value("outputs").toObject(), QJsonObject());

    // With attempts: each attempt's exit code and log.
    const QJsonObject full = pipeline::runJson(run, /*withAttempts=*/true);
    const QJsonArray bAttempts = full.value("tasks").toArray().at(1).toObject().value("attempt_list").toArray();
    QCOMPARE(bAttempts.size(), qsizetype(1));
    QCOMPARE(bAttempts.at(0).toObject().value("exit_code").toInt(), 4);
    QVERIFY(QFile::exists(bAttempts.at(0).toObject().value("log_path").toString()));
}

void tst_Executor::cycleIsRejected()
{
    static const char json[] = R"({
      "name": "cyclic", "format_version": 1,
      "tasks": [
        {"task_key": "a", "type": "shell", "depends_on": [{"task_key": "b"}], "params": {"argv": ["/bin/true"]}},
        {"task_key": "b", "type": "shell", "depends_on": [{"task_key": "a"}], "params": {"argv": ["/bin/true"]}},
        {"task_key": "c", "type": "shell", "params": {"argv": ["/bin/true"]}}
      ]})";
    std::vector<pipeline::ValidationError> errors;
    const Pipeline p = pipeline::parsePipeline(json, errors);
    QVERIFY(errors.empty()); // the file reads; the cycle is a validation error
    const QString message = errorOf([&] { pipeline::runPipeline(*m_ws, p, options()); });
    QVERIFY2(message.contains("cycle"), qPrintable(message));
    QVERIFY2(message.contains(QRegularExpression("a -> b -> a|b -> a -> b")), qPrintable(message));
    auto db = m_ws->openCatalog();
    QVERIFY(pipeline::listRuns(*db).empty());
}

void tst_Executor::unknownTaskInOptionsIsRejected_data()
{
    QTest::addColumn<QString>("option");
    QTest::newRow("only") << "only";
    QTest::newRow("from") << "from";
    QTest::newRow("to") << "to";
}

void tst_Executor::unknownTaskInOptionsIsRejected()
{
    QFETCH(QString, option);
    static const char json[] = R"({
      "name": "small", "format_version": 1, "parameters": {"dir": ""},
      "tasks": [{"task_key": "a", "type": "shell", "params": {"argv": ["/bin/true"]}}]})";
    Pipeline p;
    QCOMPARE(parseInto(json, {}, p), QString());
    RunOptions o = options();
    if (option == "only")
        o.only = {"a", "ghost"};
    else if (option == "from")
        o.from = "ghost";
    else
        o.to = "ghost";
    const QString message = errorOf([&] { pipeline::runPipeline(*m_ws, p, o); });
    QVERIFY2(message.contains("'ghost'"), qPrintable(message));
    auto db = m_ws->openCatalog();
    QVERIFY(pipeline::listRuns(*db).empty());
}

void tst_Executor::missingProgramFails_data()
{
    QTest::addColumn<QString>("program");
    QTest::newRow("absolute path") << "/nonexistent/pw-no-such-program";
    QTest::newRow("looked up in PATH") << "pw-no-such-program-4711";
}

void tst_Executor::missingProgramFails()
{
    QFETCH(QString, program);
    static const char json[] = R"({
      "name": "missing", "format_version": 1, "parameters": {"dir": ""},
      "tasks": [{"task_key": "run", "type": "shell", "params": {"argv": [@PROGRAM@, "arg"]}}]})";
    Pipeline p;
    QCOMPARE(parseInto(json, {{"PROGRAM", program}}, p), QString());
    const RunInfo run = pipeline::runPipeline(*m_ws, p, options());
    QCOMPARE(stateOf(run), QStringLiteral("TERMINATED/FAILED"));
    const TaskRunInfo t = taskOf(run, "run");
    QCOMPARE(qs(t.lifeCycle + "/" + t.result), QStringLiteral("TERMINATED/FAILED"));
    QVERIFY2(qs(t.message).contains(program), t.message.c_str());
    QCOMPARE(t.attemptList.at(0).exitCode, std::optional<int>());
    QVERIFY(readFile(qs(t.attemptList.at(0).logPath)).contains(program.toUtf8()));
}

QTEST_GUILESS_MAIN(tst_Executor)
#include "tst_executor.moc"
