// Catalogue queries over SIP MESSAGE (RFC 3428): a subscriber sends text/plain search words to
// sip:catalogue@<content-domain>; sip-edge answers 200 (a 2xx to MESSAGE carries no body) and
// sends the results back in a MESSAGE of its own, from the catalogue address to the subscriber,
// through the node the query came from (the S-CSCF, or the client itself).
//
//   Catalogue catalogue(backends, identify, reply, {.domains = {"p2p.example.net"}});
//   CatalogueReply r = catalogue.Handle(req);   // r.response now, then r.message if set
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "services/sip-edge/backends.h"
#include "services/sip-edge/identity.h"
#include "services/sip-edge/responder.h"
#include "services/sip-edge/sip_message.h"

namespace p2pims::sip_edge {

struct CatalogueConfig {
  std::string user = "catalogue";    // the Request-URI user of queries
  std::vector<std::string> domains;  // accepted Request-URI hosts; empty accepts any
  int max_results = 10;
};

struct CatalogueReply {
  SipResponse response;
  std::optional<OutgoingMessage> message;  // the results, after the response
};

// Thread-safe; Handle blocks on rights (run it on a worker).
class Catalogue {
 public:
  Catalogue(Backends& backends, const Identifier& identify, Responder& reply,
            CatalogueConfig config)
      : backends_(backends), identify_(identify), reply_(reply), config_(std::move(config)) {}

  CatalogueReply Handle(const SipRequest& req);

 private:
  Backends& backends_;
  const Identifier& identify_;
  Responder& reply_;
  const CatalogueConfig config_;
};

// The results as the subscriber reads them: one line per entry with its SIP URI, title, price
// and size; or a line saying nothing matched.
std::string RenderResults(const std::string& query,
                          const google::protobuf::RepeatedPtrField<rv1::CatalogueEntry>& entries,
                          const std::string& domain);

}  // namespace p2pims::sip_edge
