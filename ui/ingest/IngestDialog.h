// File > Ingest folder…: a folder of images into a table of the catalog, as `pipewright ingest` does it (the same
// request parser and core call), off the GUI thread with progress and Cancel; the files it rejected are listed
// with their reasons afterwards.
#pragma once

#include "core/ingest/Ingestor.h"

#include <QDialog>
#include <QFutureWatcher>
#include <QString>

#include <atomic>
#include <memory>

class QComboBox;
class QLabel;
class QLineEdit;
class QProgressBar;
class QPushButton;
class QTableWidget;

namespace pw::ui {

class IngestDialog : public QDialog
{
    Q_OBJECT
public:
    explicit IngestDialog(const QString &workspaceRoot, QWidget *parent = nullptr);
    /** Cancels an ingest in progress and waits for it (it stops after the batch in flight, which is kept). */
    ~IngestDialog() override;

    QLineEdit *folderEdit() const { return m_folder; }
    QComboBox *tableBox() const { return m_table; }
    QComboBox *labelsBox() const { return m_labels; }
    QPushButton *startButton() const { return m_start; }
    /** Cancel while an ingest runs, Close otherwise. */
    QPushButton *cancelButton() const { return m_cancel; }
    QProgressBar *progressBar() const { return m_progress; }
    QLabel *statusLabel() const { return m_status; }
    /** The files the last ingest rejected: path and reason. */
    QTableWidget *rejectedTable() const { return m_rejected; }
    bool isRunning() const { return m_running; }

    /** Starts the ingest the form describes; false (the status says why) for a refused form or while one runs. */
    bool start();
    /** Asks the running ingest to stop after the batch in flight (a rerun of the same folder finishes it). */
    void cancel();

Q_SIGNALS:
    /** An ingest ended: `summary` is what the status says ("version 3: 12 added, 1 rejected"), `ok` false when it
     *  failed or was cancelled. */
    void ingestFinished(bool ok, const QString &summary);

protected:
    void reject() override;

private:
    struct Outcome
    {
        ingest::IngestResult result;
        QString error;
    };
    void chooseFolder();
    void showProgress(const ingest::IngestProgress &p);
    void finish(const Outcome &outcome);
    void setRunning(bool running);
    void showError(const QString &text);

    QString m_root;
    QLineEdit *m_folder;
    QComboBox *m_table;
    QComboBox *m_labels;
    QPushButton *m_start;
    QPushButton *m_cancel;
    QProgressBar *m_progress;
    QLabel *m_status;
    QTableWidget *m_rejected;
    bool m_running = false;
    std::shared_ptr<std::atomic<bool>> m_cancelFlag;
    QFutureWatcher<Outcome> m_watcher;
};

} // namespace pw::ui
