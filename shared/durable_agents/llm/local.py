"""Getting around and eating: short, well-established facts about the best-known cities (offline).

Each entry is ``city -> (getting around, from the airport, what to eat)``. Only long-standing facts
(transit systems, airport rail links, signature dishes), no prices or timetables: answers add that
they are general guidance to check locally. Cities without an entry get no invented details.
"""

from __future__ import annotations

LOCAL: dict[str, tuple[str, str, str]] = {
    "Paris": (
        "the Métro and RER cover the city; walking between central sights works well",
        "RER B runs from CDG to the centre",
        "bistro classics, crêpes, cheese and pastries",
    ),
    "London": (
        "the Underground (the Tube), buses and Overground; pay by contactless card",
        "the Elizabeth line and Heathrow Express run from Heathrow",
        "pub food, curries, Sunday roasts, markets",
    ),
    "New York": (
        "the subway runs 24 hours; walk within neighbourhoods",
        "AirTrain from JFK to the subway and LIRR",
        "pizza by the slice, bagels, delis",
    ),
    "Tokyo": (
        "the metro and JR lines (a Suica or Pasmo card works on both)",
        "the Keikyu line or monorail from Haneda, Narita Express from Narita",
        "sushi, ramen, izakaya food",
    ),
    "Rome": (
        "the metro has few lines: walk the centre, buses and trams for the rest",
        "the Leonardo Express train runs from Fiumicino to Termini",
        "pasta (carbonara, cacio e pepe), pizza, gelato",
    ),
    "Barcelona": (
        "the metro, buses and walking; the old town is best on foot",
        "the Aerobús and the L9 metro line serve the airport",
        "tapas, seafood, paella",
    ),
    "Amsterdam": (
        "trams, the metro and bicycles; the centre is compact",
        "trains run from Schiphol to Centraal",
        "Dutch cheese, stroopwafels, Indonesian rijsttafel",
    ),
    "Berlin": (
        "the U-Bahn, S-Bahn and trams",
        "the airport express train and S-Bahn run from BER",
        "currywurst, döner, beer halls",
    ),
    "Madrid": (
        "the metro is extensive and easy",
        "metro line 8 and the airport express bus serve Barajas",
        "tapas, jamón, churros with chocolate",
    ),
    "Lisbon": (
        "the metro, trams (the 28 crosses the old town), funiculars; hilly, so wear good shoes",
        "the metro red line runs from the airport",
        "pastéis de nata, grilled sardines, bacalhau",
    ),
    "Porto": (
        "the metro, trams and walking; the centre is steep",
        "the metro violet line runs from the airport",
        "francesinha, port wine, seafood",
    ),
    "Prague": (
        "trams, the metro and walking",
        "buses link the airport to the metro",
        "goulash, dumplings, Czech beer",
    ),
    "Vienna": (
        "the U-Bahn, trams and buses",
        "the CAT and S-Bahn trains run from the airport",
        "Wiener schnitzel, coffee-house cakes",
    ),
    "Budapest": (
        "the metro, trams (the 2 runs along the Danube) and buses",
        "the 100E bus runs from the airport to the centre",
        "goulash, lángos, chimney cake",
    ),
    "Copenhagen": (
        "the metro, S-trains and bicycles",
        "the metro runs from the airport to the centre",
        "smørrebrød, pastries, New Nordic",
    ),
    "Athens": (
        "the metro and walking in the centre",
        "metro line 3 and the suburban railway serve the airport",
        "souvlaki, meze, Greek salads",
    ),
    "Dublin": (
        "buses, the Luas tram and walking",
        "the Airlink and other buses run from the airport",
        "pub food, stew, seafood chowder",
    ),
    "Edinburgh": (
        "walking and Lothian buses",
        "the tram runs from the airport to the centre",
        "haggis, Scottish salmon, whisky",
    ),
    "Venice": (
        "vaporetto water buses and walking; no cars in the centre",
        "the Alilaguna boat and buses run from the airport",
        "cicchetti, seafood risotto",
    ),
    "Florence": (
        "walking: the centre is compact",
        "the tram runs from the airport to the station",
        "bistecca alla fiorentina, ribollita",
    ),
    "Naples": (
        "the metro, funiculars and walking",
        "the Alibus runs from the airport",
        "Neapolitan pizza, sfogliatelle",
    ),
    "Milan": (
        "the metro and trams",
        "the Malpensa Express train runs to the centre",
        "risotto alla milanese, aperitivo",
    ),
    "Istanbul": (
        "trams, the metro and ferries across the Bosphorus",
        "the metro and Havaist buses run from the airport",
        "kebabs, meze, baklava",
    ),
    "Dubai": (
        "the metro and taxis",
        "the metro red line runs from DXB",
        "Emirati and Levantine food, street shawarma",
    ),
    "Singapore": (
        "the MRT metro and buses",
        "the MRT runs from Changi",
        "hawker-centre food: chicken rice, laksa, chili crab",
    ),
    "Bangkok": (
        "the BTS Skytrain, MRT metro and river boats",
        "the Airport Rail Link runs from Suvarnabhumi",
        "street food, pad thai, curries",
    ),
    "Hong Kong": (
        "the MTR metro, trams and the Star Ferry",
        "the Airport Express train",
        "dim sum, roast meats, noodles",
    ),
    "Seoul": (
        "the subway is extensive (a T-money card)",
        "the AREX train runs from Incheon",
        "Korean barbecue, bibimbap, street food",
    ),
    "Sydney": (
        "trains, buses and ferries (an Opal card or contactless)",
        "the airport train line runs to the city",
        "seafood, brunch cafés",
    ),
    "Los Angeles": (
        "a car or ride-hailing for most trips; the Metro covers some areas",
        "the FlyAway bus and shuttles to the Metro",
        "tacos, Korean and Thai food",
    ),
    "San Francisco": (
        "BART, Muni buses, streetcars and cable cars",
        "BART runs from SFO",
        "sourdough, seafood, burritos",
    ),
    "Chicago": ("the L trains and buses", "the Blue Line runs from O'Hare", "deep-dish pizza, hot dogs"),
    "Miami": (
        "a car, ride-hailing or the Metrorail",
        "the Metrorail Orange Line runs from MIA",
        "Cuban food, seafood",
    ),
    "Toronto": (
        "the TTC subway, streetcars and buses",
        "the UP Express train runs from Pearson",
        "peameal bacon sandwiches, food markets",
    ),
    "Mexico City": (
        "the Metro, Metrobús and ride-hailing",
        "the Metro and authorised taxis from the airport",
        "tacos al pastor, mole, street food",
    ),
    "Marrakech": (
        "walking in the medina, petit taxis outside it",
        "the airport bus and taxis",
        "tagine, couscous, street food in Jemaa el-Fnaa",
    ),
    "Cairo": (
        "the metro and ride-hailing",
        "taxis and ride-hailing from the airport",
        "koshari, ful medames, falafel",
    ),
    "Cape Town": (
        "ride-hailing and the MyCiTi buses",
        "the MyCiTi bus and ride-hailing from the airport",
        "seafood, braai, Cape Malay curry",
    ),
    "Reykjavik": (
        "walking in the centre, buses and tours beyond",
        "Flybus coaches run from Keflavik",
        "lamb soup, fish, skyr",
    ),
    "Buenos Aires": ("the Subte metro and buses", "buses and taxis from Ezeiza", "steak, empanadas, Malbec"),
    "Rio de Janeiro": (
        "the metro and ride-hailing",
        "buses and ride-hailing from the airport",
        "feijoada, churrasco",
    ),
}


def local_facts(name: str, country: str | None) -> tuple[str, str, str] | None:
    """(getting around, from the airport, what to eat) for a curated destination with an entry (Paris,
    Texas gets none of Paris's)."""
    from .gazetteer import gazetteer

    return LOCAL.get(name) if gazetteer().is_curated(name, country) else None
