#include "lib/pg/migrate.h"

#include <cstdint>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace p2pims::pg {
namespace {

// Schema names are spliced into SQL (identifiers cannot be parameters), so only plain ones pass.
absl::Status CheckSchemaName(const std::string& schema) {
  bool ok = !schema.empty() && schema.size() <= 63 && !(schema[0] >= '0' && schema[0] <= '9');
  for (char c : schema) {
    ok = ok && ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_');
  }
  if (!ok) {
    return absl::InvalidArgumentError(
        absl::StrCat("schema name \"", schema, "\" is not a lower-case SQL identifier"));
  }
  return absl::OkStatus();
}

absl::Status CheckOrder(const std::string& schema, const std::vector<Migration>& migrations) {
  int previous = 0;
  for (const Migration& m : migrations) {
    if (m.version <= previous) {
      return absl::InvalidArgumentError(absl::StrCat(
          "migrations of schema ", schema, " must have strictly increasing versions above 0: ",
          m.version, " (", m.name, ") comes after ", previous));
    }
    previous = m.version;
  }
  return absl::OkStatus();
}

// A stable 64-bit key for pg_advisory_xact_lock (FNV-1a), the same in every binary and replica.
int64_t LockKey(const std::string& schema) {
  uint64_t hash = 14695981039346656037ull;
  for (char c : "p2pims.migrate." + schema) {
    hash ^= static_cast<unsigned char>(c);
    hash *= 1099511628211ull;
  }
  return static_cast<int64_t>(hash);
}

std::set<int> AppliedVersions(pqxx::work& txn, const std::string& quoted_schema) {
  std::set<int> versions;
  for (const auto& row : txn.exec("SELECT version FROM " + quoted_schema + ".schema_migrations")) {
    versions.insert(row[0].as<int>());
  }
  return versions;
}

absl::Status CheckNoUnknownVersions(const std::string& schema, const std::set<int>& applied,
                                    const std::vector<Migration>& migrations) {
  std::set<int> known;
  for (const Migration& m : migrations) known.insert(m.version);
  std::vector<int> unknown;
  for (int v : applied) {
    if (known.count(v) == 0) unknown.push_back(v);
  }
  if (unknown.empty()) return absl::OkStatus();
  return absl::FailedPreconditionError(absl::StrCat(
      "schema ", schema, " has migration version(s) ", absl::StrJoin(unknown, ", "),
      " that this binary does not know (it knows up to ",
      migrations.empty() ? 0 : migrations.back().version,
      "): a newer binary migrated this database and was probably rolled back; deploy that "
      "version again or restore the database, this one will not touch it"));
}

}  // namespace

absl::Status Migrate(Pool& pool, const std::string& schema,
                     const std::vector<Migration>& migrations) {
  if (absl::Status s = CheckSchemaName(schema); !s.ok()) return s;
  if (absl::Status s = CheckOrder(schema, migrations); !s.ok()) return s;
  const int64_t lock_key = LockKey(schema);

  // One transaction per migration; each re-reads what is applied under the lock, so replicas
  // migrating at once take turns and skip what another has done.
  for (;;) {
    bool up_to_date = false;
    const Migration* applying = nullptr;
    absl::Status status = pool.WithTransaction([&](pqxx::work& txn) -> absl::Status {
      txn.exec_params("SELECT pg_advisory_xact_lock($1)", lock_key);
      const std::string quoted = txn.quote_name(schema);
      txn.exec0("CREATE SCHEMA IF NOT EXISTS " + quoted);
      txn.exec0("CREATE TABLE IF NOT EXISTS " + quoted +
                ".schema_migrations (version integer PRIMARY KEY, name text NOT NULL, "
                "applied_at timestamptz NOT NULL DEFAULT now())");
      const std::set<int> applied = AppliedVersions(txn, quoted);
      if (absl::Status s = CheckNoUnknownVersions(schema, applied, migrations); !s.ok()) return s;
      for (const Migration& m : migrations) {
        if (applied.count(m.version) == 0) {
          applying = &m;
          break;
        }
      }
      if (applying == nullptr) {
        up_to_date = true;
        return absl::OkStatus();
      }
      txn.exec0("SET LOCAL search_path TO " + quoted);
      txn.exec(applying->sql);
      txn.exec_params0(
          "INSERT INTO " + quoted + ".schema_migrations (version, name) VALUES ($1, $2)",
          applying->version, applying->name);
      return absl::OkStatus();
    });
    if (!status.ok()) {
      if (status.code() == absl::StatusCode::kFailedPrecondition) return status;
      if (applying == nullptr) {
        return absl::Status(status.code(),
                            absl::StrCat("migrating schema ", schema, ": ", status.message()));
      }
      return absl::Status(status.code(),
                          absl::StrCat("migration ", applying->version, " (", applying->name,
                                       ") of schema ", schema, " failed: ", status.message()));
    }
    if (up_to_date) return absl::OkStatus();
  }
}

absl::StatusOr<int> CurrentVersion(Pool& pool, const std::string& schema) {
  if (absl::Status s = CheckSchemaName(schema); !s.ok()) return s;
  int version = 0;
  absl::Status status = pool.WithTransaction([&](pqxx::work& txn) -> absl::Status {
    const std::string table = txn.quote_name(schema) + ".schema_migrations";
    if (txn.exec_params1("SELECT to_regclass($1) IS NOT NULL", table)[0].as<bool>()) {
      version = txn.exec1("SELECT coalesce(max(version), 0) FROM " + table)[0].as<int>();
    }
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return version;
}

}  // namespace p2pims::pg
