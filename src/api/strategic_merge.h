// Strategic merge patch (application/strategic-merge-patch+json), guided by the API schema's
// patch strategies and merge keys, with upstream's semantics
// (k8s.io/apimachinery/pkg/util/strategicpatch, applied server-side):
//   - maps merge recursively; null deletes a key;
//   - a list whose field has patchStrategy "merge" and a merge key merges by that key: a patch
//     element updates the original element with the same key value (recursively) or is added;
//     "$patch: delete" in an element deletes the original elements with its key value;
//     "$patch: replace" anywhere in the list makes the rest of the patch list the new value;
//     merged lists keep the order of the patch for patched elements and the server's order for
//     the others (upstream's interleaving, so a new element can come first);
//   - a list of primitives with strategy "merge" is a set union; "$deleteFromPrimitiveList/<f>"
//     removes values from it;
//   - "$setElementOrder/<f>" fixes the order of the merged list <f>;
//   - "$retainKeys" (fields with strategy retainKeys) clears every key it does not list, and is
//     rejected when the patch sets a key it does not list;
//   - "$patch: replace" in a map replaces the map; "$patch: delete" empties it; "$patch: merge"
//     is the default (accepted, a no-op; upstream rejects it in maps);
//   - any other list is replaced.
// Fields the schema does not know (and free-form JSON fields) merge like JSON merge patch.
// Deviations from upstream, on purpose: a value added under a key the original lacks has its
// own directives applied (upstream copies it with any "$patch"/nulls left inside), and
// "$deleteFromPrimitiveList/<f>" for a missing <f> does nothing (upstream sets <f> to the
// deletion list).
//
// Pure functions, thread-safe. Errors: BadRequest with upstream's wording (a missing merge key,
// an unknown patch type, a malformed directive, lists of lists, mixed element types).
#pragma once

#include <boost/json/value.hpp>
#include <string_view>

#include "base/status.h"

namespace kubepp::api {

// Applies `patch` to `doc`, both JSON objects. `type_name` names the top-level type by C++
// name ("Deployment") or OpenAPI name ("io.k8s.api.apps.v1.Deployment"); an unknown name is a
// BadRequest.
Result<boost::json::value> ApplyStrategicMergePatch(const boost::json::value& doc,
                                                    const boost::json::value& patch,
                                                    std::string_view type_name);

}  // namespace kubepp::api
