// Kubernetes protobuf codec (Content-Type: application/vnd.kubernetes.protobuf) for the API
// types, derived like the JSON codec (api/codec.h) from their one declaration: Boost.Describe
// plus the generated per-struct kProtoNumbers (upstream generated.proto field numbers) and
// kProtoKinds (how a string member travels). No per-field protobuf code exists anywhere.
//
// Wire format (upstream k8s.io/apimachinery/pkg/runtime/serializer/protobuf):
//   body = "k8s\0" + runtime.Unknown{1: typeMeta{1: apiVersion, 2: kind}, 2: raw,
//                                    3: contentEncoding, 4: contentType}
//   raw  = the object as its proto2 message (without apiVersion/kind: those are in typeMeta).
// Mapping to our C++ (JSON-shaped) values:
//   metav1.Time {1: seconds, 2: nanos}  <-> "2024-01-02T03:04:05Z" (an empty message or the Go
//       zero time <-> ""); metav1.MicroTime the same with 6 fraction digits;
//   bytes <-> base64 text (as in JSON); resource.Quantity {1: string} <-> Quantity text;
//   intstr.IntOrString {1: type (0 int, 1 string), 2: intVal, 3: strVal};
//   runtime.RawExtension / metav1.FieldsV1 {1: raw JSON bytes} <-> boost::json::value;
//   map<string, V> <-> repeated entry {1: key, 2: value}; repeated scalars unpacked (packed is
//   accepted too); a Go-embedded struct (Probe's ProbeHandler, Volume's VolumeSource, ...) is a
//   nested message whose fields JSON (and our structs) inline.
//
// Decoding follows proto2: unknown field numbers are skipped, a repeated field appends, a later
// scalar wins, a repeated message merges. Malformed input (truncated varint or fixed value, a
// length past the end, a wire type that does not fit the field, groups, field number 0, nesting
// deeper than kProtobufMaxDepth, bad time or JSON payloads) is Status::BadRequest naming the
// field path ("spec.template.spec.containers.image: ..."); never a crash.
//
// Thread-safe: pure functions (the per-type member tables are built once, thread-safely).
#pragma once

#include <boost/json/value.hpp>
#include <string>
#include <string_view>

#include "api/types.h"
#include "base/status.h"

namespace kubepp::api {

// The 4 bytes that start every Kubernetes protobuf body.
inline constexpr std::string_view kProtobufMagic{"k8s\0", 4};
// The media type of Kubernetes protobuf bodies.
inline constexpr std::string_view kProtobufContentType = "application/vnd.kubernetes.protobuf";
// Deepest message nesting accepted while decoding (deeper input is a BadRequest).
inline constexpr int kProtobufMaxDepth = 100;

// A protobuf body's runtime.Unknown envelope.
struct ProtobufEnvelope {
  std::string api_version;  // typeMeta.apiVersion, e.g. "apps/v1"
  std::string kind;         // typeMeta.kind, e.g. "Deployment"
  std::string raw;          // the object's own protobuf message
};

// Checks the magic and parses the envelope. BadRequest when the magic is missing, the envelope
// is malformed, or contentEncoding is set (upstream never sets it; we do not decompress).
Result<ProtobufEnvelope> ParseProtobufEnvelope(std::string_view body);

// The body for an object whose message is `raw`: magic + runtime.Unknown.
std::string MakeProtobufEnvelope(std::string_view api_version, std::string_view kind,
                                 std::string_view raw);

// Decodes the message `bytes` (no envelope) into `out`, merging into what `out` holds (pass a
// default-constructed T for a plain decode). apiVersion/kind members are left untouched: they
// travel in the envelope. BadRequest on malformed input (see above).
template <typename T>
::kubepp::Status FromProtobuf(std::string_view bytes, T& out);

// Encodes `v` as its message (no envelope). apiVersion/kind are not written; empty strings,
// absent optionals and empty containers are omitted. Time strings that do not parse as RFC 3339
// and bytes that are not base64 are written as nothing and as their text respectively (the
// values of validated objects always do).
template <typename T>
std::string ToProtobuf(const T& v);

// Decodes a whole body (envelope + message) as a T: the envelope's apiVersion/kind, when set,
// must be T's (BadRequest with upstream's wording otherwise) and are stored in out's
// apiVersion/kind members (T's own when the envelope leaves them empty).
template <typename T>
::kubepp::Status FromProtobufBody(std::string_view body, T& out);

// The body for `v`, with T's apiVersion and kind in the envelope.
template <typename T>
std::string ToProtobufBody(const T& v);

// Decodes a body whose envelope names any kind of api::KindTypes and returns the object's JSON
// form (as api::ToJson gives, with apiVersion and kind set): what the API server does with a
// protobuf write before handling it like a JSON one. BadRequest when malformed; NotFound-free:
// an unknown group/version/kind is a BadRequest too ("no kind X is registered for version Y").
Result<boost::json::value> ProtobufBodyToJson(std::string_view body);

}  // namespace kubepp::api

#include "api/protobuf_inl.h"
