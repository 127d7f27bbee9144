#include "tools/p2pims-ue/descriptor.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "lib/encoding/encoding.h"
#include "lib/json/json_reader.h"

namespace p2pims::ue {

absl::StatusOr<Descriptor> ParseDescriptor(const std::string& content_type,
                                           const std::string& body) {
  if (!absl::StartsWithIgnoreCase(content_type, "application/vnd.p2pims.session+json")) {
    return absl::InvalidArgumentError("the 200 OK carries " +
                                      (content_type.empty() ? "no body" : content_type) +
                                      ", not a session descriptor");
  }
  auto doc = ParseJson(body);
  if (!doc.ok()) return absl::InvalidArgumentError("session descriptor: " + std::string(doc.status().message()));
  auto text = [&](const char* key) -> const std::string* {
    const JsonValue* v = doc->Find(key);
    return v != nullptr && v->is_string() ? &v->text : nullptr;
  };
  for (const char* key : {"session_id", "token", "info_hash"}) {
    if (text(key) == nullptr) {
      return absl::InvalidArgumentError(std::string("session descriptor without ") + key);
    }
  }
  Descriptor d;
  d.session_id = *text("session_id");
  d.token = *text("token");
  if (const std::string* s = text("content_id")) d.content_id = *s;
  if (const std::string* s = text("name")) d.name = *s;
  if (const std::string* s = text("progress")) d.progress = *s;
  if (const JsonValue* v = doc->Find("size")) d.size = v->AsInt();
  std::optional<std::string> hash = Unhex(absl::AsciiStrToLower(*text("info_hash")));
  if (!hash || hash->size() != 20) {
    return absl::InvalidArgumentError("session descriptor: info_hash is not 40 hex digits");
  }
  d.info_hash = *hash;
  if (const JsonValue* a = doc->Find("announce"); a != nullptr) {
    for (const JsonValue& url : a->items) {
      if (url.is_string()) d.announce.push_back(url.text);
    }
  }
  if (d.announce.empty()) return absl::InvalidArgumentError("session descriptor without announce URLs");
  if (const std::string* m = text("metainfo")) {
    std::optional<std::string> raw = Base64UrlDecode(*m);
    if (!raw) return absl::InvalidArgumentError("session descriptor: metainfo is not base64url");
    d.metainfo = std::move(*raw);
  }
  return d;
}

}  // namespace p2pims::ue
