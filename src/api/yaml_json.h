// YAML to JSON, as the API server reads YAML bodies (server-side apply's
// application/apply-patch+yaml): sigs.k8s.io/yaml semantics on YAML 1.1 scalars. Plain
// scalars resolve to null (~, null, empty), bools (true/false, yes/no, on/off in any of their
// YAML cases), integers (decimal, 0x hex, 0o/leading-0 octal), floats (incl. .inf/.nan) or
// strings; quoted scalars are always strings. Map keys become strings. JSON is valid YAML,
// so a JSON body converts to itself.
//
// Pure function, thread-safe. Errors: BadRequest with the parser's message.
#pragma once

#include <boost/json/value.hpp>
#include <string_view>

#include "base/status.h"

namespace kubepp::api {

// Converts one YAML document (an empty document is null).
Result<boost::json::value> YamlToJson(std::string_view yaml);

}  // namespace kubepp::api
