// One parser per request, seen from outside: the same bad value given to the CLI (an option), to a pipeline task
// (a param that comes from {{params.v}}, so only the run can check it), to `pipeline validate` (the same value
// written literally) and to the dialog that builds the request is refused with the same problem text by all.
#include "tests/TestData.h"
#include "ui/experiments/TrainDialog.h"
#include "ui/review/ReviewPage.h"

#include <QComboBox>
#include <QDir>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLabel>
#include <QProcess>
#include <QSignalSpy>
#include <QSpinBox>
#include <QTemporaryDir>
#include <QTest>

using namespace pw;

class tst_RequestParity : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void sameProblemEverywhere_data();
    void sameProblemEverywhere();

private:
    struct Result
    {
        int exitCode = -1;
        QByteArray out;
        QByteArray err;
    };
    Result run(const QStringList &args) const;
    /** A pipeline of one task of `type` with `params`, its parameter v defaulting to "x". */
    QString writePipeline(const QString &name, const QString &type, const QJsonObject &params) const;
    QString dialogProblem(const QString &dialog, const QString &bad);

    QTemporaryDir m_dir;
    QString m_ws;
};

tst_RequestParity::Result tst_RequestParity::run(const QStringList &args) const
{
    QProcess p;
    p.setWorkingDirectory(m_dir.path());
    p.start(PIPEWRIGHT_BIN, args);
    Result r;
    if (!p.waitForFinished(120000))
        return r;
    r.exitCode = p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1;
    r.out = p.readAllStandardOutput();
    r.err = p.readAllStandardError();
    return r;
}

QString tst_RequestParity::writePipeline(const QString &name, const QString &type, const QJsonObject &params) const
{
    const QJsonObject task{{"task_key", "t"}, {"type", type}, {"params", params}};
    const QJsonObject pipeline{
        {"name", name}, {"format_version", 1}, {"parameters", QJsonObject{{"v", "x"}}}, {"tasks", QJsonArray{task}}};
    const QString file = m_dir.filePath(name + ".json");
    return test::writeFile(file, QJsonDocument(pipeline).toJson()) ? file : QString();
}

// The problem the dialog shows for `bad` in the field a row names; empty when there is no such dialog.
QString tst_RequestParity::dialogProblem(const QString &dialog, const QString &bad)
{
    if (dialog.startsWith("train-")) {
        ui::TrainDialog d({"images"}, {}, {"local"});
        if (dialog == "train-batch") {
            d.batchSizeBox()->setValue(bad.toInt());
        } else {
            // A name the list does not hold, as a stale or hand-typed choice would be: the parser, not the combo
            // box, is what refuses it.
            QComboBox *box = dialog == "train-device" ? d.deviceBox() : d.optimizerBox();
            box->addItem(bad);
            box->setCurrentText(bad);
        }
        d.show();
        d.accept();
        if (!d.isVisible() || !d.errorLabel()->isVisible())
            return "(the dialog accepted it)";
        return d.errorLabel()->text();
    }
    if (dialog == "export") {
        ui::ReviewPage page;
        page.setWorkspace(m_ws);
        QSignalSpy finished(&page, &ui::ReviewPage::actionFinished);
        page.exportQueue(m_dir.filePath("from-the-page.out"), bad);
        if (finished.isEmpty() && !finished.wait(30000))
            return "(no answer)";
        return finished.at(0).at(0).toString();
    }
    return {};
}

void tst_RequestParity::initTestCase()
{
    QVERIFY(m_dir.isValid());
    QVERIFY(QDir().mkpath(m_dir.filePath("empty")));
    m_ws = m_dir.filePath("ws");
    const Result r = run({"ingest", m_dir.filePath("empty"), "--workspace", m_ws}); // creates the workspace
    QVERIFY2(r.exitCode == 0, r.err.constData());
}

void tst_RequestParity::sameProblemEverywhere_data()
{
    QTest::addColumn<QStringList>("cli"); // "@" stands for the bad value
    QTest::addColumn<QString>("option");
    QTest::addColumn<QString>("type"); // the task type
    QTest::addColumn<QJsonObject>("params"); // "@" stands for the bad value
    QTest::addColumn<QString>("key");
    QTest::addColumn<QString>("bad");
    QTest::addColumn<bool>("literal"); // `pipeline validate` checks it when written literally (a choice)
    QTest::addColumn<QString>("dialog");
    QTest::addColumn<QString>("problem");

    QTest::newRow("labels") << QStringList{"ingest", "empty", "--labels", "@"} << "--labels"
                            << "ingest" << QJsonObject{{"source", "empty"}, {"labels", "@"}} << "labels"
                            << "caltch" << true << ""
                            << "'caltch' is not one of caltech, folder, none";
    QTest::newRow("device") << QStringList{"train", "--device", "@"} << "--device"
                            << "train" << QJsonObject{{"device", "@"}} << "device"
                            << "cdua" << true << "train-device"
                            << "'cdua' is not one of auto, cpu, cuda";
    QTest::newRow("optimizer") << QStringList{"train", "--optimizer", "@"} << "--optimizer"
                               << "train" << QJsonObject{{"optimizer", "@"}} << "optimizer"
                               << "adamw" << true << "train-optimizer"
                               << "'adamw' is not one of adam, sgd";
    QTest::newRow("batch size") << QStringList{"train", "--batch-size", "@"} << "--batch-size"
                                << "train" << QJsonObject{{"batch_size", "@"}} << "batch_size"
                                << "1" << false << "train-batch"
                                << "'1' is not 0 (the default) or a whole number >= 2";
    QTest::newRow("epochs") << QStringList{"train", "--epochs", "@"} << "--epochs"
                            << "train" << QJsonObject{{"epochs", "@"}} << "epochs"
                            << "2.5" << false << ""
                            << "'2.5' is not a whole number >= 0";
    QTest::newRow("export format") << QStringList{"review", "export", "--format", "@", "queue.out"} << "--format"
                                   << "review-export" << QJsonObject{{"file", "queue.out"}, {"format", "@"}} << "format"
                                   << "xlsx" << true << "export"
                                   << "'xlsx' is not one of csv, labelstudio";
    QTest::newRow("score threshold") << QStringList{"score", "--model", "m@Production", "--threshold", "@"}
                                     << "--threshold"
                                     << "score" << QJsonObject{{"model", "m@Production"}, {"threshold", "@"}}
                                     << "threshold"
                                     << "1.5" << false << ""
                                     << "'1.5' is not a number above 0 and at most 1";
}

void tst_RequestParity::sameProblemEverywhere()
{
    QFETCH(QStringList, cli);
    QFETCH(QString, option);
    QFETCH(QString, type);
    QFETCH(QJsonObject, params);
    QFETCH(QString, key);
    QFETCH(QString, bad);
    QFETCH(bool, literal);
    QFETCH(QString, dialog);
    QFETCH(QString, problem);
    auto with = [](QJsonObject o, const QString &value) {
        for (auto it = o.begin(); it != o.end(); ++it)
            if (it.value().toString() == "@")
                it.value() = value;
        return o;
    };

    // The CLI: a usage error naming the option.
    cli.replace(cli.indexOf("@"), bad);
    const Result c = run(cli + QStringList{"--workspace", m_ws});
    QCOMPARE(c.exitCode, 2);
    QVERIFY2(QString::fromUtf8(c.err).contains(option + ": " + problem), c.err.constData());

    // A pipeline task whose param comes from {{params.v}}: the task fails naming the param.
    const QString file = writePipeline(QString(QTest::currentDataTag()).replace(' ', '-') + "-run", type,
                                       with(params, "{{params.v}}"));
    const Result p = run({"pipeline", "run", file, "--param", "v=" + bad, "--workspace", m_ws, "--json"});
    QCOMPARE(p.exitCode, 1);
    const QJsonObject task = QJsonDocument::fromJson(p.out).object().value("tasks").toArray().at(0).toObject();
    QCOMPARE(task.value("result_state").toString(), "FAILED");
    QVERIFY2(task.value("state_message").toString().contains("params." + key + ": " + problem), p.out.constData());

    // The same value written literally: `pipeline validate` refuses a choice from the same list.
    if (literal) {
        const QString plain = writePipeline(QString(QTest::currentDataTag()).replace(' ', '-') + "-literal", type,
                                            with(params, bad));
        const Result v = run({"pipeline", "validate", plain});
        QCOMPARE(v.exitCode, 1);
        QVERIFY2(QString::fromUtf8(v.err).contains("params." + key) && QString::fromUtf8(v.err).contains(problem),
                 v.err.constData());
    }

    // The dialog that builds the request: the problem in words.
    if (!dialog.isEmpty()) {
        const QString shown = dialogProblem(dialog, bad);
        QVERIFY2(shown.contains(problem), qPrintable(shown));
    }
}

QTEST_MAIN(tst_RequestParity)
#include "tst_requestparity.moc"
