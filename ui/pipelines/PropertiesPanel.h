// The properties dock of the Pipelines page: typed widgets for the selected task (its parameters by kind, with
// the workspace's tables, experiments and registered models offered in drop-downs; depends_on/run_if, target,
// timeout, retries), or, with no task selected, the pipeline's settings (name, parameters, limits, schedule
// with its next five fire times). Edits are reported as whole new settings; the page turns them into undo
// commands on the model.
#pragma once

#include "core/pipeline/Pipeline.h"

#include <QStringList>
#include <QWidget>

#include <functional>
#include <map>

class QFormLayout;
class QLabel;
class QLineEdit;
class QStackedWidget;
class QWidget;

namespace pw::ui {

/** What the workspace offers for drop-downs. */
struct WorkspaceChoices
{
    QStringList tables;
    QStringList experiments;
    QStringList models; // registered model references: NAME@Production, NAME@Staging, NAME:VERSION
    QStringList modelNames;
    QStringList targets{"local"}; // compute targets: "local" and the workspace's SSH hosts
};

class PropertiesPanel : public QWidget
{
    Q_OBJECT
public:
    explicit PropertiesPanel(QWidget *parent = nullptr);

    void setChoices(const WorkspaceChoices &choices) { m_choices = choices; }
    /** Shows `task` (of pipeline `p`); an empty key shows the pipeline settings. */
    void showTask(const pipeline::Pipeline &p, const std::string &key);
    void showPipeline(const pipeline::Pipeline &p);
    /**
     * Moves the keyboard focus to the widget of `field` ("params.source", "timeout_seconds", ...): at once, or
     * on the next pass of the event loop when its row was just built. False when no widget shows that field.
     */
    bool focusField(const QString &field);
    QString shownTask() const { return m_key; }

signals:
    /** The user changed the task's settings (everything but key and dependencies). */
    void taskEdited(const QString &key, const pipeline::Task &settings);
    void taskRenamed(const QString &from, const QString &to);
    /** The user changed the pipeline's settings. */
    void settingsEdited(const pipeline::Pipeline &settings);

private:
    struct PipelineForm;

    void clear();
    /** An editor for the task parameter `spec` by its kind; its value is read back through m_readers. */
    QWidget *paramEditor(const pipeline::ParamSpec &spec, const QJsonValue &value);
    QStringList choicesFor(const pipeline::ParamSpec &spec) const;
    /** What a text parameter of the shown task may refer to: upstream outputs, pipeline parameters, {{run.id}}. */
    QStringList referenceChoices(const pipeline::ParamSpec &spec) const;
    /** Pops `references` up as completions while the user types in `edit`. */
    void offerReferences(QLineEdit *edit, const QStringList &references);
    QWidget *textEditor(const pipeline::ParamSpec &spec, const QJsonValue &value);
    QWidget *withPathPicker(QLineEdit *edit, const QString &name);
    QWidget *numberEditor(const pipeline::ParamSpec &spec, const QJsonValue &value);
    QWidget *choiceEditor(const pipeline::ParamSpec &spec, const QJsonValue &value);
    QWidget *linesEditor(const pipeline::ParamSpec &spec, const QJsonValue &value);
    QWidget *referenceEditor(const pipeline::ParamSpec &spec, const QJsonValue &value);
    /** A parameter's editor changed: the task's new settings are reported (not while the panel fills them in). */
    void paramChanged();
    void emitTask();
    // showPipeline()'s steps: the settings' rows, the schedule's next fire times, the settings they describe.
    PipelineForm buildPipelineForm(const pipeline::Pipeline &p);
    static void showNextFireTimes(const PipelineForm &f);
    pipeline::Pipeline readPipelineForm(const PipelineForm &f) const;

    WorkspaceChoices m_choices;
    pipeline::Task m_task;
    pipeline::Pipeline m_pipeline;
    QString m_key;
    QFormLayout *m_form = nullptr;
    QWidget *m_body = nullptr;
    std::map<QString, QWidget *> m_fields;
    std::map<QString, std::function<QJsonValue()>> m_readers; // param name -> current value
    bool m_loading = false;
};

} // namespace pw::ui
