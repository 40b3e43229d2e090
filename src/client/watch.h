// WatchStream: the events of one watch request, decoded as they arrive.
//
// The body is a sequence of JSON objects {"type": ..., "object": ...} (chunked transfer
// encoding, one object per chunk or several; newlines optional), decoded with an incremental
// JSON parser so an event is handed out as soon as its last byte arrives.
//
// One consumer coroutine calls Next(); Close() may be called from any thread and makes a pending
// Next() return Unavailable promptly.
#pragma once

#include <boost/json/stream_parser.hpp>
#include <boost/json/value.hpp>
#include <deque>
#include <memory>
#include <optional>
#include <string>

#include "async/runtime.h"
#include "base/status.h"
#include "client/http_transport.h"

namespace kubepp::client {

enum class WatchEventType { kAdded, kModified, kDeleted, kBookmark, kError };
std::string_view WatchEventTypeName(WatchEventType t);  // "ADDED", ...

struct WatchEvent {
  WatchEventType type = WatchEventType::kAdded;
  boost::json::value object;  // the object; for kError a metav1.Status
};

class WatchStream {
 public:
  explicit WatchStream(std::unique_ptr<HttpStream> stream);

  // The next event; nullopt when the server ended the watch cleanly (timeoutSeconds reached or
  // the server going away between events). Errors: Unavailable when the connection broke or
  // Close() was called, Timeout when nothing arrived within the read timeout, BadRequest for a
  // malformed event.
  async::Task<Result<std::optional<WatchEvent>>> Next();
  // Ends the stream (any thread). Idempotent.
  void Close() { stream_->Close(); }

 private:
  // Parses what `data` holds into ready_. BadRequest on malformed JSON.
  Status Feed(std::string_view data);

  std::unique_ptr<HttpStream> stream_;  // the response body
  boost::json::stream_parser parser_;   // the event being parsed
  std::deque<WatchEvent> ready_;        // parsed, not yet handed out
  bool ended_ = false;                  // the body ended
};

}  // namespace kubepp::client
