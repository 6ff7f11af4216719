// The review queue, the label merge-back (MERGE LABELS) and CSV / Label Studio export and import.
#include "core/review/Review.h"

#include "core/catalog/Catalog.h"
#include "core/registry/Registry.h"
#include "core/store/Database.h"
#include "core/store/JsonCheck.h"
#include "core/store/Workspace.h"

#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QUrl>

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <fstream>
#include <map>
#include <sstream>

namespace pw::review {

namespace {

constexpr const char *kColumns =
    "id, table_name, path, coalesce(content_hash, ''), model_name, model_version, predicted, confidence, top5, "
    "reason, state, coalesce(label, ''), coalesce(label_source, ''), coalesce(labeled_by, ''), "
    "coalesce(labeled_at, ''), queued_at, coalesce(merged_version, 0), "
    // The image's label in the catalog now and its source, unit-separated (images_current: one index lookup).
    "(SELECT coalesce(i.label, '') || char(31) || coalesce(i.label_source, '') FROM images i WHERE "
    "i.table_name = review_queue.table_name AND i.path = review_queue.path AND i.valid_to IS NULL)";

std::string quoted(const std::string &s)
{
    return "'" + s + "'";
}

std::optional<std::int64_t> wholeNumber(const std::string &s)
{
    std::int64_t v = 0;
    const auto [end, err] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (s.empty() || err != std::errc() || end != s.data() + s.size())
        return std::nullopt;
    return v;
}

void writeFile(const std::string &file, const std::string &text)
{
    const std::string tmp = file + ".tmp";
    {
        std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
        if (!out)
            throw std::runtime_error("cannot create '" + tmp + "'");
        out << text;
        out.flush();
        if (!out)
            throw std::runtime_error("cannot write '" + tmp + "'");
    }
    if (std::rename(tmp.c_str(), file.c_str()) != 0)
        throw std::runtime_error("cannot rename '" + tmp + "' to '" + file + "'");
}

std::string readFile(const std::string &file)
{
    std::ifstream in(file, std::ios::binary);
    if (!in)
        throw std::runtime_error("cannot read '" + file + "'");
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

std::string top5Text(const ReviewItem &item)
{
    std::string s;
    char buf[32];
    for (const auto &[label, p] : item.top5) {
        std::snprintf(buf, sizeof buf, "%.4f", p);
        s += (s.empty() ? "" : ";") + label + ":" + buf;
    }
    return s;
}

// A Label Studio task's image reference back to a path: local-files URLs (?d=...), file:// URLs, or a path.
std::string pathFromLabelStudio(const QString &image)
{
    const int d = image.indexOf("?d=");
    if (image.startsWith("/data/local-files/") && d >= 0)
        return QUrl::fromPercentEncoding(image.mid(d + 3).toUtf8()).toStdString();
    if (image.startsWith("file://"))
        return QUrl(image).toLocalFile().toStdString();
    return image.toStdString();
}

} // namespace

std::vector<std::string> parseCsvRecord(const std::string &line)
{
    std::vector<std::string> fields(1);
    bool inQuotes = false;
    for (std::size_t i = 0; i < line.size(); ++i) {
        const char c = line[i];
        if (inQuotes) {
            if (c == '"' && i + 1 < line.size() && line[i + 1] == '"') {
                fields.back() += '"';
                ++i;
            } else if (c == '"') {
                inQuotes = false;
            } else {
                fields.back() += c;
            }
        } else if (c == '"') {
            inQuotes = true;
        } else if (c == ',') {
            fields.emplace_back();
        } else if (c != '\r') {
            fields.back() += c;
        }
    }
    return fields;
}

std::string csvField(const std::string &value)
{
    if (value.find_first_of(",\"\r\n") == std::string::npos)
        return value;
    std::string out = "\"";
    for (const char c : value)
        out += c == '"' ? std::string("\"\"") : std::string(1, c);
    return out + "\"";
}

ReviewQueue::ReviewQueue(const store::Workspace &ws, store::Database &db)
    : m_ws(ws)
    , m_db(db)
{
}

std::vector<ReviewItem> ReviewQueue::query(const std::string &where, const std::vector<std::string> &binds,
                                           const std::string &tail) const
{
    store::Statement st(m_db, std::string("SELECT ") + kColumns + " FROM review_queue WHERE " + where + " " + tail);
    for (std::size_t i = 0; i < binds.size(); ++i)
        st.bind(int(i + 1), binds[i]);
    std::vector<ReviewItem> out;
    while (st.step()) {
        ReviewItem r;
        r.id = st.int64(0);
        r.table = st.text(1);
        r.path = st.text(2);
        r.contentHash = st.text(3);
        r.model = st.text(4);
        r.modelVersion = st.int64(5);
        r.predicted = st.text(6);
        r.confidence = st.real(7);
        for (const QJsonValue &v : QJsonDocument::fromJson(QByteArray::fromStdString(st.text(8))).array()) {
            const QJsonObject o = v.toObject();
            r.top5.emplace_back(o.value("label").toString().toStdString(), o.value("probability").toDouble());
        }
        r.reason = st.text(9);
        r.state = st.text(10);
        r.label = st.text(11);
        r.labelSource = st.text(12);
        r.labeledBy = st.text(13);
        r.labeledAt = st.text(14);
        r.queuedAt = st.text(15);
        r.mergedVersion = st.int64(16);
        const std::string now = st.text(17);
        const auto unit = now.find('\x1f');
        r.currentLabel = now.substr(0, unit);
        r.currentLabelSource = unit == std::string::npos ? std::string() : now.substr(unit + 1);
        out.push_back(std::move(r));
    }
    return out;
}

std::vector<ReviewItem> ReviewQueue::list(const ListOptions &o) const
{
    if (!o.state.empty() && !kEntryStates.parse(o.state))
        throw std::runtime_error("state " + kEntryStates.problem(o.state));
    std::string where = o.includeMerged ? "1" : "merged_version IS NULL";
    std::vector<std::string> binds;
    if (!o.state.empty()) {
        binds.push_back(o.state);
        where += " AND state = ?" + std::to_string(binds.size());
    }
    if (!o.table.empty()) {
        binds.push_back(o.table);
        where += " AND table_name = ?" + std::to_string(binds.size());
    }
    std::string tail = "ORDER BY confidence, id";
    if (o.limit >= 0)
        tail += " LIMIT " + std::to_string(o.limit);
    return query(where, binds, tail);
}

std::vector<std::pair<std::string, std::int64_t>> ReviewQueue::counts(const std::string &table) const
{
    store::Statement st(m_db, "SELECT state, count(*) FROM review_queue WHERE merged_version IS NULL AND "
                              "(?1 = '' OR table_name = ?1) GROUP BY state ORDER BY state");
    st.bind(1, table);
    std::vector<std::pair<std::string, std::int64_t>> out;
    while (st.step())
        out.emplace_back(st.text(0), st.int64(1));
    return out;
}

ReviewItem ReviewQueue::find(const std::string &idOrPath) const
{
    if (const auto id = wholeNumber(idOrPath)) {
        auto byId = query("id = ?1", {std::to_string(*id)});
        if (!byId.empty()) {
            if (byId.front().mergedVersion)
                throw std::runtime_error("review entry " + idOrPath + " (" + byId.front().path
                                         + ") was merged into catalog version "
                                         + std::to_string(byId.front().mergedVersion) + " already");
            return byId.front();
        }
    }
    auto byPath = query("merged_version IS NULL AND path = ?1", {idOrPath});
    if (byPath.empty()) {
        const std::string absolute = QFileInfo(QString::fromStdString(idOrPath)).absoluteFilePath().toStdString();
        if (absolute != idOrPath)
            byPath = query("merged_version IS NULL AND path = ?1", {absolute});
    }
    if (byPath.empty())
        throw std::runtime_error("no open review entry with id or path " + quoted(idOrPath)
                                 + " (see `pipewright review list`)");
    if (byPath.size() > 1) {
        std::string ids;
        for (const auto &r : byPath)
            ids += (ids.empty() ? "" : ", ") + std::to_string(r.id) + " (table " + r.table + ")";
        throw std::runtime_error("path " + quoted(idOrPath) + " is queued in several tables: use an id: " + ids);
    }
    return byPath.front();
}

std::vector<std::string> ReviewQueue::modelClasses(const std::string &model, std::int64_t version) const
{
    registry::Registry reg(m_ws, m_db);
    return reg.version(model, version).classes;
}

ReviewItem ReviewQueue::setState(const ReviewItem &item, const std::string &state,
                                 const std::optional<std::string> &label, const std::string &source)
{
    store::Statement st(m_db, "UPDATE review_queue SET state = ?2, label = ?3, label_source = ?4, labeled_by = ?5, "
                              "labeled_at = ?6 WHERE id = ?1 AND merged_version IS NULL");
    st.bind(1, item.id).bind(2, state).bind(3, label);
    if (label) {
        st.bind(4, source).bind(5, registry::currentUser());
    } else {
        st.bindNull(4).bind(5, registry::currentUser());
    }
    st.bind(6, catalog::nowIso());
    st.exec();
    if (m_db.changes() != 1)
        throw std::runtime_error("review entry " + std::to_string(item.id) + " was merged meanwhile");
    return query("id = ?1", {std::to_string(item.id)}).front();
}

ReviewItem ReviewQueue::label(const std::string &idOrPath, const std::string &label, const std::string &source)
{
    store::Transaction tx(m_db);
    const ReviewItem item = find(idOrPath);
    const auto classes = modelClasses(item.model, item.modelVersion);
    if (std::find(classes.begin(), classes.end(), label) == classes.end()) {
        std::string list;
        for (const auto &c : classes)
            list += (list.empty() ? "" : ", ") + c;
        throw std::runtime_error("label " + quoted(label) + " is not a class of model " + item.model + ":"
                                 + std::to_string(item.modelVersion) + " (classes: " + list + ")");
    }
    ReviewItem r = setState(item, "labeled", label, source);
    tx.commit();
    return r;
}

ReviewItem ReviewQueue::accept(const std::string &idOrPath)
{
    store::Transaction tx(m_db);
    const ReviewItem item = find(idOrPath);
    ReviewItem r = setState(item, "labeled", item.predicted, "human");
    tx.commit();
    return r;
}

ReviewItem ReviewQueue::skip(const std::string &idOrPath)
{
    store::Transaction tx(m_db);
    const ReviewItem item = find(idOrPath);
    ReviewItem r = setState(item, "skipped", std::nullopt, {});
    tx.commit();
    return r;
}

ReviewItem ReviewQueue::reopen(const std::string &idOrPath)
{
    store::Transaction tx(m_db);
    const ReviewItem item = find(idOrPath);
    store::Statement st(m_db, "UPDATE review_queue SET state = 'pending', label = NULL, label_source = NULL, "
                              "labeled_by = NULL, labeled_at = NULL WHERE id = ?1 AND merged_version IS NULL");
    st.bind(1, item.id);
    st.exec();
    if (m_db.changes() != 1)
        throw std::runtime_error("review entry " + std::to_string(item.id) + " was merged meanwhile");
    ReviewItem r = query("id = ?1", {std::to_string(item.id)}).front();
    tx.commit();
    return r;
}

CommitResult ReviewQueue::commit(const std::string &table)
{
    CommitResult result;
    store::WriterLock lock(m_ws);
    catalog::Catalog cat(m_db);
    if (!table.empty())
        cat.checkTable(table);
    if (auto pending = cat.pendingVersion()) {
        cat.discardVersion(pending->version);
        result.warnings.push_back("discarded unfinished catalog version " + std::to_string(pending->version) + " ("
                                  + pending->operation + "), left by an interrupted run");
    }
    store::Transaction tx(m_db);
    std::vector<ReviewItem> items = table.empty()
                                        ? query("merged_version IS NULL AND state = 'labeled'", {}, "ORDER BY id")
                                        : query("merged_version IS NULL AND state = 'labeled' AND table_name = ?1",
                                                {table}, "ORDER BY id");
    if (items.empty()) {
        result.version = cat.latestVersion();
        return result;
    }
    QJsonObject params{{"table", QString::fromStdString(table)}, {"entries", qint64(items.size())}};
    const std::int64_t version = cat.beginVersion(
        "MERGE LABELS", QJsonDocument(params).toJson(QJsonDocument::Compact).toStdString(), {});

    // Per table: the Caltech number of each label name, so that merged labels keep the class order.
    std::map<std::string, std::map<std::string, std::int64_t>> labelIds;
    auto labelId = [&](const std::string &t, const std::string &label) -> std::optional<std::int64_t> {
        auto it = labelIds.find(t);
        if (it == labelIds.end()) {
            it = labelIds.emplace(t, std::map<std::string, std::int64_t>()).first;
            store::Statement st(m_db, "SELECT label, min(label_id) FROM images WHERE table_name = ?1 AND "
                                      "valid_to IS NULL AND label_id IS NOT NULL GROUP BY label");
            st.bind(1, t);
            while (st.step())
                it->second[st.text(0)] = st.int64(1);
        }
        const auto found = it->second.find(label);
        return found == it->second.end() ? std::nullopt : std::optional<std::int64_t>(found->second);
    };
    store::Statement current(m_db, "SELECT id, coalesce(content_hash, '') FROM images WHERE table_name = ?1 AND "
                                   "path = ?2 AND valid_to IS NULL AND status = 'ok'");
    store::Statement close(m_db, "UPDATE images SET valid_to = ?2 WHERE id = ?1");
    store::Statement insert(m_db, "INSERT INTO images (table_name, path, source, content_hash, size, mtime_ns, width, "
                                  "height, channels, format, label, label_id, label_source, split, status, reason, "
                                  "valid_from) SELECT table_name, path, source, content_hash, size, mtime_ns, width, "
                                  "height, channels, format, ?2, ?3, ?4, split, status, reason, ?5 FROM images "
                                  "WHERE id = ?1");
    store::Statement merged(m_db, "UPDATE review_queue SET merged_version = ?2 WHERE id = ?1");
    for (const ReviewItem &item : items) {
        current.bind(1, item.table).bind(2, item.path);
        if (!current.step()) {
            current.reset();
            result.notMerged.emplace_back(item.path, "no longer a usable image of table " + quoted(item.table));
            continue;
        }
        const std::int64_t rowId = current.int64(0);
        const std::string hash = current.text(1);
        current.reset();
        if (!item.contentHash.empty() && hash != item.contentHash) {
            result.notMerged.emplace_back(item.path, "the file changed since it was scored; score it again");
            continue;
        }
        close.bind(1, rowId).bind(2, version);
        close.exec();
        insert.bind(1, rowId).bind(2, item.label).bind(3, labelId(item.table, item.label));
        insert.bind(4, item.labelSource.empty() ? std::string("human") : item.labelSource).bind(5, version);
        insert.exec();
        merged.bind(1, item.id).bind(2, version);
        merged.exec();
        ++result.labelsMerged;
    }
    if (result.labelsMerged == 0) {
        // Nothing to write: the transaction rolls back, the pending version with it.
        result.version = cat.latestVersion();
        return result;
    }
    const QJsonObject metrics{{"labels_merged", qint64(result.labelsMerged)},
                              {"not_merged", qint64(result.notMerged.size())}};
    cat.commitVersion(version, QJsonDocument(metrics).toJson(QJsonDocument::Compact).toStdString());
    tx.commit();
    result.version = version;
    return result;
}

std::int64_t ReviewQueue::exportCsv(const std::string &file, const std::string &state) const
{
    ListOptions o;
    o.state = state.empty() ? "pending" : state;
    const auto items = list(o);
    std::string text = "id,table,path,predicted,confidence,top5,model,label\n";
    char conf[32];
    for (const auto &r : items) {
        std::snprintf(conf, sizeof conf, "%.6f", r.confidence);
        text += std::to_string(r.id) + "," + csvField(r.table) + "," + csvField(r.path) + "," + csvField(r.predicted)
                + "," + conf + "," + csvField(top5Text(r)) + ","
                + csvField(r.model + ":" + std::to_string(r.modelVersion)) + "," + csvField(r.label) + "\n";
    }
    writeFile(file, text);
    return std::int64_t(items.size());
}

std::int64_t ReviewQueue::exportLabelStudio(const std::string &file, const std::string &state) const
{
    ListOptions o;
    o.state = state.empty() ? "pending" : state;
    const auto items = list(o);
    QJsonArray tasks;
    for (const auto &r : items) {
        QJsonArray result;
        result.append(
            QJsonObject{{"from_name", "label"},
                        {"to_name", "image"},
                        {"type", "choices"},
                        {"value", QJsonObject{{"choices", QJsonArray{QString::fromStdString(r.predicted)}}}}});
        const QJsonObject prediction{
            {"model_version", QString::fromStdString(r.model + ":" + std::to_string(r.modelVersion))},
            {"score", r.confidence},
            {"result", result}};
        tasks.append(QJsonObject{{"id", qint64(r.id)},
                                 {"data", QJsonObject{{"image", QString::fromStdString(r.path)},
                                                      {"path", QString::fromStdString(r.path)},
                                                      {"pipewright_id", qint64(r.id)},
                                                      {"table", QString::fromStdString(r.table)}}},
                                 {"predictions", QJsonArray{prediction}}});
    }
    writeFile(file, QJsonDocument(tasks).toJson(QJsonDocument::Indented).toStdString());
    return std::int64_t(items.size());
}

namespace {

// A label to apply: where the import file gives it (for messages), the queue item's id or path, the label.
struct ImportEntry
{
    std::string where;
    std::string key;
    std::string label;
};

// The tasks of a Label Studio export (a JSON array of tasks, or one task): the last choice of the tasks'
// annotations that were not cancelled. Tasks without an image or a choice are skipped, with why.
std::vector<ImportEntry> labelStudioEntries(const std::string &file, const std::string &text, ImportResult &result)
{
    if (const auto issues = store::checkJson(text); !issues.empty())
        throw std::runtime_error("'" + file + "': " + store::jsonIssuesText(issues));
    QJsonParseError err{};
    const QJsonDocument doc = QJsonDocument::fromJson(QByteArray::fromStdString(text), &err);
    if (err.error != QJsonParseError::NoError)
        throw std::runtime_error("'" + file + "': not valid JSON at offset " + std::to_string(err.offset) + ": "
                                 + err.errorString().toStdString());
    std::vector<ImportEntry> entries;
    const QJsonArray tasks = doc.isArray() ? doc.array() : QJsonArray{doc.object()};
    for (qsizetype i = 0; i < tasks.size(); ++i) {
        const QJsonObject task = tasks.at(i).toObject();
        const QJsonObject data = task.value("data").toObject();
        std::string key;
        if (data.contains("pipewright_id"))
            key = std::to_string(data.value("pipewright_id").toInteger());
        else if (data.contains("path"))
            key = data.value("path").toString().toStdString();
        else
            key = pathFromLabelStudio(data.value("image").toString());
        const std::string where = "task " + std::to_string(i + 1) + " (" + (key.empty() ? "no image" : key) + ")";
        std::string label;
        for (const QJsonValue &a : task.value("annotations").toArray()) {
            const QJsonObject ann = a.toObject();
            if (ann.value("was_cancelled").toBool())
                continue;
            for (const QJsonValue &res : ann.value("result").toArray()) {
                const QJsonArray choices = res.toObject().value("value").toObject().value("choices").toArray();
                if (!choices.isEmpty())
                    label = choices.first().toString().toStdString(); // the last annotation wins
            }
        }
        if (key.empty()) {
            result.skipped.emplace_back(where, "the task names no image");
            continue;
        }
        if (label.empty()) {
            result.skipped.emplace_back(where, "no annotation with a choice");
            continue;
        }
        entries.push_back({where, key, label});
    }
    return entries;
}

// The records of a CSV text: lines, except that a line break inside quotes belongs to its field.
std::vector<std::string> csvRecords(const std::string &text)
{
    std::vector<std::string> records;
    std::string record;
    bool inQuotes = false;
    for (const char c : text) {
        if (c == '"')
            inQuotes = !inQuotes;
        if (c == '\n' && !inQuotes) {
            records.push_back(record);
            record.clear();
        } else {
            record += c;
        }
    }
    if (!record.empty())
        records.push_back(record);
    return records;
}

// The rows of a CSV file whose header names a 'label' column and a 'path' (or 'image') or 'id' column. Rows
// without a key or a label are skipped, with why.
std::vector<ImportEntry> csvEntries(const std::string &file, const std::string &text, ImportResult &result)
{
    const std::vector<std::string> records = csvRecords(text);
    if (records.empty())
        throw std::runtime_error("'" + file + "' is empty: expected a header with 'path' (or 'id') and 'label'");
    const auto header = parseCsvRecord(records.front());
    int pathCol = -1, idCol = -1, labelCol = -1;
    for (std::size_t c = 0; c < header.size(); ++c) {
        std::string h = header[c];
        if (c == 0 && h.rfind("\xEF\xBB\xBF", 0) == 0)
            h = h.substr(3);
        if (h == "path" || h == "image")
            pathCol = int(c);
        else if (h == "id")
            idCol = int(c);
        else if (h == "label")
            labelCol = int(c);
    }
    if (labelCol < 0 || (pathCol < 0 && idCol < 0))
        throw std::runtime_error("'" + file + "': the header must name a 'label' column and a 'path' or 'id' column");
    std::vector<ImportEntry> entries;
    for (std::size_t i = 1; i < records.size(); ++i) {
        if (records[i].find_first_not_of(" \t\r") == std::string::npos)
            continue;
        const auto fields = parseCsvRecord(records[i]);
        const std::string where = "line " + std::to_string(i + 1);
        auto field = [&](int c) { return c >= 0 && std::size_t(c) < fields.size() ? fields[std::size_t(c)] : ""; };
        const std::string key = idCol >= 0 && !field(idCol).empty() ? field(idCol) : field(pathCol);
        const std::string label = field(labelCol);
        if (key.empty()) {
            result.skipped.emplace_back(where, "no path or id");
            continue;
        }
        if (label.empty()) {
            result.skipped.emplace_back(where + " (" + key + ")", "no label");
            continue;
        }
        entries.push_back({where + " (" + key + ")", key, label});
    }
    return entries;
}

} // namespace

ImportResult ReviewQueue::importFile(const std::string &file)
{
    const std::string text = readFile(file);
    ImportResult result;
    std::vector<ImportEntry> entries;
    const auto first = text.find_first_not_of(" \t\r\n\xEF\xBB\xBF");
    if (first != std::string::npos && (text[first] == '[' || text[first] == '{')) {
        result.format = "labelstudio";
        entries = labelStudioEntries(file, text, result);
    } else {
        result.format = "csv";
        entries = csvEntries(file, text, result);
    }

    // Apply: each label must be a class of the model that predicted the item.
    store::Transaction tx(m_db);
    std::map<std::pair<std::string, std::int64_t>, std::vector<std::string>> classesOf;
    for (const ImportEntry &e : entries) {
        ReviewItem item;
        try {
            item = find(e.key);
        } catch (const std::exception &ex) {
            result.skipped.emplace_back(e.where, ex.what());
            continue;
        }
        auto key = std::make_pair(item.model, item.modelVersion);
        auto it = classesOf.find(key);
        if (it == classesOf.end())
            it = classesOf.emplace(key, modelClasses(item.model, item.modelVersion)).first;
        if (std::find(it->second.begin(), it->second.end(), e.label) == it->second.end()) {
            result.skipped.emplace_back(e.where, "label " + quoted(e.label) + " is not a class of model " + item.model
                                                     + ":" + std::to_string(item.modelVersion));
            continue;
        }
        setState(item, "labeled", e.label, "import");
        ++result.imported;
    }
    tx.commit();
    return result;
}

} // namespace pw::review
