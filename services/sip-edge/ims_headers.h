// IMS headers sip-edge reads (TS 24.229, RFC 7315):
//   P-Charging-Vector: icid-value=...; orig-ioi=...     -> charging correlation
//   P-Access-Network-Info: 3GPP-E-UTRAN-FDD; utran-cell-id-3gpp=26201ab12c34d56e; np
//                                                        -> locality path "262-01/AB12/C34D56E"
#pragma once

#include <string>
#include <string_view>

namespace p2pims::sip_edge {

struct ChargingVector {
  std::string icid;
  std::string orig_ioi;
  std::string term_ioi;
};

// Parameters of a P-Charging-Vector value; missing ones stay empty.
ChargingVector ParseChargingVector(const std::string& value);

// A fresh ICID for sessions that arrive without one: node id plus 16 random hex digits.
std::string NewIcid(const std::string& node_id);

struct AccessNetwork {
  std::string access_type;        // e.g. "3GPP-E-UTRAN-FDD", "IEEE-802.11"
  std::string locality;           // "mcc-mnc/area/cell"; empty when no cell id was understood
  bool network_provided = false;  // the "np" (network-provided) parameter was present
};

// Understands utran-cell-id-3gpp for UTRAN and E-UTRAN (area 4 hex digits, cell 7) and NR
// (area 6, cell 9), with 2- or 3-digit MNCs, and i-wlan-node-id for WLAN (locality "wlan/<id>").
AccessNetwork ParseAccessNetworkInfo(const std::string& value);

// The value of header `name` (case-insensitive, first occurrence) in a message carried in a body:
// the original REGISTER (message/sip) that an S-CSCF may include in a third-party REGISTER, alone
// or as a part of a multipart body. Empty when absent.
std::string HeaderInBody(const std::string& body, std::string_view name);

}  // namespace p2pims::sip_edge
