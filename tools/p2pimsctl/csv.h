// CSV as RFC 4180 describes it, for files billing systems read: fields separated by commas,
// records ended by CRLF, a field quoted only when it holds a comma, a double quote, CR or LF,
// with its double quotes doubled. Everything else is written as is (UTF-8).
//
//   CsvField("a,b")                  -> "\"a,b\""
//   CsvField("say \"hi\"")           -> "\"say \"\"hi\"\"\""
//   CsvRecord({"seq", "note"})        -> "seq,note\r\n"
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace p2pims::ctl {

// One field, quoted when it needs to be.
std::string CsvField(std::string_view value);

// One record: the fields, each through CsvField, joined by ',' and ended by CRLF.
std::string CsvRecord(const std::vector<std::string>& fields);

}  // namespace p2pims::ctl
