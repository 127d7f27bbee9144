#include "services/tracker/bencode.h"

#include <charconv>
#include <limits>

namespace p2pims::tracker::bencode {

// ---- Writer ----

void Writer::Fail(const char* why) {
  if (error_ == nullptr) error_ = why;  // the first misuse explains the rest
}

void Writer::BeforeValue() {
  if (depth_ == 0) {
    if (wrote_top_level_) Fail("bencode writer: more than one top-level value");
    wrote_top_level_ = true;
    return;
  }
  Frame& f = frames_[depth_ - 1];
  if (!f.dict) return;
  if (!f.expect_value) Fail("bencode writer: value where a dictionary key is due");
  f.expect_value = false;
}

void Writer::AppendDecimal(int64_t value) {
  char buf[24];  // "-9223372036854775808" is 20 characters
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, value);
  (void)ec;  // cannot fail: the buffer fits every int64
  out_->append(buf, end);
}

void Writer::Int(int64_t value) {
  BeforeValue();
  out_->push_back('i');
  AppendDecimal(value);
  out_->push_back('e');
}

void Writer::String(std::string_view bytes) {
  BeforeValue();
  AppendDecimal(static_cast<int64_t>(bytes.size()));
  out_->push_back(':');
  out_->append(bytes);
}

std::span<char> Writer::StringOfSize(size_t size) {
  BeforeValue();
  AppendDecimal(static_cast<int64_t>(size));
  out_->push_back(':');
  const size_t start = out_->size();
  out_->resize(start + size);
  return {out_->data() + start, size};
}

void Writer::BeginList() {
  BeforeValue();
  if (depth_ == kMaxDepth) {
    Fail("bencode writer: nesting too deep");
    return;
  }
  frames_[depth_++] = Frame{};
  out_->push_back('l');
}

void Writer::BeginDict() {
  BeforeValue();
  if (depth_ == kMaxDepth) {
    Fail("bencode writer: nesting too deep");
    return;
  }
  frames_[depth_++] = Frame{.dict = true};
  out_->push_back('d');
}

void Writer::Key(std::string_view key) {
  if (depth_ == 0 || !frames_[depth_ - 1].dict) {
    Fail("bencode writer: key outside a dictionary");
    return;
  }
  Frame& f = frames_[depth_ - 1];
  if (f.expect_value) Fail("bencode writer: two keys in a row");
  if (f.has_key) {
    // Compare with the previous key as already written: no copy of keys is kept.
    std::string_view previous(out_->data() + f.last_key_offset, f.last_key_size);
    if (key <= previous) Fail("bencode writer: dictionary keys not in ascending order");
  }
  AppendDecimal(static_cast<int64_t>(key.size()));
  out_->push_back(':');
  f.last_key_offset = out_->size();
  f.last_key_size = key.size();
  f.has_key = true;
  f.expect_value = true;
  out_->append(key);
}

void Writer::End() {
  if (depth_ == 0) {
    Fail("bencode writer: End() with no open container");
    return;
  }
  if (frames_[depth_ - 1].expect_value) Fail("bencode writer: dictionary key without a value");
  --depth_;
  out_->push_back('e');
}

absl::Status Writer::Finish() const {
  if (error_ != nullptr) return absl::FailedPreconditionError(error_);
  if (depth_ != 0) return absl::FailedPreconditionError("bencode writer: unclosed container");
  if (!wrote_top_level_) return absl::FailedPreconditionError("bencode writer: nothing written");
  return absl::OkStatus();
}

// ---- Reader ----

const Value* Value::Find(std::string_view key) const {
  if (type != Type::kDict) return nullptr;
  for (size_t i = 0; i < keys.size(); ++i) {
    if (keys[i] == key) return &items[i];
  }
  return nullptr;
}

namespace {

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

class Reader {
 public:
  Reader(std::string_view input, int max_depth) : in_(input), max_depth_(max_depth) {}

  // `out` may be null: then the input is only validated.
  absl::Status ParseAll(Value* out) {
    absl::Status s = ParseValue(out, 0);
    if (!s.ok()) return s;
    if (pos_ != in_.size()) return Error("trailing bytes after the value");
    return absl::OkStatus();
  }

 private:
  absl::Status Error(std::string_view what) const {
    // Joined by hand: Debian's absl::StrCat does not take std::string_view.
    std::string message = "bencode: ";
    message.append(what).append(" at offset ").append(std::to_string(pos_));
    return absl::InvalidArgumentError(message);
  }

  bool AtEnd() const { return pos_ >= in_.size(); }

  absl::Status ParseValue(Value* out, int depth) {
    if (AtEnd()) return Error("truncated input");
    const char c = in_[pos_];
    if (c == 'i') return ParseInt(out);
    if (IsDigit(c)) {
      std::string_view s;
      absl::Status st = ParseString(&s);
      if (st.ok() && out != nullptr) {
        out->type = Value::Type::kString;
        out->string = s;
      }
      return st;
    }
    if (c == 'l' || c == 'd') {
      if (depth >= max_depth_) return Error("nesting too deep");
      return c == 'l' ? ParseList(out, depth + 1) : ParseDict(out, depth + 1);
    }
    return Error("unexpected byte");
  }

  absl::Status ParseInt(Value* out) {
    const size_t start = pos_;
    ++pos_;  // 'i'
    bool negative = false;
    if (!AtEnd() && in_[pos_] == '-') {
      negative = true;
      ++pos_;
    }
    const size_t digits_start = pos_;
    uint64_t magnitude = 0;
    // Negative values may reach one further than positive ones (two's complement).
    const uint64_t limit = negative ? uint64_t{1} << 63 : (uint64_t{1} << 63) - 1;
    while (!AtEnd() && IsDigit(in_[pos_])) {
      const uint64_t d = static_cast<uint64_t>(in_[pos_] - '0');
      if (magnitude > (limit - d) / 10) return Error("integer out of 64-bit range");
      magnitude = magnitude * 10 + d;
      ++pos_;
    }
    const size_t ndigits = pos_ - digits_start;
    if (AtEnd()) return Error("truncated integer");
    if (in_[pos_] != 'e') return Error("unexpected byte in integer");
    // Errors of form are reported at the integer's start, where a reader would look.
    const size_t end = pos_;
    pos_ = start;
    if (ndigits == 0) return Error("integer without digits");
    if (in_[digits_start] == '0' && ndigits > 1) return Error("leading zero in integer");
    if (negative && magnitude == 0) return Error("negative zero");
    pos_ = end;
    ++pos_;  // 'e'
    if (out != nullptr) {
      out->type = Value::Type::kInt;
      // magnitude == 2^63 only when negative; unsigned negation keeps that case defined.
      out->integer =
          negative ? static_cast<int64_t>(~magnitude + 1) : static_cast<int64_t>(magnitude);
    }
    return absl::OkStatus();
  }

  absl::Status ParseString(std::string_view* out) {
    const size_t start = pos_;
    uint64_t length = 0;
    while (!AtEnd() && IsDigit(in_[pos_])) {
      // Any length beyond the input is refused below; stop counting before overflow.
      if (length > in_.size()) return Error("string length beyond the input");
      length = length * 10 + static_cast<uint64_t>(in_[pos_] - '0');
      ++pos_;
    }
    if (AtEnd()) return Error("truncated string length");
    if (in_[pos_] != ':') return Error("unexpected byte in string length");
    if (in_[start] == '0' && pos_ - start > 1) return Error("leading zero in string length");
    ++pos_;  // ':'
    if (length > in_.size() - pos_) return Error("string length beyond the input");
    *out = in_.substr(pos_, static_cast<size_t>(length));
    pos_ += static_cast<size_t>(length);
    return absl::OkStatus();
  }

  absl::Status ParseList(Value* out, int depth) {
    ++pos_;  // 'l'
    if (out != nullptr) out->type = Value::Type::kList;
    while (true) {
      if (AtEnd()) return Error("truncated list");
      if (in_[pos_] == 'e') break;
      Value* item = nullptr;
      if (out != nullptr) item = &out->items.emplace_back();
      absl::Status s = ParseValue(item, depth);
      if (!s.ok()) return s;
    }
    ++pos_;  // 'e'
    return absl::OkStatus();
  }

  absl::Status ParseDict(Value* out, int depth) {
    ++pos_;  // 'd'
    if (out != nullptr) out->type = Value::Type::kDict;
    bool has_previous = false;
    std::string_view previous;
    while (true) {
      if (AtEnd()) return Error("truncated dictionary");
      if (in_[pos_] == 'e') break;
      if (!IsDigit(in_[pos_])) return Error("dictionary key is not a byte string");
      const size_t key_pos = pos_;
      std::string_view key;
      absl::Status s = ParseString(&key);
      if (!s.ok()) return s;
      if (has_previous && key <= previous) {
        pos_ = key_pos;  // report where the offending key starts
        return Error(key == previous ? "duplicate dictionary key" : "dictionary keys not sorted");
      }
      previous = key;
      has_previous = true;
      Value* item = nullptr;
      if (out != nullptr) {
        out->keys.push_back(key);
        item = &out->items.emplace_back();
      }
      s = ParseValue(item, depth);
      if (!s.ok()) return s;
    }
    ++pos_;  // 'e'
    return absl::OkStatus();
  }

  std::string_view in_;
  int max_depth_;
  size_t pos_ = 0;
};

}  // namespace

absl::StatusOr<Value> Parse(std::string_view input, int max_depth) {
  Value v;
  absl::Status s = Reader(input, max_depth).ParseAll(&v);
  if (!s.ok()) return s;
  return v;
}

absl::Status Validate(std::string_view input, int max_depth) {
  return Reader(input, max_depth).ParseAll(nullptr);
}

}  // namespace p2pims::tracker::bencode
