#include "client/watch.h"

namespace kubepp::client {

namespace json = boost::json;

std::string_view WatchEventTypeName(WatchEventType t) {
  switch (t) {
    case WatchEventType::kAdded:
      return "ADDED";
    case WatchEventType::kModified:
      return "MODIFIED";
    case WatchEventType::kDeleted:
      return "DELETED";
    case WatchEventType::kBookmark:
      return "BOOKMARK";
    case WatchEventType::kError:
      return "ERROR";
  }
  return "";
}

WatchStream::WatchStream(std::unique_ptr<HttpStream> stream) : stream_(std::move(stream)) {}

Status WatchStream::Feed(std::string_view data) {
  while (!data.empty()) {
    // Whitespace between events is skipped by the parser as part of the next value; a buffer
    // holding only whitespace consumes it all without completing a value.
    json::error_code ec;
    size_t used = parser_.write_some(data.data(), data.size(), ec);
    if (ec) return Status::BadRequest("malformed watch event: " + ec.message());
    data.remove_prefix(used);
    if (!parser_.done()) continue;
    json::value v = parser_.release();
    parser_.reset();
    const json::object* obj = v.if_object();
    const json::value* type = obj != nullptr ? obj->if_contains("type") : nullptr;
    if (type == nullptr || !type->is_string()) {
      return Status::BadRequest("malformed watch event: no type");
    }
    std::string_view t = type->get_string();
    WatchEvent ev;
    if (t == "ADDED") {
      ev.type = WatchEventType::kAdded;
    } else if (t == "MODIFIED") {
      ev.type = WatchEventType::kModified;
    } else if (t == "DELETED") {
      ev.type = WatchEventType::kDeleted;
    } else if (t == "BOOKMARK") {
      ev.type = WatchEventType::kBookmark;
    } else if (t == "ERROR") {
      ev.type = WatchEventType::kError;
    } else {
      return Status::BadRequest("malformed watch event: unknown type " + std::string(t));
    }
    if (json::value* o = v.as_object().if_contains("object")) ev.object = std::move(*o);
    ready_.push_back(std::move(ev));
  }
  return Status::Ok();
}

async::Task<Result<std::optional<WatchEvent>>> WatchStream::Next() {
  while (ready_.empty()) {
    if (ended_) co_return std::optional<WatchEvent>();
    auto chunk = co_await stream_->Read();
    if (!chunk.IsOk()) co_return chunk.status();
    if (chunk->empty()) {
      ended_ = true;
      continue;
    }
    Status s = Feed(*chunk);
    if (!s.IsOk()) co_return s;
  }
  std::optional<WatchEvent> ev(std::move(ready_.front()));
  ready_.pop_front();
  co_return ev;
}

}  // namespace kubepp::client
