// The runs dock: grid, Gantt timeline and followed logs.
#include "ui/pipelines/RunsDock.h"

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
        p.drawText(rect(), Qt::AlignCenter, tr("No run selected: click a column of the grid"));
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
    p.drawText(QRectF(4, 2, this->width() - 8, kRowHeight), Qt::AlignVCenter | Qt::AlignLeft,
               tr("run %1 · %2 %3 · %4 s")
                   .arg(m_run.runId)
                   .arg(QString::fromStdString(m_run.lifeCycle), QString::fromStdString(m_run.result))
                   .arg(span / 1000.0, 0, 'f', 1));
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
    , m_gantt(new GanttView)
    , m_log(new LogView)
{
    m_table->setModel(m_grid);
    m_table->horizontalHeader()->setDefaultSectionSize(34);
    m_table->verticalHeader()->setDefaultSectionSize(22);
    m_table->setSelectionMode(QAbstractItemView::SingleSelection);
    m_table->setToolTip(tr("Recent runs (columns) × tasks (rows); click a cell for that attempt's log"));
    auto *split = new QSplitter(Qt::Horizontal);
    split->addWidget(m_table);
    split->addWidget(m_gantt);
    split->addWidget(m_log);
    split->setStretchFactor(0, 2);
    split->setStretchFactor(1, 3);
    split->setStretchFactor(2, 3);
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(split);
    connect(m_table, &QTableView::clicked, this, [this](const QModelIndex &i) {
        showRun(m_grid->runId(i.column()));
        emit runSelected(m_grid->runId(i.column()));
        const QString log = i.data(RunGridModel::LogPathRole).toString();
        m_log->showFile(log, tr("%1, run %2, attempt %3")
                                 .arg(m_grid->taskKey(i.row()))
                                 .arg(m_grid->runId(i.column()))
                                 .arg(i.data(RunGridModel::AttemptRole).toInt()));
    });
    connect(m_gantt, &GanttView::attemptClicked, this, [this](const QString &task, int attempt, const QString &log) {
        m_log->showFile(log, tr("%1, attempt %2").arg(task).arg(attempt));
    });
}

void RunsDock::setRuns(const std::vector<std::string> &taskKeys, std::vector<pipeline::RunInfo> runs)
{
    m_grid->setRuns(taskKeys, std::move(runs));
    if (m_grid->columnCount() > 0) {
        showRun(m_grid->runId(m_grid->columnCount() - 1));
        m_table->scrollTo(m_grid->index(0, m_grid->columnCount() - 1));
    } else {
        m_gantt->setRun({});
    }
}

void RunsDock::applyEvent(const pipeline::Event &e)
{
    m_grid->applyEvent(e);
}

void RunsDock::showRun(std::int64_t runId)
{
    for (int c = 0; c < m_grid->columnCount(); ++c) {
        if (m_grid->runId(c) == runId)
            m_gantt->setRun(m_grid->run(c));
    }
}

} // namespace pw::ui
