// Template definitions for codec.h.
#pragma once

#include <boost/describe/members.hpp>
#include <boost/json/serialize.hpp>
#include <boost/mp11/algorithm.hpp>
#include <charconv>
#include <cmath>
#include <limits>
#include <map>
#include <optional>
#include <string_view>
#include <type_traits>
#include <unordered_map>

#include "api/scalars.h"

namespace kubepp::api {
namespace codec_internal {

namespace json = boost::json;

template <typename T>
struct IsOptional : std::false_type {};
template <typename T>
struct IsOptional<std::optional<T>> : std::true_type {};
template <typename T>
struct IsVector : std::false_type {};
template <typename T>
struct IsVector<std::vector<T>> : std::true_type {};
template <typename T>
struct IsMap : std::false_type {};
template <typename T>
struct IsMap<std::map<std::string, T>> : std::true_type {};

template <typename T>
constexpr bool kDescribed = boost::describe::has_describe_members<T>::value;

// The JSON name of a member: the C++ name without the keyword-avoiding trailing underscore.
constexpr std::string_view JsonName(std::string_view member) {
  if (!member.empty() && member.back() == '_') member.remove_suffix(1);
  return member;
}

std::string_view JsonKindName(const json::value& v);

// Go's name for a type, for error messages ("string", "[]v1.Container", "map[string]string").
template <typename T>
std::string GoTypeName() {
  if constexpr (std::is_same_v<T, std::string>) {
    return "string";
  } else if constexpr (std::is_same_v<T, bool>) {
    return "bool";
  } else if constexpr (std::is_same_v<T, int32_t>) {
    return "int32";
  } else if constexpr (std::is_same_v<T, int64_t>) {
    return "int64";
  } else if constexpr (std::is_same_v<T, double>) {
    return "float64";
  } else if constexpr (std::is_same_v<T, Quantity>) {
    return "resource.Quantity";
  } else if constexpr (std::is_same_v<T, IntOrString>) {
    return "intstr.IntOrString";
  } else if constexpr (IsOptional<T>::value) {
    return "*" + GoTypeName<typename T::value_type>();
  } else if constexpr (IsVector<T>::value) {
    return "[]" + GoTypeName<typename T::value_type>();
  } else if constexpr (IsMap<T>::value) {
    return "map[string]" + GoTypeName<typename T::mapped_type>();
  } else if constexpr (kDescribed<T>) {
    std::string_view n = T::kOpenApiName;
    auto dot = n.rfind('.');
    auto pkg = n.substr(0, dot);
    auto ver = pkg.substr(pkg.rfind('.') + 1);
    return std::string(ver) + "." + std::string(n.substr(dot + 1));
  } else {
    return "interface {}";
  }
}

// A quantity from a JSON string (spaces trimmed, as upstream) or number, stored as the text
// upstream serializes (api/quantity.h); a text that is not a quantity is a BadRequest with
// upstream's message.
void DecodeQuantity(const json::value& v, Quantity& out, DecodeContext& ctx);
// The quantity's serialized text (canonicalized when it parses; kept as is otherwise).
void EncodeQuantity(const Quantity& q, json::value& out);

template <typename T>
std::string StructName() {
  std::string_view n = T::kOpenApiName;
  return std::string(n.substr(n.rfind('.') + 1));
}

template <typename T>
void TypeError(const json::value& v, DecodeContext& ctx) {
  if (!ctx.error.IsOk()) return;
  ctx.error = ::kubepp::Status::BadRequest(
      "json: cannot unmarshal " + std::string(JsonKindName(v)) + " into Go struct field " +
      ctx.owner_type + "." + ctx.PathString() + " of type " + GoTypeName<T>());
}

template <typename Int>
void DecodeInt(const json::value& v, Int& out, DecodeContext& ctx) {
  if (v.is_int64()) {
    int64_t x = v.get_int64();
    if (x < std::numeric_limits<Int>::min() || x > std::numeric_limits<Int>::max()) {
      return TypeError<Int>(v, ctx);
    }
    out = static_cast<Int>(x);
  } else if (v.is_uint64()) {
    uint64_t x = v.get_uint64();
    if (x > static_cast<uint64_t>(std::numeric_limits<Int>::max())) return TypeError<Int>(v, ctx);
    out = static_cast<Int>(x);
  } else if (v.is_double()) {
    // Go accepts 3.0 for an int field only when it is integral.
    double d = v.get_double();
    if (std::trunc(d) != d || d < static_cast<double>(std::numeric_limits<Int>::min()) ||
        d > static_cast<double>(std::numeric_limits<Int>::max())) {
      return TypeError<Int>(v, ctx);
    }
    out = static_cast<Int>(d);
  } else {
    TypeError<Int>(v, ctx);
  }
}

// Per-type table: JSON field name -> decoder of that member.
template <typename T>
using MemberDecoder = void (*)(const json::value&, T&, DecodeContext&);

template <typename T>
const std::unordered_map<std::string_view, MemberDecoder<T>>& DecoderTable() {
  static const auto* table = [] {
    auto* t = new std::unordered_map<std::string_view, MemberDecoder<T>>();
    boost::mp11::mp_for_each<boost::describe::describe_members<T, boost::describe::mod_public>>(
        [t](auto d) {
          using D = decltype(d);
          (*t)[JsonName(D::name)] = [](const json::value& v, T& obj, DecodeContext& ctx) {
            DecodeValue(v, obj.*D::pointer, ctx);
          };
        });
    return t;
  }();
  return *table;
}

template <typename T>
bool IsEmpty(const T& v) {
  if constexpr (std::is_same_v<T, std::string>) {
    return v.empty();
  } else if constexpr (IsOptional<T>::value) {
    return !v.has_value();
  } else if constexpr (IsVector<T>::value || IsMap<T>::value) {
    return v.empty();
  } else if constexpr (std::is_same_v<T, json::value>) {
    return v.is_null();
  } else if constexpr (std::is_same_v<T, Quantity>) {
    return v.text.empty();
  } else {
    return false;
  }
}

}  // namespace codec_internal

template <typename T>
void DecodeValue(const boost::json::value& v, T& out, DecodeContext& ctx) {
  namespace ci = codec_internal;
  if (!ctx.error.IsOk()) return;
  if (v.is_null()) {
    out = T{};  // Go: null leaves the zero value
    return;
  }
  if constexpr (std::is_same_v<T, std::string>) {
    if (!v.is_string()) return ci::TypeError<T>(v, ctx);
    out.assign(v.get_string().data(), v.get_string().size());
  } else if constexpr (std::is_same_v<T, bool>) {
    if (!v.is_bool()) return ci::TypeError<T>(v, ctx);
    out = v.get_bool();
  } else if constexpr (std::is_same_v<T, int32_t> || std::is_same_v<T, int64_t>) {
    ci::DecodeInt(v, out, ctx);
  } else if constexpr (std::is_same_v<T, double>) {
    if (!v.is_number()) return ci::TypeError<T>(v, ctx);
    out = v.to_number<double>();
  } else if constexpr (std::is_same_v<T, boost::json::value>) {
    out = v;
  } else if constexpr (std::is_same_v<T, Quantity>) {
    ci::DecodeQuantity(v, out, ctx);
  } else if constexpr (std::is_same_v<T, IntOrString>) {
    if (v.is_string()) {
      out = IntOrString::FromString(std::string(v.get_string()));
    } else if (v.is_number()) {
      int32_t x = 0;
      ci::DecodeInt(v, x, ctx);
      out = IntOrString::FromInt(x);
    } else {
      ci::TypeError<T>(v, ctx);
    }
  } else if constexpr (ci::IsOptional<T>::value) {
    out.emplace();
    DecodeValue(v, *out, ctx);
  } else if constexpr (ci::IsVector<T>::value) {
    if (!v.is_array()) return ci::TypeError<T>(v, ctx);
    const auto& arr = v.get_array();
    out.clear();
    out.resize(arr.size());
    for (size_t i = 0; i < arr.size() && ctx.error.IsOk(); ++i) {
      ctx.path.push_back("[" + std::to_string(i) + "]");
      DecodeValue(arr[i], out[i], ctx);
      ctx.path.pop_back();
    }
  } else if constexpr (ci::IsMap<T>::value) {
    if (!v.is_object()) return ci::TypeError<T>(v, ctx);
    out.clear();
    for (const auto& kv : v.get_object()) {
      if (!ctx.error.IsOk()) break;
      ctx.path.push_back("[" + std::string(kv.key()) + "]");
      DecodeValue(kv.value(), out[std::string(kv.key())], ctx);
      ctx.path.pop_back();
    }
  } else if constexpr (ci::kDescribed<T>) {
    if (!v.is_object()) return ci::TypeError<T>(v, ctx);
    const auto& table = ci::DecoderTable<T>();
    std::string saved_owner = std::move(ctx.owner_type);
    for (const auto& kv : v.get_object()) {
      if (!ctx.error.IsOk()) break;
      std::string_view key(kv.key().data(), kv.key().size());
      auto it = table.find(key);
      ctx.path.emplace_back(key);
      if (it == table.end()) {
        ctx.unknown.push_back(ctx.PathString());
      } else {
        ctx.owner_type = ci::StructName<T>();
        it->second(kv.value(), out, ctx);
      }
      ctx.path.pop_back();
    }
    ctx.owner_type = std::move(saved_owner);
  } else {
    static_assert(sizeof(T) == 0, "no JSON decoding for this type");
  }
}

template <typename T>
void EncodeValue(const T& v, boost::json::value& out) {
  namespace ci = codec_internal;
  if constexpr (std::is_same_v<T, std::string>) {
    out = boost::json::string_view(v.data(), v.size());
  } else if constexpr (std::is_same_v<T, bool> || std::is_same_v<T, int32_t> ||
                       std::is_same_v<T, int64_t> || std::is_same_v<T, double>) {
    out = v;
  } else if constexpr (std::is_same_v<T, boost::json::value>) {
    out = v;
  } else if constexpr (std::is_same_v<T, Quantity>) {
    ci::EncodeQuantity(v, out);
  } else if constexpr (std::is_same_v<T, IntOrString>) {
    if (v.is_string) {
      out = boost::json::string_view(v.str_value.data(), v.str_value.size());
    } else {
      out = v.int_value;
    }
  } else if constexpr (ci::IsOptional<T>::value) {
    if (v.has_value()) {
      EncodeValue(*v, out);
    } else {
      out = nullptr;
    }
  } else if constexpr (ci::IsVector<T>::value) {
    auto& arr = out.emplace_array();
    arr.reserve(v.size());
    for (const auto& item : v) {
      boost::json::value elem;
      EncodeValue(item, elem);
      arr.push_back(std::move(elem));
    }
  } else if constexpr (ci::IsMap<T>::value) {
    auto& obj = out.emplace_object();
    obj.reserve(v.size());
    for (const auto& [key, item] : v) {
      boost::json::value elem;
      EncodeValue(item, elem);
      obj.emplace(key, std::move(elem));
    }
  } else if constexpr (ci::kDescribed<T>) {
    auto& obj = out.emplace_object();
    int index = 0;
    boost::mp11::mp_for_each<boost::describe::describe_members<T, boost::describe::mod_public>>(
        [&](auto d) {
          using D = decltype(d);
          const auto& member = v.*D::pointer;
          bool always = ((T::kAlwaysEmit >> index) & 1U) != 0;
          ++index;
          if (!always && ci::IsEmpty(member)) return;
          boost::json::value elem;
          EncodeValue(member, elem);
          obj.emplace(ci::JsonName(D::name), std::move(elem));
        });
  } else {
    static_assert(sizeof(T) == 0, "no JSON encoding for this type");
  }
}

template <typename T>
::kubepp::Status FromJson(const boost::json::value& v, T& out, std::vector<std::string>* unknown) {
  DecodeContext ctx;
  DecodeValue(v, out, ctx);
  if (unknown != nullptr) *unknown = std::move(ctx.unknown);
  return ctx.error;
}

template <typename T>
boost::json::value ToJson(const T& v) {
  boost::json::value out;
  EncodeValue(v, out);
  return out;
}

template <typename T>
std::string ToJsonString(const T& v) {
  return boost::json::serialize(ToJson(v));
}

}  // namespace kubepp::api
