// WelcomePage: three big choices; the demo is built by core::demo on a worker thread with progress and Cancel.
#include "ui/welcome/WelcomePage.h"

#include "core/demo/Demo.h"
#include "core/store/Workspace.h"
#include "ui/WorkPool.h"

#include <QDir>
#include <QFileDialog>
#include <QLabel>
#include <QPointer>
#include <QProgressBar>
#include <QPushButton>
#include <QVBoxLayout>
#include <QtConcurrent/QtConcurrentRun>

namespace pw::ui {

namespace {

QPushButton *bigButton(const QString &text, const QString &detail)
{
    auto *b = new QPushButton(text + "\n" + detail);
    b->setMinimumSize(560, 72);
    QFont f = b->font();
    f.setPointSizeF(f.pointSizeF() * 1.15);
    b->setFont(f);
    return b;
}

} // namespace

WelcomePage::WelcomePage(QWidget *parent)
    : QWidget(parent)
    , m_demoButton(bigButton(tr("Create the demo workspace"),
                             tr("Fashion-MNIST, sample pipelines, a model in Production, images to review")))
    , m_openButton(bigButton(tr("Open a workspace…"), tr("A folder that holds a Pipewright workspace")))
    , m_emptyButton(bigButton(tr("New empty workspace…"), tr("Start from scratch in a new folder")))
    , m_step(new QLabel)
    , m_progress(new QProgressBar)
    , m_cancelButton(new QPushButton(tr("Cancel")))
    , m_message(new QLabel)
    , m_cancel(std::make_shared<std::atomic<bool>>(false))
{
    setObjectName("welcomePage");
    m_demoButton->setObjectName("createDemo");
    m_openButton->setObjectName("openWorkspace");
    m_emptyButton->setObjectName("newWorkspace");
    m_demoButton->setDefault(true);

    auto *title = new QLabel(tr("<h1>Welcome to Pipewright</h1>"));
    auto *intro = new QLabel(tr("A workspace is a folder holding your image catalog, runs, models and pipelines. "
                                "No workspace is open yet."));
    intro->setWordWrap(true);
    m_step->setWordWrap(true);
    m_message->setWordWrap(true);
    m_message->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_progress->setMinimumWidth(460);

    auto *column = new QVBoxLayout;
    column->setSpacing(12);
    column->addWidget(title);
    column->addWidget(intro);
    column->addSpacing(12);
    column->addWidget(m_demoButton);
    column->addWidget(m_openButton);
    column->addWidget(m_emptyButton);
    column->addSpacing(12);
    column->addWidget(m_step);
    auto *progressRow = new QHBoxLayout;
    progressRow->addWidget(m_progress, 1);
    progressRow->addWidget(m_cancelButton);
    column->addLayout(progressRow);
    column->addWidget(m_message);

    auto *center = new QWidget;
    center->setLayout(column);
    center->setMaximumWidth(680);
    auto *outer = new QVBoxLayout(this);
    outer->addStretch(1);
    outer->addWidget(center, 0, Qt::AlignHCenter);
    outer->addStretch(2);

    connect(m_demoButton, &QPushButton::clicked, this, &WelcomePage::askDemoFolder);
    connect(m_openButton, &QPushButton::clicked, this, &WelcomePage::askOpenFolder);
    connect(m_emptyButton, &QPushButton::clicked, this, &WelcomePage::askEmptyFolder);
    connect(m_cancelButton, &QPushButton::clicked, this, &WelcomePage::cancelDemo);
    connect(&m_watcher, &QFutureWatcher<QString>::finished, this, [this] {
        const QString error = m_watcher.result();
        setBusy(false);
        if (error.isEmpty()) {
            m_message->setText(tr("The demo workspace is ready: %1").arg(m_demoRoot));
            Q_EMIT demoFinished(true, QString());
            Q_EMIT workspaceChosen(m_demoRoot);
        } else {
            m_message->setText(tr("The demo workspace could not be built: %1").arg(error));
            Q_EMIT demoFinished(false, error);
        }
    });
    setBusy(false);
}

WelcomePage::~WelcomePage()
{
    // The worker reports to this page: stop it and let it end before the page goes (closing mid-build).
    m_cancel->store(true);
    m_watcher.waitForFinished();
}

QString WelcomePage::defaultDemoFolder()
{
    return QDir::home().filePath("pipewright-demo");
}

QString WelcomePage::messageText() const
{
    return m_message->text();
}

void WelcomePage::setBusy(bool busy)
{
    m_demoButton->setEnabled(!busy);
    m_openButton->setEnabled(!busy);
    m_emptyButton->setEnabled(!busy);
    m_step->setVisible(busy);
    m_progress->setVisible(busy);
    m_cancelButton->setVisible(busy);
    m_cancelButton->setEnabled(busy);
}

void WelcomePage::showProgress(const QString &step, qint64 done, qint64 total)
{
    m_step->setText(step);
    if (total <= 0) {
        m_progress->setRange(0, 0); // busy: the step's size is not known yet
        return;
    }
    m_progress->setRange(0, 1000);
    m_progress->setValue(int(1000 * done / total));
}

void WelcomePage::askDemoFolder()
{
    // A save dialog, so that a folder that does not exist yet can be named.
    const QString root = QFileDialog::getSaveFileName(this, tr("Create the demo workspace in"), defaultDemoFolder(),
                                                      QString(), nullptr,
                                                      QFileDialog::ShowDirsOnly | QFileDialog::DontConfirmOverwrite);
    if (!root.isEmpty())
        createDemo(root);
}

void WelcomePage::askOpenFolder()
{
    const QString root = QFileDialog::getExistingDirectory(this, tr("Open a workspace"), QDir::homePath());
    if (!root.isEmpty())
        Q_EMIT workspaceChosen(QDir(root).absolutePath());
}

void WelcomePage::askEmptyFolder()
{
    const QString root = QFileDialog::getExistingDirectory(this, tr("New empty workspace in"), QDir::homePath());
    if (!root.isEmpty())
        createEmptyWorkspace(root);
}

bool WelcomePage::createEmptyWorkspace(const QString &root)
{
    const QString absolute = QDir(root).absolutePath();
    try {
        store::Workspace::open(absolute.toStdString());
    } catch (const std::exception &e) {
        m_message->setText(tr("The workspace could not be created: %1").arg(QString::fromUtf8(e.what())));
        return false;
    }
    m_message->clear();
    Q_EMIT workspaceChosen(absolute);
    return true;
}

bool WelcomePage::createDemo(const QString &root)
{
    if (isBusy())
        return false;
    m_demoRoot = QDir(root).absolutePath();
    m_cancel = std::make_shared<std::atomic<bool>>(false);
    m_message->clear();
    setBusy(true);
    showProgress(tr("Preparing %1").arg(m_demoRoot), 0, 0);

    QPointer<WelcomePage> self(this);
    const std::string path = m_demoRoot.toStdString();
    auto cancel = m_cancel;
    m_watcher.setFuture(QtConcurrent::run(workPool(), [self, path, cancel]() -> QString {
        // Only step changes and whole per-mille steps are posted: an ingest reports every file.
        std::string lastStep;
        qint64 lastPermille = -1;
        auto onProgress = [&](const demo::DemoProgress &p) {
            const qint64 permille = p.total > 0 ? 1000 * p.done / p.total : -1;
            if (p.step == lastStep && permille == lastPermille)
                return;
            lastStep = p.step;
            lastPermille = permille;
            // The destructor waits for this worker, so the page outlives every call made here.
            QMetaObject::invokeMethod(
                self.data(),
                [self, step = QString::fromStdString(p.step), done = qint64(p.done), total = qint64(p.total)] {
                    if (self)
                        self->showProgress(step, done, total);
                },
                Qt::QueuedConnection);
        };
        try {
            demo::DemoOptions options;
            options.withModel = true;
            demo::createDemo(store::Workspace::open(path), options, onProgress, cancel.get());
            return {};
        } catch (const std::exception &e) {
            return QString::fromUtf8(e.what());
        }
    }));
    return true;
}

void WelcomePage::cancelDemo()
{
    m_cancel->store(true);
    m_cancelButton->setEnabled(false);
    m_step->setText(tr("Cancelling after the step in flight…"));
}

} // namespace pw::ui
