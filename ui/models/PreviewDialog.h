// The model Preview, as desktop trainers have it: drop image files on the dialog (or on a version in the Models page,
// or pick them with "Add images…") and see each one's top 5 from that model version beside the image. The files are
// decoded and predicted off the GUI thread, by the worker, as scoring does; nothing is written to the catalog. A file
// that cannot be read or decoded gets a row saying why; the others are predicted all the same.
#pragma once

#include "core/registry/Registry.h"

#include <QDialog>

#include <atomic>
#include <memory>

class QLabel;
class QTableView;

namespace pw::ui {

class PreviewModel;

class PreviewDialog : public QDialog
{
    Q_OBJECT
public:
    PreviewDialog(const registry::ModelVersion &model, QWidget *parent = nullptr);
    ~PreviewDialog() override;

    /** Adds a row per file and predicts them as one batch, in the background; previewFinished() follows. */
    void addFiles(const QStringList &files);
    /** Opens a file dialog (not blocking) whose chosen files are added. */
    void pickFiles();
    const registry::ModelVersion &model() const { return m_version; }
    PreviewModel *previewModel() const { return m_model; }
    QTableView *view() const { return m_view; }
    QLabel *statusLabel() const { return m_status; }
    /** True while a batch is being predicted. */
    bool busy() const { return m_running > 0; }
    /** The local files among `urls` (drops). */
    static QStringList localFiles(const QList<QUrl> &urls);

Q_SIGNALS:
    /** A batch was predicted: `error` is empty unless the model could not predict it at all. */
    void previewFinished(const QString &error);

protected:
    void dragEnterEvent(QDragEnterEvent *event) override;
    void dropEvent(QDropEvent *event) override;

private:
    void showStatus();

    registry::ModelVersion m_version;
    std::shared_ptr<std::atomic<bool>> m_cancel; // set when the dialog goes: the batches still running stop
    PreviewModel *m_model;
    QTableView *m_view;
    QLabel *m_status;
    int m_running = 0;
    QString m_lastError;
};

} // namespace pw::ui
