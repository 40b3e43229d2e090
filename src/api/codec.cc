#include "api/codec.h"

#include <boost/json/parse.hpp>

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
