// Versioned schema migrations: each service owns one PostgreSQL schema and brings it up to date
// at start-up, before serving.
//
//   // services/rights/migrations/0001_licences.sql, 0002_keys.sql, ... embedded at build time
//   // by p2pims_embed_sql(... SYMBOL Rights), which defines RightsMigrations().
//   absl::Status status = pg::Migrate(pool, "rights", RightsMigrations());
//   if (!status.ok()) { ...log and exit non-zero... }
#pragma once

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "lib/pg/pool.h"

namespace p2pims::pg {

// One step of a schema's history. An aggregate: cmake/EmbedSql.cmake writes
// {version, "name", R"(sql)"} initialisers.
struct Migration {
  int version;       // > 0; the NNNN of NNNN_name.sql
  std::string name;  // e.g. "0001_licences"
  std::string sql;   // statements without BEGIN/COMMIT; unqualified names land in the schema
};

// Applies the migrations of `schema` that the database has not recorded yet, in version order,
// each in its own transaction with search_path set to the schema, and records each in
// <schema>.schema_migrations(version int primary key, name text not null,
// applied_at timestamptz not null default now()). Creates the schema and that table if missing.
// Safe to run from several replicas at once: they serialise on a transaction-level advisory
// lock derived from the schema name, and each migration is applied once.
//
// Errors:
//   InvalidArgument     schema is not a lower-case SQL identifier, or versions are not > 0 and
//                       strictly increasing
//   FailedPrecondition  the database records a version this binary does not know: a newer
//                       binary migrated it and was rolled back; nothing is applied
//   any Pool::WithTransaction error, e.g. Unavailable, or Internal when a migration's SQL
//   fails; that migration is rolled back entirely and the message names it
absl::Status Migrate(Pool& pool, const std::string& schema,
                     const std::vector<Migration>& migrations);

// The highest version recorded for `schema`; 0 when nothing was ever applied (or the schema does
// not exist). InvalidArgument for a bad schema name; Pool errors otherwise.
absl::StatusOr<int> CurrentVersion(Pool& pool, const std::string& schema);

}  // namespace p2pims::pg
