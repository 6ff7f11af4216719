// The Pipelines page: the workspace's pipeline files, the task palette, one tab per open pipeline (the DAG
// editor), and the run actions (Run, Run selected, Run to here, Cancel, Repair) executed off the GUI thread by
// the core executor. Its properties panel and runs dock are shown by the main window's docks.
#pragma once

#include "core/pipeline/Executor.h"
#include "ui/Page.h"

#include <QKeySequence>

#include <atomic>
#include <memory>

class QAction;
class QFileInfo;
class QListWidget;
class QTabWidget;
class QThread;
class QToolBar;
class QUndoGroup;

namespace pw::store {
class Workspace;
}

namespace pw::ui {

namespace dag {
class TaskPalette;
}
class PipelineEditor;
class PropertiesPanel;
class RunsDock;

class PipelinesPage : public Page
{
    Q_OBJECT
public:
    explicit PipelinesPage(QWidget *parent = nullptr);
    ~PipelinesPage() override;

    QString pageId() const override { return QStringLiteral("pipelines"); }
    QString pageTitle() const override { return tr("Pipelines"); }
    QString pageToolTip() const override { return tr("Design pipelines as DAGs, run them and watch them run"); }
    /** Closes the open pipelines (asking about unsaved ones) and lists the workspace's; loaded() on return. */
    void setWorkspace(const QString &root) override;
    /**
     * Reads the pipeline list (the workspace's pipelines/ folder and the files elsewhere that have runs), the current
     * pipeline's recorded runs and the properties' drop-down choices again.
     */
    void reload() override;
    store::Changes reloadsOn() const override
    {
        return store::PipelinesChanged | store::SettingsChanged | store::ModelsChanged;
    }
    /** The properties panel (right) and the runs and logs (bottom). */
    QList<PageDock> docks() const override;
    QString menuTitle() const override { return tr("&Pipeline"); }
    QList<QAction *> menuActions() const override { return editActions(); }
    /** Cancels the run in progress. */
    void cancelActivity() override { cancelRun(); }
    /** Opens a pipeline file in a tab (or shows its tab); returns the problem, empty on success. */
    QString openFile(const QString &file);

    PropertiesPanel *propertiesPanel() const { return m_properties; }
    RunsDock *runsDock() const { return m_runs; }
    PipelineEditor *currentEditor() const;
    QUndoGroup *undoGroup() const { return m_undoGroup; }
    QList<QAction *> editActions() const;
    dag::TaskPalette *palette() const { return m_palette; }
    bool isRunning() const { return m_running.load(); }

    /** Asks about unsaved pipelines; false when the user cancels closing. */
    bool confirmClose() override;

    enum class RunScope
    {
        All,
        Selected,
        ToHere
    };
    /** The keys of Run, Run selected and Run to here (F5 is the window's Refresh, as on every page). */
    static QKeySequence runKey(RunScope scope);
    /** Starts a run of the current pipeline; returns why it cannot, or empty. */
    QString run(RunScope scope);
    QString repairSelectedRun();
    void cancelRun();
    /** Re-reads the current pipeline's recorded runs (after a scheduled run, for instance). */
    void refreshRuns();

    /** Reads again what the properties dock offers in its drop-downs (tables, experiments, models, targets). */
    void refreshChoices();

Q_SIGNALS:
    /** A run started or ended (for the status bar: activityChanged() follows it). */
    void runStateChanged(bool running, const QString &text);

private:
    void showWorkspace(const QString &root);
    void buildActions();
    void addUndoActions();
    void addExchangeMenu();
    /** Adds a task of `type` at the centre of the current pipeline's view (the palette's Enter or double-click). */
    void addTaskAtCentre(const QString &type);
    void refreshFiles();
    void refreshFileList();
    void addFileItem(const QFileInfo &file, bool elsewhere);
    void onCurrentChanged();
    void startRun(const pipeline::Pipeline &p, pipeline::RunOptions options, std::int64_t repairOf);
    void newPipeline();
    void saveCurrent(bool as);
    void importDatabricks();
    void exportDatabricks();
    void exportImage();
    void closeTab(int index);

    std::unique_ptr<store::Workspace> m_ws;
    QToolBar *m_toolbar;
    QListWidget *m_files;
    dag::TaskPalette *m_palette;
    QTabWidget *m_tabs;
    PropertiesPanel *m_properties;
    RunsDock *m_runs;
    QUndoGroup *m_undoGroup;
    std::int64_t m_selectedRun = 0;
    QThread *m_runThread = nullptr;
    std::atomic<bool> m_running{false};
    std::atomic<bool> m_cancel{false};
    PipelineEditor *m_runningEditor = nullptr;
    QAction *m_runAction = nullptr, *m_runSelectedAction = nullptr, *m_runToAction = nullptr, *m_cancelAction = nullptr,
            *m_repairAction = nullptr, *m_exchangeAction = nullptr;
};

} // namespace pw::ui
