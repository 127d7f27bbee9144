#include "services/sip-edge/descriptor.h"

#include "lib/encoding/encoding.h"
#include "lib/json/json.h"

namespace p2pims::sip_edge {
std::string RenderDescriptor(const SessionDescriptor& d) {
  std::string announce = "[";
  for (const std::string& url : d.announce_urls) {
    if (announce.size() > 1) announce.push_back(',');
    AppendJsonString(announce, url);
  }
  announce.push_back(']');
  JsonObject o;
  o.Add("version", 1)
      .Add("session_id", d.session_id)
      .Add("icid", d.icid)
      .Add("content_id", d.content_id)
      .Add("info_hash", Hex(d.info_hash))
      .Add("name", d.name)
      .Add("size", d.size_bytes)
      .Add("token", d.token)
      .Add("expires_at", d.expires_at)
      .Add("announce", JsonObject::Raw{announce});
  if (!d.progress_uri.empty()) o.Add("progress", d.progress_uri);
  if (!d.metainfo.empty()) o.Add("metainfo", Base64UrlEncode(d.metainfo));
  return o.Close();
}

}  // namespace p2pims::sip_edge
