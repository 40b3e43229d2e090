#include "api/quantity.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "api/codec.h"
#include "api/protobuf.h"
#include "api/types.h"

namespace kubepp::api {
namespace {

struct SerializeCase {
  std::string_view in;
  std::string_view serialized;  // the text upstream stores and returns
};

// Upstream semantics (k8s.io/apimachinery resource.Quantity, ParseQuantity + MarshalJSON).
const std::vector<SerializeCase> kSerializeCases = {
    // Zero, whatever the suffix or sign.
    {"0", "0"},
    {"0n", "0"},
    {"0m", "0"},
    {"0Ki", "0"},
    {"0k", "0"},
    {"0Gi", "0"},
    {"-0", "0"},
    {"000", "0"},
    {".", "0"},
    {"0.0", "0"},
    // Decimal SI: trailing zeros removed, exponent brought to a multiple of 3.
    {"1", "1"},
    {"100m", "100m"},
    {"1000m", "1"},
    {"1500m", "1500m"},
    {"0.5", "500m"},
    {"0.1", "100m"},
    {"1.5", "1500m"},
    {"1.0", "1"},
    {"2000", "2k"},
    {"1000M", "1G"},
    {"100M", "100M"},
    {"50k", "50k"},
    // A fraction whose shifted scale is a multiple of 3 is canonical to upstream's fast path:
    // kept as written (ParseQuantity's "reuse the string").
    {"10.035M", "10.035M"},
    {"100.035k", "100.035k"},
    {"7.123456M", "7.123456M"},
    {"6.987654321G", "6.987654321G"},
    {"5.444T", "5.444T"},
    {"1.01E", "1010P"},
    {"12E", "12E"},
    {".001", "1m"},
    {".0001k", "100m"},
    {"0.0005k", "500m"},
    {"1080000000n", "1080m"},
    {"1000u", "1m"},
    // DecimalSI has no suffix beyond E: exponent notation keeps the magnitude.
    {"1000E", "1e21"},
    {"5000E", "5e21"},
    // Decimal exponent.
    {"1e3", "1e3"},
    {"1e9", "1e9"},
    {"1.2e3", "1200"},
    {"1.3E+6", "1300e3"},
    {"0.5e0", "500e-3"},
    {"0.5e-1", "50e-3"},
    {"1.40e9", "1400e6"},
    {"1000e-12", "1e-9"},
    {"0.001e0", "1e-3"},
    // Binary SI.
    {"1Ki", "1Ki"},
    {"8Ki", "8Ki"},
    {"1024Ki", "1Mi"},
    {"2048Ki", "2Mi"},
    {"1024Mi", "1Gi"},
    {"1025Ki", "1025Ki"},
    {"1.5Gi", "1536Mi"},
    {"1.5Ki", "1536"},
    {"0.5Ki", "512"},
    {"0.5Mi", "512Ki"},
    {"4Pi", "4Pi"},
    {"3Ei", "3Ei"},
    {"1Pi", "1Pi"},
    {"100.035Ki", "102435840m"},  // not integral: shown as DecimalSI
    {"0.05Gi", "53687091200m"},   // not integral
    {".001Ki", "1024m"},          // below 1: DecimalSI
    {".000001Ki", "1024u"},
    {".000000001Ki", "1024n"},
    {".000000000001Ki", "2n"},       // rounds up, changes format
    {"9Ei", "9223372036854775807"},  // capped at 2^63-1
    {"8Ei", "9223372036854775807"},
    {"9223372036854775807Ki", "9223372036854775807"},
    // Rounding up to nano precision (away from zero).
    {"3.001n", "4n"},
    {"1.1E-9", "2e-9"},
    {"0.5e-9", "1e-9"},
    {"0.0000000001", "1n"},
    {"0.0000000005", "1n"},
    {"0.9n", "1n"},
    {"0.00000012345", "124n"},
    {"1.0000000001", "1000000001n"},
    {"1e-1000", "1e-9"},
    {"0.00000000000000000000000000000000000000000000001", "1n"},
    // Negative values.
    {"-100m", "-100m"},
    {"-0.5", "-500m"},
    {"-2000", "-2k"},
    {"-1.5Gi", "-1536Mi"},
    {"-9Ei", "-9223372036854775807"},
    {"-0.0000000001", "-1n"},
    {"-3.001n", "-4n"},
    // Upstream keeps a text that its int64 fast path considers canonical verbatim.
    {"+1", "+1"},
    {"+1Ki", "+1Ki"},
    {"1.500", "1.500"},
    {"1.G", "1.G"},
    {"1.", "1."},
    {"007", "007"},
    {"1E6", "1E6"},
    {"1E-3", "1E-3"},
    // Large decimal values stay exact.
    {"9223372036854775808", "9223372036854775808"},
    {"9223372036854775808G", "9223372036854775808G"},
    {"99999999999999999999999999999", "99999999999999999999999999999"},
    {"1e28", "10e27"},  // scale 28 is not a multiple of 3: canonicalized
};

TEST(QuantityTest, SerializedText) {
  for (const auto& c : kSerializeCases) {
    auto got = SerializedQuantityText(c.in);
    ASSERT_TRUE(got.IsOk()) << c.in << ": " << got.status().ToString();
    EXPECT_EQ(*got, c.serialized) << c.in;
  }
}

TEST(QuantityTest, SerializedTextIsStable) {
  for (const auto& c : kSerializeCases) {
    auto again = SerializedQuantityText(c.serialized);
    ASSERT_TRUE(again.IsOk()) << c.serialized;
    EXPECT_EQ(*again, c.serialized);
    // The canonical text parses back to the same value and prints the same.
    auto q = ParseQuantity(c.in);
    ASSERT_TRUE(q.IsOk());
    auto back = ParseQuantity(q->ToString());
    ASSERT_TRUE(back.IsOk()) << q->ToString();
    EXPECT_EQ(*back, *q) << c.in;
    EXPECT_EQ(back->ToString(), q->ToString()) << c.in;
    auto s = ParseQuantity(c.serialized);
    ASSERT_TRUE(s.IsOk());
    EXPECT_EQ(*s, *q) << c.in;
  }
}

TEST(QuantityTest, CanonicalStringIgnoresTheKeptText) {
  struct Case {
    std::string_view in;
    std::string_view canonical;
  };
  for (const auto& c : std::vector<Case>{{"+1", "1"},
                                         {"1.500", "1500m"},
                                         {"1.G", "1G"},
                                         {"007", "7"},
                                         {"1E6", "1e6"},
                                         {"1e28", "10e27"},
                                         {"1.", "1"}}) {
    auto q = ParseQuantity(c.in);
    ASSERT_TRUE(q.IsOk()) << c.in;
    EXPECT_EQ(q->ToString(), c.canonical) << c.in;
  }
}

TEST(QuantityTest, Formats) {
  struct Case {
    std::string_view in;
    QuantityFormat format;
  };
  using F = QuantityFormat;
  for (const auto& c : std::vector<Case>{{"1", F::kDecimalSI},
                                         {"5n", F::kDecimalSI},
                                         {"1Ki", F::kBinarySI},
                                         {"0Ki", F::kBinarySI},
                                         {"0.5Ki", F::kBinarySI},
                                         {"1e3", F::kDecimalExponent},
                                         {".000000000001Ki", F::kDecimalSI},
                                         {"0.5e-9", F::kDecimalExponent}}) {
    auto q = ParseQuantity(c.in);
    ASSERT_TRUE(q.IsOk()) << c.in;
    EXPECT_EQ(q->Format(), c.format) << c.in;
  }
}

TEST(QuantityTest, InvalidInputs) {
  struct Case {
    std::string_view in;
    std::string_view message;
  };
  const std::string format(kQuantityFormatError);
  const std::string suffix = "unable to parse quantity's suffix";
  const std::string numeric = "unable to parse numeric part of quantity";
  for (const auto& c : std::vector<Case>{
           {"", format},
           {"1.1.M", format},
           {"1+1.0M", format},
           {"0.1am", format},
           {"aoeu", format},
           {" 1", format},
           {"1 ", format},
           {"1e1.5", format},
           {"25%", format},
           {"0.1mi", suffix},
           {".5i", suffix},
           {"1i", suffix},
           {"-3.01i", suffix},
           {"-3.01e-", suffix},
           {"1e", suffix},
           {"1Kii", suffix},
           {"32MMi", suffix},
           {"1ki", suffix},
           {"1e99999999999999999999", suffix},
           {".Pi", numeric},
           {".e-10", numeric},
       }) {
    auto q = ParseQuantity(c.in);
    ASSERT_FALSE(q.IsOk()) << c.in;
    EXPECT_EQ(q.status().Code(), StatusCode::kBadRequest) << c.in;
    EXPECT_EQ(q.status().Message(), c.message) << c.in;
  }
  for (std::string_view too_large : {"1e29", "100000000000000000000000000000", "1e99", "-1e30",
                                     "100000000000E", "1e1000000000000"}) {
    auto q = ParseQuantity(too_large);
    ASSERT_FALSE(q.IsOk()) << too_large;
    EXPECT_NE(q.status().Message().find("too large"), std::string::npos) << too_large;
  }
}

ParsedQuantity Q(std::string_view text) {
  auto q = ParseQuantity(text);
  EXPECT_TRUE(q.IsOk()) << text;
  return q.IsOk() ? *q : ParsedQuantity();
}

TEST(QuantityTest, ValueAndMilliValue) {
  struct Case {
    std::string_view in;
    int64_t value;
    int64_t milli;
  };
  for (const auto& c : std::vector<Case>{
           {"0", 0, 0},
           {"1", 1, 1000},
           {"100m", 1, 100},
           {"1500m", 2, 1500},
           {"-1500m", -2, -1500},
           {"0.1m", 1, 1},
           {"-0.1m", -1, -1},
           {"1n", 1, 1},
           {"1Ki", 1024, 1024000},
           {"1.5Gi", 1610612736, 1610612736000},
           {"9Ei", INT64_MAX, INT64_MAX},
           {"-9Ei", -INT64_MAX, INT64_MIN},
           {"9223372036854775808", INT64_MAX, INT64_MAX},
           {"1e25", INT64_MAX, INT64_MAX},
       }) {
    ParsedQuantity q = Q(c.in);
    EXPECT_EQ(q.Value(), c.value) << c.in;
    EXPECT_EQ(q.MilliValue(), c.milli) << c.in;
  }
  // Exact beyond int64: 2^63 * 1e9 units.
  ParsedQuantity big = Q("9223372036854775808G");
  EXPECT_EQ(big.Nanos(),
            static_cast<Int128>(static_cast<uint64_t>(1) << 63) * 1'000'000'000 * 1'000'000'000);
}

TEST(QuantityTest, Compare) {
  EXPECT_EQ(Q("0"), Q("0Ki"));
  EXPECT_GT(Q("100m"), Q("50m"));
  EXPECT_LT(Q("50m"), Q("100m"));
  EXPECT_GT(Q("10000T"), Q("100Gi"));
  EXPECT_EQ(Q("1Ki"), Q("1024"));
  EXPECT_EQ(Q("1k"), Q("1e3"));
  EXPECT_LT(Q("-1"), Q("1n"));
  EXPECT_LT(Q("999999999n"), Q("1"));
  EXPECT_GT(Q("1.0000000001"), Q("1"));  // rounded up to 1000000001n
}

TEST(QuantityTest, Arithmetic) {
  ParsedQuantity a = Q("100m");
  ASSERT_TRUE(a.Add(Q("1.5")));
  EXPECT_EQ(a.ToString(), "1600m");
  ASSERT_TRUE(a.Sub(Q("2")));
  EXPECT_EQ(a.ToString(), "-400m");
  a.Neg();
  EXPECT_EQ(a.ToString(), "400m");

  // A zero left-hand side takes the other's format; adding zero keeps it.
  for (std::string_view v : {"100m", "1Gi"}) {
    ParsedQuantity zero;
    ASSERT_TRUE(zero.Add(Q(v)));
    EXPECT_EQ(zero.ToString(), v);
    ParsedQuantity x = Q(v);
    ASSERT_TRUE(x.Add(ParsedQuantity()));
    EXPECT_EQ(x.ToString(), v);
    ParsedQuantity z2;
    ASSERT_TRUE(z2.Sub(Q(v)));
    EXPECT_EQ(z2.ToString(), "-" + std::string(v));
  }

  ParsedQuantity gi = Q("1Gi");
  ASSERT_TRUE(gi.Add(Q("512Mi")));
  EXPECT_EQ(gi.ToString(), "1536Mi");
  ASSERT_TRUE(gi.Add(Q("1m")));
  EXPECT_EQ(gi.ToString(), "1610612736001m");  // not integral: DecimalSI

  // Overflow leaves the value unchanged.
  auto max = ParsedQuantity::FromNanos(ParsedQuantity::kMaxNanos);
  ASSERT_TRUE(max.IsOk());
  ParsedQuantity m = *max;
  EXPECT_FALSE(m.Add(Q("1n")));
  EXPECT_EQ(m, *max);
  ParsedQuantity neg = *max;
  neg.Neg();
  EXPECT_FALSE(neg.Sub(Q("1n")));
  EXPECT_FALSE(ParsedQuantity::FromNanos(ParsedQuantity::kMaxNanos + 1).IsOk());

  // 2^63 * 1e9 units is exact, and so are sums beyond int64.
  ParsedQuantity big = Q("9223372036854775807");
  ASSERT_TRUE(big.Add(Q("1")));
  EXPECT_EQ(big.ToString(), "9223372036854775808");
  ASSERT_TRUE(big.Add(big));
  EXPECT_EQ(big.ToString(), "18446744073709551616");
}

TEST(QuantityTest, Constructors) {
  EXPECT_EQ(ParsedQuantity::FromMilli(1).ToString(), "1m");
  EXPECT_EQ(ParsedQuantity::FromMilli(1000).ToString(), "1");
  EXPECT_EQ(ParsedQuantity::FromMilli(1234000).ToString(), "1234");
  EXPECT_EQ(ParsedQuantity::FromMilli(1024, QuantityFormat::kBinarySI).ToString(), "1024m");
  EXPECT_EQ(ParsedQuantity::FromMilli(1000000, QuantityFormat::kDecimalExponent).ToString(), "1e3");
  EXPECT_EQ(ParsedQuantity::FromValue(1000).ToString(), "1k");
  EXPECT_EQ(ParsedQuantity::FromValue(1024, QuantityFormat::kBinarySI).ToString(), "1Ki");
  EXPECT_EQ(ParsedQuantity::FromValue(1000000, QuantityFormat::kDecimalExponent).ToString(), "1e6");
  EXPECT_EQ(ParsedQuantity::FromValue(5, QuantityFormat::kBinarySI).ToString(), "5");
  EXPECT_EQ(ParsedQuantity::FromValue(INT64_MIN, QuantityFormat::kBinarySI).ToString(), "-8Ei");
  EXPECT_EQ(ParsedQuantity::FromValue(1).ToQuantity().text, "1");
}

// Every value printed in every format parses back to itself (deterministic pseudo-random set).
TEST(QuantityTest, PrintParseRoundTrip) {
  uint64_t state = 0x9e3779b97f4a7c15ULL;
  auto next = [&state] {
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    return state;
  };
  for (int i = 0; i < 20000; ++i) {
    Int128 nanos = static_cast<Int128>(next() >> (next() % 64));
    switch (next() % 4) {
      case 0:
        nanos *= 1'000'000'000;  // whole units
        break;
      case 1:
        nanos = (nanos >> (next() % 10)) << (10 * (next() % 7));  // binary-friendly
        break;
      case 2:
        nanos *= static_cast<Int128>(next() % 1'000'000'000'000ULL);  // large
        break;
      default:
        break;
    }
    if (next() % 2 == 0) nanos = -nanos;
    auto format = static_cast<QuantityFormat>(next() % 3);
    // BinarySI texts beyond 2^63-1 units are capped when parsed (upstream).
    Int128 units = nanos / 1'000'000'000;
    if (format == QuantityFormat::kBinarySI && (units > INT64_MAX || units < -INT64_MAX)) {
      format = QuantityFormat::kDecimalSI;
    }
    auto q = ParsedQuantity::FromNanos(nanos, format);
    ASSERT_TRUE(q.IsOk());
    std::string text = q->ToString();
    auto back = ParseQuantity(text);
    ASSERT_TRUE(back.IsOk()) << text;
    EXPECT_EQ(*back, *q) << text;
    // The text itself need not round-trip: a BinarySI value that is no multiple of 1024 prints
    // without a suffix ("767123000") and parses back as DecimalSI ("767123k"), as upstream.
    // What is serialized is stable, though.
    auto serialized = SerializedQuantityText(text);
    ASSERT_TRUE(serialized.IsOk());
    auto again = SerializedQuantityText(*serialized);
    ASSERT_TRUE(again.IsOk());
    EXPECT_EQ(*again, *serialized) << text;
  }
}

Pod DecodePod(std::string_view text, kubepp::Status* status) {
  auto v = ParseJsonText(text);
  EXPECT_TRUE(v.IsOk());
  Pod pod;
  *status = FromJson(*v, pod);
  return pod;
}

constexpr std::string_view kPodWithResources = R"({
  "apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"},
  "spec": {"containers": [{"name": "c", "image": "busybox", "resources": {
    "requests": {"cpu": "0.5", "memory": "1.5Gi", "nvidia.com/gpu": 2, "example.com/a": 1.5,
                 "example.com/big": 18446744073709551615, "example.com/exp": 1e3,
                 "ephemeral-storage": " 1Gi\n", "example.com/neg": -7, "example.com/keep": "1.500"},
    "limits": {"cpu": "1000m", "memory": "2048Mi"}}}]}
})";

TEST(QuantityTest, PodJsonRoundTrip) {
  kubepp::Status status;
  Pod pod = DecodePod(kPodWithResources, &status);
  ASSERT_TRUE(status.IsOk()) << status.ToString();
  const auto& r = *pod.spec.containers.at(0).resources;
  EXPECT_EQ(r.requests.at("cpu").text, "500m");
  EXPECT_EQ(r.requests.at("memory").text, "1536Mi");
  EXPECT_EQ(r.requests.at("nvidia.com/gpu").text, "2");
  EXPECT_EQ(r.requests.at("example.com/a").text, "1500m");
  EXPECT_EQ(r.requests.at("example.com/big").text, "18446744073709551615");
  EXPECT_EQ(r.requests.at("example.com/exp").text, "1k");  // a JSON double: see DecodeQuantity
  EXPECT_EQ(r.requests.at("ephemeral-storage").text, "1Gi");
  EXPECT_EQ(r.requests.at("example.com/neg").text, "-7");
  EXPECT_EQ(r.requests.at("example.com/keep").text, "1.500");
  EXPECT_EQ(r.limits.at("cpu").text, "1");
  EXPECT_EQ(r.limits.at("memory").text, "2Gi");

  boost::json::value out = ToJson(pod);
  const auto& requests =
      out.at("spec").at("containers").at(0).at("resources").at("requests").as_object();
  EXPECT_EQ(requests.at("cpu").as_string(), "500m");
  EXPECT_EQ(requests.at("memory").as_string(), "1536Mi");
  EXPECT_EQ(requests.at("nvidia.com/gpu").as_string(), "2");

  kubepp::Status again_status;
  Pod again = DecodePod(ToJsonString(pod), &again_status);
  ASSERT_TRUE(again_status.IsOk());
  EXPECT_EQ(again, pod);
}

TEST(QuantityTest, EncodeCanonicalizesProgrammaticText) {
  Pod pod;
  pod.metadata.name = "p";
  Container c;
  c.name = "c";
  c.resources.emplace();
  c.resources->requests["cpu"] = Quantity{"0.5"};
  c.resources->requests["memory"] = Quantity{"1024Ki"};
  c.resources->limits["bogus"] = Quantity{"not a quantity"};  // emitted as is
  pod.spec.containers.push_back(c);
  boost::json::value out = ToJson(pod);
  const auto& res = out.at("spec").at("containers").at(0).at("resources");
  EXPECT_EQ(res.at("requests").at("cpu").as_string(), "500m");
  EXPECT_EQ(res.at("requests").at("memory").as_string(), "1Mi");
  EXPECT_EQ(res.at("limits").at("bogus").as_string(), "not a quantity");
}

TEST(QuantityTest, PodJsonRejectsBadQuantities) {
  struct Case {
    std::string_view value;
    std::string_view message;
  };
  for (const auto& c : std::vector<Case>{
           {R"("abc")", kQuantityFormatError},
           {R"("25%")", kQuantityFormatError},
           {R"("32MMi")", "unable to parse quantity's suffix"},
           {R"("")", kQuantityFormatError},
           {"true", "json: cannot unmarshal bool into Go struct field"},
           {"{}", "of type resource.Quantity"},
       }) {
    std::string body =
        R"({"spec": {"containers": [{"name": "c", "resources": {"requests": {"cpu": )" +
        std::string(c.value) + "}}}]}}";
    kubepp::Status status;
    DecodePod(body, &status);
    ASSERT_FALSE(status.IsOk()) << c.value;
    EXPECT_EQ(status.Code(), StatusCode::kBadRequest);
    EXPECT_NE(status.Message().find(c.message), std::string::npos)
        << c.value << ": " << status.Message();
  }
  // null leaves the zero value, as upstream.
  kubepp::Status status;
  Pod pod = DecodePod(
      R"({"spec": {"containers": [{"name": "c", "resources": {"requests": {"cpu": null}}}]}})",
      &status);
  ASSERT_TRUE(status.IsOk());
  EXPECT_EQ(pod.spec.containers.at(0).resources->requests.at("cpu").text, "");
}

TEST(QuantityTest, ProtobufRoundTrip) {
  kubepp::Status status;
  Pod pod = DecodePod(kPodWithResources, &status);
  ASSERT_TRUE(status.IsOk());
  std::string bytes = ToProtobuf(pod);
  Pod back;
  ASSERT_TRUE(FromProtobuf(bytes, back).IsOk());
  EXPECT_EQ(back.spec.containers.at(0).resources->requests,
            pod.spec.containers.at(0).resources->requests);
  EXPECT_EQ(back.spec.containers.at(0).resources->requests.at("memory").text, "1536Mi");
}

}  // namespace
}  // namespace kubepp::api
