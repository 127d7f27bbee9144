// p2pims-charging: online credit control, offline accounting, CDRs.
#include "lib/runtime/service_runtime.h"
#include "services/charging/service.h"

namespace {

std::vector<std::pair<std::string, std::string>> Concat(
    std::vector<std::pair<std::string, std::string>> a,
    const std::vector<std::pair<std::string, std::string>>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace p2pims;
  ServiceRuntime rt({.name = "charging",
                     .summary = "Ro-style credit control, Rf-style accounting and CDRs.",
                     .grpc_listen = "127.0.0.1:50052",
                     .admin_listen = "127.0.0.1:9103",
                     .schema = "charging",
                     .migrations = &ChargingMigrations(),
                     .prepared = Concat(charging::ChargingStore::Statements(),
                                        charging::CdrStore::Statements())});
  if (auto code = rt.Init(argc, argv)) return *code;
  charging::ChargingStore store(rt.pool());
  charging::ChargingService service(store);
  charging::CdrStore cdrs(rt.pool());
  charging::ChargingAdminService admin(store, cdrs);
  return rt.Serve({&service, &admin});
}
