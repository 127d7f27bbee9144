// For unit tests: a Backends whose every call fails with UNIMPLEMENTED until a test's subclass
// scripts the calls it is about.
#pragma once

#include "services/sip-edge/backends.h"

namespace p2pims::sip_edge {

class UnscriptedBackends : public Backends {
 public:
  absl::StatusOr<rv1::AuthorizeResponse> Authorize(const rv1::AuthorizeRequest&) override {
    return Unscripted();
  }
  absl::StatusOr<cv1::CreditControlAnswer> CreditControl(const cv1::CreditControlRequest&) override {
    return Unscripted();
  }
  absl::StatusOr<cv1::AccountingAnswer> Accounting(const cv1::AccountingRequest&) override {
    return Unscripted();
  }
  absl::StatusOr<cv1::AccountingBatchResponse> AccountingBatch(
      const cv1::AccountingBatchRequest&) override {
    return Unscripted();
  }
  absl::StatusOr<tv1::OpenSessionResponse> OpenSession(const tv1::OpenSessionRequest&) override {
    return Unscripted();
  }
  absl::StatusOr<tv1::CloseSessionResponse> CloseSession(const tv1::CloseSessionRequest&) override {
    return Unscripted();
  }
  absl::StatusOr<rv1::SearchCatalogueResponse> SearchCatalogue(
      const rv1::SearchCatalogueRequest&) override {
    return Unscripted();
  }
  absl::StatusOr<tv1::RegisterPresenceResponse> RegisterPresence(
      const tv1::RegisterPresenceRequest&) override {
    return Unscripted();
  }
  absl::StatusOr<tv1::SessionProgressResponse> SessionProgress(
      const tv1::SessionProgressRequest&) override {
    return Unscripted();
  }

 private:
  static absl::Status Unscripted() { return absl::UnimplementedError("not scripted in this test"); }
};

}  // namespace p2pims::sip_edge
