// The Images page (see ImagesPage.h). Core calls run on the thread pool, each over its own connection.
#include "ui/images/ImagesPage.h"

#include "core/catalog/Catalog.h"
#include "core/store/Database.h"
#include "core/store/Workspace.h"
#include "ui/WorkPool.h"
#include "ui/catalog/CatalogPage.h"
#include "ui/images/ImageDetailPane.h"
#include "ui/images/ImageListModel.h"
#include "ui/images/LabelCountChart.h"
#include "ui/images/WhenFinished.h"
#include "ui/PageParts.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDoubleSpinBox>
#include <QFormLayout>
#include <QFuture>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QListView>
#include <QScrollBar>
#include <QSettings>
#include <QSlider>
#include <QSpinBox>
#include <QSplitter>
#include <QTabWidget>
#include <QVBoxLayout>
#include <QtConcurrent/QtConcurrentRun>

#include <algorithm>
#include <limits>

namespace pw::ui {

namespace {
constexpr int kDefaultSide = 96;
// Read-ahead: the next page is fetched while the last fetched row is within this many screens below the viewport.
constexpr int kReadAheadScreens = 2;

struct Counts
{
    std::map<std::string, std::int64_t> counts;
    QString error;
    bool skipped = false; // a newer count was asked for before this one started
};

struct Tables
{
    std::vector<std::pair<std::string, std::int64_t>> tables; // name, rows (of every version; 0: not counted)
    QString error;
};

// The table the page showed last in the workspace at `root` (QSettings, per workspace).
QString lastTableKey(const QString &root)
{
    return QStringLiteral("images/table/") + root;
}

// The table to open: the one used last in this workspace, else the largest (the main one, not the alphabetically
// first such as "broken").
QString defaultTable(const std::string &last, const Tables &t)
{
    const std::pair<std::string, std::int64_t> *largest = nullptr;
    for (const auto &entry : t.tables) {
        if (entry.first == last)
            return QString::fromStdString(last);
        if (!largest || entry.second > largest->second)
            largest = &entry;
    }
    return largest ? QString::fromStdString(largest->first) : QString();
}

// The tables of the catalog; their sizes only when the one to show is not `shown` or `last` (a count reads a whole
// index: not on every reload).
Tables readTables(const std::string &root, const std::string &shown, const std::string &last)
{
    Tables t;
    try {
        const auto db = store::Workspace::open(root).openCatalog();
        for (const std::string &name : catalog::Catalog(*db).tables())
            t.tables.emplace_back(name, 0);
        const bool known = std::any_of(t.tables.begin(), t.tables.end(),
                                       [&](const auto &entry) { return entry.first == shown || entry.first == last; });
        if (known || t.tables.size() < 2) // one table is the one to open: no need to know its size
            return t;
        store::Statement count(*db, "SELECT count(*) FROM images WHERE table_name = ?");
        for (auto &entry : t.tables) {
            count.reset();
            count.bind(1, entry.first);
            entry.second = count.step() ? count.int64(0) : 0;
        }
    } catch (const std::exception &e) {
        t.error = QString::fromStdString(e.what());
    }
    return t;
}
} // namespace

ImagesPage::ImagesPage(QWidget *parent)
    : Page(parent)
    , m_tabs(new QTabWidget)
    , m_catalogPage(new CatalogPage)
    , m_model(new ImageListModel(this))
    , m_view(new QListView)
    , m_detail(new ImageDetailPane)
    , m_chart(new LabelCountChart)
    , m_table(new QComboBox)
    , m_label(new QComboBox)
    , m_predicted(new QLineEdit)
    , m_labelSource(new QComboBox)
    , m_minConfidence(new QDoubleSpinBox)
    , m_maxConfidence(new QDoubleSpinBox)
    , m_rejected(new QCheckBox(tr("Rejected files")))
    , m_asOf(new QSpinBox)
    , m_sort(new QComboBox)
    , m_size(new QSlider(Qt::Horizontal))
    , m_total(new QLabel)
    , m_status(new QLabel)
{
    setUpFilters();
    layOut();
    connectWidgets();
    // The Catalog tab speaks for the page in the window: its load is the page's, its reading the status text.
    connect(m_catalogPage, &CatalogPage::loaded, this, &Page::loaded);
    connect(m_catalogPage, &CatalogPage::loadingChanged, this,
            [this](bool loading) { Q_EMIT activityChanged(loading ? tr("Reading the catalog…") : QString(), false); });
}

QString ImagesPage::pageToolTip() const
{
    return tr("The image catalog: browse thumbnails with filters and lineage; counts per table and label, version "
              "history, rejected files");
}

void ImagesPage::setUpFilters()
{
    m_view->setObjectName("thumbnails");
    m_view->setViewMode(QListView::IconMode);
    m_view->setResizeMode(QListView::Adjust);
    m_view->setMovement(QListView::Static);
    m_view->setUniformItemSizes(true);
    m_view->setSelectionMode(QAbstractItemView::SingleSelection);
    m_view->setModel(m_model);

    m_label->setEditable(true);
    m_label->setInsertPolicy(QComboBox::NoInsert);
    m_label->lineEdit()->setPlaceholderText(tr("any label"));
    m_predicted->setPlaceholderText(tr("any prediction"));
    m_labelSource->addItem(tr("any source"), QString());
    for (const char *s : {"path", "human", "import"})
        m_labelSource->addItem(QString::fromLatin1(s), QString::fromLatin1(s));
    for (QDoubleSpinBox *box : {m_minConfidence, m_maxConfidence}) {
        box->setRange(0, 1);
        box->setSingleStep(0.05);
        box->setDecimals(2);
    }
    m_maxConfidence->setValue(1);
    m_minConfidence->setToolTip(tr("Only images whose newest prediction is at least this confident (0: no bound)"));
    m_maxConfidence->setToolTip(tr("Only images whose newest prediction is at most this confident (1: no bound)"));
    m_asOf->setRange(0, std::numeric_limits<int>::max());
    m_asOf->setSpecialValueText(tr("latest"));
    m_asOf->setToolTip(tr("The table as of this catalog version"));
    m_sort->addItem(tr("Path"), int(catalog::ImageFilter::Sort::Path));
    m_sort->addItem(tr("Confidence"), int(catalog::ImageFilter::Sort::Confidence));
    m_sort->addItem(tr("Added"), int(catalog::ImageFilter::Sort::Added));
    m_size->setRange(32, 256);
    m_size->setValue(kDefaultSide);
    m_size->setToolTip(tr("Thumbnail size"));
}

void ImagesPage::layOut()
{
    auto *filters = new QFormLayout;
    filters->addRow(tr("Table"), m_table);
    filters->addRow(tr("Label"), m_label);
    filters->addRow(tr("Predicted"), m_predicted);
    filters->addRow(tr("Label source"), m_labelSource);
    auto *range = new QHBoxLayout;
    range->addWidget(m_minConfidence);
    range->addWidget(new QLabel(tr("to")));
    range->addWidget(m_maxConfidence);
    filters->addRow(tr("Confidence"), range);
    filters->addRow(QString(), m_rejected);
    filters->addRow(tr("As of version"), m_asOf);
    filters->addRow(tr("Sort by"), m_sort);
    filters->addRow(tr("Size"), m_size);
    auto *left = new QWidget;
    auto *leftLayout = new QVBoxLayout(left);
    leftLayout->addLayout(filters);
    leftLayout->addWidget(m_chart, 1);
    m_total->setObjectName("total");
    leftLayout->addWidget(m_total);
    leftLayout->addWidget(m_status);

    auto *split = new QSplitter;
    split->addWidget(left);
    split->addWidget(m_view);
    split->addWidget(m_detail);
    split->setStretchFactor(1, 1);
    m_tabs->addTab(split, tr("Browse"));
    m_tabs->addTab(m_catalogPage, tr("Catalog"));
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(m_tabs);
    setThumbnailSide(kDefaultSide);
}

void ImagesPage::connectWidgets()
{
    connect(m_table, &QComboBox::currentIndexChanged, this, [this] {
        m_label->clear(); // the labels of another table
        if (!m_settingFilter && !m_root.isEmpty())
            QSettings().setValue(lastTableKey(m_root), m_table->currentText());
        applyFilter();
    });
    // Each of these may fire for a filter already listed (editingFinished comes again when the label field loses
    // focus to a click on a thumbnail): applyFilter() lists only a changed one, so that the click is not lost.
    const auto apply = [this] { applyFilter(); };
    connect(m_label->lineEdit(), &QLineEdit::editingFinished, this, apply);
    connect(m_label, &QComboBox::activated, this, apply);
    connect(m_predicted, &QLineEdit::editingFinished, this, apply);
    connect(m_labelSource, &QComboBox::currentIndexChanged, this, apply);
    connect(m_minConfidence, &QDoubleSpinBox::valueChanged, this, apply);
    connect(m_maxConfidence, &QDoubleSpinBox::valueChanged, this, apply);
    connect(m_rejected, &QCheckBox::toggled, this, apply);
    connect(m_asOf, &QSpinBox::valueChanged, this, apply);
    connect(m_sort, &QComboBox::currentIndexChanged, this, apply);
    connect(m_size, &QSlider::valueChanged, this, &ImagesPage::setThumbnailSide);
    connect(m_tabs, &QTabWidget::currentChanged, this, [this] {
        if (m_tabs->currentWidget() == m_catalogPage)
            loadCatalogTab();
    });
    connect(m_model, &ImageListModel::pageLoaded, this, [this](const QString &error) {
        loadCatalogTab();
        if (m_countsAfterPage) {
            m_countsAfterPage = false;
            loadCounts(m_model->filter());
        }
        if (!error.isEmpty()) {
            m_status->setText(tr("Cannot list the images: %1").arg(error));
            return;
        }
        reselectKept();
        readAhead(); // the page may still leave the end near: chain the next one
    });
    // A placeholder selected before its page came (a click or a key on a row not fetched yet) is shown once it is.
    connect(m_model, &QAbstractItemModel::dataChanged, this,
            [this](const QModelIndex &first, const QModelIndex &last, const QList<int> &roles) {
                const QModelIndex current = m_view->currentIndex();
                if (!roles.isEmpty() || !current.isValid() || current.row() < first.row() || current.row() > last.row())
                    return;
                if (const QString path = current.data(ImageListModel::PathRole).toString(); path != m_detail->path())
                    m_detail->showImage(m_root, m_table->currentText(), path);
            });
    connect(m_view->verticalScrollBar(), &QScrollBar::valueChanged, this, &ImagesPage::readAhead);
    connect(m_view->verticalScrollBar(), &QScrollBar::rangeChanged, this, &ImagesPage::readAhead);
    connect(m_view->selectionModel(), &QItemSelectionModel::currentChanged, this, [this](const QModelIndex &current) {
        if (!current.isValid() && !m_keepPath.isEmpty())
            return; // a reload: the detail stays until the image is listed again
        m_keepPath.clear();
        m_detail->showImage(m_root, m_table->currentText(), current.data(ImageListModel::PathRole).toString());
    });
}

void ImagesPage::setWorkspace(const QString &root)
{
    m_root = root;
    // The Catalog tab reads the whole catalog (seconds at a million images): behind the Browse tab it waits for the
    // first page of the listing, so that the first screen does not share the CPU and the disk with it.
    m_catalogAfterPage = m_tabs->currentWidget() != m_catalogPage;
    m_catalogPage->setWorkspace(root, !m_catalogAfterPage);
    m_detail->showImage({}, {}, {});
    loadTables();
}

void ImagesPage::reload()
{
    m_catalogAfterPage = false;
    m_catalogPage->reload();
    loadTables();
}

void ImagesPage::setThumbnailSide(int side)
{
    m_view->setIconSize(QSize(side, side));
    const QSize cell(side + 24, side + 2 * fontMetrics().height());
    m_view->setGridSize(cell);
    m_model->setItemSize(cell - QSize(4, 4));
    m_view->reset(); // uniform item sizes are measured again
}

void ImagesPage::readAhead()
{
    // The view fetches only once its last row shows, and scrolling then waits for the query: fetch earlier, in the
    // background, while the end of what is fetched is still kReadAheadScreens screens below the viewport.
    const int fetched = m_model->fetchedCount();
    if (fetched == 0 || !m_model->canFetchMore({}))
        return;
    const int reach = m_view->viewport()->height() * (1 + kReadAheadScreens);
    if (fetched == m_model->rowCount()) { // no placeholder follows (the total is not known yet)
        const QRect last = m_view->visualRect(m_model->index(fetched - 1));
        if (last.isValid() && last.top() <= reach) // invalid: not laid out yet; rangeChanged follows the layout
            m_model->fetchMore({});
        return;
    }
    // Placeholders follow: fetch every row up to the reach in one query (the scroll bar may have jumped far).
    const QRect first = m_view->visualRect(m_model->index(fetched));
    if (!first.isValid() || first.top() > reach)
        return;
    const QSize cell = m_view->gridSize();
    const int columns = std::max(1, m_view->viewport()->width() / std::max(1, cell.width()));
    const int lines = (reach - first.top()) / std::max(1, cell.height()) + 1;
    m_model->fetchUpTo(fetched + columns * lines - 1);
}

void ImagesPage::loadTables()
{
    const int generation = ++m_tablesGeneration;
    const std::string root = m_root.toStdString();
    const std::string shown = m_table->currentText().toStdString();
    const std::string last = QSettings().value(lastTableKey(m_root)).toString().toStdString();
    whenFinished(this, QtConcurrent::run(workPool(), [root, shown, last] { return readTables(root, shown, last); }),
                 [this, generation, last](const Tables &t) {
                     if (generation != m_tablesGeneration)
                         return;
                     if (!t.error.isEmpty())
                         m_status->setText(tr("Cannot read the tables: %1").arg(t.error));
                     const QString keep = m_table->currentText();
                     m_settingFilter = true;
                     m_table->clear();
                     for (const auto &entry : t.tables)
                         m_table->addItem(QString::fromStdString(entry.first));
                     if (const int i = m_table->findText(keep); i >= 0)
                         m_table->setCurrentIndex(i);
                     else if (const int d = m_table->findText(defaultTable(last, t)); d >= 0)
                         m_table->setCurrentIndex(d);
                     m_settingFilter = false;
                     applyFilter(true);
                     if (t.tables.empty()) // nothing to list: no page will come
                         loadCatalogTab();
                 });
}

void ImagesPage::loadCatalogTab()
{
    if (!m_catalogAfterPage)
        return;
    m_catalogAfterPage = false;
    m_catalogPage->reload();
}

catalog::ImageFilter ImagesPage::currentFilter() const
{
    catalog::ImageFilter f;
    f.table = m_table->currentText().toStdString();
    if (const QString label = m_label->currentText().trimmed(); label == unlabeledText())
        f.label = std::string();
    else if (!label.isEmpty())
        f.label = label.toStdString();
    if (const QString predicted = m_predicted->text().trimmed(); !predicted.isEmpty())
        f.predicted = predicted.toStdString();
    if (const QString source = m_labelSource->currentData().toString(); !source.isEmpty())
        f.labelSource = source.toStdString();
    if (m_minConfidence->value() > 0)
        f.minConfidence = m_minConfidence->value();
    if (m_maxConfidence->value() < 1)
        f.maxConfidence = m_maxConfidence->value();
    f.rejected = m_rejected->isChecked();
    if (m_asOf->value() > 0)
        f.asOfVersion = m_asOf->value();
    f.sort = catalog::ImageFilter::Sort(m_sort->currentData().toInt());
    return f;
}

void ImagesPage::setFilter(const catalog::ImageFilter &f)
{
    m_settingFilter = true;
    if (const int i = m_table->findText(QString::fromStdString(f.table)); i >= 0)
        m_table->setCurrentIndex(i);
    m_label->setEditText(!f.label ? QString() : f.label->empty() ? unlabeledText() : QString::fromStdString(*f.label));
    m_predicted->setText(f.predicted ? QString::fromStdString(*f.predicted) : QString());
    m_labelSource->setCurrentIndex(
        std::max(0, m_labelSource->findData(QString::fromStdString(f.labelSource.value_or("")))));
    m_minConfidence->setValue(f.minConfidence.value_or(0));
    m_maxConfidence->setValue(f.maxConfidence.value_or(1));
    m_rejected->setChecked(f.rejected);
    m_asOf->setValue(int(f.asOfVersion.value_or(0)));
    m_sort->setCurrentIndex(std::max(0, m_sort->findData(int(f.sort))));
    m_settingFilter = false;
    applyFilter();
}

QString ImagesPage::unlabeledText()
{
    return tr("(unlabeled)");
}

QString ImagesPage::totalText() const
{
    if (m_countsGeneration == 0 || currentFilter().table.empty())
        return {};
    std::int64_t total = 0;
    for (const auto &entry : m_chart->counts())
        total += entry.second;
    return m_rejected->isChecked() ? countText(total, tr("rejected file"), tr("rejected files"))
                                   : countText(total, tr("image"), tr("images"));
}

void ImagesPage::applyFilter(bool reload)
{
    if (m_settingFilter)
        return;
    const catalog::ImageFilter f = currentFilter();
    const bool same = m_model->root() == m_root && m_model->filter() == f;
    if (same && !reload)
        return;
    // A reload of the same filter keeps the selected image: selected again by its path once a page lists it.
    const QModelIndex current = m_view->currentIndex();
    m_keepPath = same && current.isValid() ? current.data(ImageListModel::PathRole).toString() : QString();
    m_status->clear();
    if (m_keepPath.isEmpty())
        m_detail->showImage({}, {}, {});
    m_model->setQuery(m_root, f);
    // The counts read every image of the filter (seconds on a table of a million): they start once the first page
    // is in, so that the first screen does not share the CPU with them. A count still running for an older filter
    // is let go.
    if (m_model->isFetching()) {
        m_countsAfterPage = true;
        m_latestCounts->store(++m_countsGeneration);
    } else {
        m_countsAfterPage = false;
        loadCounts(f);
    }
}

void ImagesPage::reselectKept()
{
    if (m_keepPath.isEmpty())
        return;
    for (int row = 0; row < m_model->rowCount(); ++row) {
        if (const catalog::ImageRow *r = m_model->rowAt(row); r && QString::fromStdString(r->path) == m_keepPath) {
            m_view->setCurrentIndex(m_model->index(row)); // currentChanged shows it again and forgets m_keepPath
            m_view->scrollTo(m_model->index(row));
            return;
        }
    }
    if (!m_model->canFetchMore({}) && !m_model->isFetching()) {
        m_keepPath.clear(); // gone from the listing: the detail pane says nothing selected
        m_detail->showImage({}, {}, {});
    }
}

void ImagesPage::loadCounts(const catalog::ImageFilter &filter)
{
    const int generation = ++m_countsGeneration;
    m_latestCounts->store(generation);
    const std::string root = m_root.toStdString();
    whenFinished(this,
                 QtConcurrent::run(slowReadPool(),
                                   [root, filter, generation, latest = m_latestCounts] {
                                       lowerThreadPriority(); // pages and thumbnails first
                                       Counts c;
                                       c.skipped = latest->load() != generation;
                                       if (filter.table.empty() || c.skipped)
                                           return c;
                                       try {
                                           const auto db = store::Workspace::open(root).openCatalog();
                                           c.counts = catalog::countByLabel(*db, filter);
                                       } catch (const std::exception &e) {
                                           c.error = QString::fromStdString(e.what());
                                       }
                                       return c;
                                   }),
                 [this, generation, filter](const Counts &c) {
                     if (generation != m_countsGeneration)
                         return;
                     m_chart->setCounts(c.counts);
                     m_total->setText(totalText());
                     std::int64_t total = 0;
                     for (const auto &entry : c.counts)
                         total += entry.second;
                     if (c.error.isEmpty())
                         m_model->setTotal(filter, total); // the scroll bar spans them all
                     if (!c.error.isEmpty())
                         m_status->setText(tr("Cannot count the images: %1").arg(c.error));
                     // Offer the labels there are (when no label filter narrows them to one).
                     if (!filter.label && m_label->count() == 0) {
                         const QString text = m_label->currentText();
                         for (const auto &entry : c.counts)
                             if (!entry.first.empty())
                                 m_label->addItem(QString::fromStdString(entry.first));
                         if (c.counts.count({}))
                             m_label->insertItem(0, unlabeledText()); // filters ImageFilter::label ""
                         m_label->setEditText(text);
                     }
                     Q_EMIT browseLoaded();
                 });
}

} // namespace pw::ui
