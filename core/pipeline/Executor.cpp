// The local pipeline executor. One thread drives the run (dependency order, run_if, retries, cancel, the
// catalog records, the observer); each task attempt runs on its own thread, which spawns the attempt's process
// in a new process group, copies its output to a bounded log file and enforces the timeout.
#include "core/pipeline/Executor.h"

#include "core/catalog/Catalog.h"
#include "core/store/Database.h"
#include "core/store/Workspace.h"

#include <QJsonArray>
#include <QJsonDocument>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <mutex>
#include <set>
#include <sstream>
#include <thread>

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

namespace pw::pipeline {

namespace fs = std::filesystem;

namespace {

using Clock = std::chrono::steady_clock;

QString qs(const std::string &s)
{
    return QString::fromStdString(s);
}

std::string compactJson(const QJsonObject &o)
{
    return QJsonDocument(o).toJson(QJsonDocument::Compact).toStdString();
}

QJsonObject parseObject(const std::string &s)
{
    return QJsonDocument::fromJson(QByteArray::fromStdString(s)).object();
}

bool isFailure(const std::string &result)
{
    return result == "FAILED" || result == "TIMEDOUT" || result == "UPSTREAM_FAILED";
}

bool isCanceled(const std::string &result)
{
    return result == "CANCELED" || result == "UPSTREAM_CANCELED";
}

bool processAlive(std::int64_t pid)
{
    return pid > 0 && (::kill(pid_t(pid), 0) == 0 || errno == EPERM);
}

std::string selfDirectory()
{
    std::error_code ec;
    const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
    return ec ? std::string() : exe.parent_path().string();
}

std::string findPipewright(const RunOptions &o)
{
    if (!o.pipewrightPath.empty())
        return o.pipewrightPath;
    if (const char *env = std::getenv("PIPEWRIGHT_BIN"); env && *env)
        return env;
    const std::string dir = selfDirectory();
    std::error_code ec;
    if (!dir.empty() && fs::exists(dir + "/pipewright", ec))
        return dir + "/pipewright";
    return "pipewright";
}

// What one attempt needs and what it gives back.
struct AttemptSpec
{
    std::vector<std::string> argv;
    std::string cwd;
    std::vector<std::pair<std::string, std::string>> env; // added to (or replacing in) this process's environment
    std::string logPath;
    std::string outputsPath;
    int timeoutSeconds = 0;
    std::int64_t logLimit = 0;
    int killGraceMillis = 5000;
};

struct AttemptOutcome
{
    std::string result; // SUCCESS | FAILED | TIMEDOUT | CANCELED
    std::string message;
    std::optional<int> exitCode;
    QJsonObject outputs;
};

QJsonObject readOutputs(const std::string &path, std::string &problem)
{
    std::ifstream in(path, std::ios::binary);
    if (!in)
        return {};
    std::stringstream ss;
    ss << in.rdbuf();
    const std::string text = ss.str();
    const auto first = text.find_first_not_of(" \t\r\n");
    if (first == std::string::npos)
        return {};
    if (text[first] == '{') {
        QJsonParseError err{};
        const QJsonDocument doc = QJsonDocument::fromJson(QByteArray::fromStdString(text), &err);
        if (err.error != QJsonParseError::NoError || !doc.isObject()) {
            problem = "its outputs file is not a JSON object: " + err.errorString().toStdString();
            return {};
        }
        return doc.object();
    }
    QJsonObject o;
    std::istringstream lines(text);
    for (std::string line; std::getline(lines, line);) {
        if (!line.empty() && line.back() == '\r')
            line.pop_back();
        if (line.empty())
            continue;
        const auto eq = line.find('=');
        if (eq == std::string::npos || eq == 0) {
            problem = "its outputs file has a line without NAME=VALUE: '" + line + "'";
            continue;
        }
        o.insert(qs(line.substr(0, eq)), qs(line.substr(eq + 1)));
    }
    return o;
}

// The attempt's environment: ours, with the attempt's variables added or replaced.
std::vector<std::string> attemptEnvironment(const AttemptSpec &spec)
{
    std::vector<std::string> envStrings;
    for (char **e = environ; *e; ++e) {
        const std::string entry = *e;
        const auto eq = entry.find('=');
        const std::string name = entry.substr(0, eq);
        const bool replaced = std::any_of(spec.env.begin(), spec.env.end(),
                                          [&](const auto &kv) { return kv.first == name; });
        if (!replaced)
            envStrings.push_back(entry);
    }
    for (const auto &[k, v] : spec.env)
        envStrings.push_back(k + "=" + v);
    return envStrings;
}

// Spawns spec.argv in a new process group (in spec.cwd), stdin from /dev/null, stdout and stderr into
// outFd, with the default disposition of the signals a shell would reset and nothing blocked. Returns
// posix_spawnp's error number (0: started, its pid in `pid`).
int spawnInGroup(const AttemptSpec &spec, int outFd, pid_t &pid)
{
    std::vector<std::string> envStrings = attemptEnvironment(spec);
    std::vector<char *> envp, argv;
    for (auto &s : envStrings)
        envp.push_back(s.data());
    envp.push_back(nullptr);
    std::vector<std::string> argvStrings = spec.argv;
    for (auto &s : argvStrings)
        argv.push_back(s.data());
    argv.push_back(nullptr);

    posix_spawn_file_actions_t fa;
    posix_spawnattr_t attr;
    posix_spawn_file_actions_init(&fa);
    posix_spawnattr_init(&attr);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&fa, outFd, 1);
    posix_spawn_file_actions_adddup2(&fa, outFd, 2);
    if (!spec.cwd.empty())
        posix_spawn_file_actions_addchdir_np(&fa, spec.cwd.c_str());
    sigset_t none, defaults;
    sigemptyset(&none);
    sigemptyset(&defaults);
    for (const int s : {SIGINT, SIGTERM, SIGPIPE, SIGHUP, SIGQUIT, SIGCHLD})
        sigaddset(&defaults, s);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
    posix_spawnattr_setpgroup(&attr, 0);
    posix_spawnattr_setsigmask(&attr, &none);
    posix_spawnattr_setsigdefault(&attr, &defaults);
    const int rc = ::posix_spawnp(&pid, argv[0], &fa, &attr, argv.data(), envp.data());
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&attr);
    return rc;
}

// The attempt's output: copied to the log up to its limit; its last bytes kept for the failure message.
struct OutputCopy
{
    std::FILE *log = nullptr;
    std::int64_t limit = 0;
    std::int64_t written = 0, dropped = 0;
    std::string tail;

    void add(const char *buf, std::int64_t n)
    {
        const std::int64_t room = std::max<std::int64_t>(0, limit - written);
        const std::int64_t keep = std::min<std::int64_t>(room, n);
        if (keep > 0) {
            std::fwrite(buf, 1, std::size_t(keep), log);
            std::fflush(log); // a reader following the log (the runs dock) sees each line as it comes
        }
        written += keep;
        dropped += n - keep;
        tail.append(buf, std::size_t(n));
        if (tail.size() > 2048)
            tail.erase(0, tail.size() - 1024);
    }
};

// How the watched attempt ended.
struct Watched
{
    int status = 0; // waitpid's
    bool timedOut = false, stopped = false;
};

// Copies the attempt's output until it has exited and the pipe is closed; on timeout or `stop` sends the
// group SIGTERM, then SIGKILL after the grace; once it exited, whatever it left in its group is killed.
Watched watchAttempt(const AttemptSpec &spec, pid_t pid, int fd, OutputCopy &output, const std::atomic<bool> &stop)
{
    Watched w;
    const auto started = Clock::now();
    bool exited = false, pipeOpen = true;
    std::optional<Clock::time_point> termSentAt;
    bool killSent = false;
    char buf[65536];
    while (!exited || pipeOpen) {
        if (pipeOpen) {
            pollfd pfd{fd, POLLIN, 0};
            const int pr = ::poll(&pfd, 1, 100);
            if (pr > 0) {
                const ssize_t n = ::read(fd, buf, sizeof buf);
                if (n > 0)
                    output.add(buf, n);
                else if (n == 0 || (errno != EINTR && errno != EAGAIN))
                    pipeOpen = false;
            }
        } else {
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
        if (!exited) {
            const pid_t waited = ::waitpid(pid, &w.status, WNOHANG);
            if (waited == pid) {
                exited = true;
                // Whatever the task left behind in its process group goes with it.
                ::kill(-pid, SIGKILL);
            }
        } else if (pipeOpen) {
            // The main process is gone; a process outside the group may still hold the pipe: read what is there.
            pollfd pfd{fd, POLLIN, 0};
            if (::poll(&pfd, 1, 200) <= 0)
                pipeOpen = false;
        }
        if (exited)
            continue;
        const auto now = Clock::now();
        if (!termSentAt) {
            if (spec.timeoutSeconds > 0 && now - started >= std::chrono::seconds(spec.timeoutSeconds))
                w.timedOut = true;
            if (stop.load())
                w.stopped = true;
            if (w.timedOut || w.stopped) {
                ::kill(-pid, SIGTERM);
                termSentAt = now;
            }
        } else if (!killSent && now - *termSentAt >= std::chrono::milliseconds(spec.killGraceMillis)) {
            ::kill(-pid, SIGKILL);
            killSent = true;
        }
    }
    return w;
}

// The last line of the output, at most 300 characters of it.
std::string lastLine(std::string tail)
{
    while (!tail.empty() && std::isspace(static_cast<unsigned char>(tail.back())))
        tail.pop_back();
    const auto nl = tail.find_last_of('\n');
    std::string last = nl == std::string::npos ? tail : tail.substr(nl + 1);
    if (last.size() > 300)
        last = last.substr(0, 300) + "...";
    return last;
}

// The attempt's result from how it ended and what it left in its outputs file.
void conclude(const AttemptSpec &spec, const Watched &w, const std::string &tail, AttemptOutcome &out)
{
    if (WIFEXITED(w.status))
        out.exitCode = WEXITSTATUS(w.status);
    std::string outputsProblem;
    out.outputs = readOutputs(spec.outputsPath, outputsProblem);
    if (w.timedOut) {
        out.result = "TIMEDOUT";
        out.message = "timed out after " + std::to_string(spec.timeoutSeconds) + " s; its processes were ended";
    } else if (w.stopped) {
        out.result = "CANCELED";
        out.message = "canceled; its processes were ended";
    } else if (WIFSIGNALED(w.status)) {
        out.result = "FAILED";
        out.message = std::string("killed by signal ") + ::strsignal(WTERMSIG(w.status));
    } else if (out.exitCode != 0) {
        out.result = "FAILED";
        out.message = "exited with code " + std::to_string(*out.exitCode);
        const std::string last = lastLine(tail);
        out.message += last.empty() ? " (see the log)" : ": " + last;
    } else if (!outputsProblem.empty()) {
        out.result = "FAILED";
        out.message = outputsProblem;
    } else {
        out.result = "SUCCESS";
    }
    out.outputs.insert("exit_code", out.exitCode ? QJsonValue(*out.exitCode) : QJsonValue());
}

// Spawns the attempt (new process group), copies its output to the log (bounded), enforces the timeout and
// `stop`, and ends every process of the group before it returns.
AttemptOutcome runAttempt(const AttemptSpec &spec, const std::atomic<bool> &stop)
{
    AttemptOutcome out;
    std::FILE *log = std::fopen(spec.logPath.c_str(), "wb");
    if (!log) {
        out.result = "FAILED";
        out.message = "cannot create log file '" + spec.logPath + "': " + std::strerror(errno);
        return out;
    }
    struct LogCloser
    {
        std::FILE *f;
        ~LogCloser() { std::fclose(f); }
    } closer{log};

    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) {
        out.result = "FAILED";
        out.message = std::string("cannot create a pipe: ") + std::strerror(errno);
        return out;
    }
    pid_t pid = -1;
    const int rc = spawnInGroup(spec, fds[1], pid);
    ::close(fds[1]);
    if (rc != 0) {
        ::close(fds[0]);
        out.result = "FAILED";
        out.message = "cannot start '" + spec.argv.front() + "'" + (spec.cwd.empty() ? "" : " in '" + spec.cwd + "'")
                      + ": " + std::strerror(rc);
        std::fprintf(log, "%s\n", out.message.c_str());
        return out;
    }

    OutputCopy output;
    output.log = log;
    output.limit = spec.logLimit;
    const Watched w = watchAttempt(spec, pid, fds[0], output, stop);
    ::close(fds[0]);
    if (output.dropped > 0)
        std::fprintf(log, "\n[pipewright: the log reached its limit of %lld bytes; %lld more bytes were not kept]\n",
                     static_cast<long long>(spec.logLimit), static_cast<long long>(output.dropped));
    conclude(spec, w, output.tail, out);
    return out;
}

// The per-task state the driving thread keeps.
struct TaskState
{
    const Task *task = nullptr;
    bool selected = true;
    bool done = false;
    bool running = false;
    int attempts = 0;
    std::string lifeCycle = "PENDING";
    std::string result;
    std::string message;
    QJsonObject outputs;
    Clock::time_point notBefore{};
    double seconds = 0;
};

class Driver
{
public:
    Driver(const store::Workspace &ws, const Pipeline &p, const RunOptions &o, const Observer &observer,
           const std::atomic<bool> *cancel)
        : m_ws(ws)
        , m_p(p)
        , m_o(o)
        , m_observer(observer)
        , m_externalCancel(cancel)
    {
    }

    RunInfo run();

private:
    void notify(const Event &e)
    {
        if (m_observer)
            m_observer(e);
    }
    void setRunState(const std::string &lifeCycle, const std::string &result, const std::string &message);
    void recordTask(const std::string &key, int attempt, const TaskState &s, const std::string &start,
                    const std::string &end, std::optional<int> exitCode, const std::string &logPath, bool insert);
    void finishTask(const std::string &key, const std::string &lifeCycle, const std::string &result,
                    const std::string &message);
    bool cancelRequested();
    void startAttempt(const std::string &key);
    std::map<std::string, QJsonObject> outputsForReferences(const std::string &key);
    void sendNotifications(const std::vector<Notification> &list, const std::string &event, const std::string &result,
                           const std::string &message);
    // The steps of run().
    QJsonObject resolveParams();
    bool createRun(const QJsonObject &paramsJson); // false: recorded SKIPPED
    void prepareTasks();
    bool drive(); // returns whether the run was canceled
    bool startReady(bool canceled, int parallel, int &running);
    void collectFinished(bool canceled, int &running);
    void conclude(bool canceled);

    const store::Workspace &m_ws;
    const Pipeline &m_p;
    const RunOptions &m_o;
    const Observer &m_observer;
    const std::atomic<bool> *m_externalCancel;
    std::unique_ptr<store::Database> m_db;
    std::int64_t m_runId = 0;
    std::map<std::string, std::string> m_params;
    std::map<std::string, TaskState> m_state;
    std::vector<std::string> m_order;
    std::string m_logDir;

    // Attempt threads report here.
    struct Finished
    {
        std::string key;
        int attempt;
        AttemptOutcome outcome;
        std::string start, end, logPath;
        double seconds;
    };
    std::mutex m_mutex;
    std::condition_variable m_cv;
    std::vector<Finished> m_finished;
    std::vector<std::thread> m_threads;
    std::atomic<bool> m_stop{false};
    Clock::time_point m_lastCancelPoll{};
};

bool Driver::cancelRequested()
{
    if (m_stop.load())
        return true;
    if (m_externalCancel && m_externalCancel->load()) {
        m_stop.store(true);
        return true;
    }
    if (Clock::now() - m_lastCancelPoll >= std::chrono::milliseconds(200)) {
        m_lastCancelPoll = Clock::now();
        store::Statement st(*m_db, "SELECT cancel_requested FROM pipeline_runs WHERE run_id = ?1");
        st.bind(1, m_runId);
        if (st.step() && st.int64(0)) {
            m_stop.store(true);
            return true;
        }
    }
    return false;
}

void Driver::setRunState(const std::string &lifeCycle, const std::string &result, const std::string &message)
{
    const bool ended = lifeCycle == "TERMINATED" || lifeCycle == "SKIPPED" || lifeCycle == "INTERNAL_ERROR";
    store::Statement st(*m_db, "UPDATE pipeline_runs SET life_cycle_state = ?2, result_state = ?3, state_message = ?4, "
                               "end_time = CASE WHEN ?5 THEN ?6 ELSE end_time END WHERE run_id = ?1");
    st.bind(1, m_runId).bind(2, lifeCycle).bind(3, result.empty() ? std::optional<std::string>() : result);
    st.bind(4, message).bind(5, ended ? 1 : 0).bind(6, catalog::nowIso());
    st.exec();
    notify({m_runId, {}, 0, lifeCycle, result, message, {}});
}

void Driver::recordTask(const std::string &key, int attempt, const TaskState &s, const std::string &start,
                        const std::string &end, std::optional<int> exitCode, const std::string &logPath, bool insert)
{
    store::Statement st(*m_db, insert ? "INSERT OR REPLACE INTO pipeline_task_runs (run_id, task_key, attempt, "
                                        "life_cycle_state, result_state, state_message, start_time, end_time, "
                                        "exit_code, log_path, outputs) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, "
                                        "?10, ?11)"
                                      : "UPDATE pipeline_task_runs SET life_cycle_state = ?4, result_state = ?5, "
                                        "state_message = ?6, start_time = ?7, end_time = ?8, exit_code = ?9, "
                                        "log_path = ?10, outputs = ?11 WHERE run_id = ?1 AND task_key = ?2 AND "
                                        "attempt = ?3");
    st.bind(1, m_runId).bind(2, key).bind(3, attempt).bind(4, s.lifeCycle);
    st.bind(5, s.result.empty() ? std::optional<std::string>() : s.result).bind(6, s.message);
    st.bind(7, start.empty() ? std::optional<std::string>() : start);
    st.bind(8, end.empty() ? std::optional<std::string>() : end);
    st.bind(9, exitCode ? std::optional<std::int64_t>(*exitCode) : std::nullopt);
    st.bind(10, logPath.empty() ? std::optional<std::string>() : logPath).bind(11, compactJson(s.outputs));
    st.exec();
}

void Driver::finishTask(const std::string &key, const std::string &lifeCycle, const std::string &result,
                        const std::string &message)
{
    TaskState &s = m_state[key];
    s.done = true;
    s.lifeCycle = lifeCycle;
    s.result = result;
    s.message = message;
    if (s.attempts == 0) {
        const std::string now = catalog::nowIso();
        recordTask(key, 0, s, {}, now, std::nullopt, {}, true);
    }
    notify({m_runId, key, s.attempts, lifeCycle, result, message, {}});
}

std::map<std::string, QJsonObject> Driver::outputsForReferences(const std::string &key)
{
    // Outputs of upstream tasks: this run's, or, for upstream tasks outside a partial run, those of the latest
    // successful attempt of that task in an earlier run of this pipeline.
    std::map<std::string, QJsonObject> outputs;
    for (const auto &up : upstreamOf(m_p, key)) {
        const TaskState &s = m_state[up];
        if (s.selected || !s.outputs.isEmpty()) {
            outputs[up] = s.outputs;
            continue;
        }
        store::Statement st(*m_db, "SELECT t.outputs FROM pipeline_task_runs t JOIN pipeline_runs r ON r.run_id = "
                                   "t.run_id WHERE r.pipeline = ?1 AND t.task_key = ?2 AND t.result_state = 'SUCCESS' "
                                   "AND r.run_id <> ?3 ORDER BY r.run_id DESC, t.attempt DESC LIMIT 1");
        st.bind(1, m_p.name).bind(2, up).bind(3, m_runId);
        if (st.step())
            outputs[up] = parseObject(st.text(0));
    }
    return outputs;
}

void Driver::startAttempt(const std::string &key)
{
    TaskState &s = m_state[key];
    const Task &t = *s.task;
    const int attempt = ++s.attempts;
    s.running = true;
    s.lifeCycle = "RUNNING";
    s.result.clear();
    s.message.clear();
    s.outputs = {};
    const std::string logPath = m_logDir + "/" + key + "-" + std::to_string(attempt) + ".log";
    const std::string outputsPath = m_logDir + "/." + key + "-" + std::to_string(attempt) + ".outputs";
    const std::string start = catalog::nowIso();
    recordTask(key, attempt, s, start, {}, std::nullopt, logPath, true);
    notify({m_runId, key, attempt, "RUNNING", {}, {}, logPath});

    AttemptSpec spec;
    spec.logPath = logPath;
    spec.outputsPath = outputsPath;
    spec.timeoutSeconds = t.timeoutSeconds;
    spec.logLimit = m_o.logLimitBytes;
    spec.killGraceMillis = m_o.killGraceMillis;
    spec.env = {{"PIPEWRIGHT_OUTPUTS", outputsPath},
                {"PIPEWRIGHT_RUN_ID", std::to_string(m_runId)},
                {"PIPEWRIGHT_TASK_KEY", key},
                {"PIPEWRIGHT_ATTEMPT", std::to_string(attempt)},
                {"PIPEWRIGHT_WORKSPACE", m_ws.root()}};
    std::string problem;
    try {
        const auto outputs = outputsForReferences(key);
        auto sub = [&](const std::string &text) { return substitute(text, m_params, outputs, m_runId, m_p.name); };
        const QJsonObject params = mapJsonStrings(t.params, sub).toObject();
        // A type with a command is a program the executor runs itself; the others run in `pipeline run-task`.
        const TaskType *type = taskType(t.type);
        if (type && type->command) {
            TaskCommand command = type->command(params);
            spec.argv = std::move(command.argv);
            spec.cwd = std::move(command.cwd);
            spec.env.insert(spec.env.end(), command.env.begin(), command.env.end());
        } else {
            spec.argv = {findPipewright(m_o), "pipeline",          "run-task",    t.type,
                         "--params-json",     compactJson(params), "--workspace", m_ws.root()};
            if (t.target != "local")
                spec.argv.insert(spec.argv.end(), {"--target", t.target});
        }
        if (spec.argv.empty())
            problem = "argv is empty";
    } catch (const std::exception &e) {
        problem = e.what();
    }
    std::error_code ec;
    fs::remove(outputsPath, ec);
    m_threads.emplace_back([this, key, attempt, spec, problem, start] {
        const auto t0 = Clock::now();
        AttemptOutcome outcome;
        if (!problem.empty()) {
            outcome.result = "FAILED";
            outcome.message = problem;
            if (std::FILE *f = std::fopen(spec.logPath.c_str(), "wb")) {
                std::fprintf(f, "%s\n", problem.c_str());
                std::fclose(f);
            }
        } else {
            outcome = runAttempt(spec, m_stop);
        }
        std::error_code e;
        fs::remove(spec.outputsPath, e);
        const double seconds = std::chrono::duration<double>(Clock::now() - t0).count();
        std::lock_guard lock(m_mutex);
        m_finished.push_back({key, attempt, std::move(outcome), start, catalog::nowIso(), spec.logPath, seconds});
        m_cv.notify_all();
    });
}

void Driver::sendNotifications(const std::vector<Notification> &list, const std::string &event,
                               const std::string &result, const std::string &message)
{
    int index = 0;
    for (const Notification &n : list) {
        ++index;
        const std::string title = "Pipewright: " + m_p.name + " run " + std::to_string(m_runId);
        const std::string body = event == "on_start" ? "started" : result + (message.empty() ? "" : ": " + message);
        if (n.desktop) {
            if (m_o.desktopNotifier)
                m_o.desktopNotifier(title, body);
            continue;
        }
        if (n.argv.empty())
            continue;
        // A command: run with the run's id, name and result in its environment, its output in the run's logs.
        AttemptSpec spec;
        spec.argv = n.argv;
        spec.logPath = m_logDir + "/notify-" + event + "-" + std::to_string(index) + ".log";
        spec.outputsPath = m_logDir + "/.notify-" + event + "-" + std::to_string(index) + ".outputs";
        spec.timeoutSeconds = 30;
        spec.logLimit = 1024 * 1024;
        spec.killGraceMillis = 1000;
        spec.env = {{"PIPEWRIGHT_RUN_ID", std::to_string(m_runId)},
                    {"PIPEWRIGHT_PIPELINE", m_p.name},
                    {"PIPEWRIGHT_EVENT", event},
                    {"PIPEWRIGHT_RESULT", result},
                    {"PIPEWRIGHT_STATE_MESSAGE", message},
                    {"PIPEWRIGHT_WORKSPACE", m_ws.root()}};
        const std::atomic<bool> never{false};
        const AttemptOutcome out = runAttempt(spec, never);
        std::error_code ec;
        fs::remove(spec.outputsPath, ec);
        if (out.result != "SUCCESS")
            notify({m_runId,
                    {},
                    0,
                    "RUNNING",
                    {},
                    "notification " + event + " '" + n.argv.front() + "' " + out.message,
                    spec.logPath});
    }
}

// Which tasks run: all, or --only, --from (and downstream), --to (and upstream), both (the tasks between
// them), or the repair's selection; never those whose outputs a repair reuses.
std::set<std::string> selectTasks(const Pipeline &p, const RunOptions &o, const std::vector<std::string> &order)
{
    std::set<std::string> selected;
    const bool partial = !o.only.empty() || !o.from.empty() || !o.to.empty();
    for (const auto &k : order)
        selected.insert(k);
    if (partial) {
        std::set<std::string> sel;
        for (const auto &k : o.only)
            sel.insert(k);
        if (!o.from.empty()) {
            for (const auto &k : order) {
                const auto up = upstreamOf(p, k);
                if (k == o.from || std::find(up.begin(), up.end(), o.from) != up.end())
                    sel.insert(k);
            }
        }
        if (!o.to.empty()) {
            sel.insert(o.to);
            for (const auto &k : upstreamOf(p, o.to))
                sel.insert(k);
        }
        if (!o.from.empty() && !o.to.empty()) {
            // Both: the tasks between them.
            std::set<std::string> between;
            const auto upTo = upstreamOf(p, o.to);
            for (const auto &k : sel) {
                const auto up = upstreamOf(p, k);
                const bool afterFrom = k == o.from || std::find(up.begin(), up.end(), o.from) != up.end();
                const bool beforeTo = k == o.to || std::find(upTo.begin(), upTo.end(), k) != upTo.end();
                if (afterFrom && beforeTo)
                    between.insert(k);
            }
            sel = between;
        }
        selected = sel;
    }
    for (const auto &[k, outputs] : o.reused)
        selected.erase(k);
    return selected;
}

// How the dependencies of a task ended; those outside a partial run are neutral.
struct Upstream
{
    bool done = true; // all of them
    int deps = 0, succeeded = 0, failed = 0, canceled = 0, executed = 0;
};

Upstream upstreamStates(const Task &t, std::map<std::string, TaskState> &state)
{
    Upstream u;
    for (const auto &d : t.dependsOn) {
        const TaskState &ds = state[d];
        if (!ds.done) {
            u.done = false;
            break;
        }
        if (ds.result == "EXCLUDED" && !ds.selected)
            continue; // outside a partial run: neutral
        ++u.deps;
        // An upstream task excluded by its own run_if counts as succeeded (as Databricks evaluates it).
        u.succeeded += ds.result == "SUCCESS" || ds.result == "EXCLUDED";
        u.failed += isFailure(ds.result);
        u.canceled += isCanceled(ds.result);
        u.executed += ds.attempts > 0 || ds.result == "SUCCESS";
    }
    return u;
}

// Whether the run_if condition `c` holds for dependencies that all ended (always, without any).
bool runIfMet(const std::string &c, const Upstream &u)
{
    if (u.deps == 0)
        return true;
    if (c == "ALL_SUCCESS")
        return u.succeeded == u.deps;
    if (c == "AT_LEAST_ONE_SUCCESS")
        return u.succeeded > 0;
    if (c == "NONE_FAILED")
        return u.failed == 0 && u.canceled == 0 && u.executed > 0;
    if (c == "AT_LEAST_ONE_FAILED")
        return u.failed > 0;
    if (c == "ALL_FAILED")
        return u.failed == u.deps;
    return true; // ALL_DONE
}

// The result of a task skipped because its run_if is not met. Databricks: a condition that waits for
// failures (AT_LEAST_ONE_FAILED, ALL_FAILED) and is not met leaves the task Excluded; one that needs
// successes is not met because of the failures upstream.
std::string unmetRunIfResult(const std::string &c, const Upstream &u)
{
    const bool wantsFailures = c == "AT_LEAST_ONE_FAILED" || c == "ALL_FAILED";
    return u.canceled > 0 ? "UPSTREAM_CANCELED" : u.failed > 0 && !wantsFailures ? "UPSTREAM_FAILED" : "EXCLUDED";
}

QJsonObject Driver::resolveParams()
{
    // Parameters: the defaults, overridden by the run's.
    for (const auto &[k, v] : m_p.parameters)
        m_params[k] = v;
    for (const auto &[k, v] : m_o.params)
        m_params[k] = v;
    QJsonObject paramsJson;
    for (const auto &[k, v] : m_params)
        paramsJson.insert(qs(k), qs(v));
    return paramsJson;
}

bool Driver::createRun(const QJsonObject &paramsJson)
{
    // Create the run, or record it SKIPPED when max_concurrent_runs is reached (one transaction: two
    // executors starting at once count each other).
    failOrphanedRuns(*m_db);
    store::Transaction tx(*m_db);
    store::Statement count(*m_db, "SELECT count(*) FROM pipeline_runs WHERE pipeline = ?1 AND life_cycle_state IN "
                                  "('PENDING', 'RUNNING', 'TERMINATING')");
    count.bind(1, m_p.name);
    const int active = count.step() ? count.int32(0) : 0;
    const bool skipped = active >= m_p.maxConcurrentRuns;
    store::Statement ins(*m_db, "INSERT INTO pipeline_runs (pipeline, file, definition, parameters, trigger, "
                                "repair_of, life_cycle_state, result_state, state_message, start_time, end_time, "
                                "executor_pid) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)");
    const std::string now = catalog::nowIso();
    const std::string message = skipped ? "skipped: " + std::to_string(active) + " run(s) of '" + m_p.name
                                              + "' in progress and max_concurrent_runs is "
                                              + std::to_string(m_p.maxConcurrentRuns)
                                        : std::string();
    ins.bind(1, m_p.name).bind(2, m_o.file).bind(3, compactJson(toJson(m_p))).bind(4, compactJson(paramsJson));
    ins.bind(5, m_o.trigger).bind(6, m_o.repairOf);
    ins.bind(7, skipped ? "SKIPPED" : "PENDING")
        .bind(8, skipped ? std::optional<std::string>("MAXIMUM_CONCURRENT_RUNS_REACHED") : std::nullopt);
    ins.bind(9, message).bind(10, now).bind(11, skipped ? std::optional<std::string>(now) : std::nullopt);
    ins.bind(12, std::int64_t(::getpid()));
    ins.exec();
    m_runId = m_db->lastInsertRowId();
    tx.commit();
    if (skipped)
        notify({m_runId, {}, 0, "SKIPPED", "MAXIMUM_CONCURRENT_RUNS_REACHED", message, {}});
    return !skipped;
}

void Driver::prepareTasks()
{
    m_order = topologicalOrder(m_p);
    const std::set<std::string> selected = selectTasks(m_p, m_o, m_order);
    for (const Task &t : m_p.tasks) {
        TaskState s;
        s.task = &t;
        s.selected = selected.count(t.key) > 0;
        m_state[t.key] = s;
    }
    setRunState("RUNNING", {}, {});
    sendNotifications(m_p.notifications.onStart, "on_start", {}, {});
    for (const auto &k : m_order) {
        TaskState &s = m_state[k];
        if (auto it = m_o.reused.find(k); it != m_o.reused.end()) {
            s.outputs = it->second;
            finishTask(k, "TERMINATED", "SUCCESS",
                       "reused from run " + std::to_string(m_o.repairOf.value_or(0)) + " (succeeded there)");
        } else if (!s.selected) {
            finishTask(k, "SKIPPED", "EXCLUDED", "not selected for this run");
        }
    }
}

bool Driver::startReady(bool canceled, int parallel, int &running)
{
    // Start or skip what is ready, in dependency order.
    bool allDone = true;
    for (const auto &k : m_order) {
        TaskState &s = m_state[k];
        if (s.done)
            continue;
        allDone = false;
        if (s.running)
            continue;
        const Upstream u = upstreamStates(*s.task, m_state);
        if (!u.done)
            continue;
        if (canceled) {
            finishTask(k, "SKIPPED", s.attempts ? "CANCELED" : "UPSTREAM_CANCELED", "the run was canceled");
            continue;
        }
        const std::string &c = s.task->runIf;
        if (!runIfMet(c, u)) {
            finishTask(k, "SKIPPED", unmetRunIfResult(c, u), "run_if " + c + " is not met by its dependencies");
            continue;
        }
        if (running < parallel && Clock::now() >= s.notBefore) {
            startAttempt(k);
            ++running;
        }
    }
    return allDone;
}

void Driver::collectFinished(bool canceled, int &running)
{
    // Wait for an attempt to end (or a retry time, or the cancel poll).
    std::vector<Finished> finished;
    {
        std::unique_lock lock(m_mutex);
        m_cv.wait_for(lock, std::chrono::milliseconds(100), [&] { return !m_finished.empty(); });
        finished.swap(m_finished);
    }
    for (Finished &f : finished) {
        --running;
        TaskState &s = m_state[f.key];
        s.running = false;
        s.seconds += f.seconds;
        s.outputs = f.outcome.outputs;
        s.result = f.outcome.result;
        s.message = f.outcome.message;
        s.lifeCycle = "TERMINATED";
        recordTask(f.key, f.attempt, s, f.start, f.end, f.outcome.exitCode, f.logPath, false);
        const Task &t = *s.task;
        const int maxRetries = t.maxRetries < 0 ? 100 : t.maxRetries;
        const bool retry = !canceled && !m_stop.load() && f.attempt <= maxRetries
                           && (s.result == "FAILED" || (s.result == "TIMEDOUT" && t.retryOnTimeout));
        if (retry) {
            s.lifeCycle = "PENDING";
            s.notBefore = Clock::now() + std::chrono::milliseconds(t.minRetryIntervalMillis);
            notify({m_runId, f.key, f.attempt, "TERMINATED", s.result,
                    s.message + "; retrying (attempt " + std::to_string(f.attempt + 1) + ")", f.logPath});
            continue;
        }
        s.done = true;
        notify({m_runId, f.key, f.attempt, "TERMINATED", s.result, s.message, f.logPath});
    }
}

bool Driver::drive()
{
    const int parallel = std::max(1, m_p.maxParallelTasks);
    int running = 0;
    bool canceled = false;
    while (true) {
        if (!canceled && cancelRequested()) {
            canceled = true;
            setRunState("TERMINATING", {}, "canceling");
        }
        const bool allDone = startReady(canceled, parallel, running);
        if (allDone && running == 0)
            break;
        collectFinished(canceled, running);
    }
    for (auto &t : m_threads)
        t.join();
    return canceled;
}

void Driver::conclude(bool canceled)
{
    std::string result = "SUCCESS";
    std::string message;
    for (const auto &k : m_order) {
        const TaskState &s = m_state[k];
        if (canceled) {
            result = "CANCELED";
            message = "canceled";
        } else if (isFailure(s.result) && result == "SUCCESS") {
            result = "FAILED";
            message = "task '" + k + "' "
                      + (s.result == "TIMEDOUT" ? "timed out"
                         : s.result == "FAILED" ? "failed"
                                                : "was skipped (upstream failed)")
                      + (s.message.empty() ? "" : ": " + s.message);
        }
    }
    sendNotifications(result == "SUCCESS" ? m_p.notifications.onSuccess : m_p.notifications.onFailure,
                      result == "SUCCESS" ? "on_success" : "on_failure", result, message);
    setRunState("TERMINATED", result, message);
}

RunInfo Driver::run()
{
    m_db = m_ws.openCatalog();
    const QJsonObject paramsJson = resolveParams();
    if (!createRun(paramsJson))
        return loadRun(*m_db, m_runId); // skipped
    if (m_o.onRunCreated)
        m_o.onRunCreated(m_runId);
    m_logDir = m_ws.logsDir() + "/" + std::to_string(m_runId);
    std::error_code ec;
    fs::create_directories(m_logDir, ec);
    if (ec) {
        setRunState("INTERNAL_ERROR", "FAILED", "cannot create the log folder '" + m_logDir + "': " + ec.message());
        return loadRun(*m_db, m_runId);
    }
    prepareTasks();
    conclude(drive());
    return loadRun(*m_db, m_runId);
}

} // namespace

std::string substitute(const std::string &text, const std::map<std::string, std::string> &params,
                       const std::map<std::string, QJsonObject> &outputs, std::int64_t runId,
                       const std::string &runName)
{
    std::string out;
    std::size_t pos = 0;
    for (const Reference &r : referencesIn(text)) {
        const auto at = text.find(r.text, pos);
        out += text.substr(pos, at - pos);
        pos = at + r.text.size();
        if (r.kind == "params") {
            const auto it = params.find(r.name);
            if (it == params.end())
                throw std::runtime_error(r.text + ": no parameter '" + r.name + "'");
            out += it->second;
        } else if (r.kind == "tasks") {
            const auto it = outputs.find(r.name);
            if (it == outputs.end() || !it->second.contains(qs(r.output)))
                throw std::runtime_error(r.text + ": task '" + r.name + "' has no output '" + r.output
                                         + (it == outputs.end() ? "' (it did not run)" : "'"));
            out += jsonScalarText(it->second.value(qs(r.output)));
        } else if (r.kind == "run" && r.name == "id") {
            out += std::to_string(runId);
        } else if (r.kind == "run" && r.name == "name") {
            out += runName;
        } else {
            throw std::runtime_error(r.text + ": unknown reference");
        }
    }
    return out + text.substr(pos);
}

RunInfo runPipeline(const store::Workspace &ws, const Pipeline &p, const RunOptions &options, const Observer &observer,
                    const std::atomic<bool> *cancel)
{
    const auto errors = validate(p);
    if (!errors.empty()) {
        std::string text;
        for (const auto &e : errors)
            text += "\n  " + errorText(e);
        throw std::runtime_error("pipeline '" + printable(p.name) + "' is not valid:" + text);
    }
    std::vector<std::string> named = options.only;
    if (!options.from.empty())
        named.push_back(options.from);
    if (!options.to.empty())
        named.push_back(options.to);
    for (const auto &k : named) {
        if (!p.task(k))
            throw std::runtime_error("pipeline '" + p.name + "' has no task '" + k + "'");
    }
    RunInfo result;
    std::exception_ptr error;
    // The run is driven on its own thread: observers are called off the caller's thread.
    std::thread driver([&] {
        try {
            Driver d(ws, p, options, observer, cancel);
            result = d.run();
        } catch (...) {
            error = std::current_exception();
        }
    });
    driver.join();
    if (error)
        std::rethrow_exception(error);
    return result;
}

RunInfo repairRun(const store::Workspace &ws, std::int64_t runId, RunOptions options, const Observer &observer,
                  const std::atomic<bool> *cancel)
{
    auto db = ws.openCatalog();
    failOrphanedRuns(*db); // a run whose executor was killed is ended, and so can be repaired
    const RunInfo old = loadRun(*db, runId);
    if (old.lifeCycle == "RUNNING" || old.lifeCycle == "PENDING" || old.lifeCycle == "TERMINATING")
        throw std::runtime_error("run " + std::to_string(runId) + " is still " + old.lifeCycle);
    if (old.result == "SUCCESS")
        throw std::runtime_error("run " + std::to_string(runId) + " succeeded: nothing to repair");
    const Pipeline p = pipelineOfRun(*db, runId);
    options.repairOf = runId;
    options.trigger = "repair";
    options.file = old.file;
    for (auto it = old.parameters.begin(); it != old.parameters.end(); ++it) {
        if (!options.params.count(it.key().toStdString()))
            options.params[it.key().toStdString()] = it.value().toString().toStdString();
    }
    // Rerun: every task that did not succeed, and everything downstream of those; the rest keep their outputs.
    std::set<std::string> rerun;
    for (const TaskRunInfo &t : old.tasks) {
        if (t.result != "SUCCESS")
            rerun.insert(t.key);
    }
    for (const TaskRunInfo &t : old.tasks) {
        const auto up = upstreamOf(p, t.key);
        if (std::any_of(up.begin(), up.end(), [&](const std::string &u) { return rerun.count(u) > 0; }))
            rerun.insert(t.key);
    }
    for (const TaskRunInfo &t : old.tasks) {
        if (!rerun.count(t.key))
            options.reused[t.key] = t.outputs;
    }
    return runPipeline(ws, p, options, observer, cancel);
}

std::vector<EarlierAttempt> earlierAttempts(store::Database &db, std::int64_t runId, const std::string &taskKey,
                                            int attempt)
{
    std::vector<EarlierAttempt> out;
    std::set<std::int64_t> seen;
    int before = attempt;
    for (std::int64_t run = runId; run > 0 && seen.insert(run).second;) {
        store::Statement st(db,
                            "SELECT attempt, coalesce(result_state, ''), outputs FROM pipeline_task_runs WHERE "
                            "run_id = ?1 AND task_key = ?2 AND attempt >= 1 AND attempt < ?3 ORDER BY attempt DESC");
        st.bind(1, run).bind(2, taskKey).bind(3, before);
        while (st.step())
            out.push_back({run, st.int32(0), st.text(1), parseObject(st.text(2))});
        store::Statement up(db, "SELECT coalesce(repair_of, 0) FROM pipeline_runs WHERE run_id = ?1");
        up.bind(1, run);
        run = up.step() ? up.int64(0) : 0;
        before = std::numeric_limits<int>::max(); // every attempt of a repaired run came before
    }
    return out;
}

void recordAttemptOutputs(store::Database &db, std::int64_t runId, const std::string &taskKey, int attempt,
                          const QJsonObject &outputs)
{
    store::Statement st(db, "UPDATE pipeline_task_runs SET outputs = ?4 WHERE run_id = ?1 AND task_key = ?2 AND "
                            "attempt = ?3");
    st.bind(1, runId).bind(2, taskKey).bind(3, attempt).bind(4, compactJson(outputs));
    st.exec();
}

RunInfo loadRun(store::Database &db, std::int64_t runId)
{
    store::Statement st(db, "SELECT run_id, pipeline, coalesce(file, ''), trigger, coalesce(repair_of, 0), "
                            "life_cycle_state, coalesce(result_state, ''), state_message, start_time, "
                            "coalesce(end_time, ''), parameters, definition FROM pipeline_runs WHERE run_id = ?1");
    st.bind(1, runId);
    if (!st.step())
        throw std::runtime_error("no pipeline run " + std::to_string(runId) + " (see `pipewright pipeline runs`)");
    RunInfo r;
    r.runId = st.int64(0);
    r.pipeline = st.text(1);
    r.file = st.text(2);
    r.trigger = st.text(3);
    r.repairOf = st.int64(4);
    r.lifeCycle = st.text(5);
    r.result = st.text(6);
    r.message = st.text(7);
    r.start = st.text(8);
    r.end = st.text(9);
    r.parameters = parseObject(st.text(10));
    std::vector<ValidationError> ignored;
    const Pipeline p = parsePipeline(QByteArray::fromStdString(st.text(11)), ignored);
    std::map<std::string, TaskRunInfo> byKey;
    store::Statement at(db, "SELECT task_key, attempt, life_cycle_state, coalesce(result_state, ''), state_message, "
                            "coalesce(start_time, ''), coalesce(end_time, ''), exit_code, coalesce(log_path, ''), "
                            "outputs FROM pipeline_task_runs WHERE run_id = ?1 ORDER BY task_key, attempt");
    at.bind(1, runId);
    while (at.step()) {
        AttemptInfo a;
        a.attempt = at.int32(1);
        a.lifeCycle = at.text(2);
        a.result = at.text(3);
        a.message = at.text(4);
        a.start = at.text(5);
        a.end = at.text(6);
        if (!at.isNull(7))
            a.exitCode = at.int32(7);
        a.logPath = at.text(8);
        a.outputs = parseObject(at.text(9));
        TaskRunInfo &t = byKey[at.text(0)];
        t.key = at.text(0);
        t.lifeCycle = a.lifeCycle;
        t.result = a.result;
        t.message = a.message;
        t.outputs = a.outputs;
        if (a.attempt > 0) {
            t.attempts = a.attempt;
            const QDateTime s = QDateTime::fromString(qs(a.start), Qt::ISODateWithMs);
            const QDateTime e = QDateTime::fromString(qs(a.end), Qt::ISODateWithMs);
            if (s.isValid() && e.isValid())
                t.durationSeconds += double(s.msecsTo(e)) / 1000.0;
        }
        t.attemptList.push_back(std::move(a));
    }
    for (const auto &k : topologicalOrder(p)) {
        auto it = byKey.find(k);
        if (it != byKey.end()) {
            r.tasks.push_back(std::move(it->second));
            byKey.erase(it);
        } else {
            TaskRunInfo t;
            t.key = k;
            t.lifeCycle = "PENDING";
            r.tasks.push_back(t);
        }
    }
    for (auto &[k, t] : byKey)
        r.tasks.push_back(std::move(t));
    return r;
}

std::vector<RunInfo> listRuns(store::Database &db, const std::string &pipeline, int limit)
{
    store::Statement st(db, "SELECT run_id FROM pipeline_runs WHERE ?1 = '' OR pipeline = ?1 ORDER BY run_id DESC "
                            "LIMIT ?2");
    st.bind(1, pipeline).bind(2, std::int64_t(limit < 0 ? -1 : limit));
    std::vector<std::int64_t> ids;
    while (st.step())
        ids.push_back(st.int64(0));
    std::vector<RunInfo> out;
    for (const auto id : ids)
        out.push_back(loadRun(db, id));
    return out;
}

std::vector<std::string> filesWithRuns(store::Database &db)
{
    store::Statement st(db, "SELECT file FROM pipeline_runs WHERE coalesce(file, '') <> '' GROUP BY file "
                            "ORDER BY max(run_id) DESC");
    std::vector<std::string> files;
    while (st.step())
        files.push_back(st.text(0));
    return files;
}

Pipeline pipelineOfRun(store::Database &db, std::int64_t runId)
{
    store::Statement st(db, "SELECT definition FROM pipeline_runs WHERE run_id = ?1");
    st.bind(1, runId);
    if (!st.step())
        throw std::runtime_error("no pipeline run " + std::to_string(runId));
    std::vector<ValidationError> errors;
    Pipeline p = parsePipeline(QByteArray::fromStdString(st.text(0)), errors);
    if (!errors.empty())
        throw std::runtime_error("run " + std::to_string(runId)
                                 + ": its recorded pipeline cannot be read: " + errors.front().message);
    return p;
}

bool requestCancel(store::Database &db, std::int64_t runId)
{
    store::Transaction tx(db);
    const RunInfo r = loadRun(db, runId);
    if (r.lifeCycle != "PENDING" && r.lifeCycle != "RUNNING" && r.lifeCycle != "TERMINATING")
        return false;
    store::Statement pidSt(db, "SELECT coalesce(executor_pid, 0) FROM pipeline_runs WHERE run_id = ?1");
    pidSt.bind(1, runId);
    const std::int64_t pid = pidSt.step() ? pidSt.int64(0) : 0;
    store::Statement st(db, "UPDATE pipeline_runs SET cancel_requested = 1 WHERE run_id = ?1");
    st.bind(1, runId);
    st.exec();
    if (!processAlive(pid)) {
        store::Statement end(db, "UPDATE pipeline_runs SET life_cycle_state = 'TERMINATED', result_state = 'CANCELED', "
                                 "state_message = 'canceled (its executor process was gone)', end_time = ?2 "
                                 "WHERE run_id = ?1");
        end.bind(1, runId).bind(2, catalog::nowIso());
        end.exec();
    }
    tx.commit();
    return true;
}

int failOrphanedRuns(store::Database &db)
{
    std::vector<std::int64_t> orphaned;
    {
        store::Statement st(db, "SELECT run_id, coalesce(executor_pid, 0) FROM pipeline_runs WHERE life_cycle_state IN "
                                "('PENDING', 'RUNNING', 'TERMINATING')");
        while (st.step()) {
            if (!processAlive(st.int64(1)))
                orphaned.push_back(st.int64(0));
        }
    }
    for (const auto id : orphaned) {
        store::Statement st(db,
                            "UPDATE pipeline_runs SET life_cycle_state = 'INTERNAL_ERROR', result_state = 'FAILED', "
                            "state_message = 'its executor process ended without finishing the run', end_time = ?2 "
                            "WHERE run_id = ?1");
        st.bind(1, id).bind(2, catalog::nowIso());
        st.exec();
        store::Statement tasks(db, "UPDATE pipeline_task_runs SET life_cycle_state = 'TERMINATED', result_state = "
                                   "'FAILED', state_message = 'its executor process ended' WHERE run_id = ?1 AND "
                                   "life_cycle_state = 'RUNNING'");
        tasks.bind(1, id);
        tasks.exec();
    }
    return int(orphaned.size());
}

QJsonObject runJson(const RunInfo &run, bool withAttempts)
{
    QJsonArray tasks;
    for (const TaskRunInfo &t : run.tasks) {
        QJsonObject o{{"task_key", qs(t.key)},
                      {"life_cycle_state", qs(t.lifeCycle)},
                      {"result_state", t.result.empty() ? QJsonValue() : QJsonValue(qs(t.result))},
                      {"state_message", qs(t.message)},
                      {"attempts", t.attempts},
                      {"duration_s", t.durationSeconds},
                      {"outputs", t.outputs}};
        if (withAttempts) {
            QJsonArray attempts;
            for (const AttemptInfo &a : t.attemptList) {
                attempts.append(
                    QJsonObject{{"attempt", a.attempt},
                                {"life_cycle_state", qs(a.lifeCycle)},
                                {"result_state", a.result.empty() ? QJsonValue() : QJsonValue(qs(a.result))},
                                {"state_message", qs(a.message)},
                                {"start_time", a.start.empty() ? QJsonValue() : QJsonValue(qs(a.start))},
                                {"end_time", a.end.empty() ? QJsonValue() : QJsonValue(qs(a.end))},
                                {"exit_code", a.exitCode ? QJsonValue(*a.exitCode) : QJsonValue()},
                                {"log_path", a.logPath.empty() ? QJsonValue() : QJsonValue(qs(a.logPath))},
                                {"outputs", a.outputs}});
            }
            o.insert("attempt_list", attempts);
        }
        tasks.append(o);
    }
    return QJsonObject{{"run_id", qint64(run.runId)},
                       {"pipeline", qs(run.pipeline)},
                       {"file", qs(run.file)},
                       {"trigger", qs(run.trigger)},
                       {"repair_of", run.repairOf ? QJsonValue(qint64(run.repairOf)) : QJsonValue()},
                       {"life_cycle_state", qs(run.lifeCycle)},
                       {"result_state", run.result.empty() ? QJsonValue() : QJsonValue(qs(run.result))},
                       {"state_message", qs(run.message)},
                       {"start_time", qs(run.start)},
                       {"end_time", run.end.empty() ? QJsonValue() : QJsonValue(qs(run.end))},
                       {"parameters", run.parameters},
                       {"tasks", tasks}};
}

} // namespace pw::pipeline
