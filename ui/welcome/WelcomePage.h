// The first-run page, shown while no workspace is open: create the demo workspace, open one, or start empty.
#pragma once

#include <QFutureWatcher>
#include <QWidget>

#include <atomic>
#include <memory>

class QLabel;
class QProgressBar;
class QPushButton;

namespace pw::ui {

class WelcomePage : public QWidget
{
    Q_OBJECT
public:
    explicit WelcomePage(QWidget *parent = nullptr);
    /** Cancels a demo being built and waits for its worker, which must not outlive the page. */
    ~WelcomePage() override;

    /** The folder the demo is proposed in: ~/pipewright-demo. */
    static QString defaultDemoFolder();

    /**
     * Builds the demo workspace (with its model and review queue) in `root` on a worker thread, showing the
     * step and its progress; workspaceChosen(root) follows on success. False while a demo is being built.
     */
    bool createDemo(const QString &root);
    /** Creates an empty workspace in `root`; workspaceChosen(root) on success, the error in words otherwise. */
    bool createEmptyWorkspace(const QString &root);
    /** Stops the demo being built after the step in flight (what is done is kept; a rerun finishes it). */
    void cancelDemo();
    bool isBusy() const { return m_watcher.isRunning(); }
    /** The error or outcome text under the buttons. */
    QString messageText() const;

Q_SIGNALS:
    /** The user picked, created or built a workspace: the window opens it. */
    void workspaceChosen(const QString &root);
    /** A demo build ended: ok, or the error in words (also "cancelled"). */
    void demoFinished(bool ok, const QString &message);

private:
    void askDemoFolder();
    void askOpenFolder();
    void askEmptyFolder();
    void setBusy(bool busy);
    void showProgress(const QString &step, qint64 done, qint64 total);

    QPushButton *m_demoButton;
    QPushButton *m_openButton;
    QPushButton *m_emptyButton;
    QLabel *m_step;
    QProgressBar *m_progress;
    QPushButton *m_cancelButton;
    QLabel *m_message;
    QString m_demoRoot;
    // Shared with the worker, so that a cancel set from here is seen there.
    std::shared_ptr<std::atomic<bool>> m_cancel;
    QFutureWatcher<QString> m_watcher; // the worker's error text, empty on success
};

} // namespace pw::ui
