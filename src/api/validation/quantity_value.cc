#include "api/validation/quantity_value.h"

#include <cctype>
#include <cmath>
#include <string>

namespace kubepp::api::validation {

std::optional<long double> QuantityValue(std::string_view text) {
  if (text.empty()) return std::nullopt;
  size_t i = 0;
  bool negative = false;
  if (text[i] == '+' || text[i] == '-') negative = text[i++] == '-';
  size_t start = i;
  bool dot = false;
  while (i < text.size() &&
         (std::isdigit(static_cast<unsigned char>(text[i])) != 0 || (text[i] == '.' && !dot))) {
    dot = dot || text[i] == '.';
    ++i;
  }
  if (i == start || (i == start + 1 && dot)) return std::nullopt;
  long double number = std::stold(std::string(text.substr(start, i - start)));
  std::string_view suffix = text.substr(i);
  long double mult = 1;
  struct Suffix {
    std::string_view name;
    long double mult;
  };
  static constexpr Suffix kSuffixes[] = {{"", 1},
                                         {"n", 1e-9},
                                         {"u", 1e-6},
                                         {"m", 1e-3},
                                         {"k", 1e3},
                                         {"M", 1e6},
                                         {"G", 1e9},
                                         {"T", 1e12},
                                         {"P", 1e15},
                                         {"E", 1e18},
                                         {"Ki", 1024.0L},
                                         {"Mi", 1048576.0L},
                                         {"Gi", 1073741824.0L},
                                         {"Ti", 1099511627776.0L},
                                         {"Pi", 1125899906842624.0L},
                                         {"Ei", 1152921504606846976.0L}};
  bool found = false;
  for (const auto& s : kSuffixes) {
    if (suffix == s.name) {
      mult = s.mult;
      found = true;
      break;
    }
  }
  if (!found) {
    if (suffix.size() < 2 || (suffix[0] != 'e' && suffix[0] != 'E')) return std::nullopt;
    std::string exp(suffix.substr(1));
    size_t j = (exp[0] == '+' || exp[0] == '-') ? 1 : 0;
    if (j >= exp.size() || exp.find_first_not_of("0123456789", j) != std::string::npos) {
      return std::nullopt;
    }
    mult = std::pow(10.0L, std::stold(exp));
  }
  long double v = number * mult;
  return negative ? -v : v;
}

}  // namespace kubepp::api::validation
