#include "tools/p2pimsctl/cli_error.h"

#include "absl/strings/cord.h"
#include "absl/strings/str_cat.h"

namespace p2pims::ctl {
namespace {

constexpr absl::string_view kKindPayload = "type.p2pims.dev/p2pimsctl.error-kind";
constexpr absl::string_view kPartlyDonePayload = "type.p2pims.dev/p2pimsctl.partly-done";

absl::Status WithKind(absl::Status status, absl::string_view kind) {
  status.SetPayload(kKindPayload, absl::Cord(kind));
  return status;
}

bool HasKind(const absl::Status& status, absl::string_view kind) {
  auto payload = status.GetPayload(kKindPayload);
  return payload.has_value() && *payload == kind;
}

}  // namespace

absl::Status UsageError(absl::string_view message) {
  return WithKind(absl::InvalidArgumentError(message), "usage");
}

bool IsUsageError(const absl::Status& status) { return HasKind(status, "usage"); }

absl::Status RpcError(const absl::Status& status, absl::string_view service,
                      absl::string_view address) {
  if (status.ok()) return status;
  std::string message(status.message());
  if (status.code() == absl::StatusCode::kUnavailable ||
      status.code() == absl::StatusCode::kDeadlineExceeded) {
    message = absl::StrCat(service, " at ", address, ": ", message);
  }
  return WithKind(absl::Status(status.code(), message), "rpc");
}

absl::Status RpcError(const absl::Status& status, absl::string_view address) {
  return RpcError(status, "rights", address);
}

bool IsRpcError(const absl::Status& status) { return HasKind(status, "rpc"); }

absl::Status PartlyDone(const absl::Status& status) {
  if (status.ok()) return status;
  absl::Status out = status;
  out.SetPayload(kPartlyDonePayload, absl::Cord("1"));
  return out;
}

bool IsPartlyDone(const absl::Status& status) {
  return status.GetPayload(kPartlyDonePayload).has_value();
}

absl::Status WithSuffix(const absl::Status& status, absl::string_view suffix) {
  if (status.ok()) return status;
  absl::Status out(status.code(), absl::StrCat(status.message(), suffix));
  status.ForEachPayload(
      [&](absl::string_view url, const absl::Cord& payload) { out.SetPayload(url, payload); });
  return out;
}

int ExitCode(const absl::Status& status) {
  if (status.ok()) return 0;
  if (IsPartlyDone(status)) return 3;
  return IsUsageError(status) ? 2 : 1;
}

std::string ErrorLine(const absl::Status& status) {
  if (IsRpcError(status)) {
    return absl::StrCat("p2pimsctl: ", absl::StatusCodeToString(status.code()), ": ",
                        status.message());
  }
  return absl::StrCat("p2pimsctl: ", status.message());
}

}  // namespace p2pims::ctl
