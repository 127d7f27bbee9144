// The code lists licences are checked against: ISO 4217 currencies, ISO 3166-1 alpha-2 countries,
// and the ITU-T E.212 mobile country codes (MCC) that map a network locality to a country.
#pragma once

#include <string_view>

namespace p2pims {

// An active ISO 4217 alphabetic code of a currency (not a metal, fund or test code).
bool IsCurrencyCode(std::string_view code);
// An officially assigned ISO 3166-1 alpha-2 code, upper case.
bool IsCountryCode(std::string_view code);
// The country (alpha-2) a 3-digit MCC belongs to; empty when unassigned or shared by several
// territories (e.g. 340, the French Antilles).
std::string_view CountryOfMcc(std::string_view mcc);

}  // namespace p2pims
