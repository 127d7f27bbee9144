// The catalogue's handling of MESSAGE on plain requests, with rights' answers scripted (the SIP
// and rights ends run for real in tests/e2e/sip_catalogue_test.sh).
#include "services/sip-edge/catalogue.h"
#include "services/sip-edge/unscripted_backends.h"

#include <gtest/gtest.h>

namespace p2pims::sip_edge {
namespace {

class ScriptedRights : public UnscriptedBackends {
 public:
  absl::StatusOr<rv1::SearchCatalogueResponse> SearchCatalogue(
      const rv1::SearchCatalogueRequest& req) override {
    queries.push_back(req.query());
    if (!status.ok()) return status;
    return answer;
  }
  rv1::SearchCatalogueResponse answer;
  absl::Status status;
  std::vector<std::string> queries;
};

class CatalogueTest : public ::testing::Test {
 protected:
  CatalogueTest() : reply_(registry_, {}), identify_(trusted_, nullptr, reply_) {
    EXPECT_TRUE(trusted_.Parse("10.0.0.0/8,fd00::/8").ok());
    rv1::CatalogueEntry* e = rights_.answer.add_entries();
    e->set_content_id("sintel");
    e->set_title("Sintel");
    e->set_price_model(rv1::PRICE_MODEL_PURCHASE);
    e->mutable_price()->set_minor(299);
    e->mutable_price()->set_currency("EUR");
    e->set_size_bytes((123 << 20) + 1);
  }
  SipRequest Query(const std::string& body) {
    SipRequest r;
    r.method = "MESSAGE";
    r.request_user = "catalogue";
    r.request_host = "p2p.example.net";
    r.source_ip = "10.1.2.3";
    r.source_port = 5060;
    r.transport = "udp";
    r.p_asserted_identity = "<sip:alice@ims.example.net>";
    r.content_type = "text/plain";
    r.body = body;
    return r;
  }
  metrics::Registry registry_;
  Responder reply_;
  TrustedNetworks trusted_;
  Identifier identify_;
  ScriptedRights rights_;
  Catalogue catalogue_{rights_, identify_, reply_, {.domains = {"p2p.example.net"}}};
};

TEST_F(CatalogueTest, AnswersThenSendsTheResultsBackWhereTheQueryCameFrom) {
  CatalogueReply r = catalogue_.Handle(Query("  sint \r\n"));
  EXPECT_EQ(r.response.status, 200);
  EXPECT_TRUE(r.response.body.empty());  // RFC 3428: no body in a 2xx to MESSAGE
  EXPECT_EQ(rights_.queries, std::vector<std::string>{"sint"});
  ASSERT_TRUE(r.message.has_value());
  EXPECT_EQ(r.message->request_uri, "sip:alice@ims.example.net");
  EXPECT_EQ(r.message->from, "<sip:catalogue@p2p.example.net>");
  EXPECT_EQ(r.message->route, "<sip:10.1.2.3:5060;transport=udp;lr>");
  EXPECT_EQ(r.message->body,
            "1 match for \"sint\":\r\nsip:sintel@p2p.example.net  Sintel  buy 2.99 EUR  124 MiB\r\n");
}

TEST_F(CatalogueTest, RoutesToIpv6SourcesInBrackets) {
  SipRequest q = Query("sint");
  q.source_ip = "fd00::7";
  q.transport = "tls";
  EXPECT_EQ(catalogue_.Handle(q).message->route, "<sip:[fd00::7]:5060;transport=tls;lr>");
}

TEST_F(CatalogueTest, RefusesWhatItCannotAnswer) {
  SipRequest other = Query("sint");
  other.request_user = "bob";
  EXPECT_EQ(catalogue_.Handle(other).response.status, 404);
  SipRequest html = Query("sint");
  html.content_type = "text/html";
  CatalogueReply r = catalogue_.Handle(html);
  EXPECT_EQ(r.response.status, 415);
  EXPECT_FALSE(r.message.has_value());
  EXPECT_EQ(catalogue_.Handle(Query(" ")).response.status, 400);
  SipRequest untrusted = Query("sint");
  untrusted.source_ip = "192.0.2.1";
  EXPECT_EQ(catalogue_.Handle(untrusted).response.status, 403);  // no digest configured
  rights_.status = absl::UnavailableError("down");
  EXPECT_EQ(catalogue_.Handle(Query("sint")).response.status, 503);
  EXPECT_TRUE(rights_.queries.size() == 1u);  // only the last reached rights
}

TEST_F(CatalogueTest, RendersPricesOfEveryModelAndEmptyResults) {
  google::protobuf::RepeatedPtrField<rv1::CatalogueEntry> entries;
  auto add = [&](rv1::PriceModel model, int64_t minor) {
    rv1::CatalogueEntry* e = entries.Add();
    e->set_content_id("c");
    e->set_title("T");
    e->set_price_model(model);
    e->mutable_price()->set_minor(minor);
    e->mutable_price()->set_currency("EUR");
  };
  add(rv1::PRICE_MODEL_FREE, 0);
  add(rv1::PRICE_MODEL_RENTAL, 199);
  add(rv1::PRICE_MODEL_PER_BYTE, 5);
  add(rv1::PRICE_MODEL_SUBSCRIPTION, 0);
  EXPECT_EQ(RenderResults("q", entries, "d"),
            "4 matches for \"q\":\r\n"
            "sip:c@d  T  free  0 MiB\r\n"
            "sip:c@d  T  rent 1.99 EUR  0 MiB\r\n"
            "sip:c@d  T  0.05 EUR per MiB  0 MiB\r\n"
            "sip:c@d  T  by subscription  0 MiB\r\n");
  EXPECT_EQ(RenderResults("q", {}, "d"), "Nothing matches \"q\".\r\n");
}

}  // namespace
}  // namespace p2pims::sip_edge
