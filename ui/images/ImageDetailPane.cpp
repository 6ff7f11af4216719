// The image browser's detail pane (see ImageDetailPane.h).
#include "ui/images/ImageDetailPane.h"

#include "core/store/Database.h"
#include "core/store/Workspace.h"
#include "ui/WorkPool.h"
#include "ui/images/WhenFinished.h"

#include <QDesktopServices>
#include <QFileInfo>
#include <QFuture>
#include <QImageReader>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLabel>
#include <QPushButton>
#include <QTreeWidget>
#include <QUrl>
#include <QVBoxLayout>
#include <QtConcurrent/QtConcurrentRun>

namespace pw::ui {

namespace {
constexpr int kLargeSide = 384;

QString q(const std::string &s)
{
    return QString::fromStdString(s);
}
} // namespace

ImageDetailPane::ImageDetailPane(QWidget *parent)
    : QWidget(parent)
    , m_image(new QLabel)
    , m_meta(new QLabel)
    , m_lineage(new QTreeWidget)
    , m_openFolder(new QPushButton(tr("Open containing folder")))
{
    m_image->setAlignment(Qt::AlignCenter);
    m_image->setMinimumSize(200, 200);
    // Ignored: the pixmap never widens the pane (fitImage() fits it to the room the pane has).
    m_image->setSizePolicy(QSizePolicy::Ignored, QSizePolicy::Ignored);
    m_image->setWordWrap(true);
    m_meta->setWordWrap(true);
    m_meta->setSizePolicy(QSizePolicy::Ignored, QSizePolicy::Preferred); // a long path wraps, never widens
    m_meta->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_lineage->setObjectName("lineage");
    m_lineage->setHeaderLabels({tr("Lineage"), tr("Value")});
    m_openFolder->setEnabled(false);
    m_openFolder->setToolTip(tr("Show the folder that holds this file in the file manager"));
    connect(m_openFolder, &QPushButton::clicked, this,
            [this] { QDesktopServices::openUrl(QUrl::fromLocalFile(QFileInfo(m_path).absolutePath())); });
    auto *layout = new QVBoxLayout(this);
    layout->addWidget(m_image, 1);
    layout->addWidget(m_meta);
    layout->addWidget(m_lineage, 1);
    layout->addWidget(m_openFolder);
}

void ImageDetailPane::showImage(const QString &root, const QString &table, const QString &path)
{
    const int generation = ++m_generation;
    m_path = path;
    m_openFolder->setEnabled(!path.isEmpty());
    if (path.isEmpty() || root.isEmpty()) {
        show({});
        return;
    }
    const std::string r = root.toStdString(), t = table.toStdString(), p = path.toStdString();
    whenFinished(this,
                 QtConcurrent::run(workPool(),
                                   [r, t, p] {
                                       Loaded loaded;
                                       try {
                                           const auto db = store::Workspace::open(r).openCatalog();
                                           loaded.detail = catalog::imageDetail(*db, t, p);
                                       } catch (const std::exception &e) {
                                           loaded.error = QString::fromStdString(e.what());
                                       }
                                       QImageReader reader(QString::fromStdString(p));
                                       const QSize size = reader.size();
                                       if (size.isValid() && std::max(size.width(), size.height()) > kLargeSide)
                                           reader.setScaledSize(
                                               size.scaled(kLargeSide, kLargeSide, Qt::KeepAspectRatio));
                                       loaded.image = reader.read();
                                       return loaded;
                                   }),
                 [this, generation](const Loaded &loaded) {
                     if (generation == m_generation)
                         show(loaded);
                 });
}

void ImageDetailPane::resizeEvent(QResizeEvent *event)
{
    QWidget::resizeEvent(event);
    fitImage();
}

void ImageDetailPane::fitImage()
{
    if (m_shown.isNull())
        return; // show() put its text there instead
    const QSize room = m_image->contentsRect().size().boundedTo(QSize(kLargeSide, kLargeSide));
    const QSize size = m_shown.size().scaled(room, Qt::KeepAspectRatio);
    const bool enlarge = size.width() > m_shown.width();
    m_image->setPixmap(QPixmap::fromImage(
        m_shown.scaled(size, Qt::KeepAspectRatio, enlarge ? Qt::FastTransformation : Qt::SmoothTransformation)));
}

void ImageDetailPane::show(const Loaded &loaded)
{
    m_detail = loaded.detail;
    m_lineage->clear();
    m_shown = loaded.image;
    if (m_shown.isNull()) // with nothing selected, the hint fills the image's room
        m_image->setText(m_path.isEmpty() ? tr("Select an image to see it large, its metadata and its lineage: the "
                                               "catalog versions it was in, its predictions and the review decisions "
                                               "about it.")
                                          : QString());
    fitImage();
    if (!loaded.error.isEmpty()) {
        m_meta->setText(tr("Cannot read the image's lineage: %1").arg(loaded.error));
    } else if (const auto &c = m_detail.current) {
        QString meta = tr("<b>%1</b><br>%2 × %3, %4 channel(s), %5, %6 bytes<br>label: %7 (%8)<br>status: %9")
                           .arg(m_path.toHtmlEscaped())
                           .arg(c->width)
                           .arg(c->height)
                           .arg(c->channels)
                           .arg(q(c->format))
                           .arg(c->size)
                           .arg(c->label.empty() ? tr("none") : q(c->label).toHtmlEscaped(), q(c->labelSource))
                           .arg(q(c->status));
        if (!c->reason.empty())
            meta += tr(" — %1").arg(q(c->reason).toHtmlEscaped());
        if (c->confidence)
            meta += tr("<br>predicted: %1 (%2)").arg(q(c->predicted).toHtmlEscaped()).arg(*c->confidence, 0, 'f', 3);
        meta += tr("<br>content hash: %1").arg(q(c->contentHash));
        m_meta->setText(meta);
    } else {
        m_meta->setText(m_path.isEmpty() ? QString() : tr("%1 is not in the catalog.").arg(m_path));
    }
    m_lineage->setVisible(!m_path.isEmpty());

    auto *versions = new QTreeWidgetItem(m_lineage, {tr("Versions"), QString::number(m_detail.versions.size())});
    for (const auto &v : m_detail.versions) {
        const QString range = v.validTo ? tr("v%1 – v%2").arg(v.validFrom).arg(*v.validTo)
                                        : tr("v%1 – now").arg(v.validFrom);
        new QTreeWidgetItem(versions, {range, tr("%1 %2 (%3)").arg(q(v.status), q(v.label), q(v.labelSource))});
    }
    auto *predictions = new QTreeWidgetItem(m_lineage,
                                            {tr("Predictions"), QString::number(m_detail.predictions.size())});
    for (const auto &p : m_detail.predictions) {
        auto *item = new QTreeWidgetItem(predictions,
                                         {tr("%1:%2 (v%3)").arg(q(p.model)).arg(p.modelVersion).arg(p.version),
                                          tr("%1 %2").arg(q(p.predicted)).arg(p.confidence, 0, 'f', 3)});
        const QJsonArray top5 = QJsonDocument::fromJson(QByteArray::fromStdString(p.top5)).array();
        for (const QJsonValue &entry : top5) {
            const QJsonObject o = entry.toObject();
            new QTreeWidgetItem(
                item, {o.value("label").toString(), QString::number(o.value("probability").toDouble(), 'f', 3)});
        }
    }
    auto *reviews = new QTreeWidgetItem(m_lineage, {tr("Review decisions"), QString::number(m_detail.reviews.size())});
    for (const auto &r : m_detail.reviews) {
        QString what = r.state == "labeled"
                           ? tr("labeled %1 by %2 at %3").arg(q(r.label), q(r.labeledBy), q(r.labeledAt))
                           : q(r.state);
        if (r.mergedVersion)
            what += tr(", merged in v%1").arg(*r.mergedVersion);
        new QTreeWidgetItem(reviews, {tr("queued %1").arg(q(r.queuedAt)), what});
    }
    m_lineage->expandAll();
    m_lineage->resizeColumnToContents(0);
    Q_EMIT detailShown();
}

} // namespace pw::ui
