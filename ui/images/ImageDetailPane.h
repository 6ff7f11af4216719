// The image browser's detail pane: the image large, its metadata, its lineage (catalog versions, predictions with
// their top 5, review decisions) and a button that opens the folder holding the file. Loaded off the GUI thread.
// What it shows never changes the room it asks for (the image is fitted to it, long names wrap), so that selecting
// an image does not reflow the thumbnail grid beside it.
#pragma once

#include "core/catalog/ImageQuery.h"

#include <QImage>
#include <QWidget>

class QLabel;
class QPushButton;
class QTreeWidget;

namespace pw::ui {

class ImageDetailPane : public QWidget
{
    Q_OBJECT
public:
    explicit ImageDetailPane(QWidget *parent = nullptr);

    /** Shows `path` of `table` in the workspace at `root`; an empty path clears the pane. */
    void showImage(const QString &root, const QString &table, const QString &path);
    const catalog::ImageDetail &detail() const { return m_detail; }
    /** The path asked for last (empty: none). */
    const QString &path() const { return m_path; }
    QTreeWidget *lineage() const { return m_lineage; }
    /** The label that shows the image (its pixmap fitted to the label). */
    QLabel *imageLabel() const { return m_image; }

Q_SIGNALS:
    /** The detail of the image asked for last is on screen (or its error). */
    void detailShown();

protected:
    void resizeEvent(QResizeEvent *event) override;

private:
    /** Draws m_shown fitted into the image label (enlarged small images stay sharp). */
    void fitImage();
    struct Loaded
    {
        catalog::ImageDetail detail;
        QImage image;
        QString error;
    };
    void show(const Loaded &loaded);

    int m_generation = 0;
    QString m_path;
    QImage m_shown;
    catalog::ImageDetail m_detail;
    QLabel *m_image;
    QLabel *m_meta;
    QTreeWidget *m_lineage;
    QPushButton *m_openFolder;
};

} // namespace pw::ui
