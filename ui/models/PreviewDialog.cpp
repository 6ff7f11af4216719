// The model Preview (see PreviewDialog.h). score::previewFiles() runs on the thread pool, with the thumbnails.
#include "ui/models/PreviewDialog.h"

#include "ui/PageParts.h"
#include "ui/WorkPool.h"
#include "ui/images/WhenFinished.h"
#include "ui/models/PreviewModel.h"

#include <QDialogButtonBox>
#include <QDragEnterEvent>
#include <QDropEvent>
#include <QFileDialog>
#include <QFileInfo>
#include <QHeaderView>
#include <QImageReader>
#include <QLabel>
#include <QMimeData>
#include <QPushButton>
#include <QTableView>
#include <QUrl>
#include <QVBoxLayout>
#include <QtConcurrent/QtConcurrentRun>

#include <algorithm>

namespace pw::ui {

namespace {
constexpr int kThumbnailSide = 72;
constexpr int kMaxTextColumnWidth = 240; // a long file name or error is elided (its tooltip has it whole)

struct Batch
{
    std::vector<score::PreviewResult> results;
    std::vector<QImage> images;
    QString error; // the batch could not be predicted at all
};

Batch runBatch(const registry::ModelVersion &model, const QStringList &files, const std::atomic<bool> *cancel)
{
    Batch b;
    std::vector<std::string> paths;
    for (const QString &f : files)
        paths.push_back(f.toStdString());
    try {
        b.results = score::previewFiles(model, paths, cancel);
    } catch (const std::exception &e) {
        b.error = QString::fromStdString(e.what());
        return b;
    }
    for (const score::PreviewResult &r : b.results) {
        QImage image;
        if (r.error.empty()) {
            QImageReader reader(QString::fromStdString(r.path));
            const QSize size = reader.size();
            if (size.isValid())
                reader.setScaledSize(size.scaled(kThumbnailSide, kThumbnailSide, Qt::KeepAspectRatio));
            image = reader.read();
        }
        b.images.push_back(image);
    }
    return b;
}
} // namespace

PreviewDialog::PreviewDialog(const registry::ModelVersion &model, QWidget *parent)
    : QDialog(parent)
    , m_version(model)
    , m_cancel(std::make_shared<std::atomic<bool>>(false))
    , m_model(new PreviewModel(this))
    , m_view(makeTableView(m_model))
    , m_status(new QLabel)
{
    const QString name = QStringLiteral("%1 v%2").arg(QString::fromStdString(model.name)).arg(model.version);
    setWindowTitle(tr("Preview %1").arg(name));
    setAcceptDrops(true);
    auto *intro = new QLabel(tr("Drop image files here (or add them) to see what %1 predicts for each: its top 5 "
                                "classes. Nothing is written to the catalog.")
                                 .arg(name));
    intro->setWordWrap(true);
    m_view->setIconSize(QSize(kThumbnailSide, kThumbnailSide));
    m_view->verticalHeader()->setDefaultSectionSize(kThumbnailSide + 6);
    m_view->setColumnWidth(PreviewModel::ImageColumn, kThumbnailSide + 12);
    m_view->horizontalHeader()->setStretchLastSection(true);
    m_view->setAcceptDrops(false); // drops fall through to the dialog
    m_status->setWordWrap(true);
    auto *buttons = new QDialogButtonBox(QDialogButtonBox::Close);
    QPushButton *add = buttons->addButton(tr("Add images…"), QDialogButtonBox::ActionRole);
    add->setObjectName("addImages");
    connect(add, &QPushButton::clicked, this, &PreviewDialog::pickFiles);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    auto *layout = new QVBoxLayout(this);
    layout->addWidget(intro);
    layout->addWidget(m_view, 1);
    layout->addWidget(m_status);
    layout->addWidget(buttons);
    resize(720, 480);
    showStatus();
}

PreviewDialog::~PreviewDialog()
{
    m_cancel->store(true);
}

QStringList PreviewDialog::localFiles(const QList<QUrl> &urls)
{
    QStringList files;
    for (const QUrl &url : urls)
        if (url.isLocalFile())
            files << url.toLocalFile();
    return files;
}

void PreviewDialog::pickFiles()
{
    auto *dialog = new QFileDialog(this, tr("Images to preview"), QString(),
                                   tr("Images (*.png *.jpg *.jpeg *.bmp *.webp *.tif *.tiff);;All files (*)"));
    dialog->setFileMode(QFileDialog::ExistingFiles);
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    connect(dialog, &QFileDialog::filesSelected, this, &PreviewDialog::addFiles);
    dialog->open();
}

void PreviewDialog::addFiles(const QStringList &files)
{
    if (files.isEmpty())
        return;
    const int first = m_model->addFiles(files);
    ++m_running;
    showStatus();
    const registry::ModelVersion model = m_version;
    const std::shared_ptr<std::atomic<bool>> cancel = m_cancel;
    whenFinished(this,
                 QtConcurrent::run(workPool(), [model, files, cancel] { return runBatch(model, files, cancel.get()); }),
                 [this, first, count = int(files.size())](const Batch &b) {
                     --m_running;
                     if (b.error.isEmpty())
                         m_model->setResults(first, b.results, b.images);
                     else
                         m_model->setFailed(first, count, b.error);
                     m_lastError = b.error;
                     for (int column : {int(PreviewModel::FileColumn), int(PreviewModel::PredictionColumn)}) {
                         m_view->resizeColumnToContents(column);
                         m_view->setColumnWidth(column, std::min(m_view->columnWidth(column), kMaxTextColumnWidth));
                     }
                     showStatus();
                     Q_EMIT previewFinished(b.error);
                 });
}

void PreviewDialog::showStatus()
{
    int predicted = 0, failed = 0, waiting = 0;
    for (int r = 0; r < m_model->rowCount(); ++r) {
        const PreviewModel::Row &row = m_model->row(r);
        if (!row.done)
            ++waiting;
        else if (row.result.error.empty())
            ++predicted;
        else
            ++failed;
    }
    if (m_model->rowCount() == 0) {
        m_status->setText(tr("No images yet."));
        return;
    }
    QString text = tr("%1 predicted").arg(countText(predicted, tr("image"), tr("images")));
    if (failed > 0)
        text += tr(", %1 without a prediction (the row says why)").arg(countText(failed, tr("file"), tr("files")));
    if (waiting > 0)
        text += tr("; predicting %1…").arg(countText(waiting, tr("file"), tr("files")));
    if (!m_lastError.isEmpty())
        text += tr("\nThe last batch failed: %1").arg(m_lastError);
    m_status->setText(text);
}

void PreviewDialog::dragEnterEvent(QDragEnterEvent *event)
{
    if (event->mimeData()->hasUrls() && !localFiles(event->mimeData()->urls()).isEmpty())
        event->acceptProposedAction();
}

void PreviewDialog::dropEvent(QDropEvent *event)
{
    const QStringList files = localFiles(event->mimeData()->urls());
    if (files.isEmpty())
        return;
    event->acceptProposedAction();
    addFiles(files);
}

} // namespace pw::ui
