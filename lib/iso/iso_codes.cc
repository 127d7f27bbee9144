#include "lib/iso/iso_codes.h"

#include <algorithm>
#include <array>
#include <utility>

namespace p2pims {
namespace {

// Sorted, for binary search.
constexpr std::string_view kCurrencies[] = {
    "AED", "AFN", "ALL", "AMD", "ANG", "AOA", "ARS", "AUD", "AWG", "AZN", "BAM", "BBD", "BDT",
    "BGN", "BHD", "BIF", "BMD", "BND", "BOB", "BRL", "BSD", "BTN", "BWP", "BYN", "BZD", "CAD",
    "CDF", "CHF", "CLP", "CNY", "COP", "CRC", "CUP", "CVE", "CZK", "DJF", "DKK", "DOP", "DZD",
    "EGP", "ERN", "ETB", "EUR", "FJD", "FKP", "GBP", "GEL", "GHS", "GIP", "GMD", "GNF", "GTQ",
    "GYD", "HKD", "HNL", "HTG", "HUF", "IDR", "ILS", "INR", "IQD", "IRR", "ISK", "JMD", "JOD",
    "JPY", "KES", "KGS", "KHR", "KMF", "KPW", "KRW", "KWD", "KYD", "KZT", "LAK", "LBP", "LKR",
    "LRD", "LSL", "LYD", "MAD", "MDL", "MGA", "MKD", "MMK", "MNT", "MOP", "MRU", "MUR", "MVR",
    "MWK", "MXN", "MYR", "MZN", "NAD", "NGN", "NIO", "NOK", "NPR", "NZD", "OMR", "PAB", "PEN",
    "PGK", "PHP", "PKR", "PLN", "PYG", "QAR", "RON", "RSD", "RUB", "RWF", "SAR", "SBD", "SCR",
    "SDG", "SEK", "SGD", "SHP", "SLE", "SOS", "SRD", "SSP", "STN", "SVC", "SYP", "SZL", "THB",
    "TJS", "TMT", "TND", "TOP", "TRY", "TTD", "TWD", "TZS", "UAH", "UGX", "USD", "UYU", "UZS",
    "VES", "VND", "VUV", "WST", "XAF", "XCD", "XOF", "XPF", "YER", "ZAR", "ZMW", "ZWL"};

// Sorted, for binary search.
constexpr std::string_view kCountries[] = {
    "AD", "AE", "AF", "AG", "AI", "AL", "AM", "AO", "AQ", "AR", "AS", "AT", "AU", "AW", "AX",
    "AZ", "BA", "BB", "BD", "BE", "BF", "BG", "BH", "BI", "BJ", "BL", "BM", "BN", "BO", "BQ",
    "BR", "BS", "BT", "BV", "BW", "BY", "BZ", "CA", "CC", "CD", "CF", "CG", "CH", "CI", "CK",
    "CL", "CM", "CN", "CO", "CR", "CU", "CV", "CW", "CX", "CY", "CZ", "DE", "DJ", "DK", "DM",
    "DO", "DZ", "EC", "EE", "EG", "EH", "ER", "ES", "ET", "FI", "FJ", "FK", "FM", "FO", "FR",
    "GA", "GB", "GD", "GE", "GF", "GG", "GH", "GI", "GL", "GM", "GN", "GP", "GQ", "GR", "GS",
    "GT", "GU", "GW", "GY", "HK", "HM", "HN", "HR", "HT", "HU", "ID", "IE", "IL", "IM", "IN",
    "IO", "IQ", "IR", "IS", "IT", "JE", "JM", "JO", "JP", "KE", "KG", "KH", "KI", "KM", "KN",
    "KP", "KR", "KW", "KY", "KZ", "LA", "LB", "LC", "LI", "LK", "LR", "LS", "LT", "LU", "LV",
    "LY", "MA", "MC", "MD", "ME", "MF", "MG", "MH", "MK", "ML", "MM", "MN", "MO", "MP", "MQ",
    "MR", "MS", "MT", "MU", "MV", "MW", "MX", "MY", "MZ", "NA", "NC", "NE", "NF", "NG", "NI",
    "NL", "NO", "NP", "NR", "NU", "NZ", "OM", "PA", "PE", "PF", "PG", "PH", "PK", "PL", "PM",
    "PN", "PR", "PS", "PT", "PW", "PY", "QA", "RE", "RO", "RS", "RU", "RW", "SA", "SB", "SC",
    "SD", "SE", "SG", "SH", "SI", "SJ", "SK", "SL", "SM", "SN", "SO", "SR", "SS", "ST", "SV",
    "SX", "SY", "SZ", "TC", "TD", "TF", "TG", "TH", "TJ", "TK", "TL", "TM", "TN", "TO", "TR",
    "TT", "TV", "TW", "TZ", "UA", "UG", "UM", "US", "UY", "UZ", "VA", "VC", "VE", "VG", "VI",
    "VN", "VU", "WF", "WS", "YE", "YT", "ZA", "ZM", "ZW"};

// ITU-T E.212 geographic MCCs with a single country, sorted by MCC.
constexpr std::pair<std::string_view, std::string_view> kMccCountry[] = {
    {"202", "GR"}, {"204", "NL"}, {"206", "BE"}, {"208", "FR"}, {"212", "MC"}, {"213", "AD"},
    {"214", "ES"}, {"216", "HU"}, {"218", "BA"}, {"219", "HR"}, {"220", "RS"}, {"222", "IT"},
    {"225", "VA"}, {"226", "RO"}, {"228", "CH"}, {"230", "CZ"}, {"231", "SK"}, {"232", "AT"},
    {"234", "GB"}, {"235", "GB"}, {"238", "DK"}, {"240", "SE"}, {"242", "NO"}, {"244", "FI"},
    {"246", "LT"}, {"247", "LV"}, {"248", "EE"}, {"250", "RU"}, {"255", "UA"}, {"257", "BY"},
    {"259", "MD"}, {"260", "PL"}, {"262", "DE"}, {"266", "GI"}, {"268", "PT"}, {"270", "LU"},
    {"272", "IE"}, {"274", "IS"}, {"276", "AL"}, {"278", "MT"}, {"280", "CY"}, {"282", "GE"},
    {"283", "AM"}, {"284", "BG"}, {"286", "TR"}, {"288", "FO"}, {"290", "GL"}, {"292", "SM"},
    {"293", "SI"}, {"294", "MK"}, {"295", "LI"}, {"297", "ME"}, {"302", "CA"}, {"308", "PM"},
    {"310", "US"}, {"311", "US"}, {"312", "US"}, {"313", "US"}, {"314", "US"}, {"315", "US"},
    {"316", "US"}, {"330", "PR"}, {"332", "VI"}, {"334", "MX"}, {"338", "JM"}, {"342", "BB"},
    {"344", "AG"}, {"346", "KY"}, {"348", "VG"}, {"350", "BM"}, {"352", "GD"}, {"354", "MS"},
    {"356", "KN"}, {"358", "LC"}, {"360", "VC"}, {"363", "AW"}, {"364", "BS"}, {"365", "AI"},
    {"366", "DM"}, {"368", "CU"}, {"370", "DO"}, {"372", "HT"}, {"374", "TT"}, {"376", "TC"},
    {"400", "AZ"}, {"401", "KZ"}, {"402", "BT"}, {"404", "IN"}, {"405", "IN"}, {"406", "IN"},
    {"410", "PK"}, {"412", "AF"}, {"413", "LK"}, {"414", "MM"}, {"415", "LB"}, {"416", "JO"},
    {"417", "SY"}, {"418", "IQ"}, {"419", "KW"}, {"420", "SA"}, {"421", "YE"}, {"422", "OM"},
    {"424", "AE"}, {"426", "BH"}, {"427", "QA"}, {"428", "MN"}, {"429", "NP"}, {"430", "AE"},
    {"431", "AE"}, {"432", "IR"}, {"434", "UZ"}, {"436", "TJ"}, {"437", "KG"}, {"438", "TM"},
    {"440", "JP"}, {"441", "JP"}, {"450", "KR"}, {"452", "VN"}, {"454", "HK"}, {"455", "MO"},
    {"456", "KH"}, {"457", "LA"}, {"460", "CN"}, {"461", "CN"}, {"466", "TW"}, {"467", "KP"},
    {"470", "BD"}, {"472", "MV"}, {"502", "MY"}, {"505", "AU"}, {"510", "ID"}, {"514", "TL"},
    {"515", "PH"}, {"520", "TH"}, {"525", "SG"}, {"528", "BN"}, {"530", "NZ"}, {"536", "NR"},
    {"537", "PG"}, {"539", "TO"}, {"540", "SB"}, {"541", "VU"}, {"542", "FJ"}, {"543", "WF"},
    {"544", "AS"}, {"545", "KI"}, {"546", "NC"}, {"547", "PF"}, {"548", "CK"}, {"549", "WS"},
    {"550", "FM"}, {"551", "MH"}, {"552", "PW"}, {"553", "TV"}, {"555", "NU"}, {"602", "EG"},
    {"603", "DZ"}, {"604", "MA"}, {"605", "TN"}, {"606", "LY"}, {"607", "GM"}, {"608", "SN"},
    {"609", "MR"}, {"610", "ML"}, {"611", "GN"}, {"612", "CI"}, {"613", "BF"}, {"614", "NE"},
    {"615", "TG"}, {"616", "BJ"}, {"617", "MU"}, {"618", "LR"}, {"619", "SL"}, {"620", "GH"},
    {"621", "NG"}, {"622", "TD"}, {"623", "CF"}, {"624", "CM"}, {"625", "CV"}, {"626", "ST"},
    {"627", "GQ"}, {"628", "GA"}, {"629", "CG"}, {"630", "CD"}, {"631", "AO"}, {"632", "GW"},
    {"633", "SC"}, {"634", "SD"}, {"635", "RW"}, {"636", "ET"}, {"637", "SO"}, {"638", "DJ"},
    {"639", "KE"}, {"640", "TZ"}, {"641", "UG"}, {"642", "BI"}, {"643", "MZ"}, {"645", "ZM"},
    {"646", "MG"}, {"647", "RE"}, {"648", "ZW"}, {"649", "NA"}, {"650", "MW"}, {"651", "LS"},
    {"652", "BW"}, {"653", "SZ"}, {"654", "KM"}, {"655", "ZA"}, {"657", "ER"}, {"658", "SH"},
    {"659", "SS"}, {"702", "BZ"}, {"704", "GT"}, {"706", "SV"}, {"708", "HN"}, {"710", "NI"},
    {"712", "CR"}, {"714", "PA"}, {"716", "PE"}, {"722", "AR"}, {"724", "BR"}, {"730", "CL"},
    {"732", "CO"}, {"734", "VE"}, {"736", "BO"}, {"738", "GY"}, {"740", "EC"}, {"742", "GF"},
    {"744", "PY"}, {"746", "SR"}, {"748", "UY"}, {"750", "FK"}};

template <typename Range>
bool SortedContains(const Range& range, std::string_view code) {
  return std::binary_search(std::begin(range), std::end(range), code);
}

}  // namespace

bool IsCurrencyCode(std::string_view code) { return SortedContains(kCurrencies, code); }

bool IsCountryCode(std::string_view code) { return SortedContains(kCountries, code); }

std::string_view CountryOfMcc(std::string_view mcc) {
  auto it = std::lower_bound(std::begin(kMccCountry), std::end(kMccCountry), mcc,
                             [](const auto& entry, std::string_view key) { return entry.first < key; });
  return it != std::end(kMccCountry) && it->first == mcc ? it->second : std::string_view();
}

}  // namespace p2pims
