#include "lib/runtime/process_start.h"

#include <iostream>

#include "lib/grpc/tls.h"
#include "lib/log/log.h"
#include "lib/runtime/signals.h"

namespace p2pims {

void AddProcessFlags(Flags& flags) {
  flags.Add("log-level", "info", "debug, info, warn or error");
  AddGrpcTlsFlags(flags);  // for the process's gRPC clients
}

std::optional<int> StartProcess(Flags& flags, const std::string& service, int argc, char** argv) {
  BlockTerminationSignals();
  if (auto code = flags.ParseCommandLine(argc, argv)) return code;
  log::Init(service, log::ParseLevel(flags.Get("log-level")));
  if (absl::Status s = ConfigureGrpcTls(GrpcTlsFromFlags(flags)); !s.ok()) {
    std::cerr << "error: " << s.message() << "\n";
    return 2;
  }
  return std::nullopt;
}

}  // namespace p2pims
