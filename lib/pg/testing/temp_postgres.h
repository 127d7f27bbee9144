// A throwaway PostgreSQL server for tests: a fresh data directory, a free loopback port and a
// database "p2pims", removed again when the object goes. Runs tools/p2pims-pg, found through
// $P2PIMS_SOURCE_DIR (set by p2pims_cc_test) or the source directory compiled in.
//
//   absl::StatusOr<std::unique_ptr<pg::TempPostgres>> server = pg::TempPostgres::Start();
//   ASSERT_TRUE(server.ok()) << server.status();
//   pg::Pool pool({.conninfo = (*server)->conninfo()});
//   ASSERT_TRUE((*server)->Kill().ok());     // crash it...
//   ASSERT_TRUE((*server)->Restart().ok());  // ...and bring it back with the same data
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace p2pims::pg {

// One server process tree and its directory. Not thread-safe: drive it from one thread (the
// server itself serves any number of client threads).
class TempPostgres {
 public:
  // Creates the directory (under $TMPDIR or /tmp), runs init and start, creates the database.
  // Errors carry p2pims-pg's output.
  static absl::StatusOr<std::unique_ptr<TempPostgres>> Start();
  // Stops the server (kills it if it will not stop) and removes the directory.
  ~TempPostgres();

  TempPostgres(const TempPostgres&) = delete;
  TempPostgres& operator=(const TempPostgres&) = delete;

  // "host=127.0.0.1 port=<port> dbname=p2pims user=postgres"
  const std::string& conninfo() const { return conninfo_; }
  int port() const { return port_; }
  // Holds data/, postgres.log and the unix socket.
  const std::string& dir() const { return dir_; }

  // Fast shutdown; OK when already stopped.
  absl::Status Stop();
  // kill -9 of the whole server, as in a crash; OK when already stopped.
  absl::Status Kill();
  // Stops the server if it runs, then starts it again on the same port and data.
  absl::Status Restart();

 private:
  TempPostgres(std::string script, std::string dir);
  // Records the port the server listens on, once started.
  void SetPort(int port);
  // Runs p2pims-pg with args; the error holds its output.
  absl::Status Run(const std::vector<std::string>& args) const;

  const std::string script_;
  const std::string dir_;
  int port_ = 0;
  std::string conninfo_;
};

}  // namespace p2pims::pg
