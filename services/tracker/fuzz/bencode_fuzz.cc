// Fuzz target for bencode::Parse and bencode::Validate (bencode.h).
// Invariants: Parse and Validate agree; a parsed value is at most kMaxDepth deep and re-encodes
// with the Writer to exactly the input (the reader accepts only the canonical form).
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "services/tracker/bencode.h"
#include "lib/fuzzing/fuzz_check.h"

namespace p2pims::tracker::bencode {
namespace {

void Encode(const Value& v, Writer* w) {
  switch (v.type) {
    case Value::Type::kInt:
      w->Int(v.integer);
      return;
    case Value::Type::kString:
      w->String(v.string);
      return;
    case Value::Type::kList:
      FUZZ_CHECK(v.keys.empty());
      w->BeginList();
      for (const Value& item : v.items) Encode(item, w);
      w->End();
      return;
    case Value::Type::kDict:
      FUZZ_CHECK(v.keys.size() == v.items.size());
      w->BeginDict();
      for (size_t i = 0; i < v.items.size(); ++i) {
        w->Key(v.keys[i]);
        Encode(v.items[i], w);
        FUZZ_CHECK(v.Find(v.keys[i]) == &v.items[i]);
      }
      w->End();
      return;
  }
}

int Depth(const Value& v) {
  int deepest = 0;
  for (const Value& item : v.items) deepest = std::max(deepest, Depth(item));
  const bool container = v.type == Value::Type::kList || v.type == Value::Type::kDict;
  return deepest + (container ? 1 : 0);
}

}  // namespace
}  // namespace p2pims::tracker::bencode

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace p2pims::tracker::bencode;
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  absl::StatusOr<Value> v = Parse(input);
  const absl::Status validated = Validate(input);
  FUZZ_CHECK(v.ok() == validated.ok());
  if (!v.ok()) {
    FUZZ_CHECK(v.status().code() == absl::StatusCode::kInvalidArgument);
    return 0;
  }
  FUZZ_CHECK(Depth(*v) <= kMaxDepth);
  std::string out;
  Writer w(&out);
  Encode(*v, &w);
  FUZZ_CHECK(w.Finish().ok());
  FUZZ_CHECK(out == input);
  // A tighter depth bound refuses exactly the values deeper than it.
  const int depth = Depth(*v);
  if (depth > 0) {
    FUZZ_CHECK(Validate(input, depth).ok());
    FUZZ_CHECK(!Validate(input, depth - 1).ok());
  }
  return 0;
}
