// StorageHooks: what a resource does around the store write beyond Prepare (upstream's
// BeginCreate / BeginUpdate / AfterDelete decorators of the generic registry store). Services
// use it to take ClusterIPs and NodePorts before the object is stored and give them back when
// the write fails or the object is gone.
//
// Every method blocks (it may read and write the store): the handler runs them on the
// blocking pool.
#pragma once

#include <boost/json/value.hpp>
#include <functional>

#include "base/status.h"

namespace kubepp::apiserver {

class StorageHooks {
 public:
  // Called once the write's outcome is known: `stored` is true when the object was written.
  // A finish of a write that did not land gives back what its Begin* took.
  using Finish = std::function<void(bool stored)>;

  virtual ~StorageHooks() = default;

  // Before a prepared (defaulted, validated) object is created; may change `obj`. A dry run
  // checks and fills in values without keeping anything.
  virtual Result<Finish> BeginCreate(boost::json::value& obj, bool dry_run) = 0;
  // Before `obj` replaces `old`; may change `obj`.
  virtual Result<Finish> BeginUpdate(boost::json::value& obj, const boost::json::value& old,
                                     bool dry_run) = 0;
  // After `obj` was removed from the store.
  virtual void AfterDelete(const boost::json::value& obj) = 0;
};

}  // namespace kubepp::apiserver
