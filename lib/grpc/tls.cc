#include "lib/grpc/tls.h"

#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"

namespace p2pims {
namespace {

// Set once in main, before threads: afterwards only read.
struct Loaded {
  std::string ca, cert, key;
  bool require_client_cert = false;
};
Loaded& Current() {
  static Loaded loaded;
  return loaded;
}

absl::Status ReadPem(const std::string& file, const char* flag, std::string* out) {
  if (file.empty()) return absl::OkStatus();
  std::ifstream in(file, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  if (!in || text.str().find("-----BEGIN") == std::string::npos) {
    return absl::InvalidArgumentError(absl::StrCat("--", flag, ": cannot read PEM from ", file));
  }
  *out = text.str();
  return absl::OkStatus();
}

}  // namespace

void AddGrpcTlsFlags(Flags& flags) {
  flags.Add("grpc-tls-ca", "", "PEM CA file: gRPC clients verify servers with it (empty: plaintext)");
  flags.Add("grpc-tls-cert", "", "PEM certificate chain: gRPC servers serve TLS with it");
  flags.Add("grpc-tls-key", "", "PEM private key of --grpc-tls-cert");
  flags.Add("grpc-tls-require-client-cert", "false",
            "gRPC servers refuse clients without a certificate signed by --grpc-tls-ca");
}

GrpcTls GrpcTlsFromFlags(const Flags& flags) {
  return {.ca_file = flags.Get("grpc-tls-ca"),
          .cert_file = flags.Get("grpc-tls-cert"),
          .key_file = flags.Get("grpc-tls-key"),
          .require_client_cert = flags.GetBool("grpc-tls-require-client-cert").value_or(false)};
}

absl::Status ConfigureGrpcTls(const GrpcTls& tls) {
  if (tls.cert_file.empty() != tls.key_file.empty()) {
    return absl::InvalidArgumentError("--grpc-tls-cert and --grpc-tls-key go together");
  }
  if (tls.require_client_cert && (tls.ca_file.empty() || tls.cert_file.empty())) {
    return absl::InvalidArgumentError(
        "--grpc-tls-require-client-cert needs --grpc-tls-ca, --grpc-tls-cert and --grpc-tls-key");
  }
  Loaded next;
  if (absl::Status s = ReadPem(tls.ca_file, "grpc-tls-ca", &next.ca); !s.ok()) return s;
  if (absl::Status s = ReadPem(tls.cert_file, "grpc-tls-cert", &next.cert); !s.ok()) return s;
  if (absl::Status s = ReadPem(tls.key_file, "grpc-tls-key", &next.key); !s.ok()) return s;
  next.require_client_cert = tls.require_client_cert;
  Current() = std::move(next);
  return absl::OkStatus();
}

std::shared_ptr<grpc::ChannelCredentials> GrpcChannelCredentials() {
  const Loaded& l = Current();
  if (l.ca.empty()) return grpc::InsecureChannelCredentials();
  grpc::SslCredentialsOptions options;
  options.pem_root_certs = l.ca;
  options.pem_cert_chain = l.cert;
  options.pem_private_key = l.key;
  return grpc::SslCredentials(options);
}

std::shared_ptr<grpc::ServerCredentials> GrpcServerCredentials() {
  const Loaded& l = Current();
  if (l.cert.empty()) return grpc::InsecureServerCredentials();
  grpc::SslServerCredentialsOptions options(
      l.require_client_cert ? GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY
                            : GRPC_SSL_DONT_REQUEST_CLIENT_CERTIFICATE);
  options.pem_root_certs = l.ca;
  options.pem_key_cert_pairs.push_back({l.key, l.cert});
  return grpc::SslServerCredentials(options);
}

bool GrpcServesTls() { return !Current().cert.empty(); }

}  // namespace p2pims
