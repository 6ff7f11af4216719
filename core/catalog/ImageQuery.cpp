// Image browsing queries over catalog.db (see ImageQuery.h). Pages use keyset paging: each page starts after the
// (sort key, id) of the last row shown, so a page costs the same wherever it is and no row is skipped or repeated.
#include "core/catalog/ImageQuery.h"

#include "core/store/Database.h"

#include <algorithm>
#include <string_view>

namespace pw::catalog {

using store::Statement;

namespace {

// countByLabel: the images of a table as of a version with the rowid of their newest prediction (as of that version
// too). Pages (queryImages) are built below instead, so that one index walk in sort order serves them.
// ?1 as-of version (NULL: latest committed), ?2 table, ?3 status, ?4 label ('': unlabeled), ?5 label source.
constexpr const char *kBase = R"sql(
WITH v(asof) AS (
    SELECT coalesce(?1, (SELECT coalesce(max(version), 0) FROM versions WHERE state = 'COMMITTED'))
),
base AS (
    SELECT i.id, i.path, coalesce(i.content_hash, '') AS content_hash, coalesce(i.label, '') AS label,
           coalesce(i.label_source, '') AS label_source, coalesce(i.format, '') AS format, i.status,
           coalesce(i.reason, '') AS reason, coalesce(i.width, 0) AS width, coalesce(i.height, 0) AS height,
           coalesce(i.channels, 0) AS channels, i.size, i.valid_from,
           (SELECT p.rowid FROM predictions p
             WHERE p.table_name = i.table_name AND p.path = i.path AND p.version <= v.asof
             ORDER BY p.version DESC, p.scored_at DESC LIMIT 1) AS pid
      FROM images i, v
     WHERE i.table_name = ?2 AND i.valid_from <= v.asof AND (i.valid_to IS NULL OR i.valid_to > v.asof)
       AND i.status = ?3 AND (?4 IS NULL OR coalesce(i.label, '') = ?4) AND (?5 IS NULL OR i.label_source = ?5)
)
)sql";

// ?6 predicted, ?7 min confidence, ?8 max confidence.
constexpr const char *kPredictionFilter = R"sql(
  FROM base b LEFT JOIN predictions pr ON pr.rowid = b.pid
 WHERE (?6 IS NULL OR pr.predicted = ?6) AND (?7 IS NULL OR pr.confidence >= ?7)
   AND (?8 IS NULL OR pr.confidence <= ?8)
)sql";

void bindFilter(Statement &st, const ImageFilter &f)
{
    st.bind(1, f.asOfVersion);
    st.bind(2, f.table);
    st.bind(3, f.rejected ? "rejected" : "ok");
    st.bind(4, f.label);
    st.bind(5, f.labelSource);
    st.bind(6, f.predicted);
    st.bind(7, f.minConfidence);
    st.bind(8, f.maxConfidence);
}

} // namespace

Cursor cursorAfter(const ImageRow &row, ImageFilter::Sort sort)
{
    Cursor c;
    c.id = row.id;
    switch (sort) {
    case ImageFilter::Sort::Path: c.text = row.path; break;
    case ImageFilter::Sort::Confidence: c.number = row.confidence.value_or(-1.0); break;
    case ImageFilter::Sort::Added: c.number = double(row.validFrom); break;
    }
    return c;
}

namespace {

// A statement under construction: SQL text and the values of its '?' placeholders, in order.
struct Sql
{
    struct Value
    {
        enum class Kind
        {
            Integer,
            Real,
            Text
        } kind;
        std::int64_t integer = 0;
        double real = 0;
        std::string text;
    };
    std::string text;
    std::vector<Value> values;

    Sql &operator<<(std::string_view s)
    {
        text += s;
        return *this;
    }
    Sql &arg(std::int64_t v) { return push({Value::Kind::Integer, v, 0, {}}); }
    Sql &arg(double v) { return push({Value::Kind::Real, 0, v, {}}); }
    Sql &arg(std::string v) { return push({Value::Kind::Text, 0, 0, std::move(v)}); }
    Sql &push(Value v)
    {
        values.push_back(std::move(v));
        return *this;
    }
    Statement prepare(store::Database &db) const
    {
        Statement st(db, text);
        for (std::size_t i = 0; i < values.size(); ++i) {
            const Value &v = values[i];
            const int index = int(i) + 1;
            if (v.kind == Value::Kind::Integer)
                st.bind(index, v.integer);
            else if (v.kind == Value::Kind::Real)
                st.bind(index, v.real);
            else
                st.bind(index, v.text);
        }
        return st;
    }
};

// The columns of an ImageRow: image `i`, its newest prediction `pr` (NULLs when none).
constexpr const char *kColumns =
    "SELECT i.id, i.path, coalesce(i.content_hash, ''), coalesce(i.label, ''), coalesce(i.label_source, ''), "
    "coalesce(i.format, ''), i.status, coalesce(i.reason, ''), coalesce(i.width, 0), coalesce(i.height, 0), "
    "coalesce(i.channels, 0), i.size, i.valid_from, pr.confidence, coalesce(pr.predicted, '')\n";

// The rowid of the newest prediction of image `alias` as of the version bound to its '?' (the same choice as kBase).
std::string newestPrediction(const char *alias)
{
    return std::string("(SELECT q.rowid FROM predictions q WHERE q.table_name = ") + alias + ".table_name AND q.path = "
           + alias + ".path AND q.version <= ? ORDER BY q.version DESC, q.scored_at DESC LIMIT 1)";
}

// The image conditions of `f` on `i` as of `asOf`. Only the filters that are set are written, so that an index on
// them can drive the query ("?4 IS NULL OR i.label = ?4" hides the column from the planner).
// `validFrom`: the version the rows were added in, when the caller knows it (<= asOf); the planner then walks it
// alone (given "valid_from <= ?" as well, it walks every version up to asOf instead).
void imageConditions(Sql &q, const ImageFilter &f, std::int64_t asOf, std::optional<std::int64_t> validFrom = {})
{
    if (validFrom)
        (q << "i.table_name = ? AND i.valid_from = ?").arg(f.table).arg(*validFrom);
    else
        (q << "i.table_name = ? AND i.valid_from <= ?").arg(f.table).arg(asOf);
    q << " AND (i.valid_to IS NULL OR i.valid_to > ?) AND i.status = ?";
    q.arg(asOf).arg(std::string(f.rejected ? "rejected" : "ok"));
    if (f.label && f.label->empty())
        q << " AND i.label IS NULL"; // "": the unlabeled images
    else if (f.label)
        (q << " AND i.label = ?").arg(*f.label);
    if (f.labelSource)
        (q << " AND i.label_source = ?").arg(*f.labelSource);
    q << "\n";
}

// The prediction filters of `f` on `pr`, the newest prediction (an unscored image matches none of them).
void predictionConditions(Sql &q, const ImageFilter &f)
{
    if (f.predicted)
        (q << " AND pr.predicted = ?").arg(*f.predicted);
    if (f.minConfidence)
        (q << " AND pr.confidence >= ?").arg(*f.minConfidence);
    if (f.maxConfidence)
        (q << " AND pr.confidence <= ?").arg(*f.maxConfidence);
    q << "\n";
}

bool filtersOnPrediction(const ImageFilter &f)
{
    return f.predicted || f.minConfidence || f.maxConfidence;
}

void readRows(Statement &st, std::vector<ImageRow> &rows)
{
    while (st.step()) {
        ImageRow r;
        r.id = st.int64(0);
        r.path = st.text(1);
        r.contentHash = st.text(2);
        r.label = st.text(3);
        r.labelSource = st.text(4);
        r.format = st.text(5);
        r.status = st.text(6);
        r.reason = st.text(7);
        r.width = st.int32(8);
        r.height = st.int32(9);
        r.channels = st.int32(10);
        r.size = st.int64(11);
        r.validFrom = st.int64(12);
        if (!st.isNull(13))
            r.confidence = st.real(13);
        r.predicted = st.text(14);
        rows.push_back(std::move(r));
    }
}

// Where an Added page starts: the rest of the cursor's version (id > cursor id), or the versions after it. Two
// queries, because a bound on (valid_from, id) together does not narrow the index walk (id is the rowid) and the
// whole version before the cursor would be read again on every page.
enum class AddedPart
{
    SameVersion,
    LaterVersions
};

// Path and Added sorts: walk an index of images in (key, id) order from the cursor on, look up each row's newest
// prediction, stop at `limit`. Path: images_table_path, or images_table_label_path with a label filter; Added:
// images_table_added or images_table_label_added (migrations 5 and 7).
Sql imageDrivenPage(const ImageFilter &f, std::int64_t asOf, const std::optional<Cursor> &after, AddedPart part,
                    int limit)
{
    const bool byPath = f.sort == ImageFilter::Sort::Path;
    // Named: left to itself the planner walks images_table_added for "valid_from <= ?" and sorts every row.
    const char *index = byPath ? (f.label ? "images_table_label_path" : "images_table_path")
                               : (f.label ? "images_table_label_added" : "images_table_added");
    Sql q;
    q << kColumns << "  FROM images i INDEXED BY " << index
      << " LEFT JOIN predictions pr ON pr.rowid = " << newestPrediction("i") << "\n WHERE ";
    q.arg(asOf);
    const bool sameVersion = !byPath && after && part == AddedPart::SameVersion;
    imageConditions(q, f, asOf, sameVersion ? std::optional(std::int64_t(after->number)) : std::nullopt);
    predictionConditions(q, f);
    // (key, id) > (cursor key, cursor id). By path the path's range bounds the walk (a path repeats only across
    // versions, so the few rows of the cursor's path are all that "id >" filters).
    if (after && byPath)
        (q << "   AND i.path >= ? AND (i.path > ? OR i.id > ?)\n").arg(after->text).arg(after->text).arg(after->id);
    else if (sameVersion)
        (q << "   AND i.id > ?\n").arg(after->id);
    else if (after)
        (q << "   AND i.valid_from > ?\n").arg(std::int64_t(after->number));
    (q << " ORDER BY " << (byPath ? "i.path" : "i.valid_from") << ", i.id LIMIT ?").arg(std::int64_t(limit));
    return q;
}

// The id below which every image of `table` valid as of `asOf` is known to be scored (0: nothing known). The newest
// merge's record holds for any later version (no prediction has been added or moved since); for an older version
// a later merge may have moved predictions past it, so nothing is known there.
std::int64_t scoredBelow(store::Database &db, const std::string &table, std::int64_t asOf)
{
    Statement st(db, "SELECT scored_below FROM prediction_coverage WHERE table_name = ? AND version <= ?");
    st.bind(1, table).bind(2, asOf);
    return st.step() ? st.int64(0) : 0;
}

// The conditions on `i` of an image with no prediction as of the version bound to its '?'.
constexpr const char *kUnscored = "NOT EXISTS (SELECT 1 FROM predictions q WHERE q.table_name = i.table_name "
                                  "AND q.path = i.path AND q.version <= ?)";

// Confidence sort, unscored images (key -1, first): images with no prediction as of the version, by id, walked in
// rowid order from `from` (below it every image is scored: scoredBelow) so that the page stops at `limit`.
Sql unscoredPage(const ImageFilter &f, std::int64_t asOf, std::int64_t from, const std::optional<Cursor> &after,
                 int limit)
{
    Sql q;
    q << "SELECT i.id, i.path, coalesce(i.content_hash, ''), coalesce(i.label, ''), coalesce(i.label_source, ''), "
         "coalesce(i.format, ''), i.status, coalesce(i.reason, ''), coalesce(i.width, 0), coalesce(i.height, 0), "
         "coalesce(i.channels, 0), i.size, i.valid_from, NULL, ''\n"
         "  FROM images i NOT INDEXED\n WHERE ";
    imageConditions(q, f, asOf);
    (q << "   AND " << kUnscored << "\n").arg(asOf);
    if (after && after->number == -1.0)
        from = std::max(from, after->id + 1);
    if (from > 0)
        (q << "   AND i.id >= ?\n").arg(from);
    (q << " ORDER BY i.id LIMIT ?").arg(std::int64_t(limit));
    return q;
}

// Confidence sort, scored images: walk predictions_confidence (migration 7) from the cursor on, keep each prediction
// that is the newest of its image, join the image valid as of the version. Equal confidences are ordered by id in
// small sorts, so the walk still stops at `limit`.
Sql scoredPage(const ImageFilter &f, std::int64_t asOf, const std::optional<Cursor> &after, int limit)
{
    Sql q;
    // CROSS JOIN: predictions drive (their index gives the order), images are looked up by (table, path).
    q << kColumns
      << "  FROM predictions pr INDEXED BY predictions_confidence CROSS JOIN images i\n"
         " WHERE pr.table_name = ? AND pr.version <= ?";
    q.arg(f.table).arg(asOf);
    std::optional<double> from = f.minConfidence;
    if (after && (!from || after->number > *from))
        from = after->number;
    if (from)
        (q << " AND pr.confidence >= ?").arg(*from);
    if (f.maxConfidence)
        (q << " AND pr.confidence <= ?").arg(*f.maxConfidence);
    if (f.predicted)
        (q << " AND pr.predicted = ?").arg(*f.predicted);
    q << "\n   AND i.path = pr.path AND ";
    imageConditions(q, f, asOf);
    // Checked on the image (same table and path), after its own filters: a label filter then spares the lookup.
    (q << "   AND pr.rowid = " << newestPrediction("i") << "\n").arg(asOf);
    if (after)
        (q << "   AND (pr.confidence > ? OR i.id > ?)\n").arg(after->number).arg(after->id);
    (q << " ORDER BY pr.confidence, i.id LIMIT ?").arg(std::int64_t(limit));
    return q;
}

} // namespace

std::vector<ImageRow> queryImages(store::Database &db, const ImageFilter &filter, const std::optional<Cursor> &after,
                                  int limit)
{
    // The version is resolved first: as a bound constant it lets each query below walk one index in order and stop
    // after `limit` rows. (Read inside kBase's CTE it made the planner sort every matching row, ~250 ms at 100k.)
    std::int64_t asOf = 0;
    {
        Statement st(db,
                     "SELECT coalesce(?, (SELECT coalesce(max(version), 0) FROM versions WHERE state = 'COMMITTED'))");
        st.bind(1, filter.asOfVersion);
        if (st.step())
            asOf = st.int64(0);
    }
    std::vector<ImageRow> rows;
    if (limit <= 0)
        return rows;
    if (filter.sort != ImageFilter::Sort::Confidence) {
        const bool twoParts = filter.sort == ImageFilter::Sort::Added && after;
        if (!twoParts || std::int64_t(after->number) <= asOf) {
            Statement st = imageDrivenPage(filter, asOf, after, AddedPart::SameVersion, limit).prepare(db);
            readRows(st, rows);
        }
        if (twoParts && int(rows.size()) < limit) {
            Statement later =
                imageDrivenPage(filter, asOf, after, AddedPart::LaterVersions, limit - int(rows.size())).prepare(db);
            readRows(later, rows);
        }
        return rows;
    }
    // Unscored images sort first (key -1): they come from their own query, then the scored ones. This relies on
    // confidences being probabilities (>= 0), as every scorer writes them.
    if (!filtersOnPrediction(filter) && (!after || after->number <= -1.0)) {
        // Rejected files are never scored: the coverage speaks of the table's accepted images only.
        const std::int64_t from = filter.rejected ? 0 : scoredBelow(db, filter.table, asOf);
        Statement st = unscoredPage(filter, asOf, from, after, limit).prepare(db);
        readRows(st, rows);
        if (int(rows.size()) == limit)
            return rows;
    }
    std::optional<Cursor> scoredAfter = after;
    if (scoredAfter && scoredAfter->number <= -1.0)
        scoredAfter.reset(); // every scored image comes after an unscored one
    Statement st = scoredPage(filter, asOf, scoredAfter, limit - int(rows.size())).prepare(db);
    readRows(st, rows);
    return rows;
}

std::int64_t recordPredictionCoverage(store::Database &db, const std::string &table, std::int64_t version)
{
    // The previous record is valid here: this is the newest version, and every merge writes one.
    std::int64_t from = 0;
    {
        Statement prev(db, "SELECT scored_below FROM prediction_coverage WHERE table_name = ?");
        prev.bind(1, table);
        if (prev.step())
            from = prev.int64(0);
    }
    // The first unscored image in rowid order (NOT INDEXED: the rowid range is the walk, not an index on the table).
    std::int64_t below = 0;
    {
        Statement first(db, std::string("SELECT i.id FROM images i NOT INDEXED WHERE i.id >= ?1 AND i.table_name = ?2 "
                                        "AND i.valid_from <= ?3 AND (i.valid_to IS NULL OR i.valid_to > ?3) "
                                        "AND i.status = 'ok' AND ")
                                + kUnscored + " ORDER BY i.id LIMIT 1");
        first.bind(1, from).bind(2, table).bind(3, version).bind(4, version);
        if (first.step()) {
            below = first.int64(0);
        } else {
            Statement last(db, "SELECT coalesce(max(id), 0) + 1 FROM images");
            below = last.step() ? last.int64(0) : 1;
        }
    }
    Statement put(db, "INSERT INTO prediction_coverage (table_name, version, scored_below) VALUES (?, ?, ?) "
                      "ON CONFLICT(table_name) DO UPDATE SET version = excluded.version, "
                      "scored_below = excluded.scored_below");
    put.bind(1, table).bind(2, version).bind(3, below);
    put.exec();
    return below;
}

std::map<std::string, std::int64_t> countByLabel(store::Database &db, const ImageFilter &filter)
{
    Statement st(db, std::string(kBase) + "SELECT b.label, count(*)" + kPredictionFilter + " GROUP BY b.label");
    bindFilter(st, filter);
    std::map<std::string, std::int64_t> counts;
    while (st.step())
        counts[st.text(0)] = st.int64(1);
    return counts;
}

ImageDetail imageDetail(store::Database &db, const std::string &table, const std::string &path)
{
    ImageDetail d;
    {
        Statement st(db, "SELECT id, valid_from, valid_to, coalesce(label, ''), coalesce(label_source, ''), status, "
                         "coalesce(content_hash, ''), coalesce(format, ''), coalesce(reason, ''), coalesce(width, 0), "
                         "coalesce(height, 0), coalesce(channels, 0), size "
                         "FROM images WHERE table_name = ? AND path = ? ORDER BY valid_from, id");
        st.bind(1, table).bind(2, path);
        while (st.step()) {
            ImageVersionRow v;
            v.id = st.int64(0);
            v.validFrom = st.int64(1);
            v.validTo = st.optInt64(2);
            v.label = st.text(3);
            v.labelSource = st.text(4);
            v.status = st.text(5);
            v.contentHash = st.text(6);
            if (!v.validTo) {
                ImageRow r;
                r.id = v.id;
                r.path = path;
                r.contentHash = v.contentHash;
                r.label = v.label;
                r.labelSource = v.labelSource;
                r.status = v.status;
                r.format = st.text(7);
                r.reason = st.text(8);
                r.width = st.int32(9);
                r.height = st.int32(10);
                r.channels = st.int32(11);
                r.size = st.int64(12);
                r.validFrom = v.validFrom;
                d.current = std::move(r);
            }
            d.versions.push_back(std::move(v));
        }
    }
    {
        Statement st(db, "SELECT model_name, model_version, predicted, confidence, top5, version, scored_at "
                         "FROM predictions WHERE table_name = ? AND path = ? ORDER BY version DESC, scored_at DESC");
        st.bind(1, table).bind(2, path);
        while (st.step()) {
            ImagePrediction p;
            p.model = st.text(0);
            p.modelVersion = st.int64(1);
            p.predicted = st.text(2);
            p.confidence = st.real(3);
            p.top5 = st.text(4);
            p.version = st.int64(5);
            p.scoredAt = st.text(6);
            d.predictions.push_back(std::move(p));
        }
    }
    {
        Statement st(db, "SELECT state, coalesce(label, ''), coalesce(labeled_by, ''), coalesce(labeled_at, ''), "
                         "queued_at, predicted, confidence, merged_version "
                         "FROM review_queue WHERE table_name = ? AND path = ? ORDER BY id");
        st.bind(1, table).bind(2, path);
        while (st.step()) {
            ReviewDecision r;
            r.state = st.text(0);
            r.label = st.text(1);
            r.labeledBy = st.text(2);
            r.labeledAt = st.text(3);
            r.queuedAt = st.text(4);
            r.predicted = st.text(5);
            r.confidence = st.real(6);
            r.mergedVersion = st.optInt64(7);
            d.reviews.push_back(std::move(r));
        }
    }
    if (d.current && !d.predictions.empty()) {
        d.current->predicted = d.predictions.front().predicted;
        d.current->confidence = d.predictions.front().confidence;
    }
    return d;
}

} // namespace pw::catalog
