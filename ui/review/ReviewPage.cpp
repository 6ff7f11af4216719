// The Review page; the queue comes from loadReviewSnapshot() and every change from applyReviewAction() or
// commitReviewLabels(), all on a pool thread (a commit waits for the workspace's writer lock). The review keys
// move the selection on at once and queue the write, so the next image shows without waiting for the database;
// the write's result replaces only its own rows.
#include "ui/review/ReviewPage.h"

#include "core/requests/KeyValues.h"

#include "ui/PageParts.h"
#include "ui/WorkPool.h"
#include "ui/review/ConfidenceHistogramView.h"
#include "ui/review/ReviewKeysDialog.h"
#include "ui/review/ReviewQueueModel.h"
#include "ui/review/ThumbnailLoader.h"
#include "ui/images/WhenFinished.h"

#include <QAction>
#include <QCheckBox>
#include <QComboBox>
#include <QCompleter>
#include <QFileDialog>
#include <QFileInfo>
#include <QFrame>
#include <QKeyEvent>
#include <QLineEdit>
#include <QListView>
#include <QMessageBox>
#include <QStackedWidget>
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
#include <map>
#include <set>

namespace pw::ui {

namespace {
constexpr int kThumbnailSide = 56; // 28 px Fashion-MNIST at 2x
constexpr int kPreviewSide = 224;
constexpr int kMaxPathColumnWidth = 260;
} // namespace

ReviewPage::ReviewPage(QWidget *parent)
    : Page(parent)
    , m_thumbnails(new ThumbnailLoader(kThumbnailSide, this))
    , m_previews(new ThumbnailLoader(kPreviewSide, this))
    , m_model(new ReviewQueueModel(m_thumbnails, this))
    , m_countsLabel(new QLabel)
    , m_result(new QLabel)
    , m_preview(new QLabel)
    , m_previewText(new QLabel)
    , m_labelCombo(new QComboBox)
    , m_filter(new QComboBox)
    , m_archivedBanner(new QFrame)
    , m_archivedText(new QLabel)
    , m_currentOnly(new QCheckBox(tr("List only the entries of current models")))
    , m_grid(new QListView)
    , m_stack(new QStackedWidget)
    , m_histogram(new ConfidenceHistogramView)
    , m_thresholdLabel(new QLabel)
    , m_bindingsLabel(new QLabel)
    , m_loader(
          this, [this] { return loadJob(); }, [this](ReviewSnapshot s) { showSnapshot(std::move(s)); },
          [this](bool loading) { Q_EMIT loadingChanged(loading); })
{
    QToolBar *bar = buildToolBar();
    addExchangeActions(bar);
    auto *top = new QHBoxLayout;
    top->addWidget(bar);
    top->addWidget(m_countsLabel, 1);
    m_bindingsLabel->setTextFormat(Qt::RichText);
    m_bindingsLabel->setWordWrap(true);
    m_bindingsLabel->setToolTip(tr("Review keys: a number labels, Enter accepts the prediction, S skips, Backspace "
                                   "undoes, / picks a class by name (Keys… rebinds the numbers)"));
    m_result->setWordWrap(true);
    m_result->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_result->hide();
    buildQueueViews();

    auto *split = new QSplitter(Qt::Horizontal);
    split->addWidget(titledBox(tr("Open review queue (least confident first)"), m_stack));
    split->addWidget(titledBox(tr("Selected entry"), buildSidePanel()));
    split->setStretchFactor(0, 4);
    split->setStretchFactor(1, 1);

    auto *layout = new QVBoxLayout(this);
    layout->addLayout(top);
    layout->addWidget(m_bindingsLabel);
    layout->addWidget(buildArchivedBanner());
    layout->addWidget(m_result);
    layout->addWidget(split, 1);

    connect(m_view->selectionModel(), &QItemSelectionModel::selectionChanged, this, &ReviewPage::showSelection);
    connect(m_previews, &ThumbnailLoader::thumbnailReady, this, [this] { showSelection(); });
    connect(m_histogram, &ConfidenceHistogramView::thresholdChanged, this, &ReviewPage::showThreshold);
    updateActions();
}

QString ReviewPage::pageToolTip() const
{
    return tr("The review queue: label, accept or skip the images the model was least sure of, then commit the "
              "labels to the catalog");
}

QToolBar *ReviewPage::buildToolBar()
{
    auto *bar = makePageToolBar();
    QAction *refresh = bar->addAction(themedIcon("refresh"), tr("Refresh"), this, &ReviewPage::reload);
    refresh->setToolTip(tr("Refresh: read the review queue again (View → Refresh)"));
    showIconOnly(bar, refresh);
    // Which entries are listed, by the image's label in the catalog now (score --review chose what was queued).
    m_filter->setObjectName("reviewFilter");
    m_filter->addItem(tr("All entries"), int(ReviewQueueModel::Filter::All));
    m_filter->addItem(tr("Unlabeled images"), int(ReviewQueueModel::Filter::Unlabeled));
    m_filter->addItem(tr("Labeled images (likely label errors)"), int(ReviewQueueModel::Filter::Labeled));
    // As wide as the short choices: the popup shows the long one whole.
    m_filter->setSizeAdjustPolicy(QComboBox::AdjustToMinimumContentsLengthWithIcon);
    m_filter->setMinimumContentsLength(16);
    m_filter->setToolTip(tr("List the entries of images without a label (score --review unlabeled), of images with "
                            "a folder or imported label the model disagrees with (score --review labeled), or all"));
    connect(m_filter, &QComboBox::currentIndexChanged, this, [this] {
        const std::vector<std::int64_t> selected = selectedIds();
        m_model->setFilter(ReviewQueueModel::Filter(m_filter->currentData().toInt()));
        if (selected.empty() || !selectEntry(selected.front())) {
            if (m_model->rowCount() > 0)
                selectRow(0);
        }
        showCounts();
        showSelection();
    });
    bar->addWidget(m_filter);
    bar->addSeparator();
    bar->addWidget(new QLabel(tr("Label: ")));
    m_labelCombo->setMinimumContentsLength(12);
    m_labelCombo->setToolTip(tr("The classes of the model that scored the selected entry: type to pick one, Enter "
                                "labels (\"/\" from the queue gets here)"));
    // A type-ahead picker for models with many classes: any part of a class name, then Enter.
    m_labelCombo->setEditable(true);
    m_labelCombo->setInsertPolicy(QComboBox::NoInsert);
    m_labelCombo->completer()->setCompletionMode(QCompleter::PopupCompletion);
    m_labelCombo->completer()->setFilterMode(Qt::MatchContains);
    m_labelCombo->completer()->setCaseSensitivity(Qt::CaseInsensitive);
    // Enter in the picker is taken in eventFilter(): let through, it would reach the page as an accept.
    m_labelCombo->lineEdit()->installEventFilter(this);
    bar->addWidget(m_labelCombo);
    m_label = bar->addAction(themedIcon("label"), tr("Label"), this,
                             [this] { labelSelected(m_labelCombo->currentText()); });
    m_label->setToolTip(tr("Label the selected entries with the chosen class"));
    m_accept = bar->addAction(themedIcon("accept"), tr("Accept prediction"), this, &ReviewPage::acceptSelected);
    m_accept->setToolTip(tr("Label the selected entries with the class the model predicted"));
    m_skip = bar->addAction(themedIcon("skip"), tr("Skip"), this, &ReviewPage::skipSelected);
    m_skip->setToolTip(tr("Leave the selected entries out of the merge until they are labeled"));
    bar->addSeparator();
    m_commit = bar->addAction(themedIcon("commit"), tr("Commit labels…"), this, &ReviewPage::confirmAndCommit);
    m_commit->setToolTip(tr("Merge every labeled entry into the catalog as one new version (MERGE LABELS), after "
                            "a summary of what will be merged"));
    bar->addSeparator();
    m_gridAction = bar->addAction(themedIcon("grid"), tr("Grid"), this, &ReviewPage::setGridMode);
    m_gridAction->setCheckable(true);
    m_gridAction->setToolTip(tr("Show the queue as a thumbnail grid: select several, then a key labels them all"));
    QAction *keys = bar->addAction(themedIcon("keys"), tr("Keys…"), this, &ReviewPage::editKeyBindings);
    keys->setToolTip(tr("Choose the classes keys 1–9 and 0 assign"));
    return bar;
}

void ReviewPage::addExchangeActions(QToolBar *bar)
{
    QAction *exportCsv = bar->addAction(themedIcon("export"), tr("Export CSV…"), this, [this] {
        const QString file = QFileDialog::getSaveFileName(this, tr("Export the pending entries"), QString(),
                                                          tr("CSV (*.csv)"));
        if (!file.isEmpty())
            exportQueue(file, QString::fromLatin1(review::kExportFormats.name(review::ExportFormat::Csv)));
    });
    exportCsv->setToolTip(tr("Write the pending entries as CSV for an external labeling tool"));
    QAction *exportLs = bar->addAction(themedIcon("export"), tr("Export Label Studio…"), this, [this] {
        const QString file = QFileDialog::getSaveFileName(this, tr("Export the pending entries"), QString(),
                                                          tr("Label Studio tasks (*.json)"));
        if (!file.isEmpty())
            exportQueue(file, QString::fromLatin1(review::kExportFormats.name(review::ExportFormat::LabelStudio)));
    });
    exportLs->setToolTip(tr("Write the pending entries as Label Studio tasks with the model's predictions"));
    QAction *import = bar->addAction(themedIcon("import"), tr("Import labels…"), this, [this] {
        const QString file = QFileDialog::getOpenFileName(this, tr("Import labels"), QString(),
                                                          tr("CSV or Label Studio export (*.csv *.json)"));
        if (!file.isEmpty())
            importLabels(file);
    });
    import->setToolTip(tr("Label entries from a CSV (path, label) or a Label Studio JSON export"));
}

void ReviewPage::buildQueueViews()
{
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
    m_view->installEventFilter(this);

    // The grid: the same model and the same selection, the thumbnail column as icons.
    m_grid->setObjectName("reviewGrid");
    m_grid->setViewMode(QListView::IconMode);
    m_grid->setModel(m_model);
    m_grid->setModelColumn(ReviewQueueModel::ThumbnailColumn);
    QItemSelectionModel *own = m_grid->selectionModel();
    m_grid->setSelectionModel(m_view->selectionModel());
    delete own;
    m_grid->setSelectionMode(QAbstractItemView::ExtendedSelection);
    m_grid->setIconSize(QSize(kThumbnailSide, kThumbnailSide));
    m_grid->setGridSize(QSize(kThumbnailSide + 12, kThumbnailSide + 12));
    m_grid->setUniformItemSizes(true);
    m_grid->setResizeMode(QListView::Adjust);
    m_grid->setMovement(QListView::Static);
    m_grid->setToolTip(tr("Select thumbnails (Ctrl, Shift or drag for several), then a number key labels them all"));
    m_grid->installEventFilter(this);
    m_stack->addWidget(m_view);
    m_stack->addWidget(m_grid);
}

QWidget *ReviewPage::buildArchivedBanner()
{
    // Entries queued by a version Archived since: said above the queue, never silently kept, with the current queue
    // (the entries of versions still in use) one click away.
    auto *frame = static_cast<QFrame *>(m_archivedBanner);
    frame->setObjectName("archivedBanner");
    frame->setFrameShape(QFrame::StyledPanel);
    frame->setStyleSheet(QStringLiteral("#archivedBanner { background: #fff4ce; }"));
    m_archivedText->setWordWrap(true);
    m_archivedText->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_currentOnly->setToolTip(tr("Leave out the entries queued by a model version that is Archived now"));
    connect(m_currentOnly, &QCheckBox::toggled, this, [this](bool only) {
        const std::vector<std::int64_t> selected = selectedIds();
        m_model->setHideArchived(only);
        if ((selected.empty() || !selectEntry(selected.front())) && m_model->rowCount() > 0)
            selectRow(0);
        showCounts();
        showSelection();
    });
    auto *layout = new QHBoxLayout(frame);
    layout->setContentsMargins(6, 3, 6, 3);
    layout->addWidget(m_archivedText, 1);
    layout->addWidget(m_currentOnly);
    frame->hide();
    return frame;
}

QWidget *ReviewPage::buildSidePanel()
{
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
    m_histogram->setObjectName("confidenceHistogram");
    m_thresholdLabel->setWordWrap(true);
    sideLayout->addWidget(titledBox(tr("Threshold tuner"), m_histogram));
    sideLayout->addWidget(m_thresholdLabel);
    return side;
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
    m_loader.reload();
}

SnapshotLoader<ReviewSnapshot>::Job ReviewPage::loadJob()
{
    if (m_root.isEmpty())
        return {};
    const std::string root = m_root.toStdString();
    return [root] { return loadReviewSnapshot(root); };
}

QString ReviewPage::commitText() const
{
    return m_result->isHidden() ? QString() : m_result->text();
}

std::vector<std::int64_t> ReviewPage::selectedIds() const
{
    // Rows with any selected cell: the grid selects one column of them, the table all.
    std::set<int> rows;
    for (const QModelIndex &i : m_view->selectionModel()->selectedIndexes())
        rows.insert(i.row());
    std::vector<std::int64_t> ids;
    for (const int row : rows)
        ids.push_back(m_model->item(row)->id);
    return ids;
}

void ReviewPage::selectRow(int row)
{
    const QModelIndex index = m_model->index(row, 0);
    m_view->selectionModel()->setCurrentIndex(index, QItemSelectionModel::ClearAndSelect | QItemSelectionModel::Rows);
    activeView()->scrollTo(index);
}

bool ReviewPage::selectEntry(qint64 id)
{
    const int row = m_model->rowOf(id);
    if (row < 0)
        return false;
    selectRow(row);
    return true;
}

QAbstractItemView *ReviewPage::activeView() const
{
    return gridMode() ? static_cast<QAbstractItemView *>(m_grid) : m_view;
}

bool ReviewPage::gridMode() const
{
    return m_stack->currentWidget() == m_grid;
}

void ReviewPage::setGridMode(bool grid)
{
    m_gridAction->setChecked(grid);
    m_stack->setCurrentWidget(grid ? static_cast<QWidget *>(m_grid) : m_view);
    const QModelIndex current = m_view->selectionModel()->currentIndex();
    if (current.isValid())
        activeView()->scrollTo(current);
    activeView()->setFocus();
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
    m_model->setModelStages(s.stages);
    noteArchivedModels(s.stages);
    m_histogram->setCounts(std::move(s.histogram.counts));
    m_histogramSource = s.histogramModel.empty() ? QString()
                                                 : tr("%1 scored by %2:%3")
                                                       .arg(QString::fromStdString(s.histogramTable),
                                                            QString::fromStdString(s.histogramModel))
                                                       .arg(s.histogramModelVersion);
    showThreshold();
    for (const int column :
         {ReviewQueueModel::PathColumn, ReviewQueueModel::StateColumn, ReviewQueueModel::LabelColumn,
          ReviewQueueModel::PredictedColumn, ReviewQueueModel::ConfidenceColumn, ReviewQueueModel::CatalogLabelColumn,
          ReviewQueueModel::ModelColumn, ReviewQueueModel::Top5Column})
        m_view->resizeColumnToContents(column);
    // A long path does not push the state and the reviewer's label out of sight (its tooltip has it whole).
    m_view->setColumnWidth(ReviewQueueModel::PathColumn,
                           std::min(m_view->columnWidth(ReviewQueueModel::PathColumn), kMaxPathColumnWidth));
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
        m_view->selectionModel()->setCurrentIndex(m_model->index(selection.indexes().first().row(), 0),
                                                  QItemSelectionModel::NoUpdate);
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
               + (m_counts.labeled ? tr(" — %1 to commit").arg(countText(m_counts.labeled, tr("label"), tr("labels")))
                                   : QString());
    if (m_model->rowCount() != m_model->totalCount())
        text +=
            tr(" · %1 of %2 listed").arg(locale.toString(m_model->rowCount()), locale.toString(m_model->totalCount()));
    if (!m_warnings.isEmpty())
        text += QStringLiteral(" · ") + m_warnings.join(QStringLiteral("; "));
    m_countsLabel->setText(text);
    updateActions();
}

void ReviewPage::noteArchivedModels(const std::map<std::string, std::string> &stages)
{
    // Entries queued by a version that is Archived now: their labels still count, but the queue reflects a model no
    // longer in use. Said on the page (and in the Queued by column), never silently kept.
    QStringList parts;
    QString name;
    for (const auto &[key, stage] : stages)
        if (stage == "Archived") {
            parts << QString::fromStdString(key);
            name = QString::fromStdString(key.substr(0, key.rfind(':')));
        }
    const int entries = m_model->archivedCount();
    m_archivedNote = parts.isEmpty() || entries == 0
                         ? QString()
                         : tr("%1 queued by %2, Archived now: their predictions come from a model no longer in use. "
                              "Rescore with the current one to refresh the queue: pipewright score --model "
                              "%3@Production --table %4")
                               .arg(countText(entries, tr("entry"), tr("entries")), parts.join(QStringLiteral(", ")),
                                    name, m_model->archivedTables().join(QStringLiteral("|")));
    m_archivedText->setText(m_archivedNote);
    m_archivedBanner->setVisible(!m_archivedNote.isEmpty());
}

QString ReviewPage::actionText(ReviewAction action, const QString &label, const ReviewActionOutcome &out) const
{
    if (out.changed.empty())
        return tr("Nothing changed.");
    const QString what = out.changed.size() == 1
                             ? QFileInfo(QString::fromStdString(out.changed.front().path)).fileName()
                             : countText(std::int64_t(out.changed.size()), tr("image"), tr("images"));
    const QString undo = tr(" — Backspace to undo");
    switch (action) {
    case ReviewAction::Label: return tr("Labeled %1 as %2").arg(what, label) + undo;
    case ReviewAction::Accept:
        return tr("Accepted the prediction %1 for %2").arg(QString::fromStdString(out.changed.front().label), what)
               + undo;
    case ReviewAction::Skip: return tr("Skipped %1").arg(what) + undo;
    case ReviewAction::Reopen: return tr("%1 back to pending").arg(what);
    }
    return {};
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
        QStringList classes;
        if (const auto it = m_classes.find(key); it != m_classes.end())
            for (const std::string &c : it->second)
                classes << QString::fromStdString(c);
        m_labelCombo->addItems(classes);
        // The number keys are bound per model name: its versions share their classes as a rule.
        if (item && item->model != m_bindingsModel) {
            m_bindingsModel = item->model;
            m_bindings = ReviewKeysDialog::loadBindings(QString::fromStdString(m_bindingsModel), classes);
            showBindings();
        }
    }
    if (item && ids.size() == 1) {
        const int i = m_labelCombo->findText(
            QString::fromStdString(item->label.empty() ? item->predicted : item->label));
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
    // Decisions queue behind the one being written; a commit waits until they are all written.
    m_label->setEnabled(selected && m_labelCombo->count() > 0);
    m_accept->setEnabled(selected);
    m_skip->setEnabled(selected);
    m_commit->setEnabled(!m_busy && m_counts.labeled > 0);
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

void ReviewPage::runAction(ReviewAction action, const QString &label, bool advanceAfter)
{
    const std::vector<std::int64_t> ids = selectedIds();
    if (ids.empty() || m_root.isEmpty()) {
        Q_EMIT actionFinished(tr("Select review entries first."));
        return;
    }
    m_actions.push_back({action, ids, label, advanceAfter});
    if (!m_busy)
        startNextAction();
}

void ReviewPage::startNextAction()
{
    if (m_actions.empty()) {
        m_busy = false;
        updateActions();
        return;
    }
    const QueuedAction next = m_actions.front();
    m_actions.pop_front();
    m_running = next.ids;
    m_busy = true;
    updateActions();
    const std::string root = m_root.toStdString();
    const std::string text = next.label.toStdString();
    const ReviewAction action = next.action;
    const std::vector<std::int64_t> ids = next.ids;
    whenFinished(this, QtConcurrent::run(workPool(), [=] { return applyReviewAction(root, action, ids, text); }),
                 [this, ids, action, label = next.label, advance = next.advanceAfter](const ReviewActionOutcome &out) {
                     m_running.clear();
                     m_model->updateItems(out.changed);
                     m_counts = out.counts;
                     showCounts();
                     // On to the entry after the last one acted on, so that a review goes down the list.
                     const int last = m_model->rowOf(ids.back());
                     if (advance && ids.size() == 1 && last >= 0 && last + 1 < m_model->rowCount())
                         selectRow(last + 1);
                     else
                         showSelection();
                     if (!out.errors.isEmpty()) {
                         showError(this, tr("Review"), out.errors.join(QLatin1Char('\n')));
                         Q_EMIT actionFinished(out.errors.join(QLatin1Char('\n')));
                     } else {
                         Q_EMIT message(actionText(action, label, out));
                         Q_EMIT actionFinished(QString());
                     }
                     startNextAction();
                 });
}

int ReviewPage::nextPendingRow(int after) const
{
    // Entries whose decision is still being written show as pending: they are not next.
    std::set<std::int64_t> deciding(m_running.begin(), m_running.end());
    for (const QueuedAction &a : m_actions)
        deciding.insert(a.ids.begin(), a.ids.end());
    for (const std::int64_t id : selectedIds())
        deciding.insert(id);
    const int n = m_model->rowCount();
    for (int k = 1; k <= n; ++k) {
        const int row = (after + k) % n;
        const review::ReviewItem *item = m_model->item(row);
        if (item->state == "pending" && !deciding.count(item->id))
            return row;
    }
    return -1;
}

void ReviewPage::decide(ReviewAction action, const QString &label)
{
    const std::vector<std::int64_t> ids = selectedIds();
    if (ids.empty()) {
        Q_EMIT message(tr("Select review entries first."));
        return;
    }
    const int next = nextPendingRow(m_model->rowOf(ids.back()));
    runAction(action, label, /*advanceAfter=*/false);
    m_undo.push_back(ids);
    if (next >= 0)
        selectRow(next);
}

void ReviewPage::undoLast()
{
    if (m_undo.empty()) {
        Q_EMIT message(tr("Nothing to undo."));
        return;
    }
    const std::vector<std::int64_t> ids = m_undo.back();
    m_undo.pop_back();
    QItemSelection selection;
    for (const std::int64_t id : ids)
        if (const int row = m_model->rowOf(id); row >= 0)
            selection.select(m_model->index(row, 0), m_model->index(row, ReviewQueueModel::ColumnCount - 1));
    if (selection.isEmpty()) {
        Q_EMIT message(tr("The entries of the last decision left the queue."));
        return;
    }
    m_view->selectionModel()->select(selection, QItemSelectionModel::ClearAndSelect);
    m_view->selectionModel()->setCurrentIndex(m_model->index(selection.indexes().first().row(), 0),
                                              QItemSelectionModel::NoUpdate);
    activeView()->scrollTo(selection.indexes().first());
    runAction(ReviewAction::Reopen, {}, /*advanceAfter=*/false);
}

bool ReviewPage::handleReviewKey(QKeyEvent *event)
{
    if (event->modifiers() & ~(Qt::KeypadModifier | Qt::ShiftModifier))
        return false;
    const int key = event->key();
    if (key >= Qt::Key_0 && key <= Qt::Key_9) {
        const int i = key == Qt::Key_0 ? 9 : key - Qt::Key_1;
        const QString label = m_bindings.value(i);
        if (label.isEmpty())
            Q_EMIT message(tr("Key %1 assigns no class (Keys… binds it).").arg(reviewKeyName(i)));
        else
            decide(ReviewAction::Label, label);
        return true;
    }
    switch (key) {
    case Qt::Key_Return:
    case Qt::Key_Enter: decide(ReviewAction::Accept, {}); return true;
    case Qt::Key_S: decide(ReviewAction::Skip, {}); return true;
    case Qt::Key_Backspace: undoLast(); return true;
    case Qt::Key_Slash:
        m_labelCombo->setFocus(Qt::ShortcutFocusReason);
        m_labelCombo->lineEdit()->selectAll();
        return true;
    default: return false;
    }
}

void ReviewPage::labelWithTypedClass()
{
    const QString text = m_labelCombo->currentText();
    if (m_labelCombo->findText(text) < 0) {
        Q_EMIT message(tr("%1 is not a class of this model").arg(text));
        return;
    }
    decide(ReviewAction::Label, text);
    activeView()->setFocus();
}

bool ReviewPage::eventFilter(QObject *watched, QEvent *event)
{
    if (watched == m_labelCombo->lineEdit() && event->type() == QEvent::KeyPress) {
        const int key = static_cast<QKeyEvent *>(event)->key();
        if (key == Qt::Key_Return || key == Qt::Key_Enter) {
            labelWithTypedClass();
            return true;
        }
        return false;
    }
    if ((watched == m_view || watched == m_grid) && event->type() == QEvent::KeyPress
        && handleReviewKey(static_cast<QKeyEvent *>(event)))
        return true;
    return QWidget::eventFilter(watched, event);
}

void ReviewPage::keyPressEvent(QKeyEvent *event)
{
    if (!handleReviewKey(event))
        QWidget::keyPressEvent(event);
}

void ReviewPage::setKeyBindings(const QStringList &bindings)
{
    m_bindings = bindings;
    if (!m_bindingsModel.empty())
        ReviewKeysDialog::saveBindings(QString::fromStdString(m_bindingsModel), m_bindings);
    showBindings();
}

void ReviewPage::editKeyBindings()
{
    QStringList classes;
    for (int i = 0; i < m_labelCombo->count(); ++i)
        classes << m_labelCombo->itemText(i);
    ReviewKeysDialog dialog(classes, m_bindings, this);
    if (dialog.exec() == QDialog::Accepted)
        setKeyBindings(dialog.bindings());
}

void ReviewPage::showBindings()
{
    QStringList parts;
    for (int i = 0; i < kReviewKeyCount; ++i)
        if (!m_bindings.value(i).isEmpty())
            parts << QStringLiteral("<b>%1</b>&nbsp;%2").arg(reviewKeyName(i), m_bindings.value(i).toHtmlEscaped());
    m_bindingsLabel->setText(parts.isEmpty() ? QString()
                                             : parts.join(QStringLiteral(" · "))
                                                   + tr(" · <b>Enter</b>&nbsp;accept · <b>S</b>&nbsp;skip · "
                                                        "<b>Backspace</b>&nbsp;undo · <b>/</b>&nbsp;pick a class"));
}

void ReviewPage::showThreshold()
{
    if (m_histogram->total() == 0) {
        m_thresholdLabel->setText(tr("No scored table to tune a threshold on."));
        return;
    }
    const QLocale locale;
    m_thresholdLabel->setText(tr("Threshold %1: %2 of %3 images below it — the queue size it gives (%4).")
                                  .arg(m_histogram->threshold(), 0, 'f', 2)
                                  .arg(locale.toString(qint64(m_histogram->countBelow())),
                                       locale.toString(qint64(m_histogram->total())), m_histogramSource));
}

QString ReviewPage::commitSummary() const
{
    std::map<std::string, std::int64_t> perLabel;
    std::int64_t total = 0;
    for (int row = 0; row < m_model->rowCount(); ++row)
        if (const review::ReviewItem *i = m_model->item(row); i->state == "labeled") {
            ++perLabel[i->label];
            ++total;
        }
    if (total == 0)
        return tr("No labeled entries to merge.");
    QStringList lines;
    for (const auto &[label, n] : perLabel)
        lines << QStringLiteral("%1: %2").arg(QString::fromStdString(label)).arg(n);
    return tr("%1 will be merged into the catalog as one new version (MERGE LABELS):\n%2")
        .arg(countText(total, tr("label"), tr("labels")), lines.join(QLatin1Char('\n')));
}

void ReviewPage::confirmAndCommit()
{
    const QString summary = commitSummary();
    const bool yes = m_confirmer ? m_confirmer(summary)
                                 : QMessageBox::question(this, tr("Commit labels"), summary) == QMessageBox::Yes;
    if (yes)
        commitLabels();
    else
        Q_EMIT message(tr("Commit cancelled."));
}

void ReviewPage::exportQueue(const QString &file, const QString &format)
{
    // The one parser of an export (as `review export` and review-export tasks use).
    review::ExportRequest request;
    try {
        request = review::parseExportRequest({{"file", file.toStdString()}, {"format", format.toStdString()}});
    } catch (const requests::RequestError &e) {
        showError(this, tr("Export"), QString::fromUtf8(e.what()));
        Q_EMIT actionFinished(QString::fromUtf8(e.what()));
        return;
    }
    const std::string root = m_root.toStdString();
    whenFinished(this, QtConcurrent::run(workPool(), [root, request] { return exportReviewQueue(root, request); }),
                 [this, file](const ReviewTransferOutcome &out) {
                     if (!out.error.isEmpty()) {
                         showError(this, tr("Export"), out.error);
                         Q_EMIT actionFinished(out.error);
                         return;
                     }
                     Q_EMIT message(tr("Wrote %1 to %2").arg(countText(out.entries, tr("entry"), tr("entries")), file));
                     Q_EMIT actionFinished(QString());
                 });
}

void ReviewPage::importLabels(const QString &file)
{
    const std::string root = m_root.toStdString();
    whenFinished(
        this, QtConcurrent::run(workPool(), [root, f = file.toStdString()] { return importReviewLabels(root, f); }),
        [this, file](const ReviewTransferOutcome &out) {
            if (!out.error.isEmpty()) {
                showError(this, tr("Import"), out.error);
                Q_EMIT actionFinished(out.error);
                return;
            }
            QString text = tr("Imported %1 from %2").arg(countText(out.entries, tr("label"), tr("labels")), file);
            if (!out.skipped.isEmpty())
                text += tr("; left out: %1").arg(out.skipped.join(QStringLiteral("; ")));
            Q_EMIT message(text);
            reload();
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
    m_undo.clear(); // merged entries cannot go back to pending
    updateActions();
    const std::string root = m_root.toStdString();
    whenFinished(
        this, QtConcurrent::run(workPool(), [root] { return commitReviewLabels(root); }),
        [this](const ReviewCommitOutcome &out) {
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
