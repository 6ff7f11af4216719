// The README's CLI tour, run as a new user would: its commands are read from README.md (the first `sh` block of the
// "CLI tour" section) and run in order, in a fresh folder outside the checkout, so the README cannot drift from
// the program. Placeholders (RUN, RUN1, RUN2, ID_OR_PATH, RUN_ID) are filled from the workspace's state, as a
// user reads them off the previous command's output; a line whose comment starts with "fails" must exit 1.
#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QTest>

class tst_ReadmeTour : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void tourRunsTopToBottom();

private:
    struct Line
    {
        int number = 0; // in README.md
        QString command; // with `$pw` and placeholders as written
        QString comment;
    };
    struct Result
    {
        int exitCode = -1;
        QByteArray out, err;
    };
    /** Runs `command` with sh in the tour's folder, $pw set to the program under test. */
    Result shell(const QString &command) const;
    /** The value of a placeholder in `command`, read from the workspace that `command` names. */
    QString placeholder(const QString &name, const QString &command);

    QList<Line> m_lines;
    QTemporaryDir m_dir;
};

void tst_ReadmeTour::initTestCase()
{
    QVERIFY(m_dir.isValid());
    QFile readme(QStringLiteral(PIPEWRIGHT_SOURCE_DIR "/README.md"));
    QVERIFY2(readme.open(QIODevice::ReadOnly), qPrintable(readme.fileName()));
    const QStringList text = QString::fromUtf8(readme.readAll()).split('\n');
    int i = text.indexOf("## CLI tour");
    QVERIFY2(i >= 0, "README.md has no '## CLI tour' section");
    while (i < text.size() && text.at(i).trimmed() != "```sh")
        ++i;
    QVERIFY2(i < text.size(), "the CLI tour has no ```sh block");
    QString pending;
    int pendingLine = 0;
    for (++i; i < text.size() && text.at(i).trimmed() != "```"; ++i) {
        QString line = text.at(i);
        if (pending.isEmpty())
            pendingLine = i + 1;
        if (line.endsWith('\\')) { // a command continued on the next line
            pending += line.chopped(1) + ' ';
            continue;
        }
        line = pending + line;
        pending.clear();
        if (line.trimmed().isEmpty() || line.trimmed().startsWith('#'))
            continue;
        static const QRegularExpression comment(QStringLiteral("\\s+#\\s(.*)$"));
        const auto m = comment.match(line);
        m_lines.append({pendingLine, m.hasMatch() ? line.left(m.capturedStart()).trimmed() : line.trimmed(),
                        m.hasMatch() ? m.captured(1).trimmed() : QString()});
    }
    QVERIFY2(i < text.size(), "the CLI tour's ```sh block does not end");
    QVERIFY2(m_lines.size() >= 20, qPrintable(QString("only %1 commands in the tour").arg(m_lines.size())));
    // The tour starts by naming the program and moving to a fresh folder; the test does both itself.
    QVERIFY2(m_lines.at(0).command.startsWith("pw="), qPrintable(m_lines.at(0).command));
    QVERIFY2(m_lines.at(1).command.startsWith("cd "), qPrintable(m_lines.at(1).command));
    m_lines.remove(0, 2);
}

tst_ReadmeTour::Result tst_ReadmeTour::shell(const QString &command) const
{
    QProcess p;
    p.setWorkingDirectory(m_dir.path());
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert("pw", PIPEWRIGHT_BIN);
    env.insert("PIPEWRIGHT_WORKSPACE", m_dir.filePath("default-workspace")); // never the user's
    env.insert("XDG_DATA_HOME", m_dir.filePath("xdg"));
    p.setProcessEnvironment(env);
    p.start("/bin/sh", {"-c", command});
    Result r;
    if (!p.waitForStarted() || !p.waitForFinished(600000)) {
        p.kill();
        p.waitForFinished();
        r.err = "did not finish within 600 s";
        return r;
    }
    r.exitCode = p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1;
    r.out = p.readAllStandardOutput();
    r.err = p.readAllStandardError();
    return r;
}

QString tst_ReadmeTour::placeholder(const QString &name, const QString &command)
{
    static const QRegularExpression workspace(QStringLiteral("--workspace\\s+(\\S+)"));
    const auto m = workspace.match(command);
    if (!m.hasMatch())
        return {};
    const QString ws = m.captured(1);
    auto jsonOf = [&](const QString &cmd) {
        const Result r = shell(QStringLiteral("$pw %1 --workspace %2 --json").arg(cmd, ws));
        return QJsonDocument::fromJson(r.out);
    };
    if (name == "RUN" || name == "RUN1" || name == "RUN2") {
        // Runs newest first: RUN and RUN2 are the newest, RUN1 the one before it.
        const QJsonArray runs = jsonOf("runs list").array();
        const int index = name == "RUN1" ? 1 : 0;
        return runs.size() > index ? runs.at(index).toObject().value("run_id").toString() : QString();
    }
    if (name == "ID_OR_PATH") {
        const QJsonArray queue = jsonOf("review list").array();
        return queue.isEmpty() ? QString() : queue.at(0).toObject().value("path").toString();
    }
    if (name == "RUN_ID") {
        const QJsonArray runs = jsonOf("pipeline runs").array();
        return runs.isEmpty() ? QString() : QString::number(runs.at(0).toObject().value("run_id").toInteger());
    }
    return {};
}

void tst_ReadmeTour::tourRunsTopToBottom()
{
    for (const Line &line : std::as_const(m_lines)) {
        QString command = line.command;
        for (const char *name : {"RUN_ID", "RUN1", "RUN2", "RUN", "ID_OR_PATH"}) {
            const QRegularExpression word(QStringLiteral("\\b%1\\b").arg(QLatin1String(name)));
            if (!command.contains(word))
                continue;
            const QString value = placeholder(QLatin1String(name), command);
            QVERIFY2(!value.isEmpty(), qPrintable(QString("README.md:%1: nothing to fill %2 with in: %3")
                                                      .arg(line.number)
                                                      .arg(QLatin1String(name), command)));
            command.replace(word, value);
        }
        const bool expectFailure = line.comment.startsWith("fails");
        qInfo("README.md:%d: %s", line.number, qPrintable(command));
        const Result r = shell(command);
        const QString report = QString("README.md:%1: `%2` exited %3 (expected %4)\n--- stdout\n%5\n--- stderr\n%6")
                                   .arg(line.number)
                                   .arg(command)
                                   .arg(r.exitCode)
                                   .arg(expectFailure ? 1 : 0)
                                   .arg(QString::fromUtf8(r.out.right(3000)), QString::fromUtf8(r.err.right(3000)));
        QVERIFY2(r.exitCode == (expectFailure ? 1 : 0), qPrintable(report));
        // A command given --json prints one JSON document.
        if (command.contains(QRegularExpression(QStringLiteral("\\s--json(\\s|$)"))) && !expectFailure) {
            QJsonParseError error{};
            QJsonDocument::fromJson(r.out, &error);
            QVERIFY2(error.error == QJsonParseError::NoError, qPrintable(report));
        }
    }
}

QTEST_GUILESS_MAIN(tst_ReadmeTour)
#include "tst_readmetour.moc"
