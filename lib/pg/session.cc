#include "lib/pg/session.h"

#include "lib/pg/internal/status_from_exception.h"

namespace p2pims::pg {

bool Session::open() const { return connection_ != nullptr && connection_->is_open(); }

absl::Status Session::Open() {
  if (open()) return absl::OkStatus();
  connection_.reset();
  auto opened = pool_.OpenConnection();
  if (!opened.ok()) return opened.status();
  connection_ = *std::move(opened);
  if (on_open_.empty()) return absl::OkStatus();
  try {
    pqxx::nontransaction setup(*connection_);
    setup.exec(on_open_);
    return absl::OkStatus();
  } catch (const std::exception& e) {
    Close();
    return internal::StatusFromException(e);
  }
}

void Session::Close() { connection_.reset(); }

absl::Status Session::Transaction(const std::function<absl::Status(pqxx::work&)>& fn) {
  if (absl::Status s = Open(); !s.ok()) return s;
  absl::Status status;
  try {
    pqxx::work txn(*connection_);
    status = internal::RunAndCommit(txn, fn);
  } catch (const std::exception& e) {
    status = internal::StatusFromException(e);
  }
  if (!connection_->is_open()) Close();
  return status;
}

absl::Status Session::Read(const std::function<absl::Status(pqxx::nontransaction&)>& fn) {
  if (absl::Status s = Open(); !s.ok()) return s;
  absl::Status status;
  try {
    pqxx::nontransaction reads(*connection_);
    status = fn(reads);
  } catch (const std::exception& e) {
    status = internal::StatusFromException(e);
  }
  if (!connection_->is_open()) Close();
  return status;
}

}  // namespace p2pims::pg
