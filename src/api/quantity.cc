#include "api/quantity.h"

#include <algorithm>
#include <array>
#include <optional>

namespace kubepp::api {

__extension__ using UInt128 = unsigned __int128;

namespace {

constexpr int64_t kNanosPerUnit = 1'000'000'000;
// Upstream's cap for BinarySI: 2^63-1 units, in nanos.
constexpr Int128 kBinaryCapNanos = static_cast<Int128>(INT64_MAX) * kNanosPerUnit;
// Exponents beyond this behave alike (a non-zero value overflows or rounds to 1n), so they are
// clamped to keep the arithmetic on exponents in int64.
constexpr int64_t kExponentClamp = 1'000'000'000;

constexpr std::string_view kNumericError = "unable to parse numeric part of quantity";
constexpr std::string_view kSuffixError = "unable to parse quantity's suffix";
constexpr std::string_view kTooLargeError =
    "quantity is too large: magnitudes of 1e29 and above are not supported";

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// The pieces of a quantity text, as upstream's parseQuantityString splits them.
struct Scanned {
  bool negative = false;
  std::string_view num = "0";  // integer digits without leading zeros ("0" when none)
  std::string_view denom;      // fraction digits
  std::string_view suffix;     // the rest: [eEinumkKMGTP]*[+-]?[0-9]*
  bool has_digit = false;      // whether the numeric part holds a digit at all
};

// False when the text does not have the shape of a quantity.
bool Scan(std::string_view s, Scanned& out) {
  size_t pos = 0;
  const size_t end = s.size();
  if (pos < end && (s[0] == '-' || s[0] == '+')) {
    out.negative = s[0] == '-';
    ++pos;
  }
  const size_t after_sign = pos;
  while (pos < end && s[pos] == '0') ++pos;
  if (pos >= end) {  // only zeros (or only a sign): zero, as upstream
    out.has_digit = true;
    return true;
  }
  out.has_digit = pos > after_sign;
  size_t start = pos;
  while (pos < end && IsDigit(s[pos])) ++pos;
  if (pos > start) {
    out.num = s.substr(start, pos - start);
    out.has_digit = true;
  }
  if (pos >= end) return true;
  if (s[pos] == '.') {
    start = ++pos;
    while (pos < end && IsDigit(s[pos])) ++pos;
    out.denom = s.substr(start, pos - start);
    out.has_digit = out.has_digit || !out.denom.empty();
    if (pos >= end) return true;
  }
  start = pos;
  while (pos < end && std::string_view("eEinumkKMGTP").find(s[pos]) != std::string_view::npos) {
    ++pos;
  }
  if (pos < end && (s[pos] == '-' || s[pos] == '+')) ++pos;
  while (pos < end && IsDigit(s[pos])) ++pos;
  if (pos < end) return false;
  out.suffix = s.substr(start);
  return true;
}

// What a suffix means: value * base^exponent, printed in `format`.
struct SuffixMeaning {
  int base = 10;
  int64_t exponent = 0;
  QuantityFormat format = QuantityFormat::kDecimalSI;
};

// Go's strconv.ParseInt(s, 10, 64).
std::optional<int64_t> ParseInt64(std::string_view s) {
  bool negative = false;
  if (!s.empty() && (s[0] == '+' || s[0] == '-')) {
    negative = s[0] == '-';
    s.remove_prefix(1);
  }
  if (s.empty()) return std::nullopt;
  UInt128 v = 0;
  for (char c : s) {
    if (!IsDigit(c)) return std::nullopt;
    v = v * 10 + static_cast<unsigned>(c - '0');
    if (v > static_cast<UInt128>(INT64_MAX) + 1) return std::nullopt;
  }
  if (!negative && v > static_cast<UInt128>(INT64_MAX)) return std::nullopt;
  return negative ? static_cast<int64_t>(-static_cast<Int128>(v)) : static_cast<int64_t>(v);
}

std::optional<SuffixMeaning> InterpretSuffix(std::string_view s) {
  using F = QuantityFormat;
  struct Entry {
    std::string_view name;
    SuffixMeaning meaning;
  };
  static constexpr std::array<Entry, 16> kSuffixes = {{
      {"", {10, 0, F::kDecimalSI}},
      {"n", {10, -9, F::kDecimalSI}},
      {"u", {10, -6, F::kDecimalSI}},
      {"m", {10, -3, F::kDecimalSI}},
      {"k", {10, 3, F::kDecimalSI}},
      {"M", {10, 6, F::kDecimalSI}},
      {"G", {10, 9, F::kDecimalSI}},
      {"T", {10, 12, F::kDecimalSI}},
      {"P", {10, 15, F::kDecimalSI}},
      {"E", {10, 18, F::kDecimalSI}},
      {"Ki", {2, 10, F::kBinarySI}},
      {"Mi", {2, 20, F::kBinarySI}},
      {"Gi", {2, 30, F::kBinarySI}},
      {"Ti", {2, 40, F::kBinarySI}},
      {"Pi", {2, 50, F::kBinarySI}},
      {"Ei", {2, 60, F::kBinarySI}},
  }};
  for (const auto& e : kSuffixes) {
    if (e.name == s) return e.meaning;
  }
  if (s.size() > 1 && (s[0] == 'e' || s[0] == 'E')) {
    auto exponent = ParseInt64(s.substr(1));
    if (!exponent) return std::nullopt;
    // Upstream truncates the exponent to int32; kubepp keeps its value (clamped, see above).
    int64_t e = std::clamp(*exponent, -kExponentClamp, kExponentClamp);
    return SuffixMeaning{10, e, F::kDecimalExponent};
  }
  return std::nullopt;
}

// The digits of a and then b, read as one integer D.
struct Digits {
  std::string_view a;
  std::string_view b;
  size_t size() const { return a.size() + b.size(); }  // NOLINT(readability-identifier-naming)
  char operator[](size_t i) const { return i < a.size() ? a[i] : b[i - a.size()]; }
};

// n = |D * 10^shift| truncated to an integer; `sticky` is set when non-zero digits were dropped.
// False when n would exceed kMaxNanos.
bool ScaleDigits(Digits d, int64_t shift, Int128& n, bool& sticky) {
  n = 0;
  sticky = false;
  const auto len = static_cast<int64_t>(d.size());
  for (int64_t i = 0; i < len; ++i) {
    int digit = d[static_cast<size_t>(i)] - '0';
    int64_t weight = len - 1 - i + shift;
    if (weight >= 0) {
      if (n > (ParsedQuantity::kMaxNanos - digit) / 10) return false;
      n = n * 10 + digit;
    } else if (digit != 0) {
      sticky = true;
      break;  // every later digit is dropped too; one non-zero is enough
    }
  }
  if (n != 0) {
    for (int64_t i = 0; i < shift; ++i) {
      if (n > ParsedQuantity::kMaxNanos / 10) return false;
      n *= 10;
    }
  }
  return true;
}

// The decimal digits of D * 2^exponent (exponent <= 60), most significant first, into `out`.
void MultiplyByPowerOfTwo(Digits d, int exponent, std::string& out) {
  out.clear();
  out.reserve(d.size() + 20);
  UInt128 carry = 0;
  for (size_t i = d.size(); i-- > 0;) {
    carry += static_cast<UInt128>(d[i] - '0') << exponent;
    out.push_back(static_cast<char>('0' + static_cast<int>(carry % 10)));
    carry /= 10;
  }
  while (carry != 0) {
    out.push_back(static_cast<char>('0' + static_cast<int>(carry % 10)));
    carry /= 10;
  }
  while (out.size() > 1 && out.back() == '0') out.pop_back();
  std::reverse(out.begin(), out.end());
}

// Appends the decimal text of v.
void AppendInt128(Int128 v, std::string& out) {
  if (v < 0) out.push_back('-');
  UInt128 u = v < 0 ? -static_cast<UInt128>(v) : static_cast<UInt128>(v);
  std::array<char, 40> buf{};
  size_t n = 0;
  do {
    buf[n++] = static_cast<char>('0' + static_cast<int>(u % 10));
    u /= 10;
  } while (u != 0);
  while (n > 0) out.push_back(buf[--n]);
}

// ceil(|nanos| / divisor) away from zero, saturating at the int64 range.
int64_t ScaledAwayFromZero(Int128 nanos, int64_t divisor) {
  Int128 q = nanos / divisor;
  if (nanos % divisor != 0) q += nanos < 0 ? -1 : 1;
  if (q > INT64_MAX) return INT64_MAX;
  if (q < INT64_MIN) return INT64_MIN;
  return static_cast<int64_t>(q);
}

}  // namespace

// Parsing, with access to ParsedQuantity's private constructor.
struct QuantityParser {
  // The value, and whether upstream serializes the input text unchanged.
  struct Parsed {
    ParsedQuantity value;
    bool keeps_text = false;
  };

  static Result<Parsed> Parse(std::string_view text) {
    if (text.empty()) return Status::BadRequest(std::string(kQuantityFormatError));
    if (text == "0") return Parsed{ParsedQuantity(), true};
    Scanned s;
    if (!Scan(text, s)) return Status::BadRequest(std::string(kQuantityFormatError));
    auto meaning = InterpretSuffix(s.suffix);
    if (!meaning) return Status::BadRequest(std::string(kSuffixError));
    Digits digits{s.num, s.denom};
    const auto denom_len = static_cast<int64_t>(s.denom.size());

    // Upstream's int64 fast path decides whether the text is kept verbatim; outside of it a text
    // without any digit ("." with a suffix) fails inf.Dec's parse.
    bool fast = false;
    bool keeps_text = false;
    if (meaning->base == 10) {
      int64_t scale = meaning->exponent - denom_len;
      if (digits.size() <= 18 && scale >= -9) {
        fast = true;
        size_t n = digits.size();
        bool ends_000 =
            n >= 3 && digits[n - 1] == '0' && digits[n - 2] == '0' && digits[n - 3] == '0';
        keeps_text = scale % 3 == 0 && !ends_000 && digits[0] != '0';
      }
    } else if (s.denom.empty()) {
      auto precision = 15 - static_cast<int64_t>(s.num.size()) - meaning->exponent * 3 / 10 - 1;
      if (precision >= 0) {
        fast = true;
        // D & 7 != 0; 1000 is a multiple of 8, so D's last three digits decide.
        int last3 = 0;
        for (size_t i = s.num.size() > 3 ? s.num.size() - 3 : 0; i < s.num.size(); ++i) {
          last3 = last3 * 10 + (s.num[i] - '0');
        }
        keeps_text = last3 % 8 != 0;
      }
    }
    if (!fast && !s.has_digit) return Status::BadRequest(std::string(kNumericError));

    Int128 nanos = 0;
    bool sticky = false;
    QuantityFormat format = meaning->format;
    if (meaning->base == 10) {
      if (!ScaleDigits(digits, meaning->exponent - denom_len + 9, nanos, sticky)) {
        return Status::BadRequest(std::string(kTooLargeError));
      }
      if (sticky) {
        if (nanos == ParsedQuantity::kMaxNanos) {
          return Status::BadRequest(std::string(kTooLargeError));
        }
        ++nanos;
      }
    } else {
      const int exponent = static_cast<int>(meaning->exponent);
      bool capped = false;
      if (s.denom.empty()) {
        // D * 1e9 * 2^exponent, capped at 2^63-1 units.
        capped = !ScaleDigits(digits, 9, nanos, sticky) || nanos > (kBinaryCapNanos >> exponent);
        if (!capped) nanos <<= exponent;
      } else {
        std::string product;
        MultiplyByPowerOfTwo(digits, exponent, product);
        capped = !ScaleDigits(Digits{product, {}}, 9 - denom_len, nanos, sticky);
        if (!capped && sticky) ++nanos;
        capped = capped || nanos > kBinaryCapNanos;
      }
      if (capped) nanos = kBinaryCapNanos;
      if (nanos < kNanosPerUnit && nanos > 0) format = QuantityFormat::kDecimalSI;
    }
    if (s.negative) nanos = -nanos;
    return Parsed{ParsedQuantity(nanos, format), keeps_text};
  }
};

Result<ParsedQuantity> ParseQuantity(std::string_view text) {
  KUBEPP_ASSIGN_OR_RETURN(auto parsed, QuantityParser::Parse(text));
  return parsed.value;
}

Result<std::string> SerializedQuantityText(std::string_view text) {
  KUBEPP_ASSIGN_OR_RETURN(auto parsed, QuantityParser::Parse(text));
  if (parsed.keeps_text) return std::string(text);
  return parsed.value.ToString();
}

ParsedQuantity ParsedQuantity::FromValue(int64_t value, QuantityFormat format) {
  return {static_cast<Int128>(value) * kNanosPerUnit, format};
}

ParsedQuantity ParsedQuantity::FromMilli(int64_t milli, QuantityFormat format) {
  return {static_cast<Int128>(milli) * 1'000'000, format};
}

Result<ParsedQuantity> ParsedQuantity::FromNanos(Int128 nanos, QuantityFormat format) {
  if (nanos > kMaxNanos || nanos < -kMaxNanos) {
    return Status::BadRequest(std::string(kTooLargeError));
  }
  return ParsedQuantity(nanos, format);
}

int64_t ParsedQuantity::Value() const { return ScaledAwayFromZero(nanos_, kNanosPerUnit); }

int64_t ParsedQuantity::MilliValue() const { return ScaledAwayFromZero(nanos_, 1'000'000); }

bool ParsedQuantity::Add(const ParsedQuantity& y) {
  Int128 sum = 0;
  if (__builtin_add_overflow(nanos_, y.nanos_, &sum) || sum > kMaxNanos || sum < -kMaxNanos) {
    return false;
  }
  if (nanos_ == 0) format_ = y.format_;
  nanos_ = sum;
  return true;
}

bool ParsedQuantity::Sub(const ParsedQuantity& y) {
  Int128 diff = 0;
  if (__builtin_sub_overflow(nanos_, y.nanos_, &diff) || diff > kMaxNanos || diff < -kMaxNanos) {
    return false;
  }
  if (nanos_ == 0) format_ = y.format_;
  nanos_ = diff;
  return true;
}

std::string ParsedQuantity::ToString() const {
  if (nanos_ == 0) return "0";
  std::string out;
  QuantityFormat format = format_;
  if (format == QuantityFormat::kBinarySI) {
    // Below 1024 in magnitude, or not integral: shown as DecimalSI (no rounding).
    constexpr Int128 kKibi = static_cast<Int128>(1024) * kNanosPerUnit;
    if ((nanos_ < kKibi && nanos_ > -kKibi) || nanos_ % kNanosPerUnit != 0) {
      format = QuantityFormat::kDecimalSI;
    } else {
      static constexpr std::array<std::string_view, 7> kBinary = {"",   "Ki", "Mi", "Gi",
                                                                  "Ti", "Pi", "Ei"};
      Int128 v = nanos_ / kNanosPerUnit;
      size_t power = 0;
      while (power + 1 < kBinary.size() && (v >= 1024 || v <= -1024) && v % 1024 == 0) {
        v /= 1024;
        ++power;
      }
      AppendInt128(v, out);
      out += kBinary[power];
      return out;
    }
  }
  // Decimal: mantissa * 10^exponent with no trailing zeros in the mantissa, then the exponent
  // brought down to a multiple of 3 (this never exceeds |nanos_|: -9 is a multiple of 3).
  Int128 mantissa = nanos_;
  int exponent = -9;
  while ((mantissa >= 10 || mantissa <= -10) && mantissa % 10 == 0) {
    mantissa /= 10;
    ++exponent;
  }
  while (exponent % 3 != 0) {
    mantissa *= 10;
    --exponent;
  }
  // DecimalSI has no suffix beyond E (10^18): exponent notation keeps the magnitude.
  if (format == QuantityFormat::kDecimalSI && exponent > 18) {
    format = QuantityFormat::kDecimalExponent;
  }
  AppendInt128(mantissa, out);
  if (format == QuantityFormat::kDecimalSI) {
    static constexpr std::array<std::string_view, 10> kDecimal = {"n", "u", "m", "",  "k",
                                                                  "M", "G", "T", "P", "E"};
    out += kDecimal[static_cast<size_t>((exponent + 9) / 3)];
  } else if (exponent != 0) {
    out.push_back('e');
    AppendInt128(exponent, out);
  }
  return out;
}

}  // namespace kubepp::api
