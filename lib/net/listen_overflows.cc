#include "lib/net/listen_overflows.h"

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"

namespace p2pims::net {

std::optional<uint64_t> ListenOverflowsIn(std::string_view netstat) {
  absl::string_view names;
  for (absl::string_view line :
       absl::StrSplit(absl::string_view(netstat.data(), netstat.size()), '\n')) {
    if (!absl::StartsWith(line, "TcpExt:")) continue;
    if (names.empty()) {
      names = line;
      continue;
    }
    const std::vector<absl::string_view> keys = absl::StrSplit(names, ' ', absl::SkipEmpty());
    const std::vector<absl::string_view> values = absl::StrSplit(line, ' ', absl::SkipEmpty());
    for (size_t i = 1; i < keys.size() && i < values.size(); ++i) {
      uint64_t v = 0;
      if (keys[i] == "ListenOverflows" && absl::SimpleAtoi(values[i], &v)) return v;
    }
    return std::nullopt;
  }
  return std::nullopt;
}

std::optional<uint64_t> ListenOverflows() {
  std::ifstream in("/proc/net/netstat");
  if (!in) return std::nullopt;
  std::ostringstream text;
  text << in.rdbuf();
  return ListenOverflowsIn(text.str());
}

}  // namespace p2pims::net
