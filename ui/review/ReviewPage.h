// The Review page: the open review queue, least confident first, with thumbnails; the reviewer labels entries
// with one of the scoring model's classes, accepts the prediction or skips, and commits the labels into the
// catalog as one MERGE LABELS version.
#pragma once

#include "ui/review/ReviewSnapshot.h"

#include <QFutureWatcher>
#include <QWidget>

class QAction;
class QComboBox;
class QLabel;
class QTableView;

namespace pw::ui {

class ReviewQueueModel;
class ThumbnailLoader;

class ReviewPage : public QWidget
{
    Q_OBJECT
public:
    explicit ReviewPage(QWidget *parent = nullptr);

    /** Shows the review queue of the workspace at `root` (loads it in the background). */
    void setWorkspace(const QString &root);
    /** Reloads in the background, keeping the selection; a reload asked for while one runs follows it. */
    void reload();

    /** Labels the selected entries with `label` (one of their model's classes), in the background. */
    void labelSelected(const QString &label);
    /** Labels the selected entries with their predicted class. */
    void acceptSelected();
    /** Marks the selected entries as skipped. */
    void skipSelected();
    /** Merges the labeled entries into the catalog (one MERGE LABELS version), then reloads. */
    void commitLabels();
    /** Selects the entry `id`; false when it is not listed. */
    bool selectEntry(qint64 id);

    ReviewQueueModel *queueModel() const { return m_model; }
    QTableView *queueView() const { return m_view; }
    QComboBox *labelCombo() const { return m_labelCombo; }
    const ReviewCounts &counts() const { return m_counts; }
    /** The last commit's outcome as shown (empty before one). */
    QString commitText() const;

Q_SIGNALS:
    /** A snapshot was loaded and shown (or its error shown). */
    void loaded();
    void loadingChanged(bool loading);
    /** A label, accept, skip or commit ended: `error` is empty when all of it was done. */
    void actionFinished(const QString &error);
    /** A line for the status bar. */
    void message(const QString &text);

private:
    void showSnapshot(ReviewSnapshot snapshot);
    void showSelection();
    void showCounts();
    void updateActions();
    void runAction(ReviewAction action, const QString &label);
    std::vector<std::int64_t> selectedIds() const;

    QString m_root;
    bool m_reloadQueued = false;
    bool m_busy = false;
    QFutureWatcher<ReviewSnapshot> m_watcher;
    ReviewCounts m_counts;
    std::map<std::string, std::vector<std::string>> m_classes;
    QStringList m_warnings;
    std::string m_comboModel; // the model:version whose classes the combo lists
    ThumbnailLoader *m_thumbnails;
    ThumbnailLoader *m_previews;
    ReviewQueueModel *m_model;
    QTableView *m_view;
    QLabel *m_countsLabel;
    QLabel *m_result;
    QLabel *m_preview;
    QLabel *m_previewText;
    QComboBox *m_labelCombo;
    QAction *m_label;
    QAction *m_accept;
    QAction *m_skip;
    QAction *m_commit;
};

} // namespace pw::ui
