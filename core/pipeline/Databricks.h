// Databricks Jobs API 2.1 import and export of pipelines: a job's create payload (POST /api/2.1/jobs/create)
// or a job as jobs/get returns it ({"job_id", "settings": {...}}) becomes a Pipeline, and a Pipeline becomes a
// create payload. The two models share their names (task_key, depends_on, run_if, timeout_seconds,
// max_retries, min_retry_interval_millis, retry_on_timeout, max_concurrent_runs, schedule), so most fields
// carry over as they are; what does not is listed, never dropped silently.
//
// Export writes each task as a notebook_task {"notebook_path": "/Pipewright/<type>", "base_parameters": ...}
// with every parameter as a string (Databricks passes strings; non-strings as compact JSON text), and
// translates references to Databricks dynamic value references:
//     {{params.X}}  <-> {{job.parameters.X}}      {{tasks.K.OUT}} <-> {{tasks.K.values.OUT}}
//     {{run.id}}    <-> {{job.run_id}}            {{run.name}}    <-> {{job.name}}
// What Databricks has no field for goes into job tags, which import reads back:
//     "pipewright.max_parallel_tasks": "2"
//     "pipewright.layout": "ingest=0:0 train=240:0 ..." (continued in "pipewright.layout.2", ".3", ... as a
//     tag value holds at most 255 characters; Databricks allows 25 tags, so a layout needing more than 24
//     tags is left out, with a note). Tag values use only characters cloud providers allow in tags.
// Not exported (no Databricks equivalent), each with an export note: notifications (desktop / argv), a target
// other than "local", and a classic 5-field cron that Quartz cannot express (both day fields restricted);
// other classic crons are rewritten as the equivalent Quartz expression. The tasks name no compute, which
// Databricks runs on serverless compute.
//
// Each task type's registration (TaskType.h, core/pipeline/tasks/) holds its side of this mapping: the notebook
// it exports as, the substrings that map to it, the notebook parameters it uses, what it wires from the DAG and
// the defaults it gets; this file holds what is common to every type.
//
// Import maps a notebook_task or spark_python_task to a type: a type's own notebook path ("/Pipewright/<type>")
// maps to it; otherwise the first mapping (extra mappings, then defaultTypeMappings()) whose substring occurs,
// ignoring case, in the notebook's own name (the last path component) wins, failing that the first in the task
// key, and failing that the first in the whole path (so a folder named "training" does not make every notebook
// in it a train task). A task that maps to no type becomes a shell task (the registry's fallback type):
//     spark_python_task  -> ["python3", python_file, parameters...]
//     python_wheel_task  -> [entry_point, parameters... | --name=value...] (the wheel installed locally)
//     spark_submit_task  -> ["spark-submit", parameters...]
// and anything else (an unmatched notebook_task, spark_jar_task, sql_task, dbt_task, pipeline_task,
// run_job_task, condition_task, for_each_task, ...) a shell task that fails with a message saying what it
// was: ["sh", "-c", "printf '%s\n' \"$0\" >&2; exit 1", MESSAGE]. Each of these is noted.
//
// A job written for Databricks rather than exported by Pipewright (its notebooks are not "/Pipewright/<type>")
// is made runnable where the job says enough:
// - Well-known notebook parameters (wellKnownNotebookParameters(): image_path, experiment_name, model_name,
//   job_user, ...) become pipeline parameters of the same name, and the tasks whose type has a use for one
//   refer to it: ingest params.source = "{{params.image_path}}", train params.experiment =
//   "{{params.experiment_name}}". A value that differs between tasks gets a parameter per task (NAME_TASKKEY).
// - What the DAG implies is wired, where the task does not set it: the run of a register or evaluate task is
//   {{tasks.T.run_id}} of its nearest upstream train task T; the table of a train, score or evaluate task is
//   {{tasks.I.table}} of its nearest upstream ingest task I; a promote task's name and version are those of its
//   upstream register task.
// - What still has no value gets a default in a pipeline parameter, each listed in a note:
//     register params.name, promote params.name  <- {{params.model_name}}
//     score params.model                         <- {{params.model_name}}@Production
//       model_name: the last part of the task's experiment_name (a registered model name holds only letters,
//       digits, '.', '_', '-'), else the job's name
//     promote params.stage                       <- {{params.stage}}, "Staging"
//     review-export params.file                  <- {{params.review_file}}, "review-<task_key>.csv" (a relative
//                                                   file is written under the workspace)
// Options.parameters (the CLI's --param NAME=VALUE) then set any pipeline parameter's default.
// Free functions on value types: safe to call from any thread.
#pragma once

#include "core/pipeline/Pipeline.h"

#include <QByteArray>
#include <QJsonObject>

#include <string>
#include <utility>
#include <vector>

namespace pw::pipeline {

/** A notebook path or python file substring (matched ignoring case) and the Pipewright type it maps to. */
struct TypeMapping
{
    std::string substring;
    std::string type;
};

/**
 * The registrations' substrings, in registry order (the order they are tried): "prep", "load", "ingest" ->
 * ingest; "train" -> train; "eval" -> evaluate; "regist" -> register; "promot" -> promote; "scor" -> score;
 * "label", "review" -> review-export.
 */
std::vector<TypeMapping> defaultTypeMappings();

/** A notebook parameter name the importer knows, and what it is for. */
struct NotebookParameter
{
    std::string name;
    /** "TYPE.PARAM" uses, e.g. "ingest.source"; a score task's "model" takes the value as NAME@Production. */
    std::vector<std::string> uses;
};

/**
 * The notebook parameters import lifts into pipeline parameters (the registrations' lifts, and job_user): image_path,
 * images_path, input_path, source_path -> ingest.source; experiment_name, experiment_path -> train.experiment;
 * model_name, registered_model_name -> register.name, promote.name, score.model; table_name -> the table of ingest,
 * train, score and evaluate; num_epochs -> train.epochs; learning_rate -> train.lr; confidence_threshold ->
 * score.threshold; job_user (no use here: tasks run as the local user).
 */
const std::vector<NotebookParameter> &wellKnownNotebookParameters();

/** What importDatabricks() is asked to do beyond reading the job. */
struct DatabricksImportOptions
{
    /** Tried before defaultTypeMappings(). */
    std::vector<TypeMapping> extraMappings;
    /** NAME=VALUE: the default of pipeline parameter NAME (the CLI's --param); NAME must be a parameter. */
    std::vector<std::pair<std::string, std::string>> parameters;
};

/** An imported job: the pipeline, and one line for each thing that was not kept or was changed. */
struct DatabricksImport
{
    Pipeline pipeline;
    /** Everything not kept or mapped, one line each naming the task (if any) and the field. Also holds the
     *  validate() errors of the pipeline, each starting "invalid: ". */
    std::vector<std::string> notes;
    /** validate(pipeline): empty when the pipeline can run as it is. */
    std::vector<ValidationError> errors;
};

/**
 * Reads a Databricks job: a Jobs 2.1 create payload ({"name", "tasks": [...], ...}) or a job from jobs/get
 * ({"job_id", "settings": {...}}). `extraMappings` are tried before defaultTypeMappings(). Throws
 * std::runtime_error for malformed JSON (with line and column) and for JSON that is neither shape.
 */
DatabricksImport importDatabricks(const QByteArray &json, const std::vector<TypeMapping> &extraMappings = {});
/**
 * importDatabricks() with options. Throws std::invalid_argument when options.parameters names a parameter the
 * imported pipeline does not have (the message lists those it has).
 */
DatabricksImport importDatabricks(const QByteArray &json, const DatabricksImportOptions &options);

/**
 * The pipeline as a Jobs 2.1 create payload. When `notes` is given, it receives one line for each thing of the
 * pipeline that the payload cannot hold (see the file comment).
 */
QJsonObject exportDatabricks(const Pipeline &p, std::vector<std::string> *notes = nullptr);

/** {{params.X}}, {{tasks.K.OUT}}, {{run.id}}, {{run.name}} in `text` as Databricks dynamic value references. */
std::string toDatabricksReferences(const std::string &text);

/**
 * Databricks dynamic value references in `text` as Pipewright references (the inverse of
 * toDatabricksReferences); references with no Pipewright equivalent stay as written and are appended to
 * `untranslated` when given.
 */
std::string fromDatabricksReferences(const std::string &text, std::vector<std::string> *untranslated = nullptr);

} // namespace pw::pipeline
