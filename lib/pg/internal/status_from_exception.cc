#include "lib/pg/internal/status_from_exception.h"

#include <pqxx/except>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace p2pims::pg::internal {

std::string OneLine(const char* message) {
  std::string text = message;
  for (char& c : text) {
    if (absl::ascii_isspace(static_cast<unsigned char>(c))) c = ' ';
  }
  absl::RemoveExtraAsciiWhitespace(&text);
  return text;
}

absl::Status StatusFromException(const std::exception& e) {
  const std::string message = OneLine(e.what());
  if (dynamic_cast<const pqxx::broken_connection*>(&e) != nullptr) {
    return absl::UnavailableError(absl::StrCat("database unavailable: ", message));
  }
  if (dynamic_cast<const pqxx::in_doubt_error*>(&e) != nullptr ||
      dynamic_cast<const pqxx::statement_completion_unknown*>(&e) != nullptr) {
    return absl::UnknownError(absl::StrCat("database outcome unknown: ", message));
  }
  if (dynamic_cast<const pqxx::unique_violation*>(&e) != nullptr) {
    return absl::AlreadyExistsError(message);
  }
  // serialization_failure and deadlock_detected are transaction_rollback errors.
  if (dynamic_cast<const pqxx::transaction_rollback*>(&e) != nullptr) {
    return absl::AbortedError(message);
  }
  if (const auto* sql = dynamic_cast<const pqxx::sql_error*>(&e); sql != nullptr) {
    const std::string& state = sql->sqlstate();
    if (absl::StartsWith(state, "08") || state == "57P01" || state == "57P02" || state == "57P03") {
      return absl::UnavailableError(absl::StrCat("database unavailable: ", message));
    }
    if (state == "23505") return absl::AlreadyExistsError(message);
    // The schema refused the row: check (23514), not-null (23502) or a value out of range
    // (22xxx) are the request's fault; a missing referenced row (23503) is a precondition.
    if (state == "23514" || state == "23502" || absl::StartsWith(state, "22")) {
      return absl::InvalidArgumentError(absl::StrCat("rejected by the schema: ", message));
    }
    if (state == "23503") return absl::FailedPreconditionError(message);
    if (state == "40001" || state == "40P01") return absl::AbortedError(message);
    if (state == "57014") return absl::DeadlineExceededError(message);
    if (absl::StartsWith(state, "53")) return absl::ResourceExhaustedError(message);
    return absl::InternalError(absl::StrCat("database error: ", message));
  }
  if (dynamic_cast<const pqxx::failure*>(&e) != nullptr) {
    return absl::InternalError(absl::StrCat("database error: ", message));
  }
  return absl::InternalError(absl::StrCat("exception in database transaction: ", message));
}

absl::Status RunAndCommit(pqxx::work& txn, const std::function<absl::Status(pqxx::work&)>& fn) {
  try {
    absl::Status status = fn(txn);
    if (!status.ok()) {
      try {
        txn.abort();
      } catch (const std::exception&) {
        // The connection broke; the server rolls back on its own and the lease drops it.
      }
      return status;
    }
    txn.commit();
    return absl::OkStatus();
  } catch (const std::exception& e) {
    return internal::StatusFromException(e);
  } catch (...) {
    return absl::InternalError("non-standard exception in database transaction");
  }
}


}  // namespace p2pims::pg::internal
