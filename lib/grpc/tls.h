// Transport security of the internal gRPC: one set of PEM files per process, read once at
// start-up. With a certificate and key, the process's gRPC servers serve TLS; with a CA, its
// channels verify servers against that CA (presenting the certificate and key, when set, for
// mutual TLS); a server that also requires client certificates checks them against the CA.
// Nothing set: plaintext, for loopback and meshes that encrypt on their own.
//
//   AddGrpcTlsFlags(flags);                        // --grpc-tls-ca, -cert, -key, -require-client-cert
//   if (auto s = ConfigureGrpcTls(GrpcTlsFromFlags(flags)); !s.ok()) { ...exit 2... }
//   auto channel = MakeChannel("rights:50051");    // TLS from here on (lib/grpc/client.h)
#pragma once

#include <grpcpp/security/credentials.h>
#include <grpcpp/security/server_credentials.h>

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "lib/config/flags.h"

namespace p2pims {

struct GrpcTls {
  std::string ca_file;    // PEM roots that servers (and, when required, clients) are checked against
  std::string cert_file;  // PEM certificate chain of this process
  std::string key_file;   // its private key
  bool require_client_cert = false;  // servers: refuse clients without a certificate from ca_file
};

void AddGrpcTlsFlags(Flags& flags);
GrpcTls GrpcTlsFromFlags(const Flags& flags);

// Reads the files. InvalidArgument naming the file that cannot be read, or the combination that
// makes no sense (a certificate without its key, client certificates required without a CA).
// Call from main before any channel or server exists; not thread-safe against them.
absl::Status ConfigureGrpcTls(const GrpcTls& tls);

// What every channel and server of the process uses (insecure until ConfigureGrpcTls set them).
std::shared_ptr<grpc::ChannelCredentials> GrpcChannelCredentials();
std::shared_ptr<grpc::ServerCredentials> GrpcServerCredentials();
// True when servers serve TLS.
bool GrpcServesTls();

}  // namespace p2pims
