// resource.Quantity parsing, exact arithmetic and upstream's canonical text
// (k8s.io/apimachinery/pkg/api/resource).
//
// A quantity is `<number><suffix>`: the number is `[+-]?digits[.digits]`, the suffix binary SI
// (Ki Mi Gi Ti Pi Ei), decimal SI (n u m "" k M G T P E) or a decimal exponent (e3, E-2).
// Values are held exactly as a signed count of nano units (1e-9) in 128 bits; parsing rounds a
// non-zero value up (away from zero) to the next nano unit, as upstream does. BinarySI values are
// capped at 2^63-1 in magnitude (upstream's cap). Decimal values may reach 1e29 in magnitude
// (upstream has no limit there; anything larger is rejected with a clear message).
//
// Canonical text (upstream's CanonicalizeBytes): "0" for zero; DecimalSI / DecimalExponent print
// the smallest integer mantissa with an exponent that is a multiple of 3 ("0.5" -> "500m",
// "2000" -> "2k", "1.5e3" -> "1500"); DecimalSI beyond "E" falls back to exponent notation
// ("1000E" -> "1e21"); BinarySI prints the largest power of 1024 that divides an integral value
// of at least 1024 ("1.5Gi" -> "1536Mi"), else it is shown as DecimalSI ("0.5Ki" -> "512").
// The serialized text of a parsed quantity is upstream's: the input itself when upstream's int64
// fast path deems it canonical (it keeps "+1", "1.500" and "1.G" verbatim), else the canonical
// text.
//
// Thread-safe: values and pure functions; no heap for typical quantities.
#pragma once

#include <compare>
#include <cstdint>
#include <string>
#include <string_view>

#include "api/scalars.h"
#include "base/status.h"

namespace kubepp::api {

// A signed 128-bit integer (gcc/clang extension; __extension__ keeps -Wpedantic quiet).
__extension__ using Int128 = __int128;

// How a quantity prints: the suffix family it was written with.
enum class QuantityFormat : uint8_t {
  kDecimalSI,        // 12M (12 * 10^6), 500m
  kBinarySI,         // 12Mi (12 * 2^20)
  kDecimalExponent,  // 12e6
};

// The exact value of a resource.Quantity and its format. Equality and ordering compare values
// only ("1Ki" == "1024"), as upstream's Cmp.
class ParsedQuantity {
 public:
  // Largest magnitude in nano units: 10^38 - 1 (a value below 1e29).
  static constexpr Int128 kMaxNanos =
      static_cast<Int128>(10'000'000'000'000'000'000ULL) * 10'000'000'000'000'000'000ULL - 1;

  ParsedQuantity() = default;  // zero, DecimalSI

  // value (whole units) or value/1000, exactly.
  static ParsedQuantity FromValue(int64_t value,
                                  QuantityFormat format = QuantityFormat::kDecimalSI);
  static ParsedQuantity FromMilli(int64_t milli,
                                  QuantityFormat format = QuantityFormat::kDecimalSI);
  // nanos * 1e-9; BadRequest when |nanos| > kMaxNanos.
  static Result<ParsedQuantity> FromNanos(Int128 nanos,
                                          QuantityFormat format = QuantityFormat::kDecimalSI);

  Int128 Nanos() const { return nanos_; }
  QuantityFormat Format() const { return format_; }
  int Sign() const { return nanos_ > 0 ? 1 : (nanos_ < 0 ? -1 : 0); }
  bool IsZero() const { return nanos_ == 0; }

  // The value in whole units, rounded away from zero (upstream's Value()), saturating at the
  // int64 range.
  int64_t Value() const;
  // ceil(value * 1000) away from zero (upstream's MilliValue()), saturating at the int64 range.
  int64_t MilliValue() const;

  // this += y / this -= y. False (and this unchanged) when the result would exceed kMaxNanos.
  // A zero left-hand side takes y's format (upstream).
  [[nodiscard]] bool Add(const ParsedQuantity& y);
  [[nodiscard]] bool Sub(const ParsedQuantity& y);
  void Neg() { nanos_ = -nanos_; }

  // The canonical text (see the file comment).
  std::string ToString() const;
  // A Quantity holding ToString().
  Quantity ToQuantity() const { return Quantity{ToString()}; }

  friend bool operator==(const ParsedQuantity& a, const ParsedQuantity& b) {
    return a.nanos_ == b.nanos_;
  }
  friend std::strong_ordering operator<=>(const ParsedQuantity& a, const ParsedQuantity& b) {
    return a.nanos_ <=> b.nanos_;
  }

 private:
  ParsedQuantity(Int128 nanos, QuantityFormat format) : nanos_(nanos), format_(format) {}
  friend struct QuantityParser;

  Int128 nanos_ = 0;                                    // the value in units of 1e-9
  QuantityFormat format_ = QuantityFormat::kDecimalSI;  // how it prints
};

// Parses `text` strictly (no surrounding spaces). BadRequest with upstream's messages:
// "quantities must match the regular expression '...'", "unable to parse quantity's suffix",
// "unable to parse numeric part of quantity"; or a "too large" message beyond 1e29.
Result<ParsedQuantity> ParseQuantity(std::string_view text);
inline Result<ParsedQuantity> ParseQuantity(const Quantity& q) { return ParseQuantity(q.text); }

// The text upstream serializes after parsing `text` (see the file comment); errors as
// ParseQuantity.
Result<std::string> SerializedQuantityText(std::string_view text);

// Upstream's error for text that is not a quantity.
inline constexpr std::string_view kQuantityFormatError =
    "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'";

}  // namespace kubepp::api
