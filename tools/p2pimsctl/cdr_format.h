// How p2pimsctl writes CDRs (p2pims.charging.v1.Cdr) for people and for billing systems. The
// fields are the message's own, by proto field name and in field-number order, flattened the same
// way for JSON and CSV so that both carry identical names and values:
//   - integers and booleans as they are (true/false), strings as UTF-8;
//   - a Money field `charge` becomes `charge_minor` (integer minor units) and `charge_currency`;
//   - an enum is its value name without the type prefix, lower case
//     (CAUSE_FOR_RECORD_CLOSING_NORMAL_RELEASE -> "normal_release"), "" for the unspecified 0.
// `retransmission` describes one delivery to one consumer, not the CDR: it is printed by "cdr
// pull" and "cdr tail" (CdrFields::kDelivery) and left out of export files (kFile).
//
//   CdrCsvHeader()            -> "sequence,record_type,icid,...\r\n"
//   CdrCsvRecord(cdr)         -> "42,session,icid-1,...\r\n"
//   CdrJson(cdr, kDelivery)   -> {"sequence":42,"record_type":"session",...}
#pragma once

#include <cstdint>
#include <string>
#include <variant>
#include <vector>

#include "p2pims/charging/v1/charging.pb.h"

namespace p2pims::ctl {

namespace cv1 = ::p2pims::charging::v1;

enum class CdrFields {
  kFile,      // every field but retransmission
  kDelivery,  // every field
};

struct CdrValue {
  std::string name;
  std::variant<int64_t, bool, std::string> value;
};

// The flattened field names, in order.
std::vector<std::string> CdrFieldNames(CdrFields which);
// The flattened values of `cdr`, in the order of CdrFieldNames(which).
std::vector<CdrValue> CdrValues(const cv1::Cdr& cdr, CdrFields which);

// One JSON object on one line (no newline).
std::string CdrJson(const cv1::Cdr& cdr, CdrFields which);
// The CSV header record and one CSV record (kFile fields; see csv.h).
std::string CdrCsvHeader();
std::string CdrCsvRecord(const cv1::Cdr& cdr);

// For people: a table of CDRs (cdr pull) and one "key=value ..." line per CDR (cdr tail).
std::string CdrTable(const std::vector<cv1::Cdr>& cdrs);
std::string CdrLine(const cv1::Cdr& cdr);

}  // namespace p2pims::ctl
