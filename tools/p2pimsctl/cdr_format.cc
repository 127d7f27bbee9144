#include "tools/p2pimsctl/cdr_format.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "lib/json/json.h"
#include "tools/p2pimsctl/csv.h"
#include "tools/p2pimsctl/table.h"
#include "tools/p2pimsctl/time_arg.h"

namespace p2pims::ctl {
namespace {

namespace pb = ::google::protobuf;

constexpr int kRetransmissionField = cv1::Cdr::kRetransmissionFieldNumber;

// Cdr's fields in field-number order.
std::vector<const pb::FieldDescriptor*> Fields(CdrFields which) {
  const pb::Descriptor* d = cv1::Cdr::descriptor();
  std::vector<const pb::FieldDescriptor*> fields;
  for (int i = 0; i < d->field_count(); ++i) {
    const pb::FieldDescriptor* f = d->field(i);
    if (which == CdrFields::kFile && f->number() == kRetransmissionField) continue;
    fields.push_back(f);
  }
  std::sort(fields.begin(), fields.end(),
            [](const auto* a, const auto* b) { return a->number() < b->number(); });
  return fields;
}

bool IsMoney(const pb::FieldDescriptor* f) {
  return f->cpp_type() == pb::FieldDescriptor::CPPTYPE_MESSAGE &&
         f->message_type() == cv1::Money::descriptor();
}

// "CauseForRecordClosing" -> "CAUSE_FOR_RECORD_CLOSING_".
std::string EnumPrefix(const pb::EnumDescriptor* e) {
  std::string out;
  for (char c : e->name()) {
    if (absl::ascii_isupper(static_cast<unsigned char>(c)) && !out.empty()) out += '_';
    out += absl::ascii_toupper(static_cast<unsigned char>(c));
  }
  return out + "_";
}

std::string EnumValueName(const pb::FieldDescriptor* f, int number) {
  if (number == 0) return "";
  const pb::EnumValueDescriptor* v = f->enum_type()->FindValueByNumber(number);
  if (v == nullptr) return absl::StrCat(number);
  std::string name = v->name();
  const std::string prefix = EnumPrefix(f->enum_type());
  if (absl::StartsWith(name, prefix)) name = name.substr(prefix.size());
  return absl::AsciiStrToLower(name);
}

std::string Money(const cv1::Money& m) {
  return m.currency().empty() ? absl::StrCat(m.minor())
                              : absl::StrCat(m.minor(), " ", m.currency());
}

// When the record closed: record_closure_time_ms, else stop_time_ms.
std::string Closed(const cv1::Cdr& c) {
  const int64_t ms =
      c.record_closure_time_ms() != 0 ? c.record_closure_time_ms() : c.stop_time_ms();
  return ms == 0 ? "-" : FormatTime(ms / 1000);
}

}  // namespace

std::vector<std::string> CdrFieldNames(CdrFields which) {
  std::vector<std::string> names;
  for (const pb::FieldDescriptor* f : Fields(which)) {
    if (IsMoney(f)) {
      names.push_back(absl::StrCat(f->name(), "_minor"));
      names.push_back(absl::StrCat(f->name(), "_currency"));
    } else {
      names.push_back(f->name());
    }
  }
  return names;
}

std::vector<CdrValue> CdrValues(const cv1::Cdr& cdr, CdrFields which) {
  const pb::Reflection* r = cdr.GetReflection();
  std::vector<CdrValue> out;
  for (const pb::FieldDescriptor* f : Fields(which)) {
    switch (f->cpp_type()) {
      case pb::FieldDescriptor::CPPTYPE_INT64:
        out.push_back({f->name(), r->GetInt64(cdr, f)});
        break;
      case pb::FieldDescriptor::CPPTYPE_INT32:
        out.push_back({f->name(), int64_t{r->GetInt32(cdr, f)}});
        break;
      case pb::FieldDescriptor::CPPTYPE_UINT32:
        out.push_back({f->name(), int64_t{r->GetUInt32(cdr, f)}});
        break;
      case pb::FieldDescriptor::CPPTYPE_BOOL:
        out.push_back({f->name(), r->GetBool(cdr, f)});
        break;
      case pb::FieldDescriptor::CPPTYPE_STRING:
        out.push_back({f->name(), r->GetString(cdr, f)});
        break;
      case pb::FieldDescriptor::CPPTYPE_ENUM:
        out.push_back({f->name(), EnumValueName(f, r->GetEnumValue(cdr, f))});
        break;
      case pb::FieldDescriptor::CPPTYPE_MESSAGE:
        if (IsMoney(f)) {
          const auto& m = static_cast<const cv1::Money&>(r->GetMessage(cdr, f));
          out.push_back({absl::StrCat(f->name(), "_minor"), int64_t{m.minor()}});
          out.push_back({absl::StrCat(f->name(), "_currency"), m.currency()});
          break;
        }
        [[fallthrough]];
      default:
        // A field type Cdr does not use today (uint64, double, another message): as text.
        out.push_back({f->name(), std::string()});
        break;
    }
  }
  return out;
}

std::string CdrJson(const cv1::Cdr& cdr, CdrFields which) {
  JsonObject o;
  for (const CdrValue& v : CdrValues(cdr, which)) {
    std::visit([&](const auto& x) { o.Add(v.name, x); }, v.value);
  }
  return o.Close();
}

std::string CdrCsvHeader() { return CsvRecord(CdrFieldNames(CdrFields::kFile)); }

std::string CdrCsvRecord(const cv1::Cdr& cdr) {
  std::vector<std::string> fields;
  for (const CdrValue& v : CdrValues(cdr, CdrFields::kFile)) {
    if (const auto* i = std::get_if<int64_t>(&v.value)) {
      fields.push_back(absl::StrCat(*i));
    } else if (const auto* b = std::get_if<bool>(&v.value)) {
      fields.push_back(*b ? "true" : "false");
    } else {
      fields.push_back(std::get<std::string>(v.value));
    }
  }
  return CsvRecord(fields);
}

std::string CdrTable(const std::vector<cv1::Cdr>& cdrs) {
  Table t({"SEQ", "CLOSED", "SERVED_IDENTITY", "CONTENT", "OWNER", "BYTES_DOWN", "BYTES_UP",
           "CHARGE", "CAUSE", "RETRANSMISSION"});
  for (const cv1::Cdr& c : cdrs) {
    t.AddRow({absl::StrCat(c.sequence()), Closed(c), c.served_identity(), c.content_id(), c.owner(),
              absl::StrCat(c.bytes_down()), absl::StrCat(c.bytes_up()), Money(c.charge()),
              c.cause(), c.retransmission() ? "yes" : ""});
  }
  return t.Render();
}

std::string CdrLine(const cv1::Cdr& c) {
  // Values never hold spaces: Printable() turns controls into '?', and spaces become '_'.
  auto v = [](const std::string& s) {
    std::string out = Printable(s);
    std::replace(out.begin(), out.end(), ' ', '_');
    return out.empty() ? std::string("-") : out;
  };
  return absl::StrCat(
      "sequence=", c.sequence(), " closed=", Closed(c), " served_identity=", v(c.served_identity()),
      " content_id=", v(c.content_id()), " owner=", v(c.owner()), " bytes_down=", c.bytes_down(),
      " bytes_up=", c.bytes_up(), " charge_minor=", c.charge().minor(),
      " charge_currency=", v(c.charge().currency()), " cause=", v(c.cause()), "\n");
}

}  // namespace p2pims::ctl
