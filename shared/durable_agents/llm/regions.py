"""Regions travellers name as a destination, and the concrete places a trip there stops at.

A region ("the Amalfi coast", "Scotland", "Tuscany") is not a city: a trip there flies into its
gateway airport and stays in one or more of its towns. Countries (:mod:`.countries`) get their stops
from the curated destinations in that country (:func:`~.gazetteer.Gazetteer.stops_for`); regions list
theirs here, most visited first.

Format, one region per line: ``Name|ISO2|gateway IATA|stops|aliases``. Stops are separated by ``;``;
a stop is a curated destination's name, or ``Name@lat,lon`` for a town without an airport of its own
(reached from the gateway). Aliases are comma-separated, as in :mod:`.destinations` (a leading "the"
is never needed).
"""

from __future__ import annotations

REGIONS = """
Amalfi Coast|IT|NAP|Sorrento@40.626,14.376;Positano@40.628,14.485;Amalfi@40.634,14.603|amalfi
Tuscany|IT|FLR|Florence;Siena@43.318,11.331;Lucca@43.843,10.505|toscana
Sicily|IT|PMO|Palermo;Taormina@37.852,15.287;Syracuse@37.075,15.286|sicilia
Cinque Terre|IT|PSA|Monterosso@44.146,9.654;Vernazza@44.135,9.684|
Dolomites|IT|VCE|Cortina d'Ampezzo@46.540,12.136;Ortisei@46.575,11.672|
Scotland|GB|EDI|Edinburgh;Glasgow;Inverness|
Wales|GB|CWL|Cardiff;Conwy@53.280,-3.829|
Lake District|GB|MAN|Keswick@54.601,-3.134;Windermere@54.380,-2.907|
Algarve|PT|FAO|Faro;Lagos@37.102,-8.673;Albufeira@37.089,-8.250|
Provence|FR|MRS|Marseille;Avignon@43.949,4.806;Aix-en-Provence@43.530,5.447|
French Riviera|FR|NCE|Nice;Cannes@43.552,7.017;Antibes@43.580,7.125|cote d'azur,côte d'azur
Loire Valley|FR|CDG|Tours@47.394,0.685;Amboise@47.412,0.982|loire
Andalusia|ES|AGP|Seville;Granada;Malaga|andalucia,andalucía,costa del sol
Canary Islands|ES|TFS|Tenerife;Gran Canaria;Lanzarote|canaries
Balearic Islands|ES|PMI|Mallorca;Ibiza;Menorca|balearics
Bavaria|DE|MUC|Munich;Nuremberg;Salzburg|bayern
Swiss Alps|CH|ZRH|Interlaken;Zermatt@46.020,7.749;Lucerne|alps
Dalmatian Coast|HR|SPU|Split;Dubrovnik;Hvar|dalmatia
Greek Islands|GR|JTR|Santorini;Mykonos;Crete|
Hawaii|US|HNL|Honolulu;Maui;Kona|hawaiian islands
Alaska|US|ANC|Anchorage;Fairbanks;Juneau|
California|US|LAX|Los Angeles;San Francisco;San Diego|
Florida|US|MIA|Miami;Orlando;Key West|
New England|US|BOS|Boston;Portland Maine@43.661,-70.255;Newport@41.490,-71.313|
Patagonia|AR|FTE|El Calafate;Ushuaia;Bariloche|
Yucatan|MX|CUN|Cancun;Tulum;Merida|yucatán,riviera maya
Rajasthan|IN|JAI|Jaipur;Udaipur;Jodhpur|
Kerala|IN|COK|Kochi;Munnar@10.089,77.060;Alleppey@9.498,76.339|
Hokkaido|JP|CTS|Sapporo;Otaru@43.190,140.995|
Tasmania|AU|HBA|Hobart;Launceston@-41.434,147.138|
"""
