// Bencoding (BEP 3) for tracker replies: a writer that appends to a caller's std::string, and a
// strict reader that tests and fuzz targets use to check what the writer (or anyone) produced.
//
//   std::string out;
//   bencode::Writer w(&out);
//   w.BeginDict();
//   w.Key("interval");
//   w.Int(1800);
//   w.End();
//   assert(w.Finish().ok() && out == "d8:intervali1800ee");
//
//   absl::StatusOr<bencode::Value> v = bencode::Parse(out);
//   v->Find("interval")->integer == 1800;
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace p2pims::tracker::bencode {

// Deep enough for every tracker reply (files → hash → stats is 3), shallow enough that a
// hostile input cannot exhaust the reader's stack.
inline constexpr int kMaxDepth = 32;

// Appends bencoded values to `out`. Dictionary keys must be given in ascending raw-byte order
// (BEP 3); the writer checks this against the bytes already written, so it needs no allocation
// of its own. Misuse (unsorted or duplicate key, a value where a key is due, End() with nothing
// open, nesting beyond kMaxDepth) is remembered and reported by Finish(); the output is then
// not valid bencoding and must not be sent.
//
// Not thread-safe; one writer per output string.
class Writer {
 public:
  explicit Writer(std::string* out) : out_(out) {}

  void Int(int64_t value);
  void String(std::string_view bytes);
  // Writes the length prefix of a byte string of `size` bytes and returns the space for its
  // contents, to be filled by the caller before the next call (compact peer lists are built
  // in place this way).
  std::span<char> StringOfSize(size_t size);
  void BeginList();
  void BeginDict();
  // Inside a dictionary: the next key. Must sort after the previous key of the same dictionary.
  void Key(std::string_view key);
  void End();

  // OK when every container is closed and no misuse happened; FailedPrecondition otherwise.
  absl::Status Finish() const;

 private:
  struct Frame {
    bool dict = false;
    bool expect_value = false;  // in a dict: a key was written, its value is due
    bool has_key = false;
    size_t last_key_offset = 0;  // where the previous key's bytes start in *out_
    size_t last_key_size = 0;
  };
  // Called before any value: checks that a value is allowed here.
  void BeforeValue();
  void AppendDecimal(int64_t value);
  void Fail(const char* why);

  std::string* out_;
  Frame frames_[kMaxDepth];
  int depth_ = 0;
  bool wrote_top_level_ = false;
  const char* error_ = nullptr;
};

// A parsed value. Strings are views into the parsed input, which must outlive the Value.
struct Value {
  enum class Type { kInt, kString, kList, kDict };
  Type type = Type::kInt;
  int64_t integer = 0;
  std::string_view string;
  // A list's elements, or a dict's values in key order (keys[i] names items[i]).
  std::vector<Value> items;
  std::vector<std::string_view> keys;

  // The value under `key` in a dict, or nullptr (also for non-dicts).
  const Value* Find(std::string_view key) const;
};

// Parses exactly one bencoded value spanning all of `input`. InvalidArgument, naming the byte
// offset, for: truncation, trailing bytes, leading zeros ("i03e", "03:abc"), negative zero,
// empty integers, integers outside int64, string lengths beyond the input, dictionary keys that
// are not byte strings, unsorted or duplicate keys, nesting deeper than `max_depth`.
absl::StatusOr<Value> Parse(std::string_view input, int max_depth = kMaxDepth);

// Same checks as Parse without building a tree.
absl::Status Validate(std::string_view input, int max_depth = kMaxDepth);

}  // namespace p2pims::tracker::bencode
