// JSON codec for the API types, derived from their one declaration (api/types.h, generated from
// api/schema/types.json) through Boost.Describe. No per-field JSON code exists anywhere.
//
// Decoding follows upstream's json decoding: fields are matched by exact (case-sensitive) name;
// null leaves the field at its zero value; unknown fields are skipped and reported (for
// fieldValidation=Warn/Strict) as JSON paths like "spec.containers[0].bogus"; a value of the
// wrong JSON type is a BadRequest with upstream's wording
//   json: cannot unmarshal string into Go struct field PodSpec.spec.containers of type
//   []v1.Container
// Encoding omits empty optional fields (Go's omitempty) and always writes required fields and
// value structs (metadata, spec, status, ...).
//
// Thread-safe: pure functions.
#pragma once

#include <boost/json/value.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace kubepp::api {

// Where decoding is, and what it found along the way.
struct DecodeContext {
  std::vector<std::string> path;     // JSON path segments to the current value
  std::vector<std::string> unknown;  // unknown fields seen, as dotted paths
  std::string owner_type;            // the Go-style struct name holding the current field
  ::kubepp::Status error;            // the first type error (decoding stops there)

  std::string PathString() const;
};

template <typename T>
void DecodeValue(const boost::json::value& v, T& out, DecodeContext& ctx);
template <typename T>
void EncodeValue(const T& v, boost::json::value& out);

// Decodes `v` into `out`. `unknown`, when given, receives the unknown fields' paths.
template <typename T>
::kubepp::Status FromJson(const boost::json::value& v, T& out,
                          std::vector<std::string>* unknown = nullptr);

template <typename T>
boost::json::value ToJson(const T& v);

template <typename T>
std::string ToJsonString(const T& v);

// Parses text as JSON (BadRequest with the parser's message on malformed input).
Result<boost::json::value> ParseJsonText(std::string_view text);

}  // namespace kubepp::api

#include "api/codec_inl.h"
