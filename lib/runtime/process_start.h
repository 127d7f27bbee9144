// The first steps of a p2pims process that is not a gRPC service with a database (sip-edge, the
// origin seeder): termination signals blocked in every thread, flags parsed (a --log-level and
// the gRPC TLS flags among them), JSON logs, the gRPC TLS files loaded.
//
//   Flags flags("p2pims-origin", "...");
//   AddProcessFlags(flags);                 // then the process's own
//   if (auto code = StartProcess(flags, "origin", argc, argv)) return *code;
#pragma once

#include <optional>
#include <string>

#include "lib/config/flags.h"

namespace p2pims {

// --log-level and the --grpc-tls-* flags (lib/grpc/tls.h).
void AddProcessFlags(Flags& flags);

// An exit code when the process should stop now: 0 after --help, 2 for bad flags or TLS files.
std::optional<int> StartProcess(Flags& flags, const std::string& service, int argc, char** argv);

}  // namespace p2pims
