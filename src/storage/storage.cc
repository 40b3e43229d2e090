#include <boost/beast/core/detail/base64.hpp>
#include <charconv>

#include "storage/backend.h"

namespace kubepp::storage {

namespace base64 = boost::beast::detail::base64;

std::string PrefixEnd(std::string_view prefix) {
  std::string end(prefix);
  // Drop trailing 0xff bytes (they cannot be incremented), then increment the last byte.
  while (!end.empty()) {
    auto last = static_cast<unsigned char>(end.back());
    if (last < 0xff) {
      end.back() = static_cast<char>(last + 1);
      return end;
    }
    end.pop_back();
  }
  return end;  // "" = no upper bound
}

std::string EncodeContinueToken(Revision revision, std::string_view next_key) {
  std::string raw = std::to_string(revision);
  raw += ':';
  raw.append(next_key);
  std::string out(base64::encoded_size(raw.size()), '\0');
  out.resize(base64::encode(out.data(), raw.data(), raw.size()));
  return out;
}

Result<std::pair<Revision, std::string>> DecodeContinueToken(std::string_view token) {
  auto bad = [] { return Status::BadRequest("invalid continue token"); };
  if (token.empty() || token.size() > 4 * kMaxValueBytes) return bad();
  // Beast's decoder stops at the padding: every character before it must be consumed.
  std::string_view body = token;
  while (!body.empty() && body.back() == '=' && token.size() - body.size() < 2) {
    body.remove_suffix(1);
  }
  std::string raw(base64::decoded_size(body.size()) + 3, '\0');
  auto [written, read] = base64::decode(raw.data(), body.data(), body.size());
  if (read != body.size()) return bad();
  raw.resize(written);
  auto colon = raw.find(':');
  if (colon == std::string::npos || colon == 0) return bad();
  Revision rev = 0;
  auto [ptr, ec] = std::from_chars(raw.data(), raw.data() + colon, rev);
  if (ec != std::errc() || ptr != raw.data() + colon || rev <= 0) return bad();
  return std::pair<Revision, std::string>{rev, raw.substr(colon + 1)};
}

Status ValidateWrite(std::string_view key, std::string_view value) {
  if (key.empty()) return Status::BadRequest("empty key");
  if (value.size() > kMaxValueBytes) {
    return Status::TooLarge("value of " + std::to_string(value.size()) +
                            " bytes exceeds the store's limit of " +
                            std::to_string(kMaxValueBytes) + " bytes");
  }
  return Status::Ok();
}

}  // namespace kubepp::storage
