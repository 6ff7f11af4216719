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
    if (in.has("gate_table") && r.to != Stage::Production)
        throw requests::RequestError("gate_table",
                                     "applies to a promotion to Production, not to " + std::string(stageName(r.to)));
    in.done();
    return p;
}

} // namespace pw::registry
