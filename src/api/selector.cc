#include "api/selector.h"

#include <algorithm>
#include <cctype>

#include "api/field_errors.h"

namespace kubepp::api {

bool Requirement::Matches(const std::map<std::string, std::string>& labels) const {
  auto it = labels.find(key);
  bool has = it != labels.end();
  switch (op) {
    case Op::kEquals:
      return has && it->second == values[0];
    case Op::kNotEquals:
      return !has || it->second != values[0];
    case Op::kIn:
      return has && std::find(values.begin(), values.end(), it->second) != values.end();
    case Op::kNotIn:
      return !has || std::find(values.begin(), values.end(), it->second) == values.end();
    case Op::kExists:
      return has;
    case Op::kDoesNotExist:
      return !has;
  }
  return false;
}

bool Selector::Matches(const std::map<std::string, std::string>& labels) const {
  for (const auto& r : requirements_) {
    if (!r.Matches(labels)) return false;
  }
  return true;
}

namespace {

std::string_view Trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

// Splits on commas that are not inside parentheses.
Result<std::vector<std::string_view>> SplitTerms(std::string_view text) {
  std::vector<std::string_view> terms;
  int depth = 0;
  size_t start = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '(') ++depth;
    if (text[i] == ')') --depth;
    if (depth < 0) return Status::BadRequest("unable to parse requirement: unbalanced ')'");
    if (text[i] == ',' && depth == 0) {
      terms.push_back(Trim(text.substr(start, i - start)));
      start = i + 1;
    }
  }
  if (depth != 0) return Status::BadRequest("unable to parse requirement: unbalanced '('");
  terms.push_back(Trim(text.substr(start)));
  return terms;
}

Status CheckLabelKey(std::string_view key, std::string_view text) {
  auto errs = IsQualifiedName(key);
  if (!errs.empty()) {
    return Status::BadRequest("unable to parse requirement: values[0][" + std::string(key) +
                              "]: Invalid value: \"" + std::string(key) + "\": " + errs[0] +
                              " (in \"" + std::string(text) + "\")");
  }
  return Status::Ok();
}

Status CheckLabelValue(std::string_view value) {
  auto errs = IsValidLabelValue(value);
  if (!errs.empty()) {
    return Status::BadRequest("unable to parse requirement: values[0]: Invalid value: \"" +
                              std::string(value) + "\": " + errs[0]);
  }
  return Status::Ok();
}

bool IsSetWord(std::string_view rest, std::string_view word) {
  if (rest.substr(0, word.size()) != word) return false;
  std::string_view after = Trim(rest.substr(word.size()));
  return !after.empty() && after.front() == '(';
}

}  // namespace

Result<Selector> Selector::ParseLabels(std::string_view text) {
  Selector sel;
  text = Trim(text);
  if (text.empty()) return sel;
  KUBEPP_ASSIGN_OR_RETURN(auto terms, SplitTerms(text));
  for (std::string_view term : terms) {
    if (term.empty()) return Status::BadRequest("found '', expected: identifier");
    Requirement r;
    if (term.front() == '!') {
      r.key = std::string(Trim(term.substr(1)));
      r.op = Requirement::Op::kDoesNotExist;
      KUBEPP_RETURN_IF_ERROR(CheckLabelKey(r.key, text));
      sel.requirements_.push_back(std::move(r));
      continue;
    }
    size_t key_end = 0;
    while (key_end < term.size() && !std::isspace(static_cast<unsigned char>(term[key_end])) &&
           term[key_end] != '=' && term[key_end] != '!' && term[key_end] != '(') {
      ++key_end;
    }
    r.key = std::string(term.substr(0, key_end));
    KUBEPP_RETURN_IF_ERROR(CheckLabelKey(r.key, text));
    std::string_view rest = Trim(term.substr(key_end));
    if (rest.empty()) {
      r.op = Requirement::Op::kExists;
    } else if (rest.substr(0, 2) == "==" || rest.substr(0, 2) == "!=" || rest.front() == '=') {
      size_t n = rest.front() == '=' && rest.substr(0, 2) != "==" ? 1 : 2;
      r.op = rest.front() == '!' ? Requirement::Op::kNotEquals : Requirement::Op::kEquals;
      std::string value(Trim(rest.substr(n)));
      KUBEPP_RETURN_IF_ERROR(CheckLabelValue(value));
      r.values.push_back(std::move(value));
    } else if (IsSetWord(rest, "in") || IsSetWord(rest, "notin")) {
      r.op = rest.substr(0, 2) == "in" ? Requirement::Op::kIn : Requirement::Op::kNotIn;
      auto open = rest.find('(');
      auto close = rest.rfind(')');
      if (close == std::string_view::npos || close < open ||
          !Trim(rest.substr(close + 1)).empty()) {
        return Status::BadRequest("unable to parse requirement: found '" + std::string(rest) +
                                  "', expected: ')'");
      }
      std::string_view list = rest.substr(open + 1, close - open - 1);
      size_t start = 0;
      while (true) {
        size_t comma = list.find(',', start);
        std::string value(Trim(list.substr(
            start, comma == std::string_view::npos ? std::string_view::npos : comma - start)));
        KUBEPP_RETURN_IF_ERROR(CheckLabelValue(value));
        r.values.push_back(std::move(value));
        if (comma == std::string_view::npos) break;
        start = comma + 1;
      }
    } else {
      return Status::BadRequest("unable to parse requirement: found '" + std::string(rest) +
                                "', expected: in, notin, =, ==, !=, gt, lt");
    }
    sel.requirements_.push_back(std::move(r));
  }
  return sel;
}

Result<Selector> Selector::ParseFields(std::string_view text) {
  Selector sel;
  text = Trim(text);
  if (text.empty()) return sel;
  KUBEPP_ASSIGN_OR_RETURN(auto terms, SplitTerms(text));
  for (std::string_view term : terms) {
    Requirement r;
    size_t pos = term.find("!=");
    size_t n = 2;
    r.op = Requirement::Op::kNotEquals;
    if (pos == std::string_view::npos) {
      r.op = Requirement::Op::kEquals;
      pos = term.find("==");
      if (pos == std::string_view::npos) {
        pos = term.find('=');
        n = 1;
      }
    }
    if (pos == std::string_view::npos) {
      return Status::BadRequest("invalid selector: '" + std::string(text) +
                                "'; can't understand '" + std::string(term) + "'");
    }
    r.key = std::string(Trim(term.substr(0, pos)));
    r.values.emplace_back(Trim(term.substr(pos + n)));
    sel.requirements_.push_back(std::move(r));
  }
  return sel;
}

Result<Selector> Selector::FromLabelSelector(const LabelSelector& selector) {
  Selector sel;
  for (const auto& [k, v] : selector.matchLabels) {
    sel.requirements_.push_back({k, Requirement::Op::kEquals, {v}});
  }
  for (const auto& e : selector.matchExpressions) {
    Requirement r{e.key, Requirement::Op::kIn, e.values};
    if (e.operator_ == "In") {
      r.op = Requirement::Op::kIn;
    } else if (e.operator_ == "NotIn") {
      r.op = Requirement::Op::kNotIn;
    } else if (e.operator_ == "Exists") {
      r.op = Requirement::Op::kExists;
    } else if (e.operator_ == "DoesNotExist") {
      r.op = Requirement::Op::kDoesNotExist;
    } else {
      return Status::Invalid("\"" + e.operator_ + "\" is not a valid label selector operator");
    }
    sel.requirements_.push_back(std::move(r));
  }
  return sel;
}

}  // namespace kubepp::api
