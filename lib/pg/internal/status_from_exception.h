// Maps the exceptions libpqxx throws (and any std::exception escaping a caller's transaction
// function) to absl::Status, so that no pqxx exception leaves lib/pg.
//
//   try {
//     txn.exec_prepared("insert_account", id);
//   } catch (const std::exception& e) {
//     return internal::StatusFromException(e);  // unique_violation -> AlreadyExists, ...
//   }
#pragma once

#include <exception>
#include <functional>
#include <string>

#include <pqxx/pqxx>

#include "absl/status/status.h"

namespace p2pims::pg::internal {

// The mapping:
//   pqxx::broken_connection, SQLSTATE class 08, 57P01..57P03  -> Unavailable("database unavailable:
//   ...") pqxx::in_doubt_error, pqxx::statement_completion_unknown   -> Unknown
//   pqxx::unique_violation (23505)                             -> AlreadyExists
//   pqxx::serialization_failure, pqxx::deadlock_detected       -> Aborted (safe to retry)
//   57014 query_canceled (statement_timeout)                   -> DeadlineExceeded
//   SQLSTATE class 53 (insufficient resources)                 -> ResourceExhausted
//   any other SQL error, pqxx failure or std::exception        -> Internal, with the message
absl::Status StatusFromException(const std::exception& e);

// The server's message on one line: each run of whitespace (newlines too) becomes one space.
std::string OneLine(const char* message);

// Runs fn in txn and commits when it returns OK; rolls back and returns its status otherwise.
// Exceptions (fn's or COMMIT's) become a Status as above.
absl::Status RunAndCommit(pqxx::work& txn, const std::function<absl::Status(pqxx::work&)>& fn);

}  // namespace p2pims::pg::internal
