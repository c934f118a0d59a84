"""Rail links between curated destinations where the train beats flying (about four hours or less).

Format, one link a line, both ways, keyed by the destinations' keys (:mod:`.destination`)::

    KEY A|KEY B|minutes|typical one-way adult fare in EUR (standard class, booked a few weeks ahead)|service

The durations are the fastest regular direct (or one-change) service; the fares are typical, not
quoted: the plan says so. A trip between two stops listed here goes by train, never by air.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

RAIL_LINKS = """
HND Tokyo|KIX Kyoto|135|90|Tokaido Shinkansen
HND Tokyo|KIX Osaka|150|92|Tokaido Shinkansen
HND Tokyo|HIJ Hiroshima|240|120|Tokaido/Sanyo Shinkansen
KIX Kyoto|KIX Osaka|30|4|JR Special Rapid
KIX Kyoto|HIJ Hiroshima|100|75|Sanyo Shinkansen
KIX Osaka|HIJ Hiroshima|85|70|Sanyo Shinkansen
ICN Seoul|PUS Busan|160|40|KTX
PEK Beijing|PVG Shanghai|270|80|Beijing-Shanghai high-speed railway
KUL Kuala Lumpur|PEN Penang|240|20|ETS
DEL Delhi|JAI Jaipur|270|12|Shatabdi Express
LHR London|CDG Paris|140|110|Eurostar
LHR London|BRU Brussels|120|90|Eurostar
LHR London|MAN Manchester|130|70|Avanti West Coast
LHR London|LPL Liverpool|135|70|Avanti West Coast
LHR London|CWL Cardiff|115|50|Great Western Railway
LHR London|EDI Edinburgh|260|90|LNER
EDI Edinburgh|GLA Glasgow|50|18|ScotRail
EDI Edinburgh|INV Inverness|215|45|ScotRail
MAN Manchester|LPL Liverpool|50|15|Northern
CDG Paris|BRU Brussels|85|60|Eurostar
CDG Paris|AMS Amsterdam|200|80|Eurostar
CDG Paris|LYS Lyon|120|60|TGV
CDG Paris|MRS Marseille|200|80|TGV
CDG Paris|BOD Bordeaux|125|70|TGV
CDG Paris|GVA Geneva|190|80|TGV Lyria
CDG Paris|CGN Cologne|200|70|Eurostar
CDG Paris|FRA Frankfurt|230|80|ICE
LYS Lyon|MRS Marseille|100|40|TGV
LYS Lyon|GVA Geneva|110|30|TER
MRS Marseille|NCE Nice|160|35|TER
NCE Nice|NCE Monaco|25|5|TER
AMS Amsterdam|BRU Brussels|110|40|Eurostar
AMS Amsterdam|RTM Rotterdam|40|18|Intercity Direct
AMS Amsterdam|CGN Cologne|160|45|ICE
AMS Amsterdam|DUS Dusseldorf|135|40|ICE
RTM Rotterdam|BRU Brussels|70|35|Eurostar
BRU Brussels|CGN Cologne|110|45|ICE
FCO Rome|FLR Florence|95|40|Frecciarossa
FCO Rome|NAP Naples|70|35|Frecciarossa
FCO Rome|MXP Milan|180|60|Frecciarossa
FCO Rome|VCE Venice|235|60|Frecciarossa
FCO Rome|BLQ Bologna|135|50|Frecciarossa
FLR Florence|VCE Venice|125|40|Frecciarossa
FLR Florence|MXP Milan|115|45|Frecciarossa
FLR Florence|BLQ Bologna|37|20|Frecciarossa
FLR Florence|PSA Pisa|60|10|Regionale
FLR Florence|NAP Naples|180|55|Frecciarossa
MXP Milan|VCE Venice|145|35|Frecciarossa
MXP Milan|TRN Turin|60|25|Frecciarossa
MXP Milan|VRN Verona|75|25|Frecciarossa
MXP Milan|BLQ Bologna|65|40|Frecciarossa
MXP Milan|ZRH Zurich|200|60|EuroCity
MXP Milan|MXP Lake Como|40|6|Trenord
VCE Venice|VRN Verona|70|15|Frecciarossa
VCE Venice|BLQ Bologna|90|30|Frecciarossa
MAD Madrid|BCN Barcelona|150|60|AVE
MAD Madrid|SVQ Seville|150|55|AVE
MAD Madrid|VLC Valencia|110|40|AVE
MAD Madrid|AGP Malaga|165|55|AVE
MAD Madrid|GRX Granada|200|45|AVE
SVQ Seville|AGP Malaga|120|25|Avant
SVQ Seville|GRX Granada|150|30|Avant
BCN Barcelona|VLC Valencia|165|35|Euromed
LIS Lisbon|OPO Porto|175|35|Alfa Pendular
LIS Lisbon|FAO Faro|180|25|Alfa Pendular
BER Berlin|HAM Hamburg|105|40|ICE
BER Berlin|MUC Munich|240|80|ICE Sprinter
BER Berlin|FRA Frankfurt|240|80|ICE
BER Berlin|PRG Prague|260|40|EuroCity
FRA Frankfurt|CGN Cologne|65|50|ICE
FRA Frankfurt|MUC Munich|200|70|ICE
FRA Frankfurt|NUE Nuremberg|125|50|ICE
CGN Cologne|DUS Dusseldorf|25|12|RE
MUC Munich|NUE Nuremberg|65|40|ICE
MUC Munich|SZG Salzburg|90|35|Railjet
MUC Munich|VIE Vienna|240|60|Railjet
MUC Munich|ZRH Zurich|215|60|EuroCity Express
VIE Vienna|SZG Salzburg|150|35|Railjet
VIE Vienna|BUD Budapest|160|30|Railjet
VIE Vienna|PRG Prague|240|35|Railjet
ZRH Zurich|GVA Geneva|165|60|SBB InterCity
ZRH Zurich|ZRH Lucerne|45|25|SBB InterRegio
ZRH Zurich|BRN Interlaken|120|45|SBB InterCity
ZRH Lucerne|BRN Interlaken|110|35|Luzern-Interlaken Express
GVA Geneva|BRN Interlaken|165|50|SBB InterCity
WAW Warsaw|KRK Krakow|150|35|PKP Intercity
ZAG Zagreb|LJU Ljubljana|140|10|EuroCity
ATH Athens|SKG Thessaloniki|260|40|Hellenic Train
TLV Tel Aviv|TLV Jerusalem|30|5|Israel Railways
CMN Casablanca|RAK Marrakech|160|15|ONCF
CMN Casablanca|FEZ Fez|250|20|ONCF
TAS Tashkent|SKD Samarkand|130|20|Afrosiyob
JFK New York|IAD Washington, D.C.|175|150|Amtrak Acela
JFK New York|BOS Boston|215|130|Amtrak Acela
JFK New York|PHL Philadelphia|75|60|Amtrak
JFK New York|BWI Baltimore|140|90|Amtrak
PHL Philadelphia|IAD Washington, D.C.|110|60|Amtrak
YUL Montreal|YOW Ottawa|115|40|VIA Rail
YUL Montreal|YQB Quebec City|195|45|VIA Rail
YYZ Toronto|YOW Ottawa|260|60|VIA Rail
"""


@dataclass(frozen=True)
class RailLink:
    """A train between two destinations: the fastest regular time and a typical fare."""

    origin: str
    destination: str
    minutes: int
    fare_eur: float
    service: str

    def duration(self) -> str:
        """'2 h 15 min', '40 min'."""
        return duration_text(self.minutes)


def duration_text(total_minutes: int) -> str:
    """'2 h 15 min', '3 h', '40 min'."""
    hours, minutes = divmod(total_minutes, 60)
    if not hours:
        return f"{minutes} min"
    return f"{hours} h" + (f" {minutes:02d} min" if minutes else "")


@lru_cache(maxsize=1)
def _links() -> dict[frozenset[str], RailLink]:
    links: dict[frozenset[str], RailLink] = {}
    for line in RAIL_LINKS.strip().splitlines():
        origin, destination, minutes, fare, service = line.split("|")
        links[frozenset((origin, destination))] = RailLink(
            origin, destination, int(minutes), float(fare), service
        )
    return links


def rail_link(origin: str, destination: str) -> RailLink | None:
    """The train between two destination keys (either way round), or ``None`` when none is listed.

    The link is returned as seen from ``origin``.
    """
    found = _links().get(frozenset((origin, destination)))
    if found is None or origin == destination:
        return None
    if found.origin == origin:
        return found
    return RailLink(origin, destination, found.minutes, found.fare_eur, found.service)


def all_links() -> list[RailLink]:
    """Every listed link (one direction each)."""
    return list(_links().values())
