#include "apiserver/registry/meta.h"

#include <fmt/format.h>

#include <random>

namespace kubepp::apiserver {

namespace {
std::mt19937_64& Rng() {
  static thread_local std::mt19937_64 rng(std::random_device{}());
  return rng;
}
}  // namespace

std::string NewUid() {
  std::uniform_int_distribution<uint64_t> dist;
  uint64_t a = dist(Rng());
  uint64_t b = dist(Rng());
  a = (a & 0xffffffffffff0fffULL) | 0x0000000000004000ULL;  // version 4
  b = (b & 0x3fffffffffffffffULL) | 0x8000000000000000ULL;  // variant 10
  return fmt::format("{:08x}-{:04x}-{:04x}-{:04x}-{:012x}", a >> 32, (a >> 16) & 0xffff, a & 0xffff,
                     b >> 48, b & 0xffffffffffffULL);
}

std::string RandomNameSuffix() {
  static constexpr std::string_view kAlphabet = "bcdfghjklmnpqrstvwxz2456789";
  std::uniform_int_distribution<size_t> dist(0, kAlphabet.size() - 1);
  std::string out;
  for (int i = 0; i < 5; ++i) out += kAlphabet[dist(Rng())];
  return out;
}

void PrepareMetaForCreate(api::ObjectMeta& meta, const PrepareOptions& options,
                          bool tracks_generation) {
  if (meta.name.empty() && !meta.generateName.empty()) {
    // Upstream trims the prefix so that prefix + suffix stays within 63 characters.
    std::string prefix = meta.generateName.substr(0, 58);
    meta.name = prefix + RandomNameSuffix();
  }
  if (meta.name.empty()) meta.name = options.name;
  meta.namespace_ = options.namespace_;
  meta.uid = NewUid();
  meta.creationTimestamp = FormatRfc3339(options.now);
  meta.resourceVersion.clear();
  meta.selfLink.clear();
  meta.deletionTimestamp.clear();
  meta.deletionGracePeriodSeconds.reset();
  meta.generation = tracks_generation ? std::optional<int64_t>(1) : std::nullopt;
}

void PrepareMetaForUpdate(api::ObjectMeta& meta, const api::ObjectMeta& old) {
  // A uid the client sent is kept for ValidateMetaUpdate (a uid in a patch is how controllers
  // make sure they change the object they looked at); an empty one is the stored one.
  if (meta.uid.empty()) meta.uid = old.uid;
  meta.creationTimestamp = old.creationTimestamp;
  meta.deletionTimestamp = old.deletionTimestamp;
  meta.deletionGracePeriodSeconds = old.deletionGracePeriodSeconds;
  meta.generation = old.generation;
  meta.selfLink.clear();
  meta.resourceVersion.clear();
  if (meta.namespace_.empty()) meta.namespace_ = old.namespace_;
}

void ValidateMeta(const api::ObjectMeta& meta, bool namespaced, NameRule rule,
                  api::ErrorList& errors) {
  if (meta.name.empty()) {
    errors.push_back(api::Required("metadata.name", "name or generateName is required"));
  } else {
    std::vector<std::string> problems;
    switch (rule) {
      case NameRule::kDns1123Subdomain:
        problems = api::IsDns1123Subdomain(meta.name);
        break;
      case NameRule::kDns1123Label:
        problems = api::IsDns1123Label(meta.name);
        break;
      case NameRule::kDns1035Label:
        problems = api::IsDns1035Label(meta.name);
        break;
      case NameRule::kPathSegment:
        if (meta.name == "." || meta.name == "..") {
          problems.push_back("may not be '" + meta.name + "'");
        } else if (meta.name.find_first_of("/%") != std::string::npos) {
          problems.push_back("may not contain '/' or '%'");
        }
        break;
    }
    for (auto& p : problems) errors.push_back(api::Invalid("metadata.name", meta.name, p));
  }
  if (namespaced && meta.namespace_.empty()) {
    errors.push_back(api::Required("metadata.namespace"));
  } else if (!namespaced && !meta.namespace_.empty()) {
    errors.push_back(api::Forbidden("metadata.namespace", "not allowed on this type"));
  }
  for (const auto& [k, v] : meta.labels) {
    for (auto& p : api::IsQualifiedName(k)) {
      errors.push_back(api::Invalid("metadata.labels", k, p));
    }
    for (auto& p : api::IsValidLabelValue(v)) {
      errors.push_back(api::Invalid("metadata.labels", v, p));
    }
  }
  size_t annotation_bytes = 0;
  for (const auto& [k, v] : meta.annotations) {
    annotation_bytes += k.size() + v.size();
    for (auto& p : api::IsQualifiedName(k)) {
      errors.push_back(api::Invalid("metadata.annotations", k, p));
    }
  }
  constexpr size_t kTotalAnnotationSizeLimit = 256 * 1024;
  if (annotation_bytes > kTotalAnnotationSizeLimit) {
    errors.push_back(api::TooLong("metadata.annotations", "", kTotalAnnotationSizeLimit));
  }
  for (size_t i = 0; i < meta.finalizers.size(); ++i) {
    for (auto& p : api::IsQualifiedName(meta.finalizers[i])) {
      errors.push_back(
          api::Invalid(fmt::format("metadata.finalizers[{}]", i), meta.finalizers[i], p));
    }
  }
  if (meta.generation.has_value() && *meta.generation < 0) {
    errors.push_back(api::InvalidInt("metadata.generation", *meta.generation,
                                     "must be greater than or equal to 0"));
  }
}

void ValidateMetaUpdate(const api::ObjectMeta& meta, const api::ObjectMeta& old,
                        api::ErrorList& errors) {
  if (meta.name != old.name) {
    errors.push_back(api::Invalid("metadata.name", meta.name, "field is immutable"));
  }
  if (meta.namespace_ != old.namespace_) {
    errors.push_back(api::Invalid("metadata.namespace", meta.namespace_, "field is immutable"));
  }
  if (meta.uid != old.uid) {
    errors.push_back(api::Invalid("metadata.uid", meta.uid, "field is immutable"));
  }
}

std::string HumanDuration(std::chrono::seconds d) {
  // kubectl's duration.HumanDuration.
  int64_t secs = d.count();
  if (secs < 0) return "0s";
  if (secs < 60 * 2) return fmt::format("{}s", secs);
  int64_t minutes = secs / 60;
  if (minutes < 10) {
    int64_t s = secs % 60;
    return s == 0 ? fmt::format("{}m", minutes) : fmt::format("{}m{}s", minutes, s);
  }
  if (minutes < 60 * 3) return fmt::format("{}m", minutes);
  int64_t hours = minutes / 60;
  if (hours < 8) {
    int64_t m = minutes % 60;
    return m == 0 ? fmt::format("{}h", hours) : fmt::format("{}h{}m", hours, m);
  }
  if (hours < 48) return fmt::format("{}h", hours);
  if (hours < 24 * 8) {
    int64_t h = hours % 24;
    return h == 0 ? fmt::format("{}d", hours / 24) : fmt::format("{}d{}h", hours / 24, h);
  }
  if (hours < 24 * 365 * 2) return fmt::format("{}d", hours / 24);
  if (hours < 24 * 365 * 8) {
    int64_t dy = (hours / 24) % 365;
    return dy == 0 ? fmt::format("{}y", hours / 24 / 365)
                   : fmt::format("{}y{}d", hours / 24 / 365, dy);
  }
  return fmt::format("{}y", hours / 24 / 365);
}

std::string AgeOf(std::string_view rfc3339, Clock::WallTime now) {
  auto t = ParseRfc3339(rfc3339);
  if (!t) return "<unknown>";
  return HumanDuration(std::chrono::duration_cast<std::chrono::seconds>(now - *t));
}

}  // namespace kubepp::apiserver
