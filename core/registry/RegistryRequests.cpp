// The one parser of a registration and of a promotion (a stage transition, optionally gated) from key/value input.
#include "core/registry/Registry.h"

#include "core/requests/KeyValues.h"

namespace pw::registry {

RegisterRequest parseRegisterRequest(const requests::KeyValues &values)
{
    requests::KeyReader in(values);
    RegisterRequest r;
    r.run = in.required("run");
    r.name = in.required("name");
    r.description = in.text("description");
    in.done();
    return r;
}

PromoteRequest parsePromoteRequest(const requests::KeyValues &values)
{
    requests::KeyReader in(values);
    PromoteRequest p;
    TransitionRequest &r = p.transition;
    r.name = in.required("name");
    (void)in.required("version");
    r.version = in.wholeNumber("version", 0, {.min = 1, .max = LLONG_MAX});
    (void)in.required("stage");
    r.to = in.choice("stage", r.to, kStages);
    const bool archive = in.boolean("archive_existing", false);
    const bool keep = in.boolean("keep_existing", false);
    if (archive && keep)
        throw requests::RequestError("keep_existing",
                                     "both keeping and archiving the versions already in the stage were asked for");
    r.existing = archive ? Existing::Archive : keep ? Existing::Keep : Existing::Default;
    r.comment = in.text("comment");
    p.gateTable = in.text("gate_table");
    p.noGate = in.boolean("no_gate", false);
    p.reason = in.text("reason");
    for (const char *key : {"gate_table", "no_gate", "reason"})
        if (in.has(key) && r.to != Stage::Production)
            throw requests::RequestError(key, "applies to a promotion to Production, not to "
                                                  + std::string(stageName(r.to)));
    if (p.noGate && !p.gateTable.empty())
        throw requests::RequestError("no_gate", "skipping the comparison and naming a gate table contradict");
    if (p.noGate && p.reason.empty())
        throw requests::RequestError("reason", "skipping the comparison needs a reason (it is recorded)");
    if (!p.noGate && !p.reason.empty())
        throw requests::RequestError("reason", "a reason is for skipping the comparison (no_gate)");
    in.done();
    return p;
}

} // namespace pw::registry
