#include "services/sip-edge/ims_headers.h"

#include <sodium.h>

#include <cctype>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace p2pims::sip_edge {
namespace {

// "name=value" or "name" parameters separated by ';', names lower-cased, quotes removed.
std::vector<std::pair<std::string, std::string>> Params(const std::string& value) {
  std::vector<std::pair<std::string, std::string>> out;
  for (absl::string_view p : absl::StrSplit(value, ';')) {
    p = absl::StripAsciiWhitespace(p);
    if (p.empty()) continue;
    std::pair<absl::string_view, absl::string_view> kv = absl::StrSplit(p, absl::MaxSplits('=', 1));
    std::string v(absl::StripAsciiWhitespace(kv.second));
    if (v.size() >= 2 && v.front() == '"' && v.back() == '"') v = v.substr(1, v.size() - 2);
    out.emplace_back(absl::AsciiStrToLower(absl::StripAsciiWhitespace(kv.first)), v);
  }
  return out;
}

bool AllHex(absl::string_view s) {
  for (char c : s) {
    if (!std::isxdigit(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

// MCC + MNC (2 or 3 digits) + area + cell, where area and cell widths depend on the radio.
std::string CellLocality(const std::string& id, size_t area_len, size_t cell_len) {
  const size_t fixed = 3 + area_len + cell_len;
  if (id.size() != fixed + 2 && id.size() != fixed + 3) return "";
  const size_t mnc_len = id.size() - fixed;
  for (size_t i = 0; i < 3 + mnc_len; ++i) {
    if (!std::isdigit(static_cast<unsigned char>(id[i]))) return "";
  }
  const std::string rest = absl::AsciiStrToUpper(id.substr(3 + mnc_len));
  if (!AllHex(rest)) return "";
  return absl::StrCat(id.substr(0, 3), "-", id.substr(3, mnc_len), "/", rest.substr(0, area_len),
                      "/", rest.substr(area_len));
}

}  // namespace

ChargingVector ParseChargingVector(const std::string& value) {
  ChargingVector v;
  for (const auto& [name, val] : Params(value)) {
    if (name == "icid-value")
      v.icid = val;
    else if (name == "orig-ioi")
      v.orig_ioi = val;
    else if (name == "term-ioi")
      v.term_ioi = val;
  }
  return v;
}

std::string NewIcid(const std::string& node_id) {
  unsigned char raw[8];
  randombytes_buf(raw, sizeof raw);
  char hex[17];
  sodium_bin2hex(hex, sizeof hex, raw, sizeof raw);
  return absl::StrCat(node_id, "-", hex);
}

AccessNetwork ParseAccessNetworkInfo(const std::string& value) {
  AccessNetwork a;
  const auto params = Params(value);
  if (params.empty()) return a;
  a.access_type =
      std::string(absl::StripAsciiWhitespace(absl::string_view(value).substr(0, value.find(';'))));
  const std::string type = absl::AsciiStrToUpper(a.access_type);
  for (const auto& [name, val] : params) {
    if (name == "np" || name == "network-provided") a.network_provided = true;
    if (name == "utran-cell-id-3gpp") {
      a.locality =
          absl::StartsWith(type, "3GPP-NR") ? CellLocality(val, 6, 9) : CellLocality(val, 4, 7);
    } else if (name == "i-wlan-node-id" && !val.empty()) {
      a.locality = absl::StrCat("wlan/", absl::AsciiStrToLower(val));
    }
  }
  return a;
}

std::string HeaderInBody(const std::string& body, std::string_view name) {
  for (absl::string_view line : absl::StrSplit(body, '\n')) {
    line = absl::StripTrailingAsciiWhitespace(line);
    if (line.size() > name.size() && line[name.size()] == ':' &&
        absl::EqualsIgnoreCase(line.substr(0, name.size()),
                               absl::string_view(name.data(), name.size()))) {
      return std::string(absl::StripAsciiWhitespace(line.substr(name.size() + 1)));
    }
  }
  return "";
}

}  // namespace p2pims::sip_edge
