// The properties dock: typed editors for a task's parameters and settings, and the pipeline's settings.
#include "ui/pipelines/PropertiesPanel.h"

#include "core/pipeline/Schedule.h"

#include <QCheckBox>
#include <QComboBox>
#include <QCompleter>
#include <QDoubleSpinBox>
#include <QFileDialog>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QJsonArray>
#include <QJsonDocument>
#include <QLabel>
#include <QLineEdit>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QScrollArea>
#include <QSpinBox>
#include <QTimeZone>
#include <QToolButton>
#include <QVBoxLayout>

#include <algorithm>

namespace pw::ui {

namespace {

QString qs(const std::string &s)
{
    return QString::fromStdString(s);
}

// Whether two tasks' settings (their JSON, dependencies included) are the same.
bool sameTask(const pipeline::Task &a, const pipeline::Task &b)
{
    const auto asJson = [](const pipeline::Task &task) {
        pipeline::Pipeline one;
        one.tasks.push_back(task);
        return pipeline::toJson(one);
    };
    return asJson(a) == asJson(b);
}

bool isReference(const QJsonValue &v)
{
    return v.isString() && v.toString().contains("{{");
}

// A QPlainTextEdit that reports when it loses the focus (an edit is one change, not one per key).
class FocusOutText : public QPlainTextEdit
{
public:
    std::function<void()> onFocusOut;

protected:
    void focusOutEvent(QFocusEvent *e) override
    {
        QPlainTextEdit::focusOutEvent(e);
        if (onFocusOut)
            onFocusOut();
    }
};

} // namespace

PropertiesPanel::PropertiesPanel(QWidget *parent)
    : QWidget(parent)
{
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(4, 4, 4, 4);
    auto *scroll = new QScrollArea;
    scroll->setWidgetResizable(true);
    scroll->setFrameShape(QFrame::NoFrame);
    m_body = new QWidget;
    scroll->setWidget(m_body);
    layout->addWidget(scroll);
    auto *bodyLayout = new QVBoxLayout(m_body);
    bodyLayout->setContentsMargins(0, 0, 0, 0);
    auto *formHolder = new QWidget;
    bodyLayout->addWidget(formHolder);
    bodyLayout->addStretch(1); // rows keep their height; the space is left below them
    m_form = new QFormLayout(formHolder);
    m_form->setFieldGrowthPolicy(QFormLayout::AllNonFixedFieldsGrow);
}

void PropertiesPanel::clear()
{
    while (m_form->rowCount() > 0)
        m_form->removeRow(0);
    m_fields.clear();
    m_readers.clear();
}

void PropertiesPanel::paramChanged()
{
    if (!m_loading)
        emitTask();
}

QWidget *PropertiesPanel::paramEditor(const pipeline::ParamSpec &spec, const QJsonValue &value)
{
    const std::string kind = spec.kind;
    if (kind == "string")
        return textEditor(spec, value);
    if ((kind == "integer" || kind == "number") && !isReference(value))
        return numberEditor(spec, value);
    if (kind == "boolean" || kind.rfind("choice:", 0) == 0)
        return choiceEditor(spec, value);
    if (kind == "string-list" || kind == "object")
        return linesEditor(spec, value);
    return referenceEditor(spec, value);
}

QStringList PropertiesPanel::choicesFor(const pipeline::ParamSpec &spec) const
{
    // Text with workspace choices, for the parameters that name tables, experiments and models (the task type's
    // registration says which).
    const std::string suggest = spec.suggest ? spec.suggest : "";
    if (suggest == "tables")
        return m_choices.tables;
    if (suggest == "experiments")
        return m_choices.experiments;
    if (suggest == "models")
        return m_choices.models;
    if (suggest == "model-names")
        return m_choices.modelNames;
    return {};
}

QStringList PropertiesPanel::referenceChoices(const pipeline::ParamSpec &spec) const
{
    // The outputs of the task's upstream tasks ({{tasks.train.run_id}} for an evaluate task's run), nearest
    // first, and those named like the parameter before the others; then the pipeline's parameters and the run id.
    const std::string param = spec.name;
    QStringList matching, others;
    std::vector<std::string> upstream = pipeline::upstreamOf(m_pipeline, m_key.toStdString());
    const std::vector<std::string> order = pipeline::topologicalOrder(m_pipeline);
    std::stable_sort(upstream.begin(), upstream.end(), [&order](const std::string &a, const std::string &b) {
        return std::find(order.begin(), order.end(), a) > std::find(order.begin(), order.end(), b);
    });
    for (const std::string &key : upstream) {
        const pipeline::Task *t = m_pipeline.task(key);
        const pipeline::TaskType *type = t ? pipeline::taskType(t->type) : nullptr;
        if (!type)
            continue;
        for (const char *output : type->outputs) {
            const std::string o = output;
            const QString ref = QStringLiteral("{{tasks.%1.%2}}").arg(qs(key), qs(o));
            (o == param || o.rfind(param + "_", 0) == 0 ? matching : others) << ref;
        }
    }
    QStringList all = matching + others;
    for (const auto &[name, value] : m_pipeline.parameters)
        all << QStringLiteral("{{params.%1}}").arg(qs(name));
    all << QStringLiteral("{{run.id}}");
    return all;
}

void PropertiesPanel::offerReferences(QLineEdit *edit, const QStringList &references)
{
    // Typing any part of a reference ("run_id", "{{") pops the matching ones up; Down and Enter take one.
    auto *completer = new QCompleter(references, edit);
    completer->setCaseSensitivity(Qt::CaseInsensitive);
    completer->setFilterMode(Qt::MatchContains);
    completer->setCompletionMode(QCompleter::PopupCompletion);
    edit->setCompleter(completer);
    // QLineEdit takes the completion only while it has the focus; a popup that took it (some window systems give a
    // popup the focus) would leave the text as typed: the pick is set here too, then reported as an edit.
    connect(completer, qOverload<const QString &>(&QCompleter::activated), edit, [edit](const QString &text) {
        if (edit->text() != text)
            edit->setText(text);
    });
    connect(completer, qOverload<const QString &>(&QCompleter::activated), this, &PropertiesPanel::paramChanged,
            Qt::QueuedConnection);
}

QWidget *PropertiesPanel::textEditor(const pipeline::ParamSpec &spec, const QJsonValue &value)
{
    const QString name = QString::fromUtf8(spec.name);
    const QStringList references = referenceChoices(spec);
    if (const QStringList choices = choicesFor(spec); !choices.isEmpty()) {
        auto *combo = new QComboBox;
        combo->setEditable(true);
        combo->addItem(QString());
        combo->addItems(choices);
        offerReferences(combo->lineEdit(), choices + references);
        combo->setCurrentText(value.toString());
        connect(combo->lineEdit(), &QLineEdit::editingFinished, this, &PropertiesPanel::paramChanged);
        connect(combo, &QComboBox::activated, this, &PropertiesPanel::paramChanged);
        m_readers[name] = [combo] {
            return combo->currentText().isEmpty() ? QJsonValue() : QJsonValue(combo->currentText());
        };
        return combo;
    }
    auto *edit = new QLineEdit(value.toString());
    edit->setPlaceholderText(spec.required ? tr("required") : tr("default"));
    offerReferences(edit, references);
    connect(edit, &QLineEdit::editingFinished, this, &PropertiesPanel::paramChanged);
    m_readers[name] = [edit] { return edit->text().isEmpty() ? QJsonValue() : QJsonValue(edit->text()); };
    if (name == "source" || name == "file" || name == "cwd" || name == "glob")
        return withPathPicker(edit, name);
    return edit;
}

QWidget *PropertiesPanel::withPathPicker(QLineEdit *edit, const QString &name)
{
    auto *box = new QWidget;
    auto *row = new QHBoxLayout(box);
    row->setContentsMargins(0, 0, 0, 0);
    row->addWidget(edit);
    auto *pick = new QToolButton;
    pick->setText("…");
    pick->setToolTip(name == "file" ? tr("Choose a file") : tr("Choose a folder"));
    connect(pick, &QToolButton::clicked, this, [this, edit, name] {
        const QString chosen = name == "file" ? QFileDialog::getSaveFileName(this, tr("File"), edit->text())
                                              : QFileDialog::getExistingDirectory(this, tr("Folder"), edit->text());
        if (!chosen.isEmpty()) {
            edit->setText(chosen);
            paramChanged();
        }
    });
    row->addWidget(pick);
    m_fields["params." + name] = edit;
    return box;
}

QWidget *PropertiesPanel::numberEditor(const pipeline::ParamSpec &spec, const QJsonValue &value)
{
    const QString name = QString::fromUtf8(spec.name);
    if (std::string(spec.kind) == "integer") {
        auto *spin = new QSpinBox;
        spin->setRange(-1, 100000000);
        spin->setSpecialValueText(spec.required ? tr("(required)") : tr("default"));
        spin->setValue(value.isDouble() ? int(value.toDouble()) : -1);
        connect(spin, &QSpinBox::editingFinished, this, &PropertiesPanel::paramChanged);
        m_readers[name] = [spin] { return spin->value() < 0 ? QJsonValue() : QJsonValue(spin->value()); };
        return spin;
    }
    auto *spin = new QDoubleSpinBox;
    spin->setDecimals(5);
    spin->setRange(-1, 1e9);
    spin->setSingleStep(0.01);
    spin->setSpecialValueText(spec.required ? tr("(required)") : tr("default"));
    spin->setValue(value.isDouble() ? value.toDouble() : -1);
    connect(spin, &QDoubleSpinBox::editingFinished, this, &PropertiesPanel::paramChanged);
    m_readers[name] = [spin] { return spin->value() < 0 ? QJsonValue() : QJsonValue(spin->value()); };
    return spin;
}

QWidget *PropertiesPanel::choiceEditor(const pipeline::ParamSpec &spec, const QJsonValue &value)
{
    const std::string kind = spec.kind;
    auto *combo = new QComboBox;
    combo->addItem(spec.required ? tr("(choose)") : tr("default"));
    if (kind == "boolean")
        combo->addItems({"true", "false"});
    else
        combo->addItems(qs(kind.substr(7)).split('|'));
    const QString current = value.isBool() ? (value.toBool() ? "true" : "false") : value.toString();
    if (!current.isEmpty()) {
        if (combo->findText(current) < 0)
            combo->addItem(current); // a reference
        combo->setCurrentText(current);
    }
    connect(combo, &QComboBox::activated, this, &PropertiesPanel::paramChanged);
    const bool boolean = kind == "boolean";
    m_readers[QString::fromUtf8(spec.name)] = [combo, boolean] {
        if (combo->currentIndex() == 0)
            return QJsonValue();
        if (boolean && (combo->currentText() == "true" || combo->currentText() == "false"))
            return QJsonValue(combo->currentText() == "true");
        return QJsonValue(combo->currentText());
    };
    return combo;
}

QWidget *PropertiesPanel::linesEditor(const pipeline::ParamSpec &spec, const QJsonValue &value)
{
    const bool list = std::string(spec.kind) == "string-list";
    auto *text = new FocusOutText;
    text->setTabChangesFocus(true);
    text->setFixedHeight(80);
    QStringList lines;
    if (list) {
        text->setPlaceholderText(tr("one argument per line: the program first"));
        for (const QJsonValue &a : value.toArray())
            lines << a.toString();
    } else {
        text->setPlaceholderText(tr("NAME=VALUE, one per line"));
        const QJsonObject o = value.toObject();
        for (auto it = o.begin(); it != o.end(); ++it)
            lines << it.key() + "=" + it.value().toString();
    }
    text->setPlainText(lines.join('\n'));
    text->onFocusOut = [this] { paramChanged(); };
    m_readers[QString::fromUtf8(spec.name)] = [text, list]() -> QJsonValue {
        const QStringList ls = text->toPlainText().split('\n', Qt::SkipEmptyParts);
        if (ls.isEmpty())
            return {};
        if (list)
            return QJsonArray::fromStringList(ls);
        QJsonObject o;
        for (const QString &l : ls) {
            const int eq = l.indexOf('=');
            if (eq > 0)
                o.insert(l.left(eq), l.mid(eq + 1));
        }
        return o;
    };
    return text;
}

QWidget *PropertiesPanel::referenceEditor(const pipeline::ParamSpec &spec, const QJsonValue &value)
{
    // A number given as a reference ({{tasks.register.version}}): text.
    auto *edit = new QLineEdit(value.isString() ? value.toString() : QString());
    offerReferences(edit, referenceChoices(spec));
    connect(edit, &QLineEdit::editingFinished, this, &PropertiesPanel::paramChanged);
    m_readers[QString::fromUtf8(spec.name)] = [edit]() -> QJsonValue {
        bool ok = false;
        const double d = edit->text().toDouble(&ok);
        if (ok)
            return d;
        return edit->text().isEmpty() ? QJsonValue() : QJsonValue(edit->text());
    };
    return edit;
}

void PropertiesPanel::showTask(const pipeline::Pipeline &p, const std::string &key)
{
    const pipeline::Task *t = p.task(key);
    if (!t) {
        showPipeline(p);
        return;
    }
    // The task as the form shows it already (the model took an edit made here): the form stays, so that no editor is
    // deleted under the signal that reported the edit (a completion's key press, a focus change).
    if (qs(key) == m_key && !m_key.isEmpty() && sameTask(*t, m_task)) {
        m_pipeline = p;
        return;
    }
    m_loading = true;
    clear();
    m_pipeline = p;
    m_task = *t;
    m_key = qs(key);
    const pipeline::TaskType *type = pipeline::taskType(t->type);
    auto *title = new QLabel(tr("<b>Task</b> — %1").arg(type ? QString::fromUtf8(type->summary) : qs(t->type)));
    title->setWordWrap(true);
    m_form->addRow(title);
    auto *keyEdit = new QLineEdit(m_key);
    connect(keyEdit, &QLineEdit::editingFinished, this, [this, keyEdit] {
        if (!m_loading && keyEdit->text() != m_key && !keyEdit->text().isEmpty())
            emit taskRenamed(m_key, keyEdit->text());
    });
    m_form->addRow(tr("Task key"), keyEdit);
    m_fields["task_key"] = keyEdit;
    m_form->addRow(tr("Type"), new QLabel(qs(t->type)));
    auto *desc = new QLineEdit(qs(t->description));
    connect(desc, &QLineEdit::editingFinished, this, [this] {
        if (!m_loading)
            emitTask();
    });
    m_readers["@description"] = [desc] { return QJsonValue(desc->text()); };
    m_form->addRow(tr("Description"), desc);
    if (type) {
        auto *params = new QLabel(tr("<b>Parameters</b> <small>({{params.NAME}}, {{tasks.KEY.OUTPUT}} and {{run.id}} "
                                     "are substituted when it runs)</small>"));
        params->setWordWrap(true);
        m_form->addRow(params);
        for (const auto &spec : type->params) {
            QWidget *w = paramEditor(spec, t->params.value(QLatin1String(spec.name)));
            const QString label = QString::fromUtf8(spec.name) + (spec.required ? " *" : "");
            w->setToolTip(QString::fromUtf8(spec.help) + " (" + QString::fromUtf8(spec.kind) + ")");
            m_form->addRow(label, w);
            if (!m_fields.count("params." + QString::fromUtf8(spec.name)))
                m_fields["params." + QString::fromUtf8(spec.name)] = w;
        }
    }
    m_form->addRow(new QLabel(tr("<b>Run</b>")));
    QStringList deps;
    for (const auto &d : t->dependsOn)
        deps << qs(d);
    m_form->addRow(tr("Depends on"),
                   new QLabel(deps.isEmpty() ? tr("(none: connect ports on the canvas)") : deps.join(", ")));
    auto *runIf = new QComboBox;
    for (const char *c : pipeline::kRunIfConditions)
        runIf->addItem(c);
    runIf->setCurrentText(qs(t->runIf));
    connect(runIf, &QComboBox::activated, this, [this] { emitTask(); });
    m_readers["@run_if"] = [runIf] { return QJsonValue(runIf->currentText()); };
    m_form->addRow(tr("Run if"), runIf);
    m_fields["run_if"] = runIf;
    auto *target = new QComboBox;
    for (const QString &tg : m_choices.targets)
        target->addItem(tg);
    if (target->findText(qs(t->target)) < 0)
        target->addItem(qs(t->target));
    target->setCurrentText(qs(t->target));
    connect(target, &QComboBox::activated, this, [this] { emitTask(); });
    m_readers["@target"] = [target] { return QJsonValue(target->currentText()); };
    m_form->addRow(tr("Target"), target);
    m_fields["target"] = target;
    auto spin = [&](const char *field, const QString &label, int min, int max, int value, const QString &special) {
        auto *s = new QSpinBox;
        s->setRange(min, max);
        s->setSpecialValueText(special);
        s->setValue(value);
        connect(s, &QSpinBox::editingFinished, this, [this] {
            if (!m_loading)
                emitTask();
        });
        m_readers[QString("@") + field] = [s] { return QJsonValue(s->value()); };
        m_form->addRow(label, s);
        m_fields[field] = s;
    };
    spin("timeout_seconds", tr("Timeout (s)"), 0, 100000000, t->timeoutSeconds, tr("none"));
    spin("max_retries", tr("Retries"), -1, 100, t->maxRetries, tr("indefinitely"));
    spin("min_retry_interval_millis", tr("Retry interval (ms)"), 0, 100000000, t->minRetryIntervalMillis, QString());
    auto *retryTimeout = new QCheckBox(tr("Retry after a timeout"));
    retryTimeout->setChecked(t->retryOnTimeout);
    connect(retryTimeout, &QCheckBox::toggled, this, [this] { emitTask(); });
    m_readers["@retry_on_timeout"] = [retryTimeout] { return QJsonValue(retryTimeout->isChecked()); };
    m_form->addRow(QString(), retryTimeout);
    m_fields["retry_on_timeout"] = retryTimeout;
    m_loading = false;
}

void PropertiesPanel::emitTask()
{
    if (m_loading || m_key.isEmpty())
        return;
    pipeline::Task t = m_task;
    QJsonObject params;
    for (const auto &[name, read] : m_readers) {
        if (name.startsWith('@'))
            continue;
        const QJsonValue v = read();
        if (!v.isUndefined() && !v.isNull())
            params.insert(name, v);
    }
    // Parameters this type does not know (kept so that validation names them) stay as they were.
    for (auto it = m_task.params.begin(); it != m_task.params.end(); ++it) {
        if (!m_readers.count(it.key()))
            params.insert(it.key(), it.value());
    }
    t.params = params;
    t.description = m_readers["@description"]().toString().toStdString();
    t.runIf = m_readers["@run_if"]().toString().toStdString();
    t.target = m_readers["@target"]().toString().toStdString();
    t.timeoutSeconds = m_readers["@timeout_seconds"]().toInt();
    t.maxRetries = m_readers["@max_retries"]().toInt();
    t.minRetryIntervalMillis = m_readers["@min_retry_interval_millis"]().toInt();
    t.retryOnTimeout = m_readers["@retry_on_timeout"]().toBool();
    if (sameTask(t, m_task))
        return; // nothing changed
    m_task = t;
    emit taskEdited(m_key, t);
}

// The pipeline settings' widgets, as showPipeline() built them.
struct PropertiesPanel::PipelineForm
{
    QLineEdit *name;
    QLineEdit *desc;
    FocusOutText *params;
    QSpinBox *runs;
    QSpinBox *parallel;
    QComboBox *syntax;
    QLineEdit *expr;
    QComboBox *tz;
    QCheckBox *paused;
    QLabel *next;
};

void PropertiesPanel::showPipeline(const pipeline::Pipeline &p)
{
    m_loading = true;
    clear();
    m_pipeline = p;
    m_task = {};
    m_key.clear();
    const PipelineForm f = buildPipelineForm(p);
    showNextFireTimes(f);
    auto apply = [this, f] {
        showNextFireTimes(f);
        if (m_loading)
            return;
        m_pipeline = readPipelineForm(f);
        emit settingsEdited(m_pipeline);
    };
    connect(f.name, &QLineEdit::editingFinished, this, apply);
    connect(f.desc, &QLineEdit::editingFinished, this, apply);
    f.params->onFocusOut = apply;
    connect(f.runs, &QSpinBox::editingFinished, this, apply);
    connect(f.parallel, &QSpinBox::editingFinished, this, apply);
    connect(f.syntax, &QComboBox::activated, this, apply);
    connect(f.expr, &QLineEdit::editingFinished, this, apply);
    connect(f.tz, &QComboBox::activated, this, apply);
    connect(f.paused, &QCheckBox::toggled, this, apply);
    m_loading = false;
}

PropertiesPanel::PipelineForm PropertiesPanel::buildPipelineForm(const pipeline::Pipeline &p)
{
    m_form->addRow(new QLabel(tr("<b>Pipeline</b> <small>(select a task on the canvas for its properties)</small>")));
    PipelineForm f{};
    f.name = new QLineEdit(qs(p.name));
    f.desc = new QLineEdit(qs(p.description));
    f.params = new FocusOutText;
    f.params->setFixedHeight(80);
    f.params->setPlaceholderText(tr("NAME=default value, one per line"));
    QStringList lines;
    for (const auto &[k, v] : p.parameters)
        lines << qs(k) + "=" + qs(v);
    f.params->setPlainText(lines.join('\n'));
    f.runs = new QSpinBox;
    f.runs->setRange(1, 1000);
    f.runs->setValue(p.maxConcurrentRuns);
    f.parallel = new QSpinBox;
    f.parallel->setRange(1, 64);
    f.parallel->setValue(p.maxParallelTasks);
    f.syntax = new QComboBox;
    f.syntax->addItems({tr("no schedule"), "quartz_cron_expression", "cron"});
    f.syntax->setCurrentIndex(!p.schedule ? 0 : p.schedule->quartz ? 1 : 2);
    f.expr = new QLineEdit(p.schedule ? qs(p.schedule->expression) : QString());
    f.expr->setPlaceholderText(tr("Quartz: 0 30 2 * * ?   cron: 30 2 * * *"));
    f.tz = new QComboBox;
    f.tz->setEditable(true);
    for (const QByteArray &id : QTimeZone::availableTimeZoneIds())
        f.tz->addItem(QString::fromUtf8(id));
    f.tz->setCurrentText(p.schedule ? qs(p.schedule->timezone) : QString("UTC"));
    f.paused = new QCheckBox(tr("Paused"));
    f.paused->setChecked(p.schedule && p.schedule->paused);
    f.next = new QLabel;
    f.next->setTextInteractionFlags(Qt::TextSelectableByMouse);
    f.next->setWordWrap(true);
    m_form->addRow(tr("Name"), f.name);
    m_form->addRow(tr("Description"), f.desc);
    m_form->addRow(tr("Parameters"), f.params);
    m_form->addRow(tr("Max concurrent runs"), f.runs);
    m_form->addRow(tr("Max parallel tasks"), f.parallel);
    m_form->addRow(new QLabel(tr("<b>Schedule</b>")));
    m_form->addRow(tr("Syntax"), f.syntax);
    m_form->addRow(tr("Expression"), f.expr);
    m_form->addRow(tr("Time zone"), f.tz);
    m_form->addRow(QString(), f.paused);
    m_form->addRow(tr("Next fire times"), f.next);
    m_fields["name"] = f.name;
    m_fields["parameters"] = f.params;
    m_fields["max_concurrent_runs"] = f.runs;
    m_fields["max_parallel_tasks"] = f.parallel;
    m_fields["schedule.quartz_cron_expression"] = f.expr;
    m_fields["schedule.cron"] = f.expr;
    m_fields["schedule.timezone_id"] = f.tz;
    return f;
}

void PropertiesPanel::showNextFireTimes(const PipelineForm &f)
{
    if (f.syntax->currentIndex() == 0) {
        f.next->setText(tr("(runs only by hand or by its trigger)"));
        return;
    }
    try {
        const auto e = pipeline::parseCron(f.expr->text().toStdString(), f.syntax->currentIndex() == 1);
        const QTimeZone zone = pipeline::timeZone(f.tz->currentText().toStdString());
        QStringList times;
        for (const QDateTime &t : pipeline::nextFireTimes(e, QDateTime::currentDateTimeUtc(), zone, 5))
            times << t.toTimeZone(zone).toString("ddd yyyy-MM-dd HH:mm:ss t");
        f.next->setText((f.paused->isChecked() ? tr("paused; would fire: ") + "\n" : QString()) + times.join('\n'));
        f.next->setStyleSheet({});
    } catch (const std::exception &ex) {
        f.next->setText(QString::fromUtf8(ex.what()));
        f.next->setStyleSheet("color: #c0392b");
    }
}

pipeline::Pipeline PropertiesPanel::readPipelineForm(const PipelineForm &f) const
{
    pipeline::Pipeline s = m_pipeline;
    s.name = f.name->text().toStdString();
    s.description = f.desc->text().toStdString();
    s.parameters.clear();
    for (const QString &l : f.params->toPlainText().split('\n', Qt::SkipEmptyParts)) {
        const int eq = l.indexOf('=');
        if (eq > 0)
            s.parameters.emplace_back(l.left(eq).trimmed().toStdString(), l.mid(eq + 1).toStdString());
    }
    s.maxConcurrentRuns = f.runs->value();
    s.maxParallelTasks = f.parallel->value();
    if (f.syntax->currentIndex() == 0) {
        s.schedule.reset();
    } else {
        pipeline::ScheduleSpec spec;
        spec.quartz = f.syntax->currentIndex() == 1;
        spec.expression = f.expr->text().toStdString();
        spec.timezone = f.tz->currentText().toStdString();
        spec.paused = f.paused->isChecked();
        s.schedule = spec;
    }
    return s;
}

bool PropertiesPanel::focusField(const QString &field)
{
    const auto it = m_fields.find(field);
    if (it == m_fields.end())
        return false;
    QWidget *w = it->second;
    if (w->isVisible()) {
        w->setFocus(Qt::OtherFocusReason);
    } else {
        // A row just built by showTask() is shown by its layout on the next pass of the event loop (that show is
        // queued already), and Qt ignores setFocus() on a hidden widget: focus it once it is shown.
        QMetaObject::invokeMethod(
            w, [w] { w->setFocus(Qt::OtherFocusReason); }, Qt::QueuedConnection);
    }
    return true;
}

} // namespace pw::ui
