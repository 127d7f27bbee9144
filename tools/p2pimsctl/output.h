// How p2pimsctl prints the rights API's messages: for people (tables and "key: value" blocks)
// and, with --json, as JSON (one object per message, arrays for lists; info-hashes in hex, enums
// by their command-line names, times as Unix seconds).
//
//   std::string text = json ? ContentJson(c) + "\n" : ContentDetails(c);
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "p2pims/rights/v1/rights.pb.h"

namespace p2pims::ctl {

namespace v1 = ::p2pims::rights::v1;

std::string ContentJson(const v1::Content& content);
std::string ContentDetails(const v1::Content& content);
std::string ContentTable(const std::vector<v1::Content>& items);

// `now` (Unix seconds) decides which entitlements show as expired.
std::string EntitlementJson(const v1::Entitlement& entitlement);
std::string EntitlementDetails(const v1::Entitlement& entitlement, int64_t now);
std::string EntitlementTable(const std::vector<v1::Entitlement>& items, int64_t now);

std::string RevocationJson(const v1::Revocation& revocation);
std::string RevocationDetails(const v1::Revocation& revocation);

std::string AuditJson(const v1::AuditRecord& record);
std::string AuditTable(const std::vector<v1::AuditRecord>& records);

// "[\n<item>,\n<item>\n]\n" from already serialised JSON values; "[]\n" when empty.
std::string JsonArray(const std::vector<std::string>& items);

}  // namespace p2pims::ctl
