// Template definitions for protobuf.h.
#pragma once

#include <boost/describe/members.hpp>
#include <boost/json/serialize.hpp>
#include <boost/mp11/algorithm.hpp>
#include <cstdint>
#include <cstring>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "api/codec.h"
#include "api/scalars.h"

namespace kubepp::api {
namespace protobuf_internal {

// Protobuf wire types (groups, 3 and 4, are refused).
enum WireType : int { kVarint = 0, kFixed64 = 1, kLen = 2, kFixed32 = 5 };

// One field occurrence as read off the wire.
struct WireValue {
  int wire = kVarint;      // its wire type
  uint64_t number = 0;     // the value, for kVarint, kFixed64 and kFixed32
  std::string_view bytes;  // the payload, for kLen
};

// Reads a message's fields in order. Every read checks bounds; errors are BadRequest.
class Reader {
 public:
  explicit Reader(std::string_view data) : data_(data) {}
  bool AtEnd() const { return pos_ >= data_.size(); }
  // Reads the next field's number and value.
  ::kubepp::Status Next(int& field, WireValue& value);
  // Reads a varint (at most 10 bytes).
  ::kubepp::Status ReadVarint(uint64_t& v);

 private:
  std::string_view data_;  // the message
  size_t pos_ = 0;         // the next byte to read
};

// Appends the wire forms.
void PutVarint(uint64_t v, std::string& out);
void PutTag(int field, int wire, std::string& out);
void PutLen(int field, std::string_view bytes, std::string& out);

// metav1.Time / MicroTime payloads <-> our RFC 3339 strings.
::kubepp::Status DecodeTimestamp(std::string_view payload, bool micro, std::string& out);
// Empty string for "" (the zero time); nullopt for text that is not RFC 3339.
std::optional<std::string> EncodeTimestamp(const std::string& text);
std::string Base64Encode(std::string_view raw);
std::optional<std::string> Base64Decode(std::string_view text);
// RawExtension / FieldsV1 {1: raw JSON} -> value (null for no raw bytes).
::kubepp::Status DecodeRawJson(std::string_view payload, boost::json::value& out);

::kubepp::Status WrongWire(int wire, std::string_view expected);
// "name: message" (or "name.rest: ..." when the message already names a path).
::kubepp::Status WithPath(std::string_view name, const ::kubepp::Status& s);
::kubepp::Status TooDeep();

// The JSON codec's type traits (one definition for both codecs).
using codec_internal::IsMap;
using codec_internal::IsOptional;
using codec_internal::IsVector;
using codec_internal::kDescribed;

template <typename T>
constexpr bool kPackable = std::is_same_v<T, int32_t> || std::is_same_v<T, int64_t> ||
                           std::is_same_v<T, bool> || std::is_same_v<T, double>;

// Member i's wire number and string kind (a type without members has no arrays).
template <typename T>
constexpr int ProtoNumberAt(size_t i) {
  if constexpr (requires { T::kProtoNumbers; }) {
    return T::kProtoNumbers[i];
  } else {
    return 0;
  }
}
template <typename T>
constexpr char ProtoKindAt(size_t i) {
  if constexpr (requires { T::kProtoKinds; }) {
    return T::kProtoKinds[i];
  } else {
    return 's';
  }
}

template <typename T>
::kubepp::Status DecodeMessage(std::string_view bytes, T& out, int depth, int embed_outer = 0);
template <typename T>
void EncodeMessage(const T& v, std::string& out);

// Decodes one occurrence `w` of a field holding a T (strings carried as `kind`).
template <typename T>
::kubepp::Status DecodeField(const WireValue& w, char kind, T& out, int depth) {
  using ::kubepp::Status;
  if constexpr (std::is_same_v<T, std::string>) {
    if (w.wire != kLen) return WrongWire(w.wire, "length-delimited");
    switch (kind) {
      case 'b':
        out = Base64Encode(w.bytes);
        return Status::Ok();
      case 't':
      case 'm':
        return DecodeTimestamp(w.bytes, kind == 'm', out);
      default:
        out.assign(w.bytes.data(), w.bytes.size());
        return Status::Ok();
    }
  } else if constexpr (std::is_same_v<T, int32_t> || std::is_same_v<T, int64_t>) {
    if (w.wire != kVarint) return WrongWire(w.wire, "varint");
    out = static_cast<T>(w.number);  // proto: an int32 is the low 32 bits of the varint
    return Status::Ok();
  } else if constexpr (std::is_same_v<T, bool>) {
    if (w.wire != kVarint) return WrongWire(w.wire, "varint");
    out = w.number != 0;
    return Status::Ok();
  } else if constexpr (std::is_same_v<T, double>) {
    if (w.wire != kFixed64) return WrongWire(w.wire, "64-bit");
    uint64_t bits = w.number;
    std::memcpy(&out, &bits, sizeof out);
    return Status::Ok();
  } else if constexpr (std::is_same_v<T, boost::json::value>) {
    if (w.wire != kLen) return WrongWire(w.wire, "length-delimited");
    return DecodeRawJson(w.bytes, out);
  } else if constexpr (std::is_same_v<T, Quantity>) {
    if (w.wire != kLen) return WrongWire(w.wire, "length-delimited");
    if (depth >= kProtobufMaxDepth) return TooDeep();
    Reader r(w.bytes);
    while (!r.AtEnd()) {
      int field = 0;
      WireValue v;
      if (Status s = r.Next(field, v); !s.IsOk()) return s;
      if (field == 1) {
        if (Status s = DecodeField(v, 's', out.text, depth + 1); !s.IsOk()) return s;
      }
    }
    return Status::Ok();
  } else if constexpr (std::is_same_v<T, IntOrString>) {
    if (w.wire != kLen) return WrongWire(w.wire, "length-delimited");
    if (depth >= kProtobufMaxDepth) return TooDeep();
    Reader r(w.bytes);
    while (!r.AtEnd()) {
      int field = 0;
      WireValue v;
      if (Status s = r.Next(field, v); !s.IsOk()) return s;
      Status s = Status::Ok();
      if (field == 1) {
        int64_t type = 0;
        s = DecodeField(v, 's', type, depth + 1);
        out.is_string = type == 1;
      } else if (field == 2) {
        s = DecodeField(v, 's', out.int_value, depth + 1);
      } else if (field == 3) {
        s = DecodeField(v, 's', out.str_value, depth + 1);
      }
      if (!s.IsOk()) return s;
    }
    return Status::Ok();
  } else if constexpr (IsOptional<T>::value) {
    if (!out.has_value()) out.emplace();
    return DecodeField(w, kind, *out, depth);
  } else if constexpr (IsVector<T>::value) {
    using E = typename T::value_type;
    if constexpr (kPackable<E>) {
      if (w.wire == kLen) {  // packed
        if constexpr (std::is_same_v<E, double>) {
          if (w.bytes.size() % sizeof(double) != 0) {
            return Status::BadRequest("protobuf: packed doubles of a length not a multiple of 8");
          }
          for (size_t i = 0; i < w.bytes.size(); i += sizeof(double)) {
            double d = 0;
            std::memcpy(&d, w.bytes.data() + i, sizeof d);
            out.push_back(d);
          }
        } else {
          Reader r(w.bytes);
          while (!r.AtEnd()) {
            WireValue item;
            item.wire = kVarint;
            if (Status s = r.ReadVarint(item.number); !s.IsOk()) return s;
            if (Status s = DecodeField(item, kind, out.emplace_back(), depth); !s.IsOk()) {
              return s;
            }
          }
        }
        return Status::Ok();
      }
    }
    return DecodeField(w, kind, out.emplace_back(), depth);
  } else if constexpr (IsMap<T>::value) {
    if (w.wire != kLen) return WrongWire(w.wire, "length-delimited");
    if (depth >= kProtobufMaxDepth) return TooDeep();
    std::string key;
    typename T::mapped_type value{};
    Reader r(w.bytes);
    while (!r.AtEnd()) {
      int field = 0;
      WireValue v;
      if (Status s = r.Next(field, v); !s.IsOk()) return s;
      Status s = Status::Ok();
      if (field == 1) {
        s = DecodeField(v, 's', key, depth + 1);
      } else if (field == 2) {
        s = DecodeField(v, kind, value, depth + 1);
      }
      if (!s.IsOk()) return WithPath(field == 1 ? "key" : "value", s);
    }
    out.insert_or_assign(std::move(key), std::move(value));
    return Status::Ok();
  } else if constexpr (kDescribed<T>) {
    if (w.wire != kLen) return WrongWire(w.wire, "length-delimited");
    return DecodeMessage(w.bytes, out, depth + 1);
  } else {
    static_assert(sizeof(T) == 0, "no protobuf decoding for this type");
  }
}

// Appends field `field` holding `v` (always, even when empty: element and map-entry values).
template <typename T>
void EncodeField(int field, char kind, const T& v, std::string& out) {
  if constexpr (std::is_same_v<T, std::string>) {
    switch (kind) {
      case 'b': {
        auto raw = Base64Decode(v);
        PutLen(field, raw.has_value() ? std::string_view(*raw) : std::string_view(v), out);
        return;
      }
      case 't':
      case 'm': {
        auto ts = EncodeTimestamp(v);
        if (ts.has_value()) PutLen(field, *ts, out);
        return;
      }
      default:
        PutLen(field, v, out);
        return;
    }
  } else if constexpr (std::is_same_v<T, int32_t> || std::is_same_v<T, int64_t>) {
    PutTag(field, kVarint, out);
    PutVarint(static_cast<uint64_t>(static_cast<int64_t>(v)), out);  // negatives: 10 bytes
  } else if constexpr (std::is_same_v<T, bool>) {
    PutTag(field, kVarint, out);
    PutVarint(v ? 1 : 0, out);
  } else if constexpr (std::is_same_v<T, double>) {
    PutTag(field, kFixed64, out);
    char bytes[8];
    std::memcpy(bytes, &v, sizeof bytes);
    out.append(bytes, sizeof bytes);
  } else if constexpr (std::is_same_v<T, boost::json::value>) {
    std::string inner;
    if (!v.is_null()) PutLen(1, boost::json::serialize(v), inner);
    PutLen(field, inner, out);
  } else if constexpr (std::is_same_v<T, Quantity>) {
    std::string inner;
    PutLen(1, v.text, inner);
    PutLen(field, inner, out);
  } else if constexpr (std::is_same_v<T, IntOrString>) {
    std::string inner;
    EncodeField(1, 's', int64_t{v.is_string ? 1 : 0}, inner);
    EncodeField(2, 's', v.int_value, inner);
    EncodeField(3, 's', v.str_value, inner);
    PutLen(field, inner, out);
  } else if constexpr (IsOptional<T>::value) {
    if (v.has_value()) EncodeField(field, kind, *v, out);
  } else if constexpr (IsVector<T>::value) {
    for (const auto& item : v) EncodeField(field, kind, item, out);
  } else if constexpr (IsMap<T>::value) {
    for (const auto& [key, item] : v) {
      std::string entry;
      EncodeField(1, 's', key, entry);
      EncodeField(2, kind, item, entry);
      PutLen(field, entry, out);
    }
  } else if constexpr (kDescribed<T>) {
    std::string inner;
    EncodeMessage(v, inner);
    PutLen(field, inner, out);
  } else {
    static_assert(sizeof(T) == 0, "no protobuf encoding for this type");
  }
}

// Whether a member holds nothing worth writing (Go writes value structs and plain numbers).
template <typename T>
bool IsEmptyMember(const T& v) {
  if constexpr (std::is_same_v<T, std::string>) {
    return v.empty();
  } else if constexpr (IsOptional<T>::value) {
    return !v.has_value();
  } else if constexpr (IsVector<T>::value || IsMap<T>::value) {
    return v.empty();
  } else if constexpr (std::is_same_v<T, boost::json::value>) {
    return v.is_null();
  } else {
    return false;
  }
}

// One member of T: where it travels and how to decode one occurrence of it.
template <typename T>
struct MemberCodec {
  int number = 0;         // kProtoNumbers[i]: N, (outer << 16) | inner, or 0 (not on the wire)
  char kind = 's';        // kProtoKinds[i]
  std::string_view name;  // the JSON name, for error paths
  ::kubepp::Status (*decode)(const WireValue&, char, T&, int) = nullptr;  // decodes into T
};

// T's members, in declaration order (built once).
template <typename T>
const std::vector<MemberCodec<T>>& Members() {
  static const auto* table = [] {
    auto* t = new std::vector<MemberCodec<T>>();
    size_t index = 0;
    boost::mp11::mp_for_each<boost::describe::describe_members<T, boost::describe::mod_public>>(
        [&](auto d) {
          using D = decltype(d);
          MemberCodec<T> m;
          m.number = ProtoNumberAt<T>(index);
          m.kind = ProtoKindAt<T>(index);
          m.name = codec_internal::JsonName(D::name);
          m.decode = [](const WireValue& w, char kind, T& obj, int depth) {
            return DecodeField(w, kind, obj.*D::pointer, depth);
          };
          t->push_back(m);
          ++index;
        });
    return t;
  }();
  return *table;
}

template <typename T>
::kubepp::Status DecodeMessage(std::string_view bytes, T& out, int depth, int embed_outer) {
  using ::kubepp::Status;
  if (depth > kProtobufMaxDepth) return TooDeep();
  const auto& members = Members<T>();
  Reader r(bytes);
  while (!r.AtEnd()) {
    int field = 0;
    WireValue w;
    if (Status s = r.Next(field, w); !s.IsOk()) return s;
    int key = embed_outer == 0 ? field : (embed_outer << 16) | field;
    bool handled = false;
    for (const auto& m : members) {
      if (m.number != key) continue;
      if (Status s = m.decode(w, m.kind, out, depth); !s.IsOk()) return WithPath(m.name, s);
      handled = true;
      break;
    }
    if (handled || embed_outer != 0) continue;
    for (const auto& m : members) {
      // A Go-embedded struct: its fields are ours.
      if ((m.number >> 16) != field) continue;
      if (w.wire != kLen) return WrongWire(w.wire, "length-delimited");
      if (Status s = DecodeMessage(w.bytes, out, depth + 1, field); !s.IsOk()) return s;
      break;
    }
    // Otherwise an unknown field: skipped.
  }
  return Status::Ok();
}

template <typename T>
void EncodeMessage(const T& v, std::string& out) {
  std::vector<int> embedded;  // outer numbers of Go-embedded structs, in first-seen order
  size_t index = 0;
  boost::mp11::mp_for_each<boost::describe::describe_members<T, boost::describe::mod_public>>(
      [&](auto d) {
        using D = decltype(d);
        int number = ProtoNumberAt<T>(index);
        char kind = ProtoKindAt<T>(index);
        ++index;
        if (number == 0) return;
        if (number >= (1 << 16)) {
          int outer = number >> 16;
          bool seen = false;
          for (int e : embedded) seen = seen || e == outer;
          if (!seen) embedded.push_back(outer);
          return;
        }
        const auto& member = v.*D::pointer;
        if (IsEmptyMember(member)) return;
        EncodeField(number, kind, member, out);
      });
  for (int outer : embedded) {
    std::string inner;
    index = 0;
    boost::mp11::mp_for_each<boost::describe::describe_members<T, boost::describe::mod_public>>(
        [&](auto d) {
          using D = decltype(d);
          int number = ProtoNumberAt<T>(index);
          char kind = ProtoKindAt<T>(index);
          ++index;
          if ((number >> 16) != outer) return;
          const auto& member = v.*D::pointer;
          if (IsEmptyMember(member)) return;
          EncodeField(number & 0xffff, kind, member, inner);
        });
    if (!inner.empty()) PutLen(outer, inner, out);
  }
}

// T's apiVersion as written in objects ("v1", "apps/v1").
template <typename T>
std::string ApiVersionOf() {
  std::string group = T::kGroup;
  return group.empty() ? std::string(T::kVersion) : group + "/" + T::kVersion;
}

}  // namespace protobuf_internal

template <typename T>
::kubepp::Status FromProtobuf(std::string_view bytes, T& out) {
  return protobuf_internal::DecodeMessage(bytes, out, 0);
}

template <typename T>
std::string ToProtobuf(const T& v) {
  std::string out;
  protobuf_internal::EncodeMessage(v, out);
  return out;
}

template <typename T>
::kubepp::Status FromProtobufBody(std::string_view body, T& out) {
  auto envelope = ParseProtobufEnvelope(body);
  if (!envelope.IsOk()) return envelope.status();
  std::string want_version = protobuf_internal::ApiVersionOf<T>();
  if (!envelope->kind.empty() && envelope->kind != T::kKind) {
    return ::kubepp::Status::BadRequest(std::string(envelope->kind) + " in version \"" +
                                        T::kVersion + "\" cannot be handled as a " + T::kKind +
                                        ": kind mismatch");
  }
  if (!envelope->api_version.empty() && envelope->api_version != want_version) {
    return ::kubepp::Status::BadRequest("the API version in the data (" + envelope->api_version +
                                        ") does not match the expected API version (" +
                                        want_version + ")");
  }
  if (::kubepp::Status s = FromProtobuf(envelope->raw, out); !s.IsOk()) {
    return ::kubepp::Status::BadRequest(std::string(T::kKind) + " in version \"" + T::kVersion +
                                        "\" cannot be handled as a " + T::kKind + ": " +
                                        s.Message());
  }
  if constexpr (requires {
                  out.apiVersion;
                  out.kind;
                }) {
    out.apiVersion = std::move(want_version);
    out.kind = T::kKind;
  }
  return ::kubepp::Status::Ok();
}

template <typename T>
std::string ToProtobufBody(const T& v) {
  return MakeProtobufEnvelope(protobuf_internal::ApiVersionOf<T>(), T::kKind, ToProtobuf(v));
}

}  // namespace kubepp::api
