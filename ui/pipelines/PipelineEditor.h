// One open pipeline: its model, undo stack, canvas and problems list; load, save, and the run states shown
// on its nodes.
#pragma once

#include "core/pipeline/Executor.h"
#include "core/pipeline/PipelineModel.h"

#include <QUndoStack>
#include <QWidget>

class QListWidget;
class QLabel;

namespace pw::ui {

namespace dag {
class DagScene;
class DagView;
} // namespace dag

class PipelineEditor : public QWidget
{
    Q_OBJECT
public:
    explicit PipelineEditor(QWidget *parent = nullptr);
    ~PipelineEditor() override;

    /** Opens a pipeline file; returns the problem that kept it from opening (malformed JSON, unreadable). */
    QString load(const QString &file);
    /** Shows `p` as a new, unsaved pipeline (an import, a new file); `file` is where Save will write. */
    void setPipeline(pipeline::Pipeline p, const QString &file);
    /** Writes the pipeline (with its layout) to its file, or to `file`; returns the error, empty on success. */
    QString save(const QString &file = {});

    QString file() const { return m_file; }
    QString title() const;
    bool isDirty() const { return !m_undo.isClean() || m_unsavedNew; }
    pipeline::PipelineModel *model() { return &m_model; }
    QUndoStack *undoStack() { return &m_undo; }
    dag::DagScene *scene() const { return m_scene; }
    dag::DagView *view() const { return m_view; }
    QListWidget *problems() const { return m_problems; }

    /** An executor event of a run of this pipeline (GUI thread): the node takes the state's colour. */
    void applyEvent(const pipeline::Event &e);
    void clearRunStates();

signals:
    void dirtyChanged(bool dirty);
    void taskSelected(const QString &key);
    /** A problem was clicked: its task (empty: the pipeline) and field. */
    void problemActivated(const QString &taskKey, const QString &field);
    void message(const QString &text);

private:
    void refreshProblems();

    pipeline::PipelineModel m_model;
    QUndoStack m_undo;
    dag::DagScene *m_scene;
    dag::DagView *m_view;
    QListWidget *m_problems;
    QLabel *m_problemsTitle;
    QString m_file;
    bool m_unsavedNew = false;
};

} // namespace pw::ui
