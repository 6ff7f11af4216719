// The Review page: the open review queue, least confident first, with thumbnails; the reviewer labels entries
// with one of the scoring model's classes, accepts the prediction or skips, and commits the labels into the
// catalog as one MERGE LABELS version.
#pragma once

#include "ui/Page.h"
#include "ui/SnapshotLoader.h"

#include "ui/review/ReviewSnapshot.h"

#include <QFutureWatcher>

#include <deque>
#include <functional>

class QAction;
class QCheckBox;
class QAbstractItemView;
class QComboBox;
class QKeyEvent;
class QLabel;
class QListView;
class QStackedWidget;
class QTableView;
class QToolBar;

namespace pw::ui {

class ConfidenceHistogramView;
class ReviewQueueModel;
class ThumbnailLoader;

class ReviewPage : public Page
{
    Q_OBJECT
public:
    explicit ReviewPage(QWidget *parent = nullptr);

    QString pageId() const override { return QStringLiteral("review"); }
    QString pageTitle() const override { return tr("Review"); }
    QString pageToolTip() const override;
    /** Shows the review queue of the workspace at `root` (loads it in the background). */
    void setWorkspace(const QString &root) override;
    /** Reloads in the background, keeping the selection; a reload asked for while one runs follows it. */
    void reload() override;
    store::Changes reloadsOn() const override { return store::ReviewChanged | store::ModelsChanged; }

    /** Labels the selected entries with `label` (one of their model's classes), in the background. */
    void labelSelected(const QString &label);
    /** Labels the selected entries with their predicted class. */
    void acceptSelected();
    /** Marks the selected entries as skipped. */
    void skipSelected();
    /** Merges the labeled entries into the catalog (one MERGE LABELS version), then reloads. */
    void commitLabels();
    /** Shows what a commit would merge (counts per label) and commits when the reviewer confirms. */
    void confirmAndCommit();
    /** "N labels will be merged: a 3, b 2, …" from the queue as shown. */
    QString commitSummary() const;
    /** Replaces the confirmation dialog of confirmAndCommit() (tests): gets the summary, returns the answer. */
    void setCommitConfirmer(std::function<bool(const QString &)> confirmer) { m_confirmer = std::move(confirmer); }
    /** Puts the entries of the last decision back to pending and selects them. */
    void undoLast();

    /**
     * The review keys: 1–9 and 0 label with the bound classes, Enter accepts, S skips, Backspace undoes, "/"
     * opens the class picker; each decision moves on to the next pending entry at once (the write follows on
     * the pool). True when `event` was one of them.
     */
    bool handleReviewKey(QKeyEvent *event);
    /** The classes keys 1, 2, … 9, 0 assign (empty: unbound). */
    const QStringList &keyBindings() const { return m_bindings; }
    void setKeyBindings(const QStringList &bindings);
    /** Opens the key-binding dialog. */
    void editKeyBindings();

    /** Switches between the table and the thumbnail grid (one model, one selection). */
    void setGridMode(bool grid);
    bool gridMode() const;
    QListView *gridView() const { return m_grid; }
    /** The view the reviewer sees now: the table or the grid. */
    QAbstractItemView *activeView() const;

    ConfidenceHistogramView *histogramView() const { return m_histogram; }
    QLabel *thresholdLabel() const { return m_thresholdLabel; }
    QAction *commitAction() const { return m_commit; }
    /**
     * Writes the pending entries for an external tool (`format`: a name of review::kExportFormats), in the
     * background; a format the export parser refuses is shown, and actionFinished() carries it.
     */
    void exportQueue(const QString &file, const QString &format);
    /** Imports labels from a CSV or Label Studio file, in the background, then reloads. */
    void importLabels(const QString &file);
    /** Selects the entry `id`; false when it is not listed. */
    bool selectEntry(qint64 id);

    ReviewQueueModel *queueModel() const { return m_model; }
    QTableView *queueView() const { return m_view; }
    QComboBox *labelCombo() const { return m_labelCombo; }
    /** Which entries are listed: all, those of unlabeled images, those of labeled ones (likely label errors). */
    QComboBox *filterCombo() const { return m_filter; }
    /** What the page says of the models that queued the entries when one is Archived now (empty: none is). */
    QString archivedNote() const { return m_archivedNote; }
    /** The bar above the queue that says so (shown only then), with the choice to list the current models' entries. */
    QWidget *archivedBanner() const { return m_archivedBanner; }
    /** In the banner: list only the entries queued by versions not Archived (the current queue). */
    QCheckBox *currentOnlyBox() const { return m_currentOnly; }
    const ReviewCounts &counts() const { return m_counts; }
    /** True while decisions are being written (or wait to be). */
    bool busy() const { return m_busy; }
    /** The last commit's outcome as shown (empty before one). */
    QString commitText() const;

Q_SIGNALS:
    // loaded(): a snapshot was loaded and shown (or its error shown); message(): a line for the status bar.
    void loadingChanged(bool loading);
    /** A label, accept, skip or commit ended: `error` is empty when all of it was done. */
    void actionFinished(const QString &error);

protected:
    void keyPressEvent(QKeyEvent *event) override;

private:
    // The constructor's steps: the toolbar, its export/import actions, the queue's table and grid, the side panel.
    QToolBar *buildToolBar();
    void addExchangeActions(QToolBar *bar);
    void buildQueueViews();
    QWidget *buildSidePanel();
    QWidget *buildArchivedBanner();
    void showSnapshot(ReviewSnapshot snapshot);
    /** The next load of the page's snapshot (run by m_loader), or none without a workspace. */
    SnapshotLoader<ReviewSnapshot>::Job loadJob();
    void showSelection();
    void showCounts();
    /** The note on entries queued by a model version that is Archived now, from the snapshot's stages. */
    void noteArchivedModels(const std::map<std::string, std::string> &stages);
    /** The status bar's line for a decision written: "Labeled 56978.png as coat — Backspace to undo". */
    QString actionText(ReviewAction action, const QString &label, const ReviewActionOutcome &out) const;
    void updateActions();
    struct QueuedAction
    {
        ReviewAction action;
        std::vector<std::int64_t> ids;
        QString label;
        bool advanceAfter; // move on once it is done (the keys have moved on already)
    };
    void runAction(ReviewAction action, const QString &label, bool advanceAfter = true);
    void startNextAction();
    void decide(ReviewAction action, const QString &label);
    void labelWithTypedClass();
    void selectRow(int row);
    int nextPendingRow(int after) const;
    void showBindings();
    void showThreshold();
    bool eventFilter(QObject *watched, QEvent *event) override;
    std::vector<std::int64_t> selectedIds() const;

    QString m_root;
    std::deque<QueuedAction> m_actions;
    std::vector<std::int64_t> m_running; // the entries of the action being written
    std::vector<std::vector<std::int64_t>> m_undo; // the entries of each decision, last one last
    std::function<bool(const QString &)> m_confirmer;
    QStringList m_bindings;
    std::string m_bindingsModel;
    QString m_histogramSource; // "TABLE scored by MODEL:VERSION"
    bool m_busy = false;
    ReviewCounts m_counts;
    std::map<std::string, std::vector<std::string>> m_classes;
    QStringList m_warnings;
    std::string m_comboModel; // the model:version whose classes the combo lists
    ThumbnailLoader *m_thumbnails;
    ThumbnailLoader *m_previews;
    ReviewQueueModel *m_model;
    QTableView *m_view;
    QAction *m_gridAction;
    QLabel *m_countsLabel;
    QLabel *m_result;
    QLabel *m_preview;
    QLabel *m_previewText;
    QComboBox *m_labelCombo;
    QComboBox *m_filter;
    QString m_archivedNote;
    QWidget *m_archivedBanner;
    QLabel *m_archivedText;
    QCheckBox *m_currentOnly;
    QListView *m_grid;
    QStackedWidget *m_stack;
    ConfidenceHistogramView *m_histogram;
    QLabel *m_thresholdLabel;
    QLabel *m_bindingsLabel;
    QAction *m_label;
    QAction *m_accept;
    QAction *m_skip;
    QAction *m_commit;
    SnapshotLoader<ReviewSnapshot> m_loader; // last: its callbacks use the members above
};

} // namespace pw::ui
