// The Review page; the queue comes from loadReviewSnapshot() and every change from applyReviewAction() or
// commitReviewLabels(), all on a pool thread (a commit waits for the workspace's writer lock).
#include "ui/review/ReviewPage.h"

#include "ui/PageParts.h"
#include "ui/review/ReviewQueueModel.h"
#include "ui/review/ThumbnailLoader.h"

#include <QAction>
#include <QComboBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QItemSelectionModel>
#include <QLabel>
#include <QLocale>
#include <QSplitter>
#include <QTableView>
#include <QToolBar>
#include <QVBoxLayout>
#include <QtConcurrent/QtConcurrentRun>

#include <algorithm>

namespace pw::ui {

namespace {
constexpr int kThumbnailSide = 56; // 28 px Fashion-MNIST at 2x
constexpr int kPreviewSide = 224;
} // namespace

ReviewPage::ReviewPage(QWidget *parent)
    : QWidget(parent)
    , m_thumbnails(new ThumbnailLoader(kThumbnailSide, this))
    , m_previews(new ThumbnailLoader(kPreviewSide, this))
    , m_model(new ReviewQueueModel(m_thumbnails, this))
    , m_countsLabel(new QLabel)
    , m_result(new QLabel)
    , m_preview(new QLabel)
    , m_previewText(new QLabel)
    , m_labelCombo(new QComboBox)
{
    auto *bar = makePageToolBar();
    QAction *refresh = bar->addAction(tr("Refresh"), this, &ReviewPage::reload);
    refresh->setToolTip(tr("Read the review queue again (View → Refresh)"));
    bar->addSeparator();
    bar->addWidget(new QLabel(tr("Label: ")));
    m_labelCombo->setMinimumContentsLength(12);
    m_labelCombo->setToolTip(tr("The classes of the model that scored the selected entry"));
    bar->addWidget(m_labelCombo);
    m_label = bar->addAction(tr("Label"), this, [this] { labelSelected(m_labelCombo->currentText()); });
    m_label->setToolTip(tr("Label the selected entries with the chosen class"));
    m_accept = bar->addAction(tr("Accept prediction"), this, &ReviewPage::acceptSelected);
    m_accept->setToolTip(tr("Label the selected entries with the class the model predicted"));
    m_skip = bar->addAction(tr("Skip"), this, &ReviewPage::skipSelected);
    m_skip->setToolTip(tr("Leave the selected entries out of the merge until they are labeled"));
    bar->addSeparator();
    m_commit = bar->addAction(tr("Commit labels"), this, &ReviewPage::commitLabels);
    m_commit->setToolTip(tr("Merge every labeled entry into the catalog as one new version (MERGE LABELS)"));

    auto *top = new QHBoxLayout;
    top->addWidget(bar);
    top->addWidget(m_countsLabel, 1);
    m_result->setWordWrap(true);
    m_result->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_result->hide();

    m_model->setObjectName("reviewQueueModel");
    m_view = makeTableView(m_model);
    m_view->setSelectionMode(QAbstractItemView::ExtendedSelection);
    m_view->setIconSize(QSize(kThumbnailSide, kThumbnailSide));
    m_view->verticalHeader()->setSectionResizeMode(QHeaderView::Fixed);
    m_view->verticalHeader()->setDefaultSectionSize(kThumbnailSide + 6);
    m_view->horizontalHeader()->setStretchLastSection(true);
    // Column widths from the rows on screen: sizing from a thousand of 8,896 rows took ~80 ms of the GUI thread.
    m_view->horizontalHeader()->setResizeContentsPrecision(0);
    m_view->setToolTip(tr("Select entries (Ctrl or Shift for several), then Label, Accept prediction or Skip"));

    m_preview->setAlignment(Qt::AlignCenter);
    m_preview->setMinimumSize(kPreviewSide + 8, kPreviewSide + 8);
    m_preview->setFrameShape(QFrame::StyledPanel);
    m_previewText->setTextFormat(Qt::RichText);
    m_previewText->setWordWrap(true);
    m_previewText->setAlignment(Qt::AlignTop | Qt::AlignLeft);
    m_previewText->setTextInteractionFlags(Qt::TextSelectableByMouse);
    auto *side = new QWidget;
    auto *sideLayout = new QVBoxLayout(side);
    sideLayout->setContentsMargins(0, 0, 0, 0);
    sideLayout->addWidget(m_preview);
    sideLayout->addWidget(m_previewText, 1);

    auto *split = new QSplitter(Qt::Horizontal);
    split->addWidget(titledBox(tr("Open review queue (least confident first)"), m_view));
    split->addWidget(titledBox(tr("Selected entry"), side));
    split->setStretchFactor(0, 4);
    split->setStretchFactor(1, 1);

    auto *layout = new QVBoxLayout(this);
    layout->addLayout(top);
    layout->addWidget(m_result);
    layout->addWidget(split, 1);

    connect(m_view->selectionModel(), &QItemSelectionModel::selectionChanged, this, &ReviewPage::showSelection);
    connect(m_previews, &ThumbnailLoader::thumbnailReady, this, [this] { showSelection(); });
    connect(&m_watcher, &QFutureWatcher<ReviewSnapshot>::finished, this, [this] {
        // Taken, not copied: the queue can hold thousands of entries.
        showSnapshot(m_watcher.future().takeResult());
        Q_EMIT loadingChanged(false);
        if (m_reloadQueued) {
            m_reloadQueued = false;
            reload();
        }
    });
    updateActions();
}

void ReviewPage::setWorkspace(const QString &root)
{
    m_root = root;
    m_thumbnails->setWorkspace(root);
    m_previews->setWorkspace(root);
    m_model->setWorkspaceRoot(root);
    m_result->hide();
    m_countsLabel->setText(tr("Loading the review queue of %1…").arg(root));
    reload();
}

void ReviewPage::reload()
{
    if (m_root.isEmpty())
        return;
    if (m_watcher.isRunning()) {
        m_reloadQueued = true;
        return;
    }
    Q_EMIT loadingChanged(true);
    const std::string root = m_root.toStdString();
    m_watcher.setFuture(QtConcurrent::run([root] { return loadReviewSnapshot(root); }));
}

QString ReviewPage::commitText() const
{
    return m_result->isHidden() ? QString() : m_result->text();
}

std::vector<std::int64_t> ReviewPage::selectedIds() const
{
    QModelIndexList rows = m_view->selectionModel()->selectedRows();
    std::sort(rows.begin(), rows.end(), [](const QModelIndex &a, const QModelIndex &b) { return a.row() < b.row(); });
    std::vector<std::int64_t> ids;
    for (const QModelIndex &i : rows)
        ids.push_back(i.data(ReviewQueueModel::IdRole).toLongLong());
    return ids;
}

bool ReviewPage::selectEntry(qint64 id)
{
    const int row = m_model->rowOf(id);
    if (row < 0)
        return false;
    m_view->selectRow(row);
    m_view->scrollTo(m_model->index(row, 0));
    return true;
}

void ReviewPage::showSnapshot(ReviewSnapshot s)
{
    if (!s.error.isEmpty()) {
        m_countsLabel->setText(tr("Cannot read the review queue: %1").arg(s.error));
        Q_EMIT loaded();
        return;
    }
    const std::vector<std::int64_t> selected = selectedIds();
    m_counts = s.counts;
    m_classes = std::move(s.classes);
    m_warnings = s.warnings;
    m_model->setItems(std::move(s.items));
    m_view->resizeColumnToContents(ReviewQueueModel::PathColumn);
    m_view->resizeColumnToContents(ReviewQueueModel::PredictedColumn);
    m_view->resizeColumnToContents(ReviewQueueModel::ConfidenceColumn);
    m_view->resizeColumnToContents(ReviewQueueModel::Top5Column);
    m_view->resizeColumnToContents(ReviewQueueModel::StateColumn);
    // resizeColumnToContents() reads a sample of rows: the thumbnail column is known in advance.
    m_view->setColumnWidth(ReviewQueueModel::ThumbnailColumn, kThumbnailSide + 12);
    QItemSelection selection;
    for (std::int64_t id : selected)
        if (const int row = m_model->rowOf(id); row >= 0)
            selection.select(m_model->index(row, 0), m_model->index(row, ReviewQueueModel::ColumnCount - 1));
    if (selection.isEmpty() && m_model->rowCount() > 0)
        selection.select(m_model->index(0, 0), m_model->index(0, ReviewQueueModel::ColumnCount - 1));
    m_view->selectionModel()->select(selection, QItemSelectionModel::ClearAndSelect);
    if (!selection.isEmpty())
        m_view->selectionModel()->setCurrentIndex(selection.indexes().first(), QItemSelectionModel::NoUpdate);
    showCounts();
    showSelection();
    Q_EMIT loaded();
}

void ReviewPage::showCounts()
{
    const QLocale locale;
    QString text;
    if (m_counts.pending + m_counts.labeled + m_counts.skipped == 0)
        text = tr("The review queue is empty. Score a table to fill it: pipewright score --model NAME@Production "
                  "--table TABLE --workspace %1")
                   .arg(m_root);
    else
        text = tr("%1 pending · %2 labeled · %3 skipped")
                   .arg(locale.toString(qint64(m_counts.pending)), locale.toString(qint64(m_counts.labeled)),
                        locale.toString(qint64(m_counts.skipped)))
               + (m_counts.labeled ? tr(" — %1 to commit").arg(countText(m_counts.labeled, tr("label"), tr("labels"))) : QString());
    if (!m_warnings.isEmpty())
        text += QStringLiteral(" · ") + m_warnings.join(QStringLiteral("; "));
    m_countsLabel->setText(text);
    updateActions();
}

void ReviewPage::showSelection()
{
    const std::vector<std::int64_t> ids = selectedIds();
    const review::ReviewItem *item = ids.empty() ? nullptr : m_model->item(m_model->rowOf(ids.front()));
    // The label combo lists the classes of the first selected entry's model, the predicted class chosen.
    const std::string key = item ? modelKey(item->model, item->modelVersion) : std::string();
    if (key != m_comboModel) {
        m_comboModel = key;
        m_labelCombo->clear();
        if (const auto it = m_classes.find(key); it != m_classes.end())
            for (const std::string &c : it->second)
                m_labelCombo->addItem(QString::fromStdString(c));
    }
    if (item && ids.size() == 1) {
        const int i = m_labelCombo->findText(QString::fromStdString(item->label.empty() ? item->predicted : item->label));
        if (i >= 0)
            m_labelCombo->setCurrentIndex(i);
    }

    if (!item) {
        m_preview->clear();
        m_previewText->clear();
    } else {
        const QImage *image = m_previews->thumbnail(ThumbnailLoader::keyOf(item->contentHash, item->path),
                                                    item->contentHash, item->path);
        if (image && !image->isNull())
            m_preview->setPixmap(QPixmap::fromImage(*image));
        else
            m_preview->setText(image ? tr("(cannot read the image)") : tr("loading…"));
        QString rows;
        for (const auto &[label, p] : item->top5)
            rows += QStringLiteral("<tr><td>%1</td><td align='right'>&nbsp;%2%</td>"
                                   "<td>&nbsp;<span style='background:#1f77b4'>%3</span></td></tr>")
                        .arg(QString::fromStdString(label).toHtmlEscaped())
                        .arg(p * 100, 0, 'f', 1)
                        .arg(QStringLiteral("&nbsp;").repeated(std::max(1, int(p * 40))));
        QString text = QStringLiteral("<b>%1</b><br>%2:%3 predicted <b>%4</b> (%5%) · %6<table>%7</table>")
                           .arg(QString::fromStdString(item->path).toHtmlEscaped(),
                                QString::fromStdString(item->model).toHtmlEscaped())
                           .arg(item->modelVersion)
                           .arg(QString::fromStdString(item->predicted).toHtmlEscaped())
                           .arg(item->confidence * 100, 0, 'f', 1)
                           .arg(QString::fromStdString(item->reason).toHtmlEscaped(), rows);
        if (item->state != "pending")
            text += QStringLiteral("<br>%1 <b>%2</b> by %3")
                        .arg(QString::fromStdString(item->state), QString::fromStdString(item->label).toHtmlEscaped(),
                             QString::fromStdString(item->labeledBy).toHtmlEscaped());
        if (ids.size() > 1)
            text += tr("<br><i>%1 entries selected</i>").arg(ids.size());
        m_previewText->setText(text);
    }
    updateActions();
}

void ReviewPage::updateActions()
{
    const bool selected = m_view->selectionModel()->hasSelection();
    m_label->setEnabled(!m_busy && selected && m_labelCombo->count() > 0);
    m_accept->setEnabled(!m_busy && selected);
    m_skip->setEnabled(!m_busy && selected);
    m_commit->setEnabled(!m_busy && m_counts.labeled > 0);
    m_labelCombo->setEnabled(!m_busy);
}

void ReviewPage::labelSelected(const QString &label)
{
    runAction(ReviewAction::Label, label);
}

void ReviewPage::acceptSelected()
{
    runAction(ReviewAction::Accept, {});
}

void ReviewPage::skipSelected()
{
    runAction(ReviewAction::Skip, {});
}

void ReviewPage::runAction(ReviewAction action, const QString &label)
{
    const std::vector<std::int64_t> ids = selectedIds();
    if (ids.empty() || m_busy || m_root.isEmpty()) {
        Q_EMIT actionFinished(ids.empty() ? tr("Select review entries first.") : tr("Another change is running."));
        return;
    }
    m_busy = true;
    updateActions();
    const std::string root = m_root.toStdString();
    const std::string text = label.toStdString();
    QtConcurrent::run([=] { return applyReviewAction(root, action, ids, text); })
        .then(this, [this, ids](const ReviewActionOutcome &out) {
            m_busy = false;
            m_model->updateItems(out.changed);
            m_counts = out.counts;
            showCounts();
            // On to the entry after the last one acted on, so that a review goes down the list.
            const int last = m_model->rowOf(ids.back());
            if (ids.size() == 1 && last >= 0 && last + 1 < m_model->rowCount()) {
                m_view->selectRow(last + 1);
                m_view->scrollTo(m_model->index(last + 1, 0));
            } else {
                showSelection();
            }
            if (!out.errors.isEmpty()) {
                showError(this, tr("Review"), out.errors.join(QLatin1Char('\n')));
                Q_EMIT actionFinished(out.errors.join(QLatin1Char('\n')));
                return;
            }
            Q_EMIT message(tr("%1 changed").arg(countText(std::int64_t(out.changed.size()), tr("review entry"), tr("review entries"))));
            Q_EMIT actionFinished(QString());
        });
}

void ReviewPage::commitLabels()
{
    if (m_busy || m_root.isEmpty()) {
        Q_EMIT actionFinished(tr("Another change is running."));
        return;
    }
    m_busy = true;
    updateActions();
    const std::string root = m_root.toStdString();
    QtConcurrent::run([root] { return commitReviewLabels(root); }).then(this, [this](const ReviewCommitOutcome &out) {
        m_busy = false;
        updateActions();
        if (!out.error.isEmpty()) {
            showError(this, tr("Commit labels"), out.error);
            Q_EMIT actionFinished(out.error);
            return;
        }
        const review::CommitResult &r = out.result;
        QString text = r.labelsMerged
                           ? tr("Merged %1 into catalog version %2 (MERGE LABELS).")
                                 .arg(countText(r.labelsMerged, tr("label"), tr("labels")))
                                 .arg(r.version)
                           : tr("No labeled entries to merge; the catalog stays at version %1.").arg(r.version);
        if (!r.notMerged.empty()) {
            QStringList open;
            for (const auto &[path, why] : r.notMerged)
                open << QStringLiteral("%1 (%2)").arg(QString::fromStdString(path), QString::fromStdString(why));
            text += tr(" Left open: %1.").arg(open.join(QStringLiteral("; ")));
        }
        for (const std::string &w : r.warnings)
            text += QStringLiteral(" ") + QString::fromStdString(w) + QLatin1Char('.');
        m_result->setText(text);
        m_result->show();
        Q_EMIT message(text);
        reload();
        Q_EMIT actionFinished(QString());
    });
}

} // namespace pw::ui
