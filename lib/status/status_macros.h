// Early-return helpers for absl::Status / absl::StatusOr, which Debian's Abseil 20220623 lacks.
//
//   absl::StatusOr<Row> Load(...);
//   absl::Status Use() {
//     P2PIMS_ASSIGN_OR_RETURN(Row row, Load(...));
//     P2PIMS_RETURN_IF_ERROR(Check(row));
//     return absl::OkStatus();
//   }
#pragma once

#include "absl/status/status.h"
#include "absl/status/statusor.h"

#define P2PIMS_RETURN_IF_ERROR(expr)                 \
  do {                                               \
    ::absl::Status p2pims_status_ = (expr);          \
    if (!p2pims_status_.ok()) return p2pims_status_; \
  } while (0)

#define P2PIMS_STATUS_CONCAT_INNER(a, b) a##b
#define P2PIMS_STATUS_CONCAT(a, b) P2PIMS_STATUS_CONCAT_INNER(a, b)

#define P2PIMS_ASSIGN_OR_RETURN(lhs, expr) \
  P2PIMS_ASSIGN_OR_RETURN_IMPL(P2PIMS_STATUS_CONCAT(p2pims_statusor_, __LINE__), lhs, expr)

#define P2PIMS_ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                                 \
  if (!tmp.ok()) return tmp.status();                \
  lhs = std::move(tmp).value()

namespace p2pims {

// True for the codes a caller may retry after a pause (the backend is down or overloaded),
// as opposed to errors in the request itself.
bool IsTransient(const absl::Status& status);

}  // namespace p2pims
