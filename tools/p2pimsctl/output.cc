#include "tools/p2pimsctl/output.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "lib/encoding/encoding.h"
#include "lib/json/json.h"
#include "tools/p2pimsctl/enum_names.h"
#include "tools/p2pimsctl/table.h"
#include "tools/p2pimsctl/time_arg.h"

namespace p2pims::ctl {
namespace {

std::string JsonStrings(const google::protobuf::RepeatedPtrField<std::string>& items) {
  std::string out = "[";
  for (const std::string& s : items) {
    if (out.size() > 1) out += ',';
    AppendJsonString(out, s);
  }
  return out + "]";
}

std::string TimeOr(int64_t t, const char* when_zero) {
  return t == 0 ? std::string(when_zero) : FormatTime(t);
}

std::string Price(const v1::Licence& licence) {
  std::string out = absl::StrCat(licence.price().minor());
  if (!licence.price().currency().empty()) absl::StrAppend(&out, " ", licence.price().currency());
  return out;
}

std::string Window(const v1::Licence& l) {
  if (l.window_start() == 0 && l.window_end() == 0) return "always";
  return absl::StrCat(TimeOr(l.window_start(), "(no start)"), " .. ",
                      TimeOr(l.window_end(), "(no end)"));
}

std::string Covers(const v1::Entitlement& e) {
  std::vector<std::string> parts(e.content_ids().begin(), e.content_ids().end());
  if (!e.owner().empty()) parts.push_back(absl::StrCat("owner:", e.owner()));
  return absl::StrJoin(parts, ",");
}

std::string EntitlementState(const v1::Entitlement& e, int64_t now) {
  if (e.revoked()) return "revoked";
  if (e.expires_at() != 0 && e.expires_at() <= now) return "expired";
  return "active";
}

}  // namespace

std::string ContentJson(const v1::Content& c) {
  const v1::Licence& l = c.licence();
  JsonObject licence;
  licence.Add("price_model", PriceModelName(l.price_model()))
      .Add("price_minor", int64_t{l.price().minor()})
      .Add("currency", l.price().currency())
      .Add("rental_seconds", int64_t{l.rental_seconds()})
      .Add("owner_share_bp", l.owner_share_bp())
      .Add("territories", JsonObject::Raw{JsonStrings(l.territories())})
      .Add("window_start", int64_t{l.window_start()})
      .Add("window_end", int64_t{l.window_end()})
      .Add("device_limit", l.device_limit());
  const std::string licence_json = licence.Close();
  JsonObject o;
  o.Add("content_id", c.content_id())
      .Add("title", c.title())
      .Add("owner", c.owner())
      .Add("info_hash_v1", Hex(c.info_hash_v1()))
      .Add("info_hash_v2", Hex(c.info_hash_v2()))
      .Add("size_bytes", int64_t{c.size_bytes()})
      .Add("licence", JsonObject::Raw{licence_json})
      .Add("withdrawn", c.withdrawn())
      .Add("created_at", int64_t{c.created_at()});
  return o.Close();
}

std::string ContentDetails(const v1::Content& c) {
  const v1::Licence& l = c.licence();
  std::string price = absl::StrCat(Price(l), " (minor units)");
  if (l.price_model() == v1::PRICE_MODEL_PER_BYTE) absl::StrAppend(&price, " per MiB");
  std::vector<std::pair<std::string, std::string>> fields = {
      {"content_id", c.content_id()},
      {"title", c.title()},
      {"owner", c.owner()},
      {"info_hash_v1", Hex(c.info_hash_v1())},
      {"info_hash_v2", c.info_hash_v2().empty() ? "-" : Hex(c.info_hash_v2())},
      {"size", absl::StrCat(c.size_bytes(), " bytes")},
      {"price_model", PriceModelName(l.price_model())},
      {"price", price},
  };
  if (l.price_model() == v1::PRICE_MODEL_RENTAL || l.rental_seconds() != 0) {
    fields.emplace_back("rental", absl::StrCat(l.rental_seconds(), " s"));
  }
  fields.emplace_back("owner_share", absl::StrCat(l.owner_share_bp(), " bp"));
  fields.emplace_back(
      "territories", l.territories().empty() ? "everywhere" : absl::StrJoin(l.territories(), ", "));
  fields.emplace_back("window", Window(l));
  fields.emplace_back("device_limit",
                      l.device_limit() == 0 ? "unlimited" : absl::StrCat(l.device_limit()));
  fields.emplace_back("state", c.withdrawn() ? "withdrawn" : "active");
  fields.emplace_back("created", TimeOr(c.created_at(), "-"));
  return Details(fields);
}

std::string ContentTable(const std::vector<v1::Content>& items) {
  Table t({"ID", "TITLE", "OWNER", "MODEL", "PRICE", "SIZE", "STATE"});
  for (const v1::Content& c : items) {
    t.AddRow({c.content_id(), c.title(), c.owner(), PriceModelName(c.licence().price_model()),
              Price(c.licence()), absl::StrCat(c.size_bytes()),
              c.withdrawn() ? "withdrawn" : "active"});
  }
  return t.Render();
}

std::string EntitlementJson(const v1::Entitlement& e) {
  JsonObject o;
  o.Add("entitlement_id", e.entitlement_id())
      .Add("subject", e.subject())
      .Add("kind", EntitlementKindName(e.kind()))
      .Add("content_ids", JsonObject::Raw{JsonStrings(e.content_ids())})
      .Add("owner", e.owner())
      .Add("expires_at", int64_t{e.expires_at()})
      .Add("revoked", e.revoked())
      .Add("granted_at", int64_t{e.granted_at()});
  return o.Close();
}

std::string EntitlementDetails(const v1::Entitlement& e, int64_t now) {
  return Details({
      {"entitlement_id", e.entitlement_id()},
      {"subject", e.subject()},
      {"kind", EntitlementKindName(e.kind())},
      {"content", e.content_ids().empty() ? "-" : absl::StrJoin(e.content_ids(), ", ")},
      {"owner", e.owner().empty() ? "-" : e.owner()},
      {"expires", TimeOr(e.expires_at(), "never")},
      {"state", EntitlementState(e, now)},
      {"granted", TimeOr(e.granted_at(), "-")},
  });
}

std::string EntitlementTable(const std::vector<v1::Entitlement>& items, int64_t now) {
  Table t({"ID", "SUBJECT", "KIND", "COVERS", "EXPIRES", "STATE"});
  for (const v1::Entitlement& e : items) {
    t.AddRow({e.entitlement_id(), e.subject(), EntitlementKindName(e.kind()), Covers(e),
              TimeOr(e.expires_at(), "never"), EntitlementState(e, now)});
  }
  return t.Render();
}

std::string RevocationJson(const v1::Revocation& r) {
  JsonObject o;
  o.Add("sequence", int64_t{r.sequence()})
      .Add("token_id", r.token_id())
      .Add("subject", r.subject())
      .Add("content_id", r.content_id())
      .Add("issued_before", int64_t{r.issued_before()})
      .Add("reason", r.reason())
      .Add("created_at", int64_t{r.created_at()})
      .Add("expires_at", int64_t{r.expires_at()});
  return o.Close();
}

std::string RevocationDetails(const v1::Revocation& r) {
  std::vector<std::pair<std::string, std::string>> fields = {
      {"sequence", absl::StrCat(r.sequence())}};
  if (!r.token_id().empty()) fields.emplace_back("token_id", r.token_id());
  if (!r.subject().empty()) fields.emplace_back("subject", r.subject());
  if (!r.content_id().empty()) fields.emplace_back("content_id", r.content_id());
  fields.emplace_back("issued_before", TimeOr(r.issued_before(), "-"));
  fields.emplace_back("reason", r.reason());
  fields.emplace_back("created", TimeOr(r.created_at(), "-"));
  fields.emplace_back("expires", TimeOr(r.expires_at(), "-"));
  return Details(fields);
}

std::string AuditJson(const v1::AuditRecord& r) {
  JsonObject o;
  o.Add("time", int64_t{r.time()})
      .Add("actor", r.actor())
      .Add("action", r.action())
      .Add("subject", r.subject())
      .Add("content_id", r.content_id())
      .Add("result", r.result())
      .Add("reason", r.reason());
  return o.Close();
}

std::string AuditTable(const std::vector<v1::AuditRecord>& records) {
  Table t({"TIME", "ACTOR", "ACTION", "SUBJECT", "CONTENT", "RESULT", "REASON"});
  for (const v1::AuditRecord& r : records) {
    t.AddRow({FormatTime(r.time()), r.actor(), r.action(), r.subject(), r.content_id(), r.result(),
              r.reason()});
  }
  return t.Render();
}

std::string JsonArray(const std::vector<std::string>& items) {
  if (items.empty()) return "[]\n";
  return absl::StrCat("[\n", absl::StrJoin(items, ",\n"), "\n]\n");
}

}  // namespace p2pims::ctl
