// The Models page: the registered models and their versions (stage, aliases, source run, data), the selected
// model's stage history, and the stage actions (Promote to Staging / Production, Archive). Image files dropped on a
// version (or Preview…) open the model Preview of that version: each file's top 5, nothing written.
#pragma once

#include "ui/Page.h"
#include "ui/SnapshotLoader.h"

#include "ui/models/ModelsSnapshot.h"

#include <QFutureWatcher>

class QAction;
class QLabel;
class QLineEdit;
class QTableView;

namespace pw::ui {

class ModelVersionsModel;
class PreviewDialog;
class PromoteDialog;
class TransitionsModel;

class ModelsPage : public Page
{
    Q_OBJECT
public:
    explicit ModelsPage(QWidget *parent = nullptr);

    QString pageId() const override { return QStringLiteral("models"); }
    QString pageTitle() const override { return tr("Models"); }
    QString pageToolTip() const override
    {
        return tr("The model registry: versions, stages and their history; promote and archive");
    }
    /** Shows the registry of the workspace at `root` (loads it in the background). */
    void setWorkspace(const QString &root) override;
    /** Reloads in the background, keeping the selection; a reload asked for while one runs follows it. */
    void reload() override;
    store::Changes reloadsOn() const override { return store::ModelsChanged | store::RunsChanged; }

    /**
     * Moves the selected version to `to` in the background (Registry::transition: promoting to Production
     * archives the version there), with the comment field's text; then reloads. Errors are shown in a message
     * box; actionFinished() tells either way.
     */
    void transitionSelected(registry::Stage to);
    /**
     * Opens the confirmation dialog (PromoteDialog) for moving the selected version to `to`; the toolbar's
     * stage actions use it. Returns it (window-modal, deleted on close), or nullptr with nothing selected.
     */
    PromoteDialog *openPromoteDialog(registry::Stage to);
    /** Points `alias` at the selected version (set) or removes it from the model (!set), off the GUI thread. */
    void changeSelectedAlias(const QString &alias, bool set);
    /**
     * Opens the Preview of the selected version (non-modal, deleted on close) and predicts `files` in it. Returns it,
     * or nullptr with nothing selected.
     */
    PreviewDialog *openPreview(const QStringList &files = {});
    QAction *previewAction() const { return m_preview; }
    /** Selects the row of `model` version `version`; false when there is none. */
    bool selectVersion(const QString &model, qint64 version);

    ModelVersionsModel *versionsModel() const { return m_versionsModel; }
    TransitionsModel *historyModel() const { return m_historyModel; }
    QTableView *versionsView() const { return m_versionsView; }
    QLineEdit *commentEdit() const { return m_comment; }

Q_SIGNALS:
    // loaded(): a snapshot was loaded and shown (or its error shown); message(): a line for the status bar.
    void loadingChanged(bool loading);
    /** A stage change ended: `error` is empty when it was made. */
    void actionFinished(const QString &error);
    /** The source run of a version was clicked: a link to it on the Experiments page (linkActivated()). */
    void runActivated(const QString &runId);

private:
    void showSnapshot(const ModelsSnapshot &snapshot);
    /** The next load of the page's snapshot (run by m_loader), or none without a workspace. */
    SnapshotLoader<ModelsSnapshot>::Job loadJob();
    void showSelection();
    void updateActions();
    const registry::ModelVersion *selectedVersion() const;
    /** Drops of image files on the versions table: the version under the drop is selected and previewed. */
    bool eventFilter(QObject *watched, QEvent *event) override;

    QString m_root;
    bool m_busy = false;
    std::map<std::string, std::vector<registry::Transition>> m_history;
    std::vector<std::string> m_tables;
    QString m_gateTable; // the workspace's registry.gate_table
    QLabel *m_summary;
    QTableView *m_versionsView;
    ModelVersionsModel *m_versionsModel;
    QLabel *m_details;
    QLabel *m_historyTitle;
    QTableView *m_historyView;
    TransitionsModel *m_historyModel;
    QLineEdit *m_comment;
    QAction *m_toStaging;
    QAction *m_toProduction;
    QAction *m_toArchived;
    QAction *m_setAlias;
    QAction *m_deleteAlias;
    QAction *m_preview;
    SnapshotLoader<ModelsSnapshot> m_loader; // last: its callbacks use the members above
};

} // namespace pw::ui
