#include "api/codec.h"

#include <array>
#include <boost/json/parse.hpp>
#include <charconv>

#include "api/quantity.h"

namespace kubepp::api {

std::string DecodeContext::PathString() const {
  std::string out;
  for (const auto& seg : path) {
    if (!out.empty() && seg.front() != '[') out += '.';
    out += seg;
  }
  return out;
}

namespace codec_internal {
std::string_view JsonKindName(const json::value& v) {
  switch (v.kind()) {
    case json::kind::string:
      return "string";
    case json::kind::bool_:
      return "bool";
    case json::kind::array:
      return "array";
    case json::kind::object:
      return "object";
    case json::kind::null:
      return "null";
    default:
      return "number";
  }
}

namespace {

// Go's strings.TrimSpace: Unicode White_Space at both ends (UTF-8).
std::string_view TrimSpace(std::string_view s) {
  auto plain = [](char c) { return c > ' ' && static_cast<unsigned char>(c) < 0x80; };
  if (!s.empty() && plain(s.front()) && plain(s.back())) return s;  // the usual case
  static constexpr std::array<std::string_view, 25> kSpaces = {
      " ",      "\t",     "\n",     "\v",     "\f",     "\r",     "\u0085", "\u00a0", "\u1680",
      "\u2000", "\u2001", "\u2002", "\u2003", "\u2004", "\u2005", "\u2006", "\u2007", "\u2008",
      "\u2009", "\u200a", "\u2028", "\u2029", "\u202f", "\u205f", "\u3000"};
  for (bool trimmed = true; trimmed && !s.empty();) {
    trimmed = false;
    for (std::string_view sp : kSpaces) {
      if (s.starts_with(sp)) {
        s.remove_prefix(sp.size());
        trimmed = true;
      }
      if (s.ends_with(sp)) {
        s.remove_suffix(sp.size());
        trimmed = true;
      }
    }
  }
  return s;
}

}  // namespace

void DecodeQuantity(const json::value& v, Quantity& out, DecodeContext& ctx) {
  // Upstream hands the raw JSON text to ParseQuantity: a string without its quotes, or the
  // number as written. Boost.JSON keeps integers exactly; a number with a fraction or an
  // exponent arrives as a double and is written back in its shortest round-trip form (so "1e3"
  // reads as "1000": the same value, printed "1k" instead of upstream's "1e3").
  std::array<char, 32> buf{};
  std::string_view text;
  if (v.is_string()) {
    text = TrimSpace(std::string_view(v.get_string().data(), v.get_string().size()));
  } else if (v.is_int64()) {
    auto r = std::to_chars(buf.data(), buf.data() + buf.size(), v.get_int64());
    text = std::string_view(buf.data(), static_cast<size_t>(r.ptr - buf.data()));
  } else if (v.is_uint64()) {
    auto r = std::to_chars(buf.data(), buf.data() + buf.size(), v.get_uint64());
    text = std::string_view(buf.data(), static_cast<size_t>(r.ptr - buf.data()));
  } else if (v.is_double()) {
    auto r = std::to_chars(buf.data(), buf.data() + buf.size(), v.get_double());
    text = std::string_view(buf.data(), static_cast<size_t>(r.ptr - buf.data()));
  } else {
    return TypeError<Quantity>(v, ctx);
  }
  auto serialized = SerializedQuantityText(text);
  if (!serialized.IsOk()) {
    ctx.error = ::kubepp::Status::BadRequest(serialized.status().Message());
    return;
  }
  out.text = std::move(*serialized);
}

void EncodeQuantity(const Quantity& q, json::value& out) {
  auto serialized = SerializedQuantityText(q.text);
  if (serialized.IsOk()) {
    out = json::string_view(serialized->data(), serialized->size());
  } else {
    out = json::string_view(q.text.data(), q.text.size());
  }
}

}  // namespace codec_internal

Result<boost::json::value> ParseJsonText(std::string_view text) {
  boost::system::error_code ec;
  boost::json::parse_options opts;
  opts.max_depth = 256;
  auto v = boost::json::parse(boost::json::string_view(text.data(), text.size()), ec, {}, opts);
  if (ec) return ::kubepp::Status::BadRequest("invalid JSON: " + ec.message());
  return v;
}

}  // namespace kubepp::api
