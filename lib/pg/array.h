// Text form of PostgreSQL array parameters, so that one statement can take a whole batch of
// keys or rows: `WHERE id = ANY($1::text[])`, `FROM unnest($1::text[], $2::bigint[])`.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/strings/str_cat.h"

namespace p2pims::pg {

// Builds one array literal element by element: {"a","b\"c"}. Every element is quoted, so
// commas, braces and NULL-like words stay data.
class ArrayParam {
 public:
  void Add(std::string_view text) {
    if (out_.size() > 1) out_.push_back(',');
    out_.push_back('"');
    for (char ch : text) {
      if (ch == '"' || ch == '\\') out_.push_back('\\');
      out_.push_back(ch);
    }
    out_.push_back('"');
  }
  void Add(const std::string& text) { Add(std::string_view(text)); }
  void Add(const char* text) { Add(std::string_view(text)); }
  void Add(int64_t n) { AddBare(absl::StrCat(n)); }
  void Add(int32_t n) { AddBare(absl::StrCat(n)); }
  void Add(bool b) { AddBare(b ? "t" : "f"); }
  // The literal; the builder is empty afterwards.
  std::string Take() {
    std::string done = out_.size() > 1 ? std::move(out_) + "}" : std::string("{}");
    out_ = "{";
    return done;
  }

 private:
  void AddBare(std::string_view v) {
    if (out_.size() > 1) out_.push_back(',');
    out_.append(v);
  }
  std::string out_ = "{";
};

// The literal of a whole vector.
template <typename T>
std::string ArrayLiteral(const std::vector<T>& items) {
  ArrayParam a;
  for (const auto& item : items) a.Add(absl::StrCat(item));
  return a.Take();
}

}  // namespace p2pims::pg
