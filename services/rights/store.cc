#include "services/rights/store.h"

#include <pqxx/pqxx>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "lib/encoding/encoding.h"
#include "lib/pg/array.h"

namespace p2pims::rights {
namespace {

constexpr char kContentColumns[] =
    "content_id, title, owner, encode(info_hash_v1, 'hex'),"
    " coalesce(encode(info_hash_v2, 'hex'), ''), size_bytes, price_model, price_minor, currency,"
    " rental_seconds, owner_share_bp, array_to_string(territories, ','),"
    " coalesce(extract(epoch from window_start)::bigint, 0),"
    " coalesce(extract(epoch from window_end)::bigint, 0),"
    " device_limit, withdrawn_at IS NOT NULL, extract(epoch from created_at)::bigint";

constexpr char kEntitlementColumns[] =
    "entitlement_id, subject, kind, array_to_string(content_ids, ','), coalesce(owner, ''),"
    " coalesce(extract(epoch from expires_at)::bigint, 0), revoked_at IS NOT NULL,"
    " extract(epoch from granted_at)::bigint";

constexpr char kRevocationColumns[] =
    "sequence, coalesce(token_id, ''), coalesce(subject, ''), coalesce(content_id, ''), reason,"
    // Rounded up: tokens carry whole seconds, so a token issued earlier in the revocation's own
    // second is still caught (issued_at < issued_before).
    " ceil(extract(epoch from issued_before))::bigint, extract(epoch from created_at)::bigint,"
    " extract(epoch from expires_at)::bigint";

// Unix seconds -> timestamptz, 0 -> NULL.
#define P2PIMS_TS(n) "CASE WHEN $" #n "::bigint = 0 THEN NULL ELSE to_timestamp($" #n "::bigint) END"

std::vector<std::string> SplitList(const std::string& joined) {
  if (joined.empty()) return {};
  return absl::StrSplit(joined, ',');
}

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
  c.territories = SplitList(row[11].as<std::string>());
  c.window_start = row[12].as<int64_t>();
  c.window_end = row[13].as<int64_t>();
  c.device_limit = row[14].as<int32_t>();
  c.withdrawn = row[15].as<bool>();
  c.created_at = row[16].as<int64_t>();
  return c;
}

EntitlementRecord ReadEntitlement(const pqxx::row& row) {
  EntitlementRecord e;
  e.entitlement_id = row[0].as<int64_t>();
  e.subject = row[1].as<std::string>();
  e.kind = row[2].as<std::string>();
  e.content_ids = SplitList(row[3].as<std::string>());
  e.owner = row[4].as<std::string>();
  e.expires_at = row[5].as<int64_t>();
  e.revoked = row[6].as<bool>();
  e.granted_at = row[7].as<int64_t>();
  return e;
}

RevocationRecord ReadRevocation(const pqxx::row& row) {
  RevocationRecord r;
  r.sequence = row[0].as<int64_t>();
  r.token_id = row[1].as<std::string>();
  r.subject = row[2].as<std::string>();
  r.content_id = row[3].as<std::string>();
  r.reason = row[4].as<std::string>();
  r.issued_before = row[5].as<int64_t>();
  r.created_at = row[6].as<int64_t>();
  r.expires_at = row[7].as<int64_t>();
  return r;
}

void AuditIn(pqxx::work& tx, const std::string& actor, const std::string& action,
             const std::string& subject, const std::string& content_id, const std::string& reason) {
  tx.exec_prepared("rights_audit", actor, action, subject, content_id, "ok", reason);
}

template <typename T, typename Read>
std::vector<T> ReadAll(const pqxx::result& rows, Read read) {
  std::vector<T> out;
  out.reserve(rows.size());
  for (const auto& row : rows) out.push_back(read(row));
  return out;
}

}  // namespace

std::vector<std::pair<std::string, std::string>> RightsStore::Statements() {
  const std::string content = std::string("SELECT ") + kContentColumns + " FROM rights.content";
  const std::string entitlement =
      std::string("SELECT ") + kEntitlementColumns + " FROM rights.entitlement";
  const std::string active =
      " revoked_at IS NULL AND (expires_at IS NULL OR expires_at > now())";
  return {
      {"rights_find_content", content + " WHERE content_id = $1"},
      // The catalogue a subscriber may browse: $1 is a LIKE pattern with its wildcards escaped.
      {"rights_search_content", content +
                                    " WHERE withdrawn_at IS NULL AND (title ILIKE $1 OR content_id ILIKE $1)"
                                    " ORDER BY title, content_id LIMIT $2"},
      {"rights_list_content", content +
                                  " WHERE content_id > $1 AND ($3 = '' OR owner = $3)"
                                  " ORDER BY content_id LIMIT $2"},
      {"rights_insert_content",
       "INSERT INTO rights.content (content_id, title, owner, info_hash_v1, info_hash_v2,"
       " size_bytes, price_model, price_minor, currency, rental_seconds, owner_share_bp,"
       " territories, window_start, window_end, device_limit)"
       " VALUES ($1, $2, $3, decode($4, 'hex'), nullif(decode($5, 'hex'), ''::bytea), $6, $7,"
       " $8, $9, $10, $11, $12::text[], " P2PIMS_TS(13) ", " P2PIMS_TS(14) ", $15)"},
      {"rights_update_licence",
       "UPDATE rights.content SET price_model = $2, price_minor = $3, currency = $4,"
       " rental_seconds = $5, owner_share_bp = $6, territories = $7::text[],"
       " window_start = " P2PIMS_TS(8) ", window_end = " P2PIMS_TS(9) ", device_limit = $10,"
       " updated_at = now() WHERE content_id = $1"},
      {"rights_withdraw_content",
       "UPDATE rights.content SET withdrawn_at = now(), withdraw_reason = $2, updated_at = now()"
       " WHERE content_id = $1 AND withdrawn_at IS NULL"},
      {"rights_content_exists", "SELECT withdrawn_at IS NOT NULL FROM rights.content"
                                " WHERE content_id = $1"},
      {"rights_missing_content",
       "SELECT id FROM unnest($1::text[]) AS id"
       " WHERE NOT EXISTS (SELECT 1 FROM rights.content c WHERE c.content_id = id) LIMIT 1"},
      {"rights_insert_entitlement",
       "INSERT INTO rights.entitlement (subject, kind, content_ids, owner, expires_at)"
       " VALUES ($1, $2, $3::text[], nullif($4, ''), " P2PIMS_TS(5) ") RETURNING " +
           std::string(kEntitlementColumns)},
      {"rights_revoke_entitlement",
       "UPDATE rights.entitlement SET revoked_at = now(), revoke_reason = $2"
       " WHERE entitlement_id = $1"},
      {"rights_lock_entitlement", entitlement + " WHERE entitlement_id = $1 FOR UPDATE"},
      // Tokens for content the revoked entitlement covered and no other active one covers.
      {"rights_revoke_uncovered",
       "INSERT INTO rights.revocation (subject, content_id, issued_before, reason, expires_at)"
       " SELECT $1, c.content_id, now(), $4, now() + make_interval(secs => $5)"
       " FROM rights.content c WHERE (c.content_id = ANY($2::text[]) OR c.owner = nullif($3, ''))"
       " AND NOT EXISTS (SELECT 1 FROM rights.entitlement e WHERE e.subject = $1 AND" +
           active + " AND (c.content_id = ANY(e.content_ids) OR e.owner = c.owner))"
                    " RETURNING content_id"},
      {"rights_entitlements_of", entitlement +
                                     " WHERE subject = $1 AND (expires_at IS NULL OR"
                                     " expires_at > now() - interval '30 days')"
                                     " ORDER BY entitlement_id"},
      {"rights_entitlements_by_subject",
       entitlement + " WHERE subject = $1 AND ($2 OR" + active + ") ORDER BY entitlement_id"},
      {"rights_entitlements_by_content",
       entitlement +
           " WHERE ($1 = ANY(content_ids) OR owner = (SELECT owner FROM rights.content"
           " WHERE content_id = $1)) AND ($2 OR" + active + ") ORDER BY entitlement_id"},
      {"rights_insert_revocation",
       "INSERT INTO rights.revocation (token_id, subject, content_id, issued_before, reason,"
       " expires_at) VALUES (nullif($1, ''), nullif($2, ''), nullif($3, ''),"
       " coalesce(" P2PIMS_TS(4) ", now()), $5,"
       " greatest(coalesce(" P2PIMS_TS(4) ", now()), now()) + make_interval(secs => $6))"
       " RETURNING " + std::string(kRevocationColumns)},
      {"rights_revocations_after",
       std::string("SELECT ") + kRevocationColumns +
           " FROM rights.revocation WHERE sequence > $1 AND expires_at > now() ORDER BY sequence"},
      {"rights_free_revoked_slots",
       "DELETE FROM rights.device_slot WHERE token_id = $1 OR"
       " (($2 <> '' OR $3 <> '') AND ($2 = '' OR subject = $2) AND ($3 = '' OR content_id = $3))"},
      {"rights_lock_slots", "SELECT pg_advisory_xact_lock(hashtext($1::text || ' ' || $2::text))"},
      {"rights_free_expired_slots",
       "DELETE FROM rights.device_slot WHERE subject = $1 AND content_id = $2"
       " AND expires_at <= now()"},
      {"rights_claim_slot",
       "INSERT INTO rights.device_slot (subject, content_id, device, token_id, expires_at)"
       " SELECT $1, $2, $3, $4, to_timestamp($5::bigint)"
       " WHERE EXISTS (SELECT 1 FROM rights.device_slot WHERE subject = $1 AND content_id = $2"
       "   AND device = $3)"
       " OR (SELECT count(*) FROM rights.device_slot WHERE subject = $1 AND content_id = $2) < $6"
       " ON CONFLICT (subject, content_id, device) DO UPDATE SET token_id = excluded.token_id,"
       " expires_at = excluded.expires_at"},
      {"rights_audit",
       "INSERT INTO rights.audit (actor, action, subject, content_id, result, reason)"
       " VALUES ($1, $2, nullif($3, ''), nullif($4, ''), $5, $6)"},
      {"rights_audit_batch",
       "INSERT INTO rights.audit (at, actor, action, subject, content_id, result, reason)"
       " SELECT CASE WHEN t = 0 THEN now() ELSE to_timestamp(t / 1e6) END, a, act,"
       " nullif(s, ''), nullif(c, ''), r, why FROM unnest($1::bigint[], $2::text[], $3::text[],"
       " $4::text[], $5::text[], $6::text[], $7::text[]) AS b(t, a, act, s, c, r, why)"},
      {"rights_query_audit",
       "SELECT (extract(epoch from at) * 1e6)::bigint, actor, action, coalesce(subject, ''),"
       " coalesce(content_id, ''), result, reason FROM rights.audit"
       " WHERE ($1 = '' OR subject = $1) AND ($2 = '' OR content_id = $2)"
       " AND at >= to_timestamp($3::bigint) AND ($4::bigint = 0 OR at < to_timestamp($4::bigint))"
       " ORDER BY at DESC, id DESC LIMIT $5"},
      {"rights_prune_audit",
       "DELETE FROM rights.audit WHERE at < now() - make_interval(secs => $1)"},
      {"rights_prune_slots", "DELETE FROM rights.device_slot WHERE expires_at <= now()"},
  };
}

#undef P2PIMS_TS

absl::StatusOr<std::optional<ContentRecord>> RightsStore::FindContent(const std::string& id) {
  std::optional<ContentRecord> found;
  absl::Status s = pool_.WithReadOnly([&](pqxx::nontransaction& tx) {
    pqxx::result r = tx.exec_prepared("rights_find_content", id);
    if (!r.empty()) found = ReadContent(r[0]);
    return absl::OkStatus();
  });
  if (!s.ok()) return s;
  return found;
}

absl::StatusOr<std::vector<ContentRecord>> RightsStore::ListContent(const std::string& after,
                                                                    int limit,
                                                                    const std::string& owner) {
  std::vector<ContentRecord> out;
  absl::Status s = pool_.WithTransaction([&](pqxx::work& tx) {
    out = ReadAll<ContentRecord>(tx.exec_prepared("rights_list_content", after, limit, owner),
                                 ReadContent);
    return absl::OkStatus();
  });
  if (!s.ok()) return s;
  return out;
}

absl::StatusOr<std::vector<ContentRecord>> RightsStore::SearchContent(const std::string& query,
                                                                     int limit) {
  std::string pattern = "%";
  for (char c : query) {
    if (c == '%' || c == '_' || c == '\\') pattern.push_back('\\');  // LIKE's default escape
    pattern.push_back(c);
  }
  pattern.push_back('%');
  std::vector<ContentRecord> out;
  absl::Status s = pool_.WithTransaction([&](pqxx::work& tx) {
    out = ReadAll<ContentRecord>(tx.exec_prepared("rights_search_content", pattern, limit),
                                 ReadContent);
    return absl::OkStatus();
  });
  if (!s.ok()) return s;
  return out;
}

absl::Status RightsStore::InsertContent(const ContentRecord& c, const std::string& actor) {
  return pool_.WithTransaction([&](pqxx::work& tx) {
    tx.exec_prepared("rights_insert_content", c.content_id, c.title, c.owner, Hex(c.info_hash_v1),
                     Hex(c.info_hash_v2), c.size_bytes, PriceModelName(c.price_model),
                     c.price_minor, c.currency, c.rental_seconds, c.owner_share_bp,
                     pg::ArrayLiteral(c.territories), c.window_start, c.window_end, c.device_limit);
    AuditIn(tx, actor, "register_content", "", c.content_id, c.title);
    return absl::OkStatus();
  });
}

absl::Status RightsStore::UpdateLicence(const ContentRecord& c, const std::string& actor) {
  return pool_.WithTransaction([&](pqxx::work& tx) {
    pqxx::result r = tx.exec_prepared(
        "rights_update_licence", c.content_id, PriceModelName(c.price_model), c.price_minor,
        c.currency, c.rental_seconds, c.owner_share_bp, pg::ArrayLiteral(c.territories),
        c.window_start, c.window_end, c.device_limit);
    if (r.affected_rows() == 0) return absl::NotFoundError("no content " + c.content_id);
    AuditIn(tx, actor, "update_licence", "", c.content_id, PriceModelName(c.price_model));
    return absl::OkStatus();
  });
}

absl::Status RightsStore::WithdrawContent(const std::string& content_id, const std::string& reason,
                                          const std::string& actor) {
  return pool_.WithTransaction([&](pqxx::work& tx) {
    if (tx.exec_prepared("rights_content_exists", content_id).empty()) {
      return absl::NotFoundError("no content " + content_id);
    }
    if (tx.exec_prepared("rights_withdraw_content", content_id, reason).affected_rows() == 0) {
      return absl::OkStatus();  // already withdrawn
    }
    tx.exec_prepared("rights_insert_revocation", "", "", content_id, 0,
                     "content withdrawn: " + reason, absl::ToInt64Seconds(token_lifetime_));
    tx.exec_prepared("rights_free_revoked_slots", "", "", content_id);
    AuditIn(tx, actor, "withdraw_content", "", content_id, reason);
    return absl::OkStatus();
  });
}

absl::StatusOr<EntitlementRecord> RightsStore::InsertEntitlement(const EntitlementRecord& e,
                                                                 const std::string& actor) {
  EntitlementRecord stored;
  absl::Status s = pool_.WithTransaction([&](pqxx::work& tx) {
    pqxx::result missing = tx.exec_prepared("rights_missing_content", pg::ArrayLiteral(e.content_ids));
    if (!missing.empty()) {
      return absl::NotFoundError("no content " + missing[0][0].as<std::string>());
    }
    stored = ReadEntitlement(tx.exec_prepared1("rights_insert_entitlement", e.subject, e.kind,
                                               pg::ArrayLiteral(e.content_ids), e.owner,
                                               e.expires_at));
    const std::string what = e.owner.empty() ? absl::StrJoin(e.content_ids, ",") : "";
    AuditIn(tx, actor, "grant_entitlement", e.subject, what,
            absl::StrCat(e.kind, e.owner.empty() ? "" : " of owner " + e.owner, " #",
                         stored.entitlement_id));
    return absl::OkStatus();
  });
  if (!s.ok()) return s;
  return stored;
}

absl::StatusOr<EntitlementRecord> RightsStore::RevokeEntitlement(int64_t id,
                                                                 const std::string& reason,
                                                                 const std::string& actor) {
  EntitlementRecord e;
  absl::Status s = pool_.WithTransaction([&](pqxx::work& tx) {
    pqxx::result r = tx.exec_prepared("rights_lock_entitlement", id);
    if (r.empty()) return absl::NotFoundError(absl::StrCat("no entitlement ", id));
    e = ReadEntitlement(r[0]);
    if (e.revoked) return absl::OkStatus();
    tx.exec_prepared("rights_revoke_entitlement", id, reason);
    e.revoked = true;
    pqxx::result revoked =
        tx.exec_prepared("rights_revoke_uncovered", e.subject, pg::ArrayLiteral(e.content_ids),
                         e.owner, "entitlement revoked: " + reason,
                         absl::ToInt64Seconds(token_lifetime_));
    for (const auto& row : revoked) {
      tx.exec_prepared("rights_free_revoked_slots", "", e.subject, row[0].as<std::string>());
    }
    AuditIn(tx, actor, "revoke_entitlement", e.subject, absl::StrJoin(e.content_ids, ","),
            absl::StrCat("#", id, ": ", reason));
    return absl::OkStatus();
  });
  if (!s.ok()) return s;
  return e;
}

absl::StatusOr<std::vector<EntitlementRecord>> RightsStore::EntitlementsOf(
    const std::string& subject) {
  std::vector<EntitlementRecord> out;
  absl::Status s = pool_.WithReadOnly([&](pqxx::nontransaction& tx) {
    out = ReadAll<EntitlementRecord>(tx.exec_prepared("rights_entitlements_of", subject),
                                     ReadEntitlement);
    return absl::OkStatus();
  });
  if (!s.ok()) return s;
  return out;
}

absl::StatusOr<std::vector<EntitlementRecord>> RightsStore::ListEntitlements(
    const std::string& subject, const std::string& content_id, bool include_inactive) {
  std::vector<EntitlementRecord> out;
  absl::Status s = pool_.WithTransaction([&](pqxx::work& tx) {
    out = ReadAll<EntitlementRecord>(
        subject.empty()
            ? tx.exec_prepared("rights_entitlements_by_content", content_id, include_inactive)
            : tx.exec_prepared("rights_entitlements_by_subject", subject, include_inactive),
        ReadEntitlement);
    return absl::OkStatus();
  });
  if (!s.ok()) return s;
  return out;
}

absl::StatusOr<RevocationRecord> RightsStore::InsertRevocation(const RevocationRecord& r,
                                                               const std::string& actor) {
  RevocationRecord stored;
  absl::Status s = pool_.WithTransaction([&](pqxx::work& tx) {
    stored = ReadRevocation(tx.exec_prepared1(
        "rights_insert_revocation", r.token_id, r.subject, r.content_id, r.issued_before,
        r.reason, absl::ToInt64Seconds(token_lifetime_)));
    tx.exec_prepared("rights_free_revoked_slots", r.token_id, r.subject, r.content_id);
    AuditIn(tx, actor, "revoke", r.subject, r.content_id,
            absl::StrCat(r.token_id.empty() ? "" : "token " + r.token_id + ": ", r.reason));
    return absl::OkStatus();
  });
  if (!s.ok()) return s;
  return stored;
}

absl::StatusOr<std::vector<RevocationRecord>> RightsStore::RevocationsAfter(int64_t after) {
  std::vector<RevocationRecord> out;
  absl::Status s = pool_.WithTransaction([&](pqxx::work& tx) {
    out = ReadAll<RevocationRecord>(tx.exec_prepared("rights_revocations_after", after),
                                    ReadRevocation);
    return absl::OkStatus();
  });
  if (!s.ok()) return s;
  return out;
}

absl::StatusOr<bool> RightsStore::ClaimDeviceSlot(const std::string& subject,
                                                  const std::string& content_id,
                                                  const std::string& device,
                                                  const std::string& token_id, int64_t expires_at,
                                                  int limit) {
  bool claimed = false;
  absl::Status s = pool_.WithTransaction([&](pqxx::work& tx) {
    // Serialises claims of one subject and content, across replicas.
    tx.exec_prepared("rights_lock_slots", subject, content_id);
    tx.exec_prepared("rights_free_expired_slots", subject, content_id);
    claimed = tx.exec_prepared("rights_claim_slot", subject, content_id, device, token_id,
                               expires_at, limit)
                  .affected_rows() == 1;
    return absl::OkStatus();
  });
  if (!s.ok()) return s;
  return claimed;
}

absl::Status RightsStore::AppendAudit(const std::vector<AuditEntry>& batch) {
  std::vector<int64_t> at;
  std::vector<std::string> actor, action, subject, content, result, reason;
  for (const AuditEntry& e : batch) {
    at.push_back(e.at_micros);
    actor.push_back(e.actor);
    action.push_back(e.action);
    subject.push_back(e.subject);
    content.push_back(e.content_id);
    result.push_back(e.result);
    reason.push_back(e.reason);
  }
  return pool_.WithTransaction([&](pqxx::work& tx) {
    tx.exec_prepared("rights_audit_batch", pg::ArrayLiteral(at), pg::ArrayLiteral(actor),
                     pg::ArrayLiteral(action), pg::ArrayLiteral(subject), pg::ArrayLiteral(content),
                     pg::ArrayLiteral(result), pg::ArrayLiteral(reason));
    return absl::OkStatus();
  });
}

absl::StatusOr<std::vector<AuditEntry>> RightsStore::QueryAudit(const AuditQuery& q) {
  std::vector<AuditEntry> out;
  absl::Status s = pool_.WithTransaction([&](pqxx::work& tx) {
    out = ReadAll<AuditEntry>(
        tx.exec_prepared("rights_query_audit", q.subject, q.content_id, q.from, q.to, q.limit),
        [](const pqxx::row& row) {
          return AuditEntry{row[0].as<int64_t>(),     row[1].as<std::string>(),
                            row[2].as<std::string>(), row[3].as<std::string>(),
                            row[4].as<std::string>(), row[5].as<std::string>(),
                            row[6].as<std::string>()};
        });
    return absl::OkStatus();
  });
  if (!s.ok()) return s;
  return out;
}

absl::StatusOr<int64_t> RightsStore::Prune(absl::Duration retention) {
  int64_t deleted = 0;
  absl::Status s = pool_.WithTransaction([&](pqxx::work& tx) {
    deleted = tx.exec_prepared("rights_prune_audit", absl::ToInt64Seconds(retention))
                  .affected_rows();
    deleted += tx.exec_prepared("rights_prune_slots").affected_rows();
    return absl::OkStatus();
  });
  if (!s.ok()) return s;
  return deleted;
}

}  // namespace p2pims::rights
