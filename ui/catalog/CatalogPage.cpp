// The Catalog page; data comes from loadCatalogSnapshot() on a pool thread.
#include "ui/catalog/CatalogPage.h"

#include "ui/catalog/HistoryModel.h"
#include "ui/catalog/RejectedModel.h"
#include "ui/catalog/TableCountsModel.h"

#include <QHeaderView>
#include <QLabel>
#include <QLocale>
#include <QSplitter>
#include <QTableView>
#include <QTimer>
#include <QTreeView>
#include <QVBoxLayout>
#include <QtConcurrent/QtConcurrentRun>

namespace pw::ui {

namespace {

constexpr int kRefreshIntervalMs = 5000;

QWidget *titled(const QString &title, QWidget *content, QLabel **titleLabel = nullptr)
{
    auto *box = new QWidget;
    auto *layout = new QVBoxLayout(box);
    layout->setContentsMargins(0, 0, 0, 0);
    auto *label = new QLabel(title);
    QFont f = label->font();
    f.setBold(true);
    label->setFont(f);
    layout->addWidget(label);
    layout->addWidget(content);
    if (titleLabel)
        *titleLabel = label;
    return box;
}

QTableView *makeTable(QAbstractItemModel *model)
{
    auto *view = new QTableView;
    view->setModel(model);
    view->setSelectionBehavior(QAbstractItemView::SelectRows);
    view->setAlternatingRowColors(true);
    view->verticalHeader()->hide();
    view->verticalHeader()->setDefaultSectionSize(view->fontMetrics().height() + 6);
    view->horizontalHeader()->setStretchLastSection(true);
    view->setWordWrap(false);
    return view;
}

} // namespace

CatalogPage::CatalogPage(QWidget *parent)
    : QWidget(parent)
    , m_summary(new QLabel)
    , m_tables(new QTreeView)
    , m_tableModel(new TableCountsModel(this))
    , m_historyModel(new HistoryModel(this))
    , m_rejectedModel(new RejectedModel(this))
    , m_refreshTimer(new QTimer(this))
    , m_loader(
          this, [this] { return loadJob(); }, [this](CatalogSnapshot s) { showSnapshot(std::move(s)); },
          [this](bool loading) { Q_EMIT loadingChanged(loading); },
          // Whole-catalog counts (seconds at a million images): behind what the Browse tab shows.
          SnapshotLoader<CatalogSnapshot>::Priority::SlowRead)
{
    m_summary->setTextFormat(Qt::PlainText);
    QFont f = m_summary->font();
    f.setPointSizeF(f.pointSizeF() * 1.2);
    m_summary->setFont(f);

    m_tables->setModel(m_tableModel);
    m_tables->setAlternatingRowColors(true);
    m_tables->setUniformRowHeights(true);
    m_tables->header()->setStretchLastSection(false);
    m_tables->header()->setSectionResizeMode(QHeaderView::ResizeToContents);
    m_tables->header()->setSectionResizeMode(TableCountsModel::NameColumn, QHeaderView::Stretch);

    m_history = makeTable(m_historyModel);
    m_rejected = makeTable(m_rejectedModel);

    auto *right = new QSplitter(Qt::Vertical);
    right->addWidget(titled(tr("Version history"), m_history));
    right->addWidget(titled(tr("Rejected files"), m_rejected, &m_rejectedTitle));
    auto *split = new QSplitter(Qt::Horizontal);
    split->addWidget(titled(tr("Tables and labels"), m_tables));
    split->addWidget(right);
    split->setStretchFactor(0, 2);
    split->setStretchFactor(1, 3);

    auto *layout = new QVBoxLayout(this);
    layout->addWidget(m_summary);
    layout->addWidget(split, 1);

    // Other processes (a CLI ingest) change the catalog: refresh while the page is shown.
    m_refreshTimer->setInterval(kRefreshIntervalMs);
    connect(m_refreshTimer, &QTimer::timeout, this, [this] {
        if (isVisible())
            reload();
    });
    m_refreshTimer->start();
}

void CatalogPage::setWorkspace(const QString &root, bool load)
{
    m_root = root;
    m_shownVersion = -1;
    m_summary->setText(tr("Loading the catalog of %1…").arg(root));
    if (load)
        reload();
}

void CatalogPage::reload()
{
    m_loader.reload();
}

SnapshotLoader<CatalogSnapshot>::Job CatalogPage::loadJob()
{
    if (m_root.isEmpty())
        return {};
    const std::string root = m_root.toStdString();
    return [root] { return loadCatalogSnapshot(root); };
}

void CatalogPage::showSnapshot(const CatalogSnapshot &s)
{
    if (!s.error.isEmpty()) {
        m_summary->setText(tr("Cannot read the catalog: %1").arg(s.error));
        Q_EMIT loaded();
        return;
    }
    // Every change of the catalog is a new version: an unchanged version needs no redraw (which would
    // lose the user's selection and scroll position).
    const bool changed = s.latestVersion != m_shownVersion;
    m_shownVersion = s.latestVersion;
    if (!changed) {
        Q_EMIT loaded();
        return;
    }
    const QLocale locale;
    qint64 images = 0, rejected = 0;
    for (const auto &t : s.tables) {
        images += t.stats.images;
        rejected += t.stats.rejected;
    }
    if (s.latestVersion == 0)
        m_summary->setText(
            tr("The catalog is empty. Ingest a folder of images: pipewright ingest FOLDER --workspace %1").arg(m_root));
    else
        m_summary->setText(tr("Catalog version %1 · %2 images in %3 tables · %4 rejected files")
                               .arg(s.latestVersion)
                               .arg(locale.toString(images))
                               .arg(s.tables.size())
                               .arg(locale.toString(rejected)));
    m_tableModel->setTables(s.tables);
    m_tables->expandAll();
    m_historyModel->setHistory(s.history);
    m_history->resizeColumnsToContents();
    m_rejectedModel->setFiles(s.rejected);
    m_rejected->resizeColumnToContents(RejectedModel::TableColumn);
    m_rejectedTitle->setText(tr("Rejected files (%1)").arg(locale.toString(qint64(s.rejected.size()))));
    Q_EMIT loaded();
}

} // namespace pw::ui
