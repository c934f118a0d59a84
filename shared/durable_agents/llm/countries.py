"""Countries travellers name, with the gateway airport a trip there flies into by default.

Format, one country per line: ``ISO2|Name|gateway IATA|aliases|flags`` (aliases and flags as in
:mod:`.destinations`; ``guarded`` marks names that are also ordinary words, like "Turkey").
"""

from __future__ import annotations

from functools import lru_cache

COUNTRIES = """
US|United States|JFK|usa,u.s.a.,=US,=U.S.,united states of america,america,the states|
GB|United Kingdom|LHR|uk,u.k.,britain,great britain,england|
IE|Ireland|DUB||
FR|France|CDG||
IT|Italy|FCO|italia|
ES|Spain|MAD|españa|
PT|Portugal|LIS||
DE|Germany|FRA|deutschland|
NL|Netherlands|AMS|the netherlands,holland|
BE|Belgium|BRU||
CH|Switzerland|ZRH||
AT|Austria|VIE||
CZ|Czechia|PRG|czech republic|
PL|Poland|WAW||
HU|Hungary|BUD||
GR|Greece|ATH||
TR|Turkey|IST|türkiye,turkiye|guarded
HR|Croatia|ZAG||
SI|Slovenia|LJU||
IS|Iceland|KEF||
NO|Norway|OSL||
SE|Sweden|ARN||
DK|Denmark|CPH||
FI|Finland|HEL||
EE|Estonia|TLL||
LV|Latvia|RIX||
LT|Lithuania|VNO||
RO|Romania|OTP||
BG|Bulgaria|SOF||
RS|Serbia|BEG||
ME|Montenegro|TGD||
AL|Albania|TIA||
MT|Malta|MLA||
CY|Cyprus|LCA||
LU|Luxembourg|LUX||
RU|Russia|SVO||
UA|Ukraine|KBP||
GE|Georgia|TBS||
AM|Armenia|EVN||
AZ|Azerbaijan|GYD||
MA|Morocco|CMN||
EG|Egypt|CAI||
TN|Tunisia|TUN||
ZA|South Africa|JNB||
KE|Kenya|NBO||
TZ|Tanzania|JRO||
ET|Ethiopia|ADD||
GH|Ghana|ACC||
NG|Nigeria|LOS||
RW|Rwanda|KGL||
NA|Namibia|WDH||
BW|Botswana|GBE||
MU|Mauritius|MRU||
SC|Seychelles|SEZ|the seychelles|
MG|Madagascar|TNR||
AE|United Arab Emirates|DXB|uae,u.a.e.,the emirates,emirates|
QA|Qatar|DOH||
OM|Oman|MCT||
SA|Saudi Arabia|RUH||
JO|Jordan|AMM||guarded
IL|Israel|TLV||
LB|Lebanon|BEY||
IN|India|DEL||
NP|Nepal|KTM||
LK|Sri Lanka|CMB||
MV|Maldives|MLE|the maldives|
BT|Bhutan|PBH||
CN|China|PEK||
JP|Japan|HND|nippon|
KR|South Korea|ICN|korea|
TW|Taiwan|TPE||
TH|Thailand|BKK||
VN|Vietnam|SGN|viet nam|
KH|Cambodia|KTI||
LA|Laos|VTE||
MM|Myanmar|RGN|burma|
MY|Malaysia|KUL||
ID|Indonesia|CGK||
PH|Philippines|MNL|the philippines|
MN|Mongolia|ULN||
KZ|Kazakhstan|ALA||
UZ|Uzbekistan|TAS||
AU|Australia|SYD||
NZ|New Zealand|AKL||
FJ|Fiji|NAN||
PF|French Polynesia|PPT||
CA|Canada|YYZ||
MX|Mexico|MEX||
CU|Cuba|HAV||
JM|Jamaica|MBJ||
BS|Bahamas|NAS|the bahamas|
DO|Dominican Republic|PUJ||
PR|Puerto Rico|SJU||
AW|Aruba|AUA||
BB|Barbados|BGI||
CR|Costa Rica|SJO||
PA|Panama|PTY||
GT|Guatemala|GUA||
BZ|Belize|BZE||
CO|Colombia|BOG||
PE|Peru|LIM||
EC|Ecuador|UIO||
CL|Chile|SCL||
AR|Argentina|EZE||
BR|Brazil|GRU|brasil|
UY|Uruguay|MVD||
BO|Bolivia|VVI||
"""


@lru_cache(maxsize=1)
def _names() -> dict[str, str]:
    names: dict[str, str] = {}
    for line in COUNTRIES.strip().splitlines():
        code, name, *_ = line.split("|")
        names.setdefault(code, name)
    return names


def country_name(code: str) -> str | None:
    """The English name of an ISO 3166-1 alpha-2 code in the table ("GB" -> "United Kingdom")."""
    return _names().get(code.upper())
