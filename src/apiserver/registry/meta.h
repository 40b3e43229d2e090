// Object metadata rules shared by every kind (upstream's rest.BeforeCreate/BeforeUpdate and
// ValidateObjectMeta): names, generateName, uid, timestamps, labels and annotations.
#pragma once

#include <string>
#include <string_view>

#include "api/field_errors.h"
#include "api/types.h"
#include "apiserver/registry/resource.h"
#include "base/rfc3339.h"

namespace kubepp::apiserver {

// How names of a kind are validated.
enum class NameRule {
  kDns1123Subdomain,  // most kinds
  kDns1123Label,      // namespaces, services' DNS label rule is kDns1035Label
  kDns1035Label,      // services
  kPathSegment,       // anything but "." "..", and no '/' or '%' (e.g. events, leases? no)
};

// Sets what the server owns on create: name from generateName, uid, creationTimestamp,
// generation (when tracked), and clears what clients may not set.
void PrepareMetaForCreate(api::ObjectMeta& meta, const PrepareOptions& options,
                          bool tracks_generation);
// Carries over from `old` what an update may not change (uid, creationTimestamp, ...).
void PrepareMetaForUpdate(api::ObjectMeta& meta, const api::ObjectMeta& old);
// Validates metadata: name (by `rule`), namespace presence, labels, annotations, finalizers.
void ValidateMeta(const api::ObjectMeta& meta, bool namespaced, NameRule rule,
                  api::ErrorList& errors);
// Update-only checks: name and namespace unchanged.
void ValidateMetaUpdate(const api::ObjectMeta& meta, const api::ObjectMeta& old,
                        api::ErrorList& errors);

// A random RFC 4122 version 4 UUID.
std::string NewUid();
// Upstream's 5-character suffix for generateName (consonants and digits).
std::string RandomNameSuffix();
// kubectl's short duration ("5s", "7m", "3h", "2d5h", "45d", "3y")  — the AGE column.
std::string HumanDuration(std::chrono::seconds d);
// AGE of an RFC 3339 timestamp relative to `now` ("<unknown>" when unparseable).
std::string AgeOf(std::string_view rfc3339, Clock::WallTime now);
// (ParseRfc3339 is base/rfc3339.h's.)

}  // namespace kubepp::apiserver
