// Plain-text layouts for human output: aligned columns and "key: value" blocks. Cells are made
// printable first, because titles and reasons come from torrents and other people.
//
//   Table t({"ID", "TITLE"});
//   t.AddRow({"sintel", "Sintel"});
//   std::string text = t.Render();   // "ID      TITLE\nsintel  Sintel\n"
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace p2pims::ctl {

// `text` with control characters (C0, DEL, C1) replaced by '?', so that nothing in a cell can
// move the cursor or recolour the operator's terminal. Expects valid UTF-8.
std::string Printable(std::string_view text);

// Columns separated by two spaces, each as wide as its widest cell (in code points). Not
// thread-safe.
class Table {
 public:
  explicit Table(std::vector<std::string> header);
  // Extra cells are dropped, missing ones are empty.
  void AddRow(std::vector<std::string> cells);
  std::string Render() const;

 private:
  std::vector<std::vector<std::string>> rows_;  // rows_[0] is the header
};

// "key: value" lines with the values aligned.
std::string Details(const std::vector<std::pair<std::string, std::string>>& fields);

}  // namespace p2pims::ctl
