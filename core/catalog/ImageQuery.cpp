// Image browsing queries over catalog.db (see ImageQuery.h). Pages use keyset paging: each page starts after the
// (sort key, id) of the last row shown, so a page costs the same wherever it is and no row is skipped or repeated.
#include "core/catalog/ImageQuery.h"

#include "core/store/Database.h"

namespace pw::catalog {

using store::Statement;

namespace {

// The images of a table as of a version with the rowid of their newest prediction (as of that version too).
// ?1 as-of version (NULL: latest committed), ?2 table, ?3 status, ?4 label, ?5 label source.
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
       AND i.status = ?3 AND (?4 IS NULL OR i.label = ?4) AND (?5 IS NULL OR i.label_source = ?5)
)
)sql";

// ?6 predicted, ?7 min confidence, ?8 max confidence.
constexpr const char *kPredictionFilter = R"sql(
  FROM base b LEFT JOIN predictions pr ON pr.rowid = b.pid
 WHERE (?6 IS NULL OR pr.predicted = ?6) AND (?7 IS NULL OR pr.confidence >= ?7)
   AND (?8 IS NULL OR pr.confidence <= ?8)
)sql";

const char *sortKey(ImageFilter::Sort sort)
{
    switch (sort) {
    case ImageFilter::Sort::Path:
        return "b.path";
    case ImageFilter::Sort::Confidence:
        return "coalesce(pr.confidence, -1.0)"; // unscored images first
    case ImageFilter::Sort::Added:
        return "b.valid_from";
    }
    return "b.path";
}

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
    case ImageFilter::Sort::Path:
        c.text = row.path;
        break;
    case ImageFilter::Sort::Confidence:
        c.number = row.confidence.value_or(-1.0);
        break;
    case ImageFilter::Sort::Added:
        c.number = double(row.validFrom);
        break;
    }
    return c;
}

std::vector<ImageRow> queryImages(store::Database &db, const ImageFilter &filter, const std::optional<Cursor> &after,
                                  int limit)
{
    const std::string key = sortKey(filter.sort);
    std::string sql = std::string(kBase)
        + "SELECT b.id, b.path, b.content_hash, b.label, b.label_source, b.format, b.status, b.reason, b.width, "
          "b.height, b.channels, b.size, b.valid_from, pr.confidence, coalesce(pr.predicted, '')"
        + kPredictionFilter;
    if (after)
        sql += "   AND (" + key + ", b.id) > (?9, ?10)\n";
    sql += " ORDER BY " + key + ", b.id LIMIT ?11";
    Statement st(db, sql);
    bindFilter(st, filter);
    if (after) {
        if (filter.sort == ImageFilter::Sort::Path)
            st.bind(9, after->text);
        else if (filter.sort == ImageFilter::Sort::Added)
            st.bind(9, static_cast<std::int64_t>(after->number));
        else
            st.bind(9, after->number);
        st.bind(10, after->id);
    }
    st.bind(11, limit);
    std::vector<ImageRow> rows;
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
    return rows;
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
