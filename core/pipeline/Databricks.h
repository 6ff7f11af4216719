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
// Import maps a notebook_task or spark_python_task to a type: a notebook path "/Pipewright/<type>" maps to
// <type>; otherwise the first mapping (extra mappings, then defaultTypeMappings()) whose substring occurs,
// ignoring case, in the notebook's own name (the last path component) wins, and failing that the first whose
// substring occurs in the whole path (so a folder named "training" does not make every notebook in it a train
// task). A task that maps to no type becomes a shell task:
//     spark_python_task  -> ["python3", python_file, parameters...]
//     python_wheel_task  -> [entry_point, parameters... | --name=value...] (the wheel installed locally)
//     spark_submit_task  -> ["spark-submit", parameters...]
// and anything else (an unmatched notebook_task, spark_jar_task, sql_task, dbt_task, pipeline_task,
// run_job_task, condition_task, for_each_task, ...) a shell task that fails with a message saying what it
// was: ["sh", "-c", "printf '%s\n' \"$0\" >&2; exit 1", MESSAGE]. Each of these is noted.
// Free functions on value types: safe to call from any thread.
#pragma once

#include "core/pipeline/Pipeline.h"

#include <QByteArray>
#include <QJsonObject>

#include <string>
#include <vector>

namespace pw::pipeline {

/** A notebook path or python file substring (matched ignoring case) and the Pipewright type it maps to. */
struct TypeMapping
{
    std::string substring;
    std::string type;
};

/**
 * The built-in mappings, in the order they are tried: "prep", "load", "ingest" -> ingest; "train" -> train;
 * "eval" -> evaluate; "regist" -> register; "promot" -> promote; "scor" -> score; "label", "review" ->
 * review-export.
 */
std::vector<TypeMapping> defaultTypeMappings();

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
