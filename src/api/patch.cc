#include "api/patch.h"

#include <boost/json.hpp>
#include <charconv>
#include <string>
#include <vector>

namespace kubepp::api {

namespace json = boost::json;

json::value ApplyMergePatch(const json::value& doc, const json::value& patch) {
  if (!patch.is_object()) return patch;
  json::value result = doc.is_object() ? doc : json::value(json::object());
  auto& obj = result.as_object();
  for (const auto& kv : patch.as_object()) {
    if (kv.value().is_null()) {
      obj.erase(kv.key());
    } else {
      auto it = obj.find(kv.key());
      const json::value& base = it == obj.end() ? json::value() : it->value();
      obj[kv.key()] = ApplyMergePatch(base, kv.value());
    }
  }
  return result;
}

namespace {

// Splits a JSON pointer ("/a/b~1c/0") into unescaped tokens.
Result<std::vector<std::string>> ParsePointer(std::string_view ptr) {
  std::vector<std::string> tokens;
  if (ptr.empty()) return tokens;
  if (ptr[0] != '/') return Status::BadRequest("invalid JSON pointer \"" + std::string(ptr) + "\"");
  size_t pos = 1;
  while (true) {
    size_t next = ptr.find('/', pos);
    std::string_view raw =
        ptr.substr(pos, next == std::string_view::npos ? std::string_view::npos : next - pos);
    std::string tok;
    for (size_t i = 0; i < raw.size(); ++i) {
      if (raw[i] == '~' && i + 1 < raw.size() && raw[i + 1] == '0') {
        tok += '~';
        ++i;
      } else if (raw[i] == '~' && i + 1 < raw.size() && raw[i + 1] == '1') {
        tok += '/';
        ++i;
      } else {
        tok += raw[i];
      }
    }
    tokens.push_back(std::move(tok));
    if (next == std::string_view::npos) break;
    pos = next + 1;
  }
  return tokens;
}

bool ParseIndex(const std::string& tok, size_t& out) {
  if (tok.empty() || (tok.size() > 1 && tok[0] == '0')) return false;
  auto [p, ec] = std::from_chars(tok.data(), tok.data() + tok.size(), out);
  return ec == std::errc() && p == tok.data() + tok.size();
}

// The container holding the last token of `tokens`, or nullptr.
json::value* Parent(json::value& doc, const std::vector<std::string>& tokens) {
  json::value* cur = &doc;
  for (size_t i = 0; i + 1 < tokens.size(); ++i) {
    if (cur->is_object()) {
      auto it = cur->as_object().find(tokens[i]);
      if (it == cur->as_object().end()) return nullptr;
      cur = &it->value();
    } else if (cur->is_array()) {
      size_t idx = 0;
      if (!ParseIndex(tokens[i], idx) || idx >= cur->as_array().size()) return nullptr;
      cur = &cur->as_array()[idx];
    } else {
      return nullptr;
    }
  }
  return cur;
}

Status Missing(std::string_view path) {
  return Status::BadRequest("doc is missing path: \"" + std::string(path) + "\"");
}

Result<json::value> Get(json::value& doc, const std::vector<std::string>& tokens,
                        std::string_view path) {
  if (tokens.empty()) return doc;
  json::value* parent = Parent(doc, tokens);
  if (parent == nullptr) return Missing(path);
  if (parent->is_object()) {
    auto it = parent->as_object().find(tokens.back());
    if (it == parent->as_object().end()) return Missing(path);
    return it->value();
  }
  size_t idx = 0;
  if (!parent->is_array() || !ParseIndex(tokens.back(), idx) || idx >= parent->as_array().size()) {
    return Missing(path);
  }
  return parent->as_array()[idx];
}

Status Remove(json::value& doc, const std::vector<std::string>& tokens, std::string_view path) {
  if (tokens.empty()) return Status::BadRequest("cannot remove the whole document");
  json::value* parent = Parent(doc, tokens);
  if (parent == nullptr) return Missing(path);
  if (parent->is_object()) {
    if (parent->as_object().erase(tokens.back()) == 0) return Missing(path);
    return Status::Ok();
  }
  size_t idx = 0;
  if (!parent->is_array() || !ParseIndex(tokens.back(), idx) || idx >= parent->as_array().size()) {
    return Missing(path);
  }
  auto& arr = parent->as_array();
  arr.erase(arr.begin() + static_cast<std::ptrdiff_t>(idx));
  return Status::Ok();
}

Status Add(json::value& doc, const std::vector<std::string>& tokens, json::value v,
           std::string_view path, bool replace) {
  if (tokens.empty()) {
    doc = std::move(v);
    return Status::Ok();
  }
  json::value* parent = Parent(doc, tokens);
  if (parent == nullptr) return Missing(path);
  if (parent->is_object()) {
    auto& obj = parent->as_object();
    if (replace && obj.find(tokens.back()) == obj.end()) return Missing(path);
    obj[tokens.back()] = std::move(v);
    return Status::Ok();
  }
  if (!parent->is_array()) return Missing(path);
  auto& arr = parent->as_array();
  if (tokens.back() == "-" && !replace) {
    arr.push_back(std::move(v));
    return Status::Ok();
  }
  size_t idx = 0;
  if (!ParseIndex(tokens.back(), idx) || idx > arr.size() || (replace && idx == arr.size())) {
    return Missing(path);
  }
  if (replace) {
    arr[idx] = std::move(v);
  } else {
    arr.insert(arr.begin() + static_cast<std::ptrdiff_t>(idx), std::move(v));
  }
  return Status::Ok();
}

}  // namespace

Result<json::value> ApplyJsonPatch(const json::value& doc, const json::value& patch) {
  if (!patch.is_array()) {
    return Status::BadRequest(
        "json: cannot unmarshal object into Go value of type jsonpatch.Patch");
  }
  json::value out = doc;
  for (const auto& op_value : patch.as_array()) {
    if (!op_value.is_object()) return Status::BadRequest("invalid JSON patch operation");
    const auto& op = op_value.as_object();
    auto str = [&op](std::string_view key) -> std::string {
      auto it = op.find(key);
      return it != op.end() && it->value().is_string() ? std::string(it->value().as_string())
                                                       : std::string();
    };
    std::string name = str("op");
    std::string path = str("path");
    if (op.find("path") == op.end()) {
      return Status::BadRequest("Unable to get \"path\" in JSON patch operation");
    }
    KUBEPP_ASSIGN_OR_RETURN(auto tokens, ParsePointer(path));
    auto value_it = op.find("value");
    if (name == "add" || name == "replace" || name == "test") {
      if (value_it == op.end()) {
        return Status::BadRequest("Unexpected kind: missing value in \"" + name + "\" operation");
      }
    }
    if (name == "add") {
      KUBEPP_RETURN_IF_ERROR(Add(out, tokens, value_it->value(), path, false));
    } else if (name == "remove") {
      KUBEPP_RETURN_IF_ERROR(Remove(out, tokens, path));
    } else if (name == "replace") {
      KUBEPP_RETURN_IF_ERROR(Add(out, tokens, value_it->value(), path, true));
    } else if (name == "move" || name == "copy") {
      std::string from = str("from");
      KUBEPP_ASSIGN_OR_RETURN(auto from_tokens, ParsePointer(from));
      KUBEPP_ASSIGN_OR_RETURN(json::value v, Get(out, from_tokens, from));
      if (name == "move") KUBEPP_RETURN_IF_ERROR(Remove(out, from_tokens, from));
      KUBEPP_RETURN_IF_ERROR(Add(out, tokens, std::move(v), path, false));
    } else if (name == "test") {
      KUBEPP_ASSIGN_OR_RETURN(json::value v, Get(out, tokens, path));
      if (v != value_it->value()) {
        return Status::BadRequest("testing value " + path + " failed: test failed");
      }
    } else {
      return Status::BadRequest("Unexpected kind: " + name);
    }
  }
  return out;
}

}  // namespace kubepp::api
