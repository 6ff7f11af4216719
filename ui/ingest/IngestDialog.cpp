// The Ingest folder dialog.
#include "ui/ingest/IngestDialog.h"

#include "core/catalog/Catalog.h"
#include "core/requests/KeyValues.h"
#include "core/store/Database.h"
#include "core/store/Workspace.h"
#include "ui/WorkPool.h"

#include <QComboBox>
#include <QDialogButtonBox>
#include <QDir>
#include <QElapsedTimer>
#include <QFileDialog>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QLocale>
#include <QProgressBar>
#include <QPushButton>
#include <QTableWidget>
#include <QToolButton>
#include <QVBoxLayout>
#include <QtConcurrent/QtConcurrentRun>

namespace pw::ui {

namespace {

QString q(const std::string &s)
{
    return QString::fromStdString(s);
}

} // namespace

IngestDialog::IngestDialog(const QString &workspaceRoot, QWidget *parent)
    : QDialog(parent)
    , m_root(workspaceRoot)
    , m_folder(new QLineEdit)
    , m_table(new QComboBox)
    , m_labels(new QComboBox)
    , m_start(new QPushButton(tr("Ingest")))
    , m_cancel(new QPushButton(tr("Close")))
    , m_progress(new QProgressBar)
    , m_status(new QLabel)
    , m_rejected(new QTableWidget(0, 2))
{
    setWindowTitle(tr("Ingest a folder"));
    m_folder->setPlaceholderText(tr("the folder of images (new and changed files are added)"));
    auto *pick = new QToolButton;
    pick->setText(tr("…"));
    pick->setToolTip(tr("Choose the folder"));
    connect(pick, &QToolButton::clicked, this, &IngestDialog::chooseFolder);
    auto *folderRow = new QHBoxLayout;
    folderRow->addWidget(m_folder, 1);
    folderRow->addWidget(pick);
    m_table->setEditable(true);
    m_table->setToolTip(tr("The catalog table the images go into: one of the workspace's, or a new name"));
    try {
        const auto ws = store::Workspace::open(m_root.toStdString());
        auto db = ws.openCatalog();
        for (const std::string &t : catalog::Catalog(*db).tables())
            m_table->addItem(q(t));
    } catch (const std::exception &e) {
        showError(tr("Cannot read the workspace's tables: %1").arg(QString::fromUtf8(e.what())));
    }
    if (m_table->count() == 0)
        m_table->setCurrentText(QStringLiteral("images"));
    for (const std::string &name : ingest::kLabelRules.names())
        m_labels->addItem(q(name));
    m_labels->setToolTip(tr("Labels from the path: caltech (a top folder NNN.name), folder (the top folder's name), "
                            "none (unlabeled)"));
    auto *form = new QFormLayout;
    form->addRow(tr("Folder:"), folderRow);
    form->addRow(tr("Table:"), m_table);
    form->addRow(tr("Labels:"), m_labels);

    m_progress->setVisible(false);
    m_status->setWordWrap(true);
    m_status->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_rejected->setHorizontalHeaderLabels({tr("Rejected file"), tr("Reason")});
    m_rejected->horizontalHeader()->setStretchLastSection(true);
    m_rejected->verticalHeader()->hide();
    m_rejected->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_rejected->setVisible(false);
    m_start->setDefault(true);
    auto *buttons = new QHBoxLayout;
    buttons->addStretch(1);
    buttons->addWidget(m_start);
    buttons->addWidget(m_cancel);

    auto *layout = new QVBoxLayout(this);
    layout->addLayout(form);
    layout->addWidget(m_progress);
    layout->addWidget(m_status);
    layout->addWidget(m_rejected, 1);
    layout->addLayout(buttons);
    connect(m_start, &QPushButton::clicked, this, &IngestDialog::start);
    connect(m_cancel, &QPushButton::clicked, this, [this] { m_running ? cancel() : QDialog::reject(); });
    connect(&m_watcher, &QFutureWatcher<Outcome>::finished, this, [this] { finish(m_watcher.result()); });
    resize(720, 420);
}

IngestDialog::~IngestDialog()
{
    if (m_watcher.isRunning()) {
        m_cancelFlag->store(true);
        m_watcher.waitForFinished(); // the observer posts to this dialog: it ends first (stops after one batch)
    }
}

void IngestDialog::chooseFolder()
{
    const QString dir = QFileDialog::getExistingDirectory(this, tr("Folder of images to ingest"), m_folder->text());
    if (!dir.isEmpty())
        m_folder->setText(QDir::toNativeSeparators(dir));
}

void IngestDialog::showError(const QString &text)
{
    m_status->setStyleSheet(QStringLiteral("color: #b00020"));
    m_status->setText(text);
}

bool IngestDialog::start()
{
    if (m_running)
        return false;
    // The CLI's parser: the same checks and the same words for a bad value.
    requests::KeyValues values;
    values.set("source", QDir::fromNativeSeparators(m_folder->text().trimmed()).toStdString());
    values.set("table", m_table->currentText().trimmed().toStdString());
    values.set("labels", m_labels->currentText().toStdString());
    ingest::IngestOptions options;
    try {
        options = ingest::parseIngestOptions(values);
    } catch (const requests::RequestError &e) {
        const QString field = e.key() == "source" ? tr("Folder") : e.key() == "table" ? tr("Table") : tr("Labels");
        showError(tr("%1: %2").arg(field, q(e.problem())));
        return false;
    }
    if (options.source.empty() || !QDir(q(options.source)).exists()) {
        showError(tr("Folder: '%1' is not a folder").arg(q(options.source)));
        return false;
    }
    if (options.table.empty()) {
        showError(tr("Table: give the table's name"));
        return false;
    }
    m_rejected->setRowCount(0);
    m_rejected->setVisible(false);
    m_status->setStyleSheet({});
    m_status->setText(tr("Looking for images in %1…").arg(q(options.source)));
    setRunning(true);
    m_cancelFlag = std::make_shared<std::atomic<bool>>(false);
    const auto cancel = m_cancelFlag;
    const std::string root = m_root.toStdString();
    m_watcher.setFuture(QtConcurrent::run(workPool(), [this, root, options, cancel] {
        Outcome out;
        QElapsedTimer sinceProgress; // progress thinned to 10 a second
        try {
            const auto ws = store::Workspace::open(root);
            out.result = ingest::ingest(
                ws, options,
                [this, &sinceProgress](const ingest::IngestProgress &p) {
                    if (sinceProgress.isValid() && sinceProgress.elapsed() < 100 && p.processed < p.discovered)
                        return;
                    sinceProgress.start();
                    QMetaObject::invokeMethod(
                        this, [this, p] { showProgress(p); }, Qt::QueuedConnection);
                },
                cancel.get());
        } catch (const std::exception &e) {
            out.error = QString::fromUtf8(e.what());
        }
        return out;
    }));
    return true;
}

void IngestDialog::cancel()
{
    if (!m_running || !m_cancelFlag)
        return;
    m_cancelFlag->store(true);
    m_cancel->setEnabled(false);
    m_status->setText(tr("Cancelling after the batch in flight…"));
}

void IngestDialog::reject()
{
    // Escape or the window's close button: a running ingest is cancelled first; the dialog closes when it ends.
    if (m_running) {
        cancel();
        return;
    }
    QDialog::reject();
}

void IngestDialog::setRunning(bool running)
{
    m_running = running;
    m_start->setEnabled(!running);
    m_folder->setEnabled(!running);
    m_table->setEnabled(!running);
    m_labels->setEnabled(!running);
    m_cancel->setEnabled(true);
    m_cancel->setText(running ? tr("Cancel") : tr("Close"));
    m_cancel->setToolTip(running ? tr("Stop after the batch in flight: it is kept, and ingesting the same folder again "
                                      "finishes the version")
                                 : QString());
    m_progress->setVisible(running);
    m_progress->setRange(0, 0);
}

void IngestDialog::showProgress(const ingest::IngestProgress &p)
{
    if (!m_running)
        return;
    const QLocale locale;
    if (p.discovered > 0) {
        m_progress->setRange(0, 1000);
        m_progress->setValue(int(1000 * p.processed / p.discovered));
    }
    if (!m_cancelFlag->load())
        m_status->setText(tr("%1 of %2 files checked")
                              .arg(locale.toString(qint64(p.processed)), locale.toString(qint64(p.discovered))));
}

void IngestDialog::finish(const Outcome &outcome)
{
    setRunning(false);
    const ingest::IngestResult &r = outcome.result;
    QString summary;
    bool ok = false;
    if (!outcome.error.isEmpty()) {
        summary = tr("The ingest failed: %1").arg(outcome.error);
        showError(summary);
    } else if (r.cancelled) {
        summary = tr("Cancelled: the batches already written are kept (not yet visible); ingest the same folder "
                     "into the same table again to finish the version");
        m_status->setStyleSheet({});
        m_status->setText(summary);
    } else {
        const QLocale l;
        summary = tr("Version %1: %2 discovered, %3 added, %4 updated, %5 unchanged, %6 rejected%7")
                      .arg(r.version)
                      .arg(l.toString(qint64(r.discovered)), l.toString(qint64(r.added)), l.toString(qint64(r.updated)),
                           l.toString(qint64(r.unchanged)), l.toString(qint64(r.rejected)),
                           r.resumed ? tr(" (finished an interrupted ingest)") : QString());
        for (const std::string &w : r.warnings)
            summary += "\n" + tr("warning: %1").arg(q(w));
        m_status->setStyleSheet({});
        m_status->setText(summary);
        ok = true;
    }
    m_rejected->setRowCount(int(r.rejectedFiles.size()));
    for (int i = 0; i < int(r.rejectedFiles.size()); ++i) {
        m_rejected->setItem(i, 0, new QTableWidgetItem(q(r.rejectedFiles[i].path)));
        m_rejected->setItem(i, 1, new QTableWidgetItem(q(r.rejectedFiles[i].reason)));
    }
    m_rejected->setVisible(!r.rejectedFiles.empty());
    m_rejected->resizeColumnToContents(0);
    Q_EMIT ingestFinished(ok, summary);
}

} // namespace pw::ui
