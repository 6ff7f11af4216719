// The one parser of a scoring request from key/value input.
#include "core/score/Scoring.h"

#include "core/requests/KeyValues.h"

namespace pw::score {

ScoreRequest parseScoreRequest(const requests::KeyValues &values)
{
    requests::KeyReader in(values);
    ScoreRequest r;
    r.model = in.required("model");
    r.table = in.text("table", r.table);
    r.threshold = in.number("threshold", r.threshold, requests::kFraction);
    r.reviewFraction = in.number("review_fraction", r.reviewFraction, requests::kFraction);
    r.review = in.choice("review", r.review, kReviewModes);
    r.seed = std::uint64_t(in.wholeNumber("seed", std::int64_t(r.seed), {.min = 0, .max = LLONG_MAX}));
    r.rescore = in.boolean("rescore", r.rescore);
    r.target = in.text("target", r.target);
    r.nodes = int(in.wholeNumber("nodes", r.nodes, {.min = 1, .max = 100000}));
    r.processesPerNode = int(in.wholeNumber("processes_per_node", r.processesPerNode, {.min = 1, .max = 1024}));
    in.done();
    return r;
}

} // namespace pw::score
