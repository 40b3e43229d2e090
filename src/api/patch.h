// Generic patches on JSON documents: JSON merge patch (RFC 7386) and JSON patch (RFC 6902),
// as the API server applies them for PATCH with application/merge-patch+json and
// application/json-patch+json. Strategic merge patch builds on the schema (strategic_merge.h).
// Pure functions; errors are BadRequest (malformed patch) or Invalid-free: the caller validates
// the result as it would any update.
#pragma once

#include <boost/json/value.hpp>

#include "base/status.h"

namespace kubepp::api {

// RFC 7386: objects merge recursively, null deletes, anything else replaces.
boost::json::value ApplyMergePatch(const boost::json::value& doc, const boost::json::value& patch);

// RFC 6902: add, remove, replace, move, copy, test, applied in order, all or nothing.
// Errors: BadRequest for a malformed patch, a missing path or a failed test (upstream wording
// where it has one).
Result<boost::json::value> ApplyJsonPatch(const boost::json::value& doc,
                                          const boost::json::value& patch);

}  // namespace kubepp::api
