// sip-edge's command line (and P2PIMS_* environment): the flags, checked, as the settings of
// each part. main.cc only wires the parts together.
//
//   Flags flags("p2pims-sip-edge", "...");
//   AddEdgeFlags(flags);
//   if (auto code = flags.ParseCommandLine(argc, argv)) return *code;
//   absl::StatusOr<EdgeSettings> s = ReadEdgeFlags(flags);   // error: exit 2
#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "lib/config/flags.h"
#include "services/sip-edge/authenticator.h"
#include "services/sip-edge/backends.h"
#include "services/sip-edge/progress.h"
#include "services/sip-edge/registrar.h"
#include "services/sip-edge/sessions.h"
#include "services/sip-edge/sofia_stack.h"

namespace p2pims::sip_edge {

struct EdgeSettings {
  StackConfig stack;
  SessionConfig sessions;  // its authenticator is set by main when there is a database
  RegistrarConfig registrar;
  BackendAddresses backends;
  AuthConfig auth;
  ProgressConfig progress;  // its domains are the sessions' domains
  absl::Duration progress_interval = absl::Seconds(5);
  absl::Duration access_check_interval = absl::Seconds(5);
  int workers = 32;
  size_t max_queue = 1024;
  absl::Duration max_queue_wait = absl::Milliseconds(200);
  std::string admin_listen;
  std::string db;  // empty: no digest (direct clients are refused)
  absl::Duration db_wait = absl::Seconds(30);
};

void AddEdgeFlags(Flags& flags);
// InvalidArgument naming the flag when a value is malformed or out of range.
absl::StatusOr<EdgeSettings> ReadEdgeFlags(const Flags& flags);

}  // namespace p2pims::sip_edge
