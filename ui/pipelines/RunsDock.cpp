// The runs dock: grid, Gantt timeline and followed logs.
#include "ui/pipelines/RunsDock.h"

#include "ui/pipelines/PipelinesPage.h"
#include "ui/pipelines/RunGridModel.h"

#include <QDateTime>
#include <QFile>
#include <QFontDatabase>
#include <QHeaderView>
#include <QLabel>
#include <QMouseEvent>
#include <QPainter>
#include <QPlainTextEdit>
#include <QScrollBar>
#include <QSplitter>
#include <QStyledItemDelegate>
#include <QTableView>
#include <QTimer>
#include <QVBoxLayout>

#include <algorithm>

namespace pw::ui {

namespace {

constexpr int kRowHeight = 22;
constexpr int kLabelWidth = 130;
constexpr qint64 kMaxLogBytes = 2 * 1024 * 1024; // the last 2 MB of a log are shown

QDateTime parseTime(const std::string &s)
{
    return QDateTime::fromString(QString::fromStdString(s), Qt::ISODateWithMs);
}

// Grid cells keep their state's colour when selected; the selection is an outline in a colour no state has.
class GridCellDelegate : public QStyledItemDelegate
{
public:
    using QStyledItemDelegate::QStyledItemDelegate;
    void paint(QPainter *painter, const QStyleOptionViewItem &option, const QModelIndex &index) const override
    {
        const QVariant background = index.data(Qt::BackgroundRole);
        if (background.canConvert<QBrush>())
            painter->fillRect(option.rect, background.value<QBrush>());
        const QString text = index.data(Qt::DisplayRole).toString();
        if (!text.isEmpty()) {
            painter->setPen(Qt::white);
            painter->drawText(option.rect, Qt::AlignCenter, text);
        }
        if (option.state & QStyle::State_Selected) {
            painter->save();
            painter->setPen(QPen(selectionColor(), 3));
            painter->setBrush(Qt::NoBrush);
            painter->drawRect(QRectF(option.rect).adjusted(1.5, 1.5, -1.5, -1.5));
            painter->restore();
        }
    }
};

QString legendHtml()
{
    QStringList entries;
    for (const auto &[life, result] : legendStates())
        entries << QStringLiteral("<span style='color:%1'>&#9632;</span>&nbsp;%2")
                       .arg(stateColor(life, result).name(), stateText(life, result).toHtmlEscaped());
    entries << QStringLiteral("<span style='color:%1'>&#9633;</span>&nbsp;%2")
                   .arg(selectionColor().name(), QObject::tr("selected"));
    return entries.join(QStringLiteral(" &nbsp; "));
}

} // namespace

GanttView::GanttView(QWidget *parent)
    : QWidget(parent)
{
    setMinimumHeight(60);
    setToolTip(tr("One bar per attempt; click a bar for its log"));
}

void GanttView::setRun(const pipeline::RunInfo &run)
{
    m_run = run;
    updateGeometry();
    update();
}

void GanttView::setHasRuns(bool hasRuns)
{
    m_hasRuns = hasRuns;
    update();
}

QString GanttView::emptyText() const
{
    return m_hasRuns ? tr("No run selected: click a column of the grid")
                     : tr("No runs of this pipeline yet: Run (%1) starts one")
                           .arg(PipelinesPage::runKey(PipelinesPage::RunScope::All).toString(QKeySequence::NativeText));
}

QRectF GanttView::barOf(const QString &task) const
{
    QRectF last;
    for (const Bar &b : m_bars)
        if (b.task == task)
            last = b.rect;
    return last;
}

bool GanttView::isLive() const
{
    if (m_run.lifeCycle == "RUNNING" || m_run.lifeCycle == "PENDING")
        return true;
    for (const auto &t : m_run.tasks)
        for (const auto &a : t.attemptList)
            if (!a.start.empty() && a.end.empty() && a.result.empty())
                return true;
    return false;
}

QSize GanttView::sizeHint() const
{
    return {400, int(m_run.tasks.size() + 1) * kRowHeight + 8};
}

void GanttView::paintEvent(QPaintEvent *)
{
    QPainter p(this);
    p.setRenderHint(QPainter::Antialiasing);
    const QPalette &pal = palette();
    p.fillRect(rect(), pal.base());
    m_bars.clear();
    if (m_run.tasks.empty()) {
        p.setPen(pal.color(QPalette::PlaceholderText));
        p.drawText(rect().adjusted(6, 0, -6, 0), Qt::AlignCenter | Qt::TextWordWrap, emptyText());
        m_header.clear();
        return;
    }
    // The time span of the run's attempts.
    QDateTime first, last;
    for (const auto &t : m_run.tasks)
        for (const auto &a : t.attemptList) {
            const QDateTime s = parseTime(a.start),
                            e = a.end.empty() ? QDateTime::currentDateTimeUtc() : parseTime(a.end);
            if (s.isValid() && (!first.isValid() || s < first))
                first = s;
            if (e.isValid() && (!last.isValid() || e > last))
                last = e;
        }
    const double span = first.isValid() && last.isValid() ? std::max<qint64>(1, first.msecsTo(last)) : 1.0;
    const double x0 = kLabelWidth, width = std::max(10, this->width() - kLabelWidth - 10);
    p.setPen(pal.color(QPalette::Text));
    m_header = tr("run %1 · %2 %3 · %4 s")
                   .arg(m_run.runId)
                   .arg(QString::fromStdString(m_run.lifeCycle), QString::fromStdString(m_run.result))
                   .arg(span / 1000.0, 0, 'f', 1);
    p.drawText(QRectF(4, 2, this->width() - 8, kRowHeight), Qt::AlignVCenter | Qt::AlignLeft, m_header);
    int row = 1;
    for (const auto &t : m_run.tasks) {
        const double y = row * kRowHeight + 4;
        p.setPen(pal.color(QPalette::Text));
        p.drawText(QRectF(4, y, kLabelWidth - 8, kRowHeight - 4), Qt::AlignVCenter | Qt::AlignLeft,
                   QString::fromStdString(t.key));
        for (const auto &a : t.attemptList) {
            const QDateTime s = parseTime(a.start);
            if (!s.isValid())
                continue;
            const QDateTime e = a.end.empty() ? QDateTime::currentDateTimeUtc() : parseTime(a.end);
            const double left = x0 + width * double(first.msecsTo(s)) / span;
            const double right = x0 + width * double(first.msecsTo(e)) / span;
            const QRectF bar(left, y + 3, std::max(3.0, right - left), kRowHeight - 10);
            p.setPen(Qt::NoPen);
            p.setBrush(stateColor(QString::fromStdString(a.lifeCycle), QString::fromStdString(a.result)));
            p.drawRoundedRect(bar, 3, 3);
            if (t.attemptList.size() > 1 && bar.width() > 14) {
                p.setPen(Qt::white);
                p.drawText(bar, Qt::AlignCenter, QString::number(a.attempt));
            }
            m_bars.push_back({QString::fromStdString(t.key), a.attempt, QString::fromStdString(a.logPath), bar});
        }
        ++row;
    }
}

void GanttView::mousePressEvent(QMouseEvent *event)
{
    for (const Bar &b : m_bars) {
        if (b.rect.adjusted(-2, -2, 2, 2).contains(event->position())) {
            emit attemptClicked(b.task, b.attempt, b.logPath);
            return;
        }
    }
    QWidget::mousePressEvent(event);
}

LogView::LogView(QWidget *parent)
    : QWidget(parent)
    , m_title(new QLabel(tr("Log: click a grid cell or a timeline bar")))
    , m_text(new QPlainTextEdit)
    , m_timer(new QTimer(this))
{
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(m_title);
    layout->addWidget(m_text);
    m_text->setReadOnly(true);
    m_text->setLineWrapMode(QPlainTextEdit::NoWrap);
    m_text->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
    m_text->setMaximumBlockCount(50000);
    m_timer->setInterval(500);
    connect(m_timer, &QTimer::timeout, this, &LogView::poll);
}

QString LogView::text() const
{
    return m_text->toPlainText();
}

void LogView::showFile(const QString &path, const QString &title)
{
    m_path = path;
    m_offset = 0;
    m_text->clear();
    m_title->setText(title + (path.isEmpty() ? QString() : "  ·  " + path));
    if (path.isEmpty()) {
        m_timer->stop();
        return;
    }
    QFile f(path);
    if (f.size() > kMaxLogBytes) {
        m_offset = f.size() - kMaxLogBytes;
        m_text->appendPlainText(tr("[… the first %1 bytes are not shown]").arg(m_offset));
    }
    poll();
    m_timer->start();
}

void LogView::poll()
{
    QFile f(m_path);
    if (!f.open(QIODevice::ReadOnly))
        return;
    if (f.size() < m_offset)
        m_offset = 0; // rewritten
    if (f.size() == m_offset)
        return;
    f.seek(m_offset);
    const QByteArray chunk = f.read(kMaxLogBytes);
    m_offset += chunk.size();
    QScrollBar *bar = m_text->verticalScrollBar();
    const bool atEnd = bar->value() >= bar->maximum() - 2;
    m_text->moveCursor(QTextCursor::End);
    m_text->insertPlainText(QString::fromUtf8(chunk));
    if (atEnd)
        bar->setValue(bar->maximum());
}

RunsDock::RunsDock(QWidget *parent)
    : QWidget(parent)
    , m_grid(new RunGridModel(this))
    , m_table(new QTableView)
    , m_legend(new QLabel(legendHtml()))
    , m_gantt(new GanttView)
    , m_log(new LogView)
    , m_clock(new QTimer(this))
{
    m_table->setModel(m_grid);
    m_table->setItemDelegate(new GridCellDelegate(m_table));
    m_table->horizontalHeader()->setDefaultSectionSize(34);
    m_table->verticalHeader()->setDefaultSectionSize(22);
    m_table->setSelectionMode(QAbstractItemView::SingleSelection);
    m_table->setToolTip(tr("Recent runs (columns) × tasks (rows); click a cell for that attempt's log"));
    m_legend->setWordWrap(true);
    m_legend->setTextFormat(Qt::RichText);
    auto *gridBox = new QWidget;
    auto *gridLayout = new QVBoxLayout(gridBox);
    gridLayout->setContentsMargins(0, 0, 0, 0);
    gridLayout->addWidget(m_table, 1);
    gridLayout->addWidget(m_legend);
    auto *split = new QSplitter(Qt::Horizontal);
    split->addWidget(gridBox);
    split->addWidget(m_gantt);
    split->addWidget(m_log);
    split->setStretchFactor(0, 2);
    split->setStretchFactor(1, 3);
    split->setStretchFactor(2, 3);
    split->setChildrenCollapsible(false);
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(split);
    connect(m_table, &QTableView::clicked, this, &RunsDock::cellClicked);
    connect(m_gantt, &GanttView::attemptClicked, this, [this](const QString &task, int attempt, const QString &log) {
        m_log->showFile(log, tr("%1, attempt %2").arg(task).arg(attempt));
    });
    m_clock->setInterval(1000);
    connect(m_clock, &QTimer::timeout, this, &RunsDock::tick);
}

void RunsDock::cellClicked(const QModelIndex &i)
{
    // A click on the newest run keeps following it; on an older one the dock stays there until a run starts.
    m_follow = i.column() == m_grid->columnCount() - 1;
    showRun(m_grid->runId(i.column()));
    emit runSelected(m_grid->runId(i.column()));
    const QString log = i.data(RunGridModel::LogPathRole).toString();
    m_log->showFile(log, tr("%1, run %2, attempt %3")
                             .arg(m_grid->taskKey(i.row()))
                             .arg(m_grid->runId(i.column()))
                             .arg(i.data(RunGridModel::AttemptRole).toInt()));
}

void RunsDock::setRuns(const std::vector<std::string> &taskKeys, std::vector<pipeline::RunInfo> runs)
{
    // Reloaded from the records (times exact): the run on show stays on show, or the newest when it is gone.
    const std::int64_t shown = shownRun();
    m_grid->setRuns(taskKeys, std::move(runs));
    m_gantt->setHasRuns(m_grid->columnCount() > 0);
    if (m_grid->columnCount() > 0) {
        const int column = shown > 0 && m_grid->columnOf(shown) >= 0 && !m_follow ? m_grid->columnOf(shown)
                                                                                  : m_grid->columnCount() - 1;
        showRun(m_grid->runId(column));
        m_table->scrollTo(m_grid->index(0, column));
    } else {
        m_gantt->setRun({});
    }
}

void RunsDock::setTasks(const std::vector<std::string> &taskKeys)
{
    m_grid->setTasks(taskKeys);
}

void RunsDock::applyEvent(const pipeline::Event &e)
{
    const bool newRun = m_grid->columnOf(e.runId) < 0;
    m_grid->applyEvent(e);
    m_gantt->setHasRuns(true);
    followEvent(e, newRun);
    if (e.runId == shownRun())
        m_gantt->setRun(m_grid->run(m_grid->columnOf(e.runId)));
    if (m_gantt->isLive() && !m_clock->isActive())
        m_clock->start();
}

void RunsDock::followEvent(const pipeline::Event &e, bool newRun)
{
    // A run that starts is followed (the user's pick of an older run ends there); then each of its tasks that
    // starts an attempt brings its log into the log pane.
    if (newRun) {
        m_follow = true;
        showRun(e.runId);
        m_table->scrollTo(m_grid->index(0, m_grid->columnOf(e.runId)));
    }
    if (!m_follow || e.runId != shownRun() || e.taskKey.empty() || e.logPath.empty())
        return;
    const QString log = QString::fromStdString(e.logPath);
    if (e.lifeCycle == "RUNNING" && m_log->path() != log)
        m_log->showFile(
            log, tr("%1, run %2, attempt %3").arg(QString::fromStdString(e.taskKey)).arg(e.runId).arg(e.attempt));
}

void RunsDock::tick()
{
    // The clock of a live run: the header's seconds and the open bars advance.
    if (!m_gantt->isLive()) {
        m_clock->stop();
        return;
    }
    m_gantt->update();
}

void RunsDock::showRun(std::int64_t runId)
{
    const int column = m_grid->columnOf(runId);
    if (column >= 0)
        m_gantt->setRun(m_grid->run(column));
    if (m_gantt->isLive() && !m_clock->isActive())
        m_clock->start();
}

} // namespace pw::ui
