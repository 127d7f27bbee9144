#include "services/rights/store.h"

#include <pqxx/pqxx>

#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "lib/encoding/encoding.h"

namespace p2pims::rights {
namespace {

constexpr char kContentColumns[] =
    "content_id, title, owner, encode(info_hash_v1, 'hex'), coalesce(encode(info_hash_v2, 'hex'), "
    "''),"
    " size_bytes, price_model, price_minor, currency, rental_seconds, owner_share_bp,"
    " array_to_string(territories, ','),"
    " coalesce(extract(epoch from window_start)::bigint, 0),"
    " coalesce(extract(epoch from window_end)::bigint, 0),"
    " device_limit, withdrawn_at IS NOT NULL, extract(epoch from created_at)::bigint";

ContentRecord ReadContent(const pqxx::row& row) {
  ContentRecord c;
  c.content_id = row[0].as<std::string>();
  c.title = row[1].as<std::string>();
  c.owner = row[2].as<std::string>();
  c.info_hash_v1 = Unhex(row[3].as<std::string>()).value_or("");
  c.info_hash_v2 = Unhex(row[4].as<std::string>()).value_or("");
  c.size_bytes = row[5].as<int64_t>();
  c.price_model = PriceModelFromName(row[6].as<std::string>());
  c.price_minor = row[7].as<int64_t>();
  c.currency = row[8].as<std::string>();
  c.rental_seconds = row[9].as<int64_t>();
  c.owner_share_bp = row[10].as<int32_t>();
  const std::string territories = row[11].as<std::string>();
  if (!territories.empty()) c.territories = absl::StrSplit(territories, ',');
  c.window_start = row[12].as<int64_t>();
  c.window_end = row[13].as<int64_t>();
  c.device_limit = row[14].as<int32_t>();
  c.withdrawn = row[15].as<bool>();
  c.created_at = row[16].as<int64_t>();
  return c;
}

// Text form of a PostgreSQL text[] literal; elements are quoted so commas and braces stay data.
std::string ArrayLiteral(const std::vector<std::string>& items) {
  std::vector<std::string> quoted;
  for (const auto& s : items) {
    std::string q = "\"";
    for (char ch : s) {
      if (ch == '"' || ch == '\\') q.push_back('\\');
      q.push_back(ch);
    }
    quoted.push_back(q + "\"");
  }
  return "{" + absl::StrJoin(quoted, ",") + "}";
}

void AuditIn(pqxx::work& tx, const AuditEntry& e) {
  tx.exec_prepared("rights_audit", e.actor, e.action, e.subject, e.content_id, e.result, e.reason);
}

}  // namespace

std::vector<std::pair<std::string, std::string>> RightsStore::Statements() {
  return {
      {"rights_find_content",
       std::string("SELECT ") + kContentColumns + " FROM rights.content WHERE content_id = $1"},
      {"rights_list_content",
       std::string("SELECT ") + kContentColumns +
           " FROM rights.content WHERE content_id > $1 AND ($3 = '' OR owner = $3)"
           " ORDER BY content_id LIMIT $2"},
      {"rights_active_entitlements",
       "SELECT kind, array_to_string(content_ids, ','), coalesce(owner, '')"
       " FROM rights.entitlement WHERE subject = $1 AND revoked_at IS NULL"
       " AND (expires_at IS NULL OR expires_at > to_timestamp($2))"},
      {"rights_audit",
       "INSERT INTO rights.audit (actor, action, subject, content_id, result, reason)"
       " VALUES ($1, $2, nullif($3, ''), nullif($4, ''), $5, $6)"},
      {"rights_insert_content",
       "INSERT INTO rights.content (content_id, title, owner, info_hash_v1, info_hash_v2,"
       " size_bytes, price_model, price_minor, currency, rental_seconds, owner_share_bp,"
       " territories, window_start, window_end, device_limit)"
       " VALUES ($1, $2, $3, decode($4, 'hex'), nullif(decode($5, 'hex'), ''::bytea), $6, $7, $8,"
       " $9, $10, $11, $12::text[], CASE WHEN $13::bigint = 0 THEN NULL ELSE "
       "to_timestamp($13::bigint) END,"
       " CASE WHEN $14::bigint = 0 THEN NULL ELSE to_timestamp($14::bigint) END, $15)"},
      {"rights_insert_entitlement",
       "INSERT INTO rights.entitlement (subject, kind, content_ids, owner, expires_at)"
       " VALUES ($1, $2, $3::text[], nullif($4, ''),"
       " CASE WHEN $5::bigint = 0 THEN NULL ELSE to_timestamp($5::bigint) END) RETURNING "
       "entitlement_id"},
  };
}

absl::StatusOr<std::optional<ContentRecord>> RightsStore::FindContent(const std::string& id) {
  std::optional<ContentRecord> found;
  absl::Status s = pool_.WithTransaction([&](pqxx::work& tx) {
    pqxx::result r = tx.exec_prepared("rights_find_content", id);
    if (!r.empty()) found = ReadContent(r[0]);
    return absl::OkStatus();
  });
  if (!s.ok()) return s;
  return found;
}

absl::StatusOr<std::vector<EntitlementRecord>> RightsStore::ActiveEntitlements(
    const std::string& subject, int64_t now) {
  std::vector<EntitlementRecord> out;
  absl::Status s = pool_.WithTransaction([&](pqxx::work& tx) {
    for (const auto& row : tx.exec_prepared("rights_active_entitlements", subject, now)) {
      EntitlementRecord e;
      e.kind = row[0].as<std::string>();
      const std::string ids = row[1].as<std::string>();
      if (!ids.empty()) e.content_ids = absl::StrSplit(ids, ',');
      e.owner = row[2].as<std::string>();
      out.push_back(std::move(e));
    }
    return absl::OkStatus();
  });
  if (!s.ok()) return s;
  return out;
}

absl::Status RightsStore::Audit(const AuditEntry& entry) {
  return pool_.WithTransaction([&](pqxx::work& tx) {
    AuditIn(tx, entry);
    return absl::OkStatus();
  });
}

absl::Status RightsStore::InsertContent(const ContentRecord& c, const std::string& actor) {
  return pool_.WithTransaction([&](pqxx::work& tx) {
    tx.exec_prepared("rights_insert_content", c.content_id, c.title, c.owner, Hex(c.info_hash_v1),
                     Hex(c.info_hash_v2), c.size_bytes, PriceModelName(c.price_model),
                     c.price_minor, c.currency, c.rental_seconds, c.owner_share_bp,
                     ArrayLiteral(c.territories), c.window_start, c.window_end, c.device_limit);
    AuditIn(tx, {actor, "register_content", "", c.content_id, "ok", c.title});
    return absl::OkStatus();
  });
}

absl::StatusOr<std::vector<ContentRecord>> RightsStore::ListContent(const std::string& after,
                                                                    int limit,
                                                                    const std::string& owner) {
  std::vector<ContentRecord> out;
  absl::Status s = pool_.WithTransaction([&](pqxx::work& tx) {
    for (const auto& row : tx.exec_prepared("rights_list_content", after, limit, owner)) {
      out.push_back(ReadContent(row));
    }
    return absl::OkStatus();
  });
  if (!s.ok()) return s;
  return out;
}

absl::StatusOr<int64_t> RightsStore::InsertEntitlement(const std::string& subject,
                                                       const std::string& kind,
                                                       const std::vector<std::string>& content_ids,
                                                       const std::string& owner, int64_t expires_at,
                                                       const std::string& actor) {
  int64_t id = 0;
  absl::Status s = pool_.WithTransaction([&](pqxx::work& tx) {
    id = tx.exec_prepared1("rights_insert_entitlement", subject, kind, ArrayLiteral(content_ids),
                           owner, expires_at)[0]
             .as<int64_t>();
    AuditIn(tx, {actor, "grant_entitlement", subject, absl::StrJoin(content_ids, ","), "ok", kind});
    return absl::OkStatus();
  });
  if (!s.ok()) return s;
  return id;
}

}  // namespace p2pims::rights
