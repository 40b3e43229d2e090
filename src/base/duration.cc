#include "base/duration.h"

#include <fmt/format.h>

#include <array>
#include <cmath>
#include <utility>

namespace kubepp {

namespace {

constexpr std::array<std::pair<std::string_view, int64_t>, 8> kUnits = {{
    {"ns", 1},
    {"us", 1'000},
    {"\u00b5s", 1'000},  // U+00B5 micro sign
    {"\u03bcs", 1'000},  // U+03BC Greek mu
    {"ms", 1'000'000},
    {"s", 1'000'000'000},
    {"m", 60'000'000'000},
    {"h", 3'600'000'000'000},
}};

Status Invalid(std::string_view text) {
  return Status::BadRequest(fmt::format(R"(time: invalid duration "{}")", text));
}

}  // namespace

Result<std::chrono::nanoseconds> ParseGoDuration(std::string_view text) {
  std::string_view s = text;
  if (s == "0") return std::chrono::nanoseconds(0);
  if (s.empty()) return Invalid(text);
  bool negative = false;
  if (s.front() == '-' || s.front() == '+') {
    negative = s.front() == '-';
    s.remove_prefix(1);
  }
  if (s == "0") return std::chrono::nanoseconds(0);
  if (s.empty()) return Invalid(text);
  long double total = 0;
  while (!s.empty()) {
    // A number: digits with an optional fraction.
    size_t i = 0;
    long double value = 0;
    bool digits = false;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
      value = value * 10 + (s[i] - '0');
      ++i;
      digits = true;
    }
    if (i < s.size() && s[i] == '.') {
      ++i;
      long double scale = 0.1L;
      while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
        value += scale * (s[i] - '0');
        scale /= 10;
        ++i;
        digits = true;
      }
    }
    if (!digits) return Invalid(text);
    s.remove_prefix(i);
    // Its unit (the longest match: "ms" before "m").
    int64_t unit = 0;
    size_t unit_len = 0;
    for (const auto& [name, ns] : kUnits) {
      if (s.starts_with(name) && name.size() > unit_len) {
        unit = ns;
        unit_len = name.size();
      }
    }
    if (unit == 0) {
      if (s.empty())
        return Status::BadRequest(fmt::format(R"(time: missing unit in duration "{}")", text));
      return Status::BadRequest(fmt::format(R"(time: unknown unit "{}" in duration "{}")",
                                            s.substr(0, s.find_first_of("0123456789.")), text));
    }
    s.remove_prefix(unit_len);
    total += value * static_cast<long double>(unit);
    if (total > static_cast<long double>(INT64_MAX)) return Invalid(text);
  }
  auto ns = static_cast<int64_t>(std::llround(total));
  if (negative) ns = -ns;
  return std::chrono::nanoseconds(ns);
}

std::string FormatGoDuration(std::chrono::nanoseconds d) {
  int64_t ns = d.count();
  if (ns == 0) return "0s";
  std::string sign;
  uint64_t u = ns < 0 ? static_cast<uint64_t>(-(ns + 1)) + 1 : static_cast<uint64_t>(ns);
  if (ns < 0) sign = "-";
  if (u < 1'000) return fmt::format("{}{}ns", sign, u);
  auto frac = [](uint64_t v, uint64_t unit) {
    // v / unit with the fraction's trailing zeros trimmed.
    std::string out = std::to_string(v / unit);
    uint64_t rest = v % unit;
    if (rest != 0) {
      std::string digits = fmt::format("{:0{}}", rest, std::to_string(unit).size() - 1);
      while (!digits.empty() && digits.back() == '0') digits.pop_back();
      out += "." + digits;
    }
    return out;
  };
  if (u < 1'000'000) return sign + frac(u, 1'000) + "\u00b5s";
  if (u < 1'000'000'000) return sign + frac(u, 1'000'000) + "ms";
  uint64_t secs_ns = u % 60'000'000'000ULL;
  uint64_t mins = u / 60'000'000'000ULL;
  std::string out = sign;
  if (mins >= 60) {
    out += std::to_string(mins / 60) + "h";
    out += std::to_string(mins % 60) + "m";
  } else if (mins > 0) {
    out += std::to_string(mins) + "m";
  }
  out += frac(secs_ns, 1'000'000'000) + "s";
  return out;
}

}  // namespace kubepp
