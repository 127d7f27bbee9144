#include "tools/p2pimsctl/tracker_output.h"

#include <cstdint>

#include "absl/strings/str_cat.h"
#include "lib/encoding/encoding.h"
#include "lib/json/json.h"
#include "tools/p2pimsctl/hash_progress.h"
#include "tools/p2pimsctl/table.h"

namespace p2pims::ctl {
namespace {

std::string HexOrDash(const std::string& bytes) { return bytes.empty() ? "-" : Hex(bytes); }

std::string Size(int64_t bytes) {
  return bytes < 1024 ? absl::StrCat(bytes, " bytes")
                      : absl::StrCat(bytes, " bytes (", FormatBytes(bytes), ")");
}

}  // namespace

std::string IndexedContentJson(const tv1::IndexedContent& c, const std::string& result) {
  JsonObject o;
  o.Add("content_id", c.content_id())
      .Add("name", SanitizeUtf8(c.name()))
      .Add("size_bytes", int64_t{c.size_bytes()})
      .Add("info_hash", Hex(c.info_hash()))
      .Add("info_hash_v2_truncated", Hex(c.info_hash_v2_truncated()))
      .Add("metainfo_bytes", static_cast<int64_t>(c.metainfo().size()));
  if (!result.empty()) o.Add("result", result);
  return o.Close();
}

std::string IndexedContentDetails(const tv1::IndexedContent& c, const std::string& result) {
  std::vector<std::pair<std::string, std::string>> fields = {
      {"content_id", c.content_id()},
      {"name", SanitizeUtf8(c.name())},
      {"size", Size(c.size_bytes())},
      {"info_hash", HexOrDash(c.info_hash())},
      {"info_hash_v2_truncated", HexOrDash(c.info_hash_v2_truncated())},
      {"metainfo", c.metainfo().empty() ? "not held" : absl::StrCat(c.metainfo().size(), " bytes")},
  };
  if (!result.empty()) fields.emplace_back("result", result);
  return Details(fields);
}

std::string IndexedContentTable(const std::vector<tv1::IndexedContent>& items) {
  Table t({"ID", "NAME", "SIZE", "INFO_HASH", "V2_TRUNCATED"});
  for (const tv1::IndexedContent& c : items) {
    t.AddRow({c.content_id(), SanitizeUtf8(c.name()), absl::StrCat(c.size_bytes()),
              HexOrDash(c.info_hash()), HexOrDash(c.info_hash_v2_truncated())});
  }
  return t.Render();
}

std::string SwarmStatsJson(const std::string& content_id, const tv1::SwarmStatsResponse& s) {
  JsonObject o;
  o.Add("content_id", content_id)
      .Add("info_hash", Hex(s.info_hash()))
      .Add("seeders", int64_t{s.seeders()})
      .Add("leechers", int64_t{s.leechers()})
      .Add("completed", int64_t{s.completed()})
      .Add("open_sessions", int64_t{s.open_sessions()})
      .Add("bytes_down", int64_t{s.bytes_down()})
      .Add("bytes_up", int64_t{s.bytes_up()});
  return o.Close();
}

std::string SwarmStatsDetails(const std::string& content_id, const tv1::SwarmStatsResponse& s) {
  std::vector<std::pair<std::string, std::string>> fields;
  if (!content_id.empty()) fields.emplace_back("content_id", content_id);
  fields.emplace_back("info_hash", HexOrDash(s.info_hash()));
  fields.emplace_back("seeders", absl::StrCat(s.seeders()));
  fields.emplace_back("leechers", absl::StrCat(s.leechers()));
  fields.emplace_back("completed", absl::StrCat(s.completed()));
  fields.emplace_back("open_sessions", absl::StrCat(s.open_sessions()));
  fields.emplace_back("bytes_down", Size(s.bytes_down()));
  fields.emplace_back("bytes_up", Size(s.bytes_up()));
  return Details(fields);
}

}  // namespace p2pims::ctl
