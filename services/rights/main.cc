// p2pims-rights: content licences, entitlements and signed access tokens.
#include <iostream>

#include "lib/log/log.h"
#include "lib/runtime/service_runtime.h"
#include "lib/token/signer.h"
#include "services/rights/service.h"

int main(int argc, char** argv) {
  using namespace p2pims;
  ServiceRuntime rt({.name = "rights",
                     .summary = "Content licences, entitlements and signed access tokens.",
                     .grpc_listen = "127.0.0.1:50051",
                     .admin_listen = "127.0.0.1:9102",
                     .schema = "rights",
                     .migrations = &RightsMigrations(),
                     .prepared = rights::RightsStore::Statements()});
  rt.flags().Add("signing-key-file", "",
                 "file of Ed25519 signing keys, one \"<kid> <base64url seed>\" per line; the "
                 "first signs (generate one with --generate-key KID)");
  rt.flags().Add("generate-key", "", "print a new signing key line for this kid and exit");
  rt.flags().Add("token-ttl", "14400", "access token lifetime in seconds");

  // Key generation needs neither the database nor the network.
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    std::string kid;
    if (arg.rfind("--generate-key=", 0) == 0) kid = arg.substr(15);
    if (arg == "--generate-key" && i + 1 < argc) kid = argv[i + 1];
    if (arg.rfind("--generate-key", 0) != 0) continue;
    if (!token::ValidKid(kid)) {
      std::cerr << "error: --generate-key needs a kid of 1-64 characters of A-Z a-z 0-9 . _ -\n";
      return 2;
    }
    std::cout << token::FormatKeyLine(token::GenerateKey(kid)) << "\n";
    return 0;
  }
  if (auto code = rt.Init(argc, argv)) return *code;

  auto ttl = rt.flags().GetInt("token-ttl");
  if (!ttl.ok() || *ttl <= 0) {
    log::Error("--token-ttl must be a positive number of seconds");
    return 2;
  }
  if (rt.flags().Get("signing-key-file").empty()) {
    log::Error("--signing-key-file is required (generate a key with --generate-key KID)");
    return 2;
  }
  auto keys = token::LoadKeyFile(rt.flags().Get("signing-key-file"));
  if (!keys.ok()) {
    log::Error("cannot load signing keys", {{"error", keys.status().message()}});
    return 2;
  }
  log::Info("signing keys loaded",
            {{"count", int64_t(keys->size())}, {"current_kid", (*keys)[0].kid}});

  rights::RightsStore store(rt.pool());
  rights::RightsService service(
      store, std::move(*keys),
      {.token_ttl = absl::Seconds(*ttl), .node_id = rt.flags().Get("node-id")});
  rights::RightsAdminService admin(store);
  return rt.Serve({&service, &admin});
}
