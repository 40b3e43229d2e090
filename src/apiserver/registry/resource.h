// The resource registry: every kind the API server serves, with its REST facts (group,
// version, plural, scope, short names) and its behaviour (KindOps).
//
// Registration is explicit (registry.cc lists every kind) — no static self-registration.
// Immutable after construction; shared by every request thread.
#pragma once

#include <boost/json/value.hpp>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "api/field_errors.h"
#include "base/clock.h"
#include "base/status.h"

namespace kubepp::apiserver {

enum class Operation { kCreate, kUpdate };

// What a write request brings besides the body.
struct PrepareOptions {
  Operation op = Operation::kCreate;
  bool status_subresource = false;  // PUT/PATCH .../status
  std::string subresource;          // "" or the subresource written ("status", "finalize", ...)
  std::string namespace_;           // from the URL; "" for cluster-scoped kinds
  std::string name;                 // from the URL; "" for a create without a name in the path
  Clock::WallTime now;              // creationTimestamp for creates
};

// The result of preparing a write: the object as it will be stored.
struct Prepared {
  boost::json::value object;         // normalized (unknown fields dropped, defaults applied)
  std::vector<std::string> unknown;  // unknown fields in the body, as JSON paths
};

// A server-side printing column (metav1.TableColumnDefinition).
struct TableColumn {
  std::string name;         // header, e.g. "READY"
  std::string type;         // "string", "integer", "date", ...
  std::string format;       // "name" for the NAME column, else ""
  std::string description;  // help text
  int priority = 0;         // 0: always shown; 1: only with -o wide
};

// The behaviour of one kind, type-erased. Implemented by KindOps<T> (kind_ops.h).
class KindOps {
 public:
  virtual ~KindOps() = default;
  // Decodes `body`, applies metadata rules, defaults and validation (against `old` on update),
  // and returns the object to store. Errors: BadRequest (malformed, wrong kind), Invalid (422
  // with causes).
  virtual Result<Prepared> Prepare(const boost::json::value& body, const boost::json::value* old,
                                   const PrepareOptions& options) const = 0;
  // Table cells for `object`, in the order of the kind's columns (NAME first).
  virtual std::vector<boost::json::value> Row(const boost::json::value& object,
                                              Clock::WallTime now) const = 0;
  // The object's values for field selectors (metadata.name, metadata.namespace, and the
  // kind's own, e.g. spec.nodeName, status.phase).
  virtual std::map<std::string, std::string> Fields(const boost::json::value& object) const = 0;
};

struct ResourceInfo {
  std::string group;                     // "" for core
  std::string version;                   // "v1"
  std::string resource;                  // plural, e.g. "deployments"
  std::string singular;                  // "deployment"
  std::string kind;                      // "Deployment"
  bool namespaced = true;                // namespaced or cluster-scoped
  std::vector<std::string> short_names;  // e.g. {"deploy"}
  std::vector<std::string> categories;   // e.g. {"all"}
  std::vector<std::string> verbs;        // as served in discovery
  bool has_status = false;               // a status subresource exists
  bool has_scale = false;                // a scale subresource exists
  std::vector<TableColumn> columns;      // server-side printing, NAME first
  std::unique_ptr<KindOps> ops;          // the kind's behaviour

  std::string GroupVersion() const { return group.empty() ? version : group + "/" + version; }
  // Store key prefix of every object of this resource: "/registry/<group>/<resource>/".
  std::string KeyPrefix() const;
  // Store key of one object.
  std::string Key(std::string_view ns, std::string_view name) const;
};

class Registry {
 public:
  // Every kind kubepp serves.
  static std::unique_ptr<Registry> Default();

  void Add(ResourceInfo info);
  // The resource `resource` in group/version, or nullptr.
  const ResourceInfo* Find(std::string_view group, std::string_view version,
                           std::string_view resource) const;
  const std::vector<std::unique_ptr<ResourceInfo>>& All() const { return resources_; }
  // Group names in discovery order ("" first).
  std::vector<std::string> Groups() const;

 private:
  std::vector<std::unique_ptr<ResourceInfo>> resources_;  // in registration order
};

}  // namespace kubepp::apiserver
