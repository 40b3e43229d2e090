#include "api/protobuf.h"

#include <fmt/format.h>

#include <boost/json/parse.hpp>
#include <boost/mp11/algorithm.hpp>

#include "api/codec.h"

namespace kubepp::api {
namespace protobuf_internal {
namespace {

constexpr std::string_view kPlainPrefix = "protobuf: ";   // an error without a field path
constexpr std::string_view kPathPrefix = "protobuf at ";  // "protobuf at a.b: problem"

// Go's zero time.Time (0001-01-01T00:00:00Z) as Unix seconds, and the last second of 9999.
constexpr int64_t kMinUnixSeconds = -62135596800;
constexpr int64_t kMaxUnixSeconds = 253402300799;

Status Malformed(std::string problem) {
  return Status::BadRequest(std::string(kPlainPrefix) + problem);
}

// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
int64_t DaysFromCivil(int64_t y, int64_t m, int64_t d) {
  y -= m <= 2 ? 1 : 0;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const int64_t yoe = y - era * 400;
  const int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

// The date of a day count since 1970-01-01.
void CivilFromDays(int64_t z, int64_t& y, int64_t& m, int64_t& d) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const int64_t doe = z - era * 146097;
  const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const int64_t mp = (5 * doy + 2) / 153;
  d = doy - (153 * mp + 2) / 5 + 1;
  m = mp < 10 ? mp + 3 : mp - 9;
  y = yoe + era * 400 + (m <= 2 ? 1 : 0);
}

// Parses `n` decimal digits at text[pos].
bool Digits(std::string_view text, size_t pos, size_t n, int64_t& out) {
  if (pos + n > text.size()) return false;
  out = 0;
  for (size_t i = 0; i < n; ++i) {
    char c = text[pos + i];
    if (c < '0' || c > '9') return false;
    out = out * 10 + (c - '0');
  }
  return true;
}

// RFC 3339 ("2024-01-02T03:04:05Z", "...05.123456Z", "...05+02:00") -> Unix seconds + nanos.
bool ParseRfc3339(std::string_view t, int64_t& seconds, int32_t& nanos) {
  int64_t year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
  if (!Digits(t, 0, 4, year) || t.size() < 20 || t[4] != '-' || !Digits(t, 5, 2, month) ||
      t[7] != '-' || !Digits(t, 8, 2, day) || (t[10] != 'T' && t[10] != 't') ||
      !Digits(t, 11, 2, hour) || t[13] != ':' || !Digits(t, 14, 2, minute) || t[16] != ':' ||
      !Digits(t, 17, 2, second)) {
    return false;
  }
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60) {
    return false;
  }
  size_t pos = 19;
  int64_t frac = 0;
  if (pos < t.size() && t[pos] == '.') {
    ++pos;
    size_t digits = 0;
    while (pos < t.size() && t[pos] >= '0' && t[pos] <= '9') {
      if (digits < 9) {
        frac = frac * 10 + (t[pos] - '0');
        ++digits;
      }
      ++pos;
    }
    if (digits == 0) return false;
    for (; digits < 9; ++digits) frac *= 10;
  }
  int64_t offset = 0;
  if (pos < t.size() && (t[pos] == 'Z' || t[pos] == 'z')) {
    ++pos;
  } else if (pos < t.size() && (t[pos] == '+' || t[pos] == '-')) {
    int64_t oh = 0, om = 0;
    if (!Digits(t, pos + 1, 2, oh) || pos + 3 >= t.size() || t[pos + 3] != ':' ||
        !Digits(t, pos + 4, 2, om)) {
      return false;
    }
    offset = (oh * 3600 + om * 60) * (t[pos] == '-' ? -1 : 1);
    pos += 6;
  } else {
    return false;
  }
  if (pos != t.size()) return false;
  seconds = DaysFromCivil(year, month, day) * 86400 + hour * 3600 + minute * 60 + second - offset;
  nanos = static_cast<int32_t>(frac);
  return true;
}

constexpr std::string_view kBase64Chars =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

int Base64Value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

}  // namespace

Status Reader::ReadVarint(uint64_t& v) {
  v = 0;
  for (int shift = 0; shift < 70; shift += 7) {
    if (pos_ >= data_.size()) return Malformed("truncated varint");
    auto byte = static_cast<uint8_t>(data_[pos_++]);
    v |= static_cast<uint64_t>(byte & 0x7fU) << shift;
    if ((byte & 0x80U) == 0) return Status::Ok();
  }
  return Malformed("varint longer than 10 bytes");
}

Status Reader::Next(int& field, WireValue& value) {
  uint64_t tag = 0;
  if (Status s = ReadVarint(tag); !s.IsOk()) return s;
  uint64_t number = tag >> 3;
  if (number == 0 || number > 0x1fffffffU) {
    return Malformed(fmt::format("invalid field number {}", number));
  }
  field = static_cast<int>(number);
  value = WireValue{};
  value.wire = static_cast<int>(tag & 7U);
  switch (value.wire) {
    case kVarint:
      return ReadVarint(value.number);
    case kFixed64:
    case kFixed32: {
      size_t n = value.wire == kFixed64 ? 8 : 4;
      if (data_.size() - pos_ < n) {
        return Malformed(fmt::format("truncated {}-bit value of field {}", n * 8, field));
      }
      uint64_t v = 0;
      for (size_t i = 0; i < n; ++i) {
        v |= static_cast<uint64_t>(static_cast<uint8_t>(data_[pos_ + i])) << (8 * i);
      }
      pos_ += n;
      value.number = v;
      return Status::Ok();
    }
    case kLen: {
      uint64_t len = 0;
      if (Status s = ReadVarint(len); !s.IsOk()) return s;
      if (len > data_.size() - pos_) {
        return Malformed(fmt::format("length {} of field {} runs past the end ({} bytes left)", len,
                                     field, data_.size() - pos_));
      }
      value.bytes = data_.substr(pos_, len);
      pos_ += len;
      return Status::Ok();
    }
    default:
      return Malformed(fmt::format("unsupported wire type {} of field {}", value.wire, field));
  }
}

void PutVarint(uint64_t v, std::string& out) {
  while (v >= 0x80) {
    out.push_back(static_cast<char>((v & 0x7fU) | 0x80U));
    v >>= 7;
  }
  out.push_back(static_cast<char>(v));
}

void PutTag(int field, int wire, std::string& out) {
  PutVarint((static_cast<uint64_t>(field) << 3) | static_cast<uint64_t>(wire), out);
}

void PutLen(int field, std::string_view bytes, std::string& out) {
  PutTag(field, kLen, out);
  PutVarint(bytes.size(), out);
  out.append(bytes);
}

Status DecodeTimestamp(std::string_view payload, bool micro, std::string& out) {
  int64_t seconds = 0;
  int32_t nanos = 0;
  Reader r(payload);
  while (!r.AtEnd()) {
    int field = 0;
    WireValue v;
    if (Status s = r.Next(field, v); !s.IsOk()) return s;
    if (field == 1) {
      if (Status s = DecodeField(v, 's', seconds, 0); !s.IsOk()) return WithPath("seconds", s);
    } else if (field == 2) {
      if (Status s = DecodeField(v, 's', nanos, 0); !s.IsOk()) return WithPath("nanos", s);
    }
  }
  if (payload.empty() || (seconds == kMinUnixSeconds && nanos == 0)) {
    out.clear();  // Go's zero time: JSON null, our ""
    return Status::Ok();
  }
  if (nanos < 0 || nanos > 999'999'999)
    return Malformed(fmt::format("nanos {} out of range", nanos));
  if (seconds < kMinUnixSeconds || seconds > kMaxUnixSeconds) {
    return Malformed(fmt::format("time {}s outside years 1-9999", seconds));
  }
  int64_t days = seconds / 86400;
  int64_t rest = seconds % 86400;
  if (rest < 0) {
    rest += 86400;
    --days;
  }
  int64_t y = 0, m = 0, d = 0;
  CivilFromDays(days, y, m, d);
  out = fmt::format("{:04d}-{:02d}-{:02d}T{:02d}:{:02d}:{:02d}", y, m, d, rest / 3600,
                    rest / 60 % 60, rest % 60);
  if (micro) out += fmt::format(".{:06d}", nanos / 1000);
  out += 'Z';
  return Status::Ok();
}

std::optional<std::string> EncodeTimestamp(const std::string& text) {
  std::string out;
  if (text.empty()) return out;
  int64_t seconds = 0;
  int32_t nanos = 0;
  if (!ParseRfc3339(text, seconds, nanos)) return std::nullopt;
  EncodeField(1, 's', seconds, out);
  EncodeField(2, 's', nanos, out);
  return out;
}

std::string Base64Encode(std::string_view raw) {
  std::string out;
  out.reserve((raw.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 3 <= raw.size(); i += 3) {
    uint32_t n = (static_cast<uint8_t>(raw[i]) << 16U) | (static_cast<uint8_t>(raw[i + 1]) << 8U) |
                 static_cast<uint8_t>(raw[i + 2]);
    out += kBase64Chars[(n >> 18U) & 63U];
    out += kBase64Chars[(n >> 12U) & 63U];
    out += kBase64Chars[(n >> 6U) & 63U];
    out += kBase64Chars[n & 63U];
  }
  if (size_t left = raw.size() - i; left > 0) {
    uint32_t n = static_cast<uint8_t>(raw[i]) << 16U;
    if (left == 2) n |= static_cast<uint8_t>(raw[i + 1]) << 8U;
    out += kBase64Chars[(n >> 18U) & 63U];
    out += kBase64Chars[(n >> 12U) & 63U];
    out += left == 2 ? kBase64Chars[(n >> 6U) & 63U] : '=';
    out += '=';
  }
  return out;
}

std::optional<std::string> Base64Decode(std::string_view text) {
  if (text.size() % 4 != 0) return std::nullopt;
  std::string out;
  out.reserve(text.size() / 4 * 3);
  for (size_t i = 0; i < text.size(); i += 4) {
    bool last = i + 4 == text.size();
    int pad = 0;
    uint32_t n = 0;
    for (size_t j = 0; j < 4; ++j) {
      char c = text[i + j];
      if (c == '=' && last && j >= 2) {
        ++pad;
        n <<= 6U;
        continue;
      }
      int v = Base64Value(c);
      if (v < 0 || pad > 0) return std::nullopt;
      n = (n << 6U) | static_cast<uint32_t>(v);
    }
    out += static_cast<char>((n >> 16U) & 0xffU);
    if (pad < 2) out += static_cast<char>((n >> 8U) & 0xffU);
    if (pad < 1) out += static_cast<char>(n & 0xffU);
  }
  return out;
}

Status DecodeRawJson(std::string_view payload, boost::json::value& out) {
  std::string_view raw;
  Reader r(payload);
  while (!r.AtEnd()) {
    int field = 0;
    WireValue v;
    if (Status s = r.Next(field, v); !s.IsOk()) return s;
    if (field == 1) {
      if (v.wire != kLen) return WithPath("raw", WrongWire(v.wire, "length-delimited"));
      raw = v.bytes;
    }
  }
  if (raw.empty()) {
    out = nullptr;
    return Status::Ok();
  }
  boost::system::error_code ec;
  boost::json::parse_options opts;
  opts.max_depth = 256;
  out = boost::json::parse(raw, ec, {}, opts);
  if (ec) return Malformed("raw JSON: " + ec.message());
  return Status::Ok();
}

Status WrongWire(int wire, std::string_view expected) {
  return Malformed(fmt::format("wire type {} where a {} value belongs", wire, expected));
}

Status WithPath(std::string_view name, const Status& s) {
  std::string_view msg = s.Message();
  if (msg.starts_with(kPathPrefix)) {
    msg.remove_prefix(kPathPrefix.size());
    return Status::BadRequest(fmt::format("{}{}.{}", kPathPrefix, name, msg));
  }
  if (msg.starts_with(kPlainPrefix)) msg.remove_prefix(kPlainPrefix.size());
  return Status::BadRequest(fmt::format("{}{}: {}", kPathPrefix, name, msg));
}

Status TooDeep() {
  return Malformed(fmt::format("messages nested deeper than {}", kProtobufMaxDepth));
}

}  // namespace protobuf_internal

namespace pi = protobuf_internal;

Result<ProtobufEnvelope> ParseProtobufEnvelope(std::string_view body) {
  if (!body.starts_with(kProtobufMagic)) {
    return Status::BadRequest("protobuf: the body does not start with the \"k8s\\0\" prefix");
  }
  ProtobufEnvelope env;
  std::string content_encoding;
  pi::Reader r(body.substr(kProtobufMagic.size()));
  while (!r.AtEnd()) {
    int field = 0;
    pi::WireValue v;
    if (Status s = r.Next(field, v); !s.IsOk()) return s;
    Status s = Status::Ok();
    if (field == 1) {
      if (v.wire != pi::kLen) return pi::WithPath("typeMeta", pi::WrongWire(v.wire, "message"));
      pi::Reader meta(v.bytes);
      while (!meta.AtEnd() && s.IsOk()) {
        int mf = 0;
        pi::WireValue mv;
        s = meta.Next(mf, mv);
        if (s.IsOk() && mf == 1) s = pi::DecodeField(mv, 's', env.api_version, 1);
        if (s.IsOk() && mf == 2) s = pi::DecodeField(mv, 's', env.kind, 1);
      }
      if (!s.IsOk()) return pi::WithPath("typeMeta", s);
    } else if (field == 2) {
      s = pi::DecodeField(v, 's', env.raw, 0);
    } else if (field == 3) {
      s = pi::DecodeField(v, 's', content_encoding, 0);
    }
    if (!s.IsOk()) return s;
  }
  if (!content_encoding.empty()) {
    return Status::BadRequest("protobuf: unsupported contentEncoding \"" + content_encoding + "\"");
  }
  return env;
}

std::string MakeProtobufEnvelope(std::string_view api_version, std::string_view kind,
                                 std::string_view raw) {
  std::string meta;
  pi::PutLen(1, api_version, meta);
  pi::PutLen(2, kind, meta);
  std::string out(kProtobufMagic);
  pi::PutLen(1, meta, out);
  pi::PutLen(2, raw, out);
  pi::PutLen(3, "", out);  // contentEncoding, contentType: empty, as upstream writes them
  pi::PutLen(4, "", out);
  return out;
}

Result<boost::json::value> ProtobufBodyToJson(std::string_view body) {
  auto envelope = ParseProtobufEnvelope(body);
  if (!envelope.IsOk()) return envelope.status();
  std::string_view group;
  std::string_view version = envelope->api_version;
  if (auto slash = version.find('/'); slash != std::string_view::npos) {
    group = version.substr(0, slash);
    version.remove_prefix(slash + 1);
  }
  std::optional<Result<boost::json::value>> out;
  boost::mp11::mp_for_each<boost::mp11::mp_transform<std::type_identity, KindTypes>>(
      [&](auto identity) {
        using T = typename decltype(identity)::type;
        if (out.has_value() || group != T::kGroup || version != T::kVersion ||
            envelope->kind != T::kKind) {
          return;
        }
        T obj;
        Status s = FromProtobufBody(body, obj);
        if (s.IsOk()) {
          out.emplace(ToJson(obj));
        } else {
          out.emplace(std::move(s));
        }
      });
  if (!out.has_value()) {
    return Status::BadRequest(fmt::format("no kind \"{}\" is registered for version \"{}\"",
                                          envelope->kind, envelope->api_version));
  }
  return std::move(*out);
}

}  // namespace kubepp::api
