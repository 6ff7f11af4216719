// The workbench stays live (issue 19, item 1): a change made by another connection or another process (the CLI)
// shows on the page on screen without a click, within a bounded wait, and on a page off screen once it is shown;
// selections stay on the run or version selected, never on a row number (a new run, F5, a finishing run).
#include "core/registry/Registry.h"
#include "core/store/Database.h"
#include "core/store/Workspace.h"
#include "core/store/WorkspaceWatcher.h"
#include "core/track/Tracker.h"
#include "ui/MainWindow.h"
#include "ui/experiments/ExperimentsPage.h"
#include "ui/experiments/RunsModel.h"
#include "ui/models/ModelVersionsModel.h"
#include "ui/models/ModelsPage.h"

#include <QCheckBox>
#include <QItemSelectionModel>
#include <QProcess>
#include <QSettings>
#include <QSignalSpy>
#include <QSortFilterProxyModel>
#include <QTableView>
#include <QTemporaryDir>
#include <QTest>

#include "tests/TestData.h"

#include <set>

using namespace pw;

namespace {

constexpr int kLiveWaitMs = 10000; // the watcher polls every 250 ms; the bound is generous for a loaded machine

QString qs(const std::string &s)
{
    return QString::fromStdString(s);
}

std::set<QString> selectedRuns(const ui::ExperimentsPage &page)
{
    const QStringList ids = page.selectedRunIds();
    return {ids.begin(), ids.end()};
}

void selectRuns(ui::ExperimentsPage &page, const std::vector<std::string> &ids)
{
    QItemSelection selection;
    QAbstractItemModel *m = page.runsProxy();
    for (int r = 0; r < m->rowCount(); ++r)
        for (const std::string &id : ids)
            if (m->index(r, 0).data(ui::RunsModel::RunIdRole).toString() == qs(id))
                selection.select(m->index(r, 0), m->index(r, m->columnCount() - 1));
    page.runsView()->selectionModel()->select(selection, QItemSelectionModel::ClearAndSelect);
}

// "clf:1": the version selected on the Models page, or "" when none is.
QString selectedVersion(const ui::ModelsPage &page)
{
    const QModelIndexList rows = page.versionsView()->selectionModel()->selectedRows();
    if (rows.isEmpty())
        return {};
    const registry::ModelVersion *v = page.versionsModel()->version(rows.first().row());
    return v ? QStringLiteral("%1:%2").arg(qs(v->name)).arg(v->version) : QString();
}

// A stage shown on the Models page, or "" when the version is not listed.
QString stageShown(const ui::ModelsPage &page, std::int64_t version)
{
    for (int r = 0; r < page.versionsModel()->rowCount(); ++r)
        if (page.versionsModel()->version(r)->version == version)
            return registry::stageName(page.versionsModel()->version(r)->stage);
    return {};
}

} // namespace

class tst_WorkspaceLive : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void experimentsFollowOtherWriters();
    void modelsFollowOtherWriters();
    void pageOffScreenReloadsWhenShown();

private:
    /** A FINISHED run with a model file, as a training elsewhere leaves it. */
    std::string makeRun(const std::string &name);
    /** `pipewright ARGS --workspace WS` in another process; its exit code. */
    int cli(const QStringList &args);

    QTemporaryDir m_dir;
    QString m_root;
    std::optional<store::Workspace> m_ws;
    std::string m_runA, m_runB;
    std::unique_ptr<ui::MainWindow> m_window;
};

std::string tst_WorkspaceLive::makeRun(const std::string &name)
{
    auto db = m_ws->openCatalog();
    track::Tracker tracker(*db);
    track::NewRun nr;
    nr.experiment = "live";
    nr.name = name;
    nr.table = "t";
    const std::string id = tracker.createRun(nr);
    tracker.logParams(id, {{"image_size", "12"}, {"channels", "3"}});
    tracker.logMetrics(id, {{"val_accuracy", 0.5, 1, 1}});
    tracker.endRun(id, "FINISHED");
    const QString dir = m_root + "/artifacts/" + qs(id);
    if (!test::writeFile(dir + "/model.pt", "model of " + QByteArray::fromStdString(id))
        || !test::writeFile(dir + "/classes.txt", "a\nb\n"))
        qFatal("cannot write the run's artifacts");
    return id;
}

int tst_WorkspaceLive::cli(const QStringList &args)
{
    QProcess p;
    p.start(PIPEWRIGHT_BIN, args + QStringList{"--workspace", m_root});
    if (!p.waitForFinished(60000))
        return -1;
    if (p.exitCode() != 0)
        qWarning("%s", p.readAllStandardError().constData());
    return p.exitCode();
}

void tst_WorkspaceLive::initTestCase()
{
    QVERIFY(m_dir.isValid());
    QSettings::setPath(QSettings::NativeFormat, QSettings::UserScope, m_dir.filePath("settings"));
    m_root = m_dir.filePath("ws");
    m_ws = store::Workspace::open(m_root.toStdString());
    m_runA = makeRun("a");
    m_runB = makeRun("b");
    {
        auto db = m_ws->openCatalog();
        QCOMPARE(registry::Registry(*m_ws, *db).registerRun(m_runA, "clf").version, std::int64_t(1));
    }
    m_window = std::make_unique<ui::MainWindow>();
    m_window->resize(1366, 768);
    QSignalSpy loaded(m_window.get(), &ui::MainWindow::workspaceLoaded);
    m_window->openWorkspace(m_root);
    m_window->show();
    QVERIFY(loaded.wait(30000));
    QCOMPARE(m_window->watcher()->lastError(), QString());
}

void tst_WorkspaceLive::experimentsFollowOtherWriters()
{
    QVERIFY(m_window->showPage("experiments"));
    auto *page = m_window->page<ui::ExperimentsPage>();
    QCOMPARE(page->runsModel()->rowCount(), 2);
    selectRuns(*page, {m_runA, m_runB}); // a comparison of two runs
    const std::set<QString> compared{qs(m_runA), qs(m_runB)};
    QCOMPARE(selectedRuns(*page), compared);

    // A run finishes elsewhere (a second connection, as a worker or a scheduler writes): it appears without a
    // click, newest first, and the comparison stays selected.
    const std::string runC = makeRun("c");
    QTRY_COMPARE_WITH_TIMEOUT(page->runsModel()->rowCount(), 3, kLiveWaitMs);
    QCOMPARE(selectedRuns(*page), compared);

    // F5 (View → Refresh) keeps the selected runs, whatever rows they are on now.
    QSignalSpy reloaded(page, &ui::Page::loaded);
    QTest::keyClick(m_window.get(), Qt::Key_F5);
    QVERIFY(reloaded.wait(kLiveWaitMs));
    QCOMPARE(selectedRuns(*page), compared);

    // The CLI, in another process, writes a note on run A: the page shows it.
    QCOMPARE(cli({"runs", "note", qs(m_runA), "noted from the CLI"}), 0);
    const auto noteOfA = [&]() -> QString {
        const ui::RunRow *r = page->runsModel()->run(m_runA);
        if (!r)
            return {};
        const auto it = r->tags.find("mlflow.note.content");
        return it == r->tags.end() ? QString() : qs(it->second);
    };
    QTRY_COMPARE_WITH_TIMEOUT(noteOfA(), QString("noted from the CLI"), kLiveWaitMs);
    QCOMPARE(selectedRuns(*page), compared);

    // "Differences only" compares two runs or more; with one it says it needs two instead of showing everything.
    QVERIFY(page->differencesOnlyBox()->isEnabled());
    selectRuns(*page, {m_runA});
    QVERIFY(!page->differencesOnlyBox()->isEnabled());
    QVERIFY(page->differencesOnlyBox()->text().contains("select two runs"));
}

void tst_WorkspaceLive::modelsFollowOtherWriters()
{
    QVERIFY(m_window->showPage("models"));
    auto *page = m_window->page<ui::ModelsPage>();
    QTRY_COMPARE_WITH_TIMEOUT(page->versionsModel()->rowCount(), 1, kLiveWaitMs);
    QVERIFY(page->selectVersion("clf", 1));

    // A version registered elsewhere shows up (newest first, so on the row v1 was on); v1 stays selected.
    {
        auto db = m_ws->openCatalog();
        QCOMPARE(registry::Registry(*m_ws, *db).registerRun(m_runB, "clf").version, std::int64_t(2));
    }
    QTRY_COMPARE_WITH_TIMEOUT(page->versionsModel()->rowCount(), 2, kLiveWaitMs);
    QCOMPARE(selectedVersion(*page), QString("clf:1"));

    // A stage change by the CLI in another process.
    QCOMPARE(cli({"models", "transition", "clf", "2", "Staging"}), 0);
    QTRY_COMPARE_WITH_TIMEOUT(stageShown(*page, 2), QString("Staging"), kLiveWaitMs);
    QCOMPARE(selectedVersion(*page), QString("clf:1"));
}

void tst_WorkspaceLive::pageOffScreenReloadsWhenShown()
{
    QVERIFY(m_window->showPage("models"));
    auto *experiments = m_window->page<ui::ExperimentsPage>();
    const int before = experiments->runsModel()->rowCount();
    makeRun("d");
    // The change is seen (the models page, on screen, does not show runs' rows); the Experiments page gets it when
    // it is shown.
    QVERIFY(m_window->showPage("experiments"));
    QTRY_COMPARE_WITH_TIMEOUT(experiments->runsModel()->rowCount(), before + 1, kLiveWaitMs);
}

QTEST_MAIN(tst_WorkspaceLive)
#include "tst_workspacelive.moc"
