// The protobuf form of a Swagger 2.0 document: gnostic's openapi.v2.Document
// (proto/openapiv2/openapiv2.proto), which kube-apiserver serves on /openapi/v2 for
// `Accept: application/com.github.proto-openapi.spec.v2.v1.0+protobuf` and which kubectl 1.27
// and 1.28 read before `apply` (strategic merge patch metadata, client-side validation) and
// `explain` (always fetched; rendered from it with --output plaintext-openapiv2).
//
// The conversion follows gnostic's JSON -> Document mapping for every key our documents carry:
// "$ref" -> _ref, "type" -> TypeItem, "items" -> ItemsItem, "additionalProperties" ->
// AdditionalPropertiesItem, non-body parameters by their "in", responses keyed by code, and
// every "x-..." key as a NamedAny vendor extension whose value is the JSON value as YAML text
// (JSON is YAML; clients yaml.Unmarshal it). Keys outside Swagger 2.0 are dropped, as gnostic
// rejects them. Pure function of its input; thread-safe.
#pragma once

#include <boost/json/object.hpp>

#include "openapiv2.pb.h"

namespace kubepp::apiserver {

// The Document for the Swagger 2.0 document `swagger` (the parsed JSON of /openapi/v2).
::openapi::v2::Document SwaggerToProto(const boost::json::object& swagger);

}  // namespace kubepp::apiserver
