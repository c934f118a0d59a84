"""Curated destinations: the names travellers use, mapped to the airport a trip there flies into.

The airport database names airports after the municipality they sit in (Toronto Pearson is in
"Mississauga", Venice's in "Venezia", Bali's in "Denpasar-Bali Island"), and many names are shared
(Paris, Texas; Venice, Florida). This table settles the well-known destinations; every other city with
a commercial airport is still found through the database's own city names (see :mod:`.gazetteer`).

Format, one destination per line: ``Name|IATA|aliases|flags``. Aliases are comma-separated; an alias
written ``=LA`` only matches in exactly that case. Flag ``guarded`` marks names that are also ordinary
words ("Nice", "Split"): they count only when capitalised and after a travel cue ("to Nice").
Countries are in :mod:`.countries`.
"""

from __future__ import annotations

DESTINATIONS = """
New York|JFK|nyc,new york city,manhattan,brooklyn,the big apple|
Los Angeles|LAX|=LA,=L.A.,hollywood|
San Francisco|SFO|=SF,san fran|
Chicago|ORD|chi-town|
Boston|BOS||
Washington, D.C.|IAD|washington,washington dc,washington d.c.,=DC,=D.C.|
Miami|MIA|miami beach|
Orlando|MCO|disney world,walt disney world|
Las Vegas|LAS|vegas|
Seattle|SEA||
Portland|PDX||
Denver|DEN||
Austin|AUS||
Dallas|DFW|dallas fort worth,dfw|
Houston|IAH||
Atlanta|ATL||
Philadelphia|PHL|philly|
Phoenix|PHX||
San Diego|SAN||
Nashville|BNA||
New Orleans|MSY|nola|
Honolulu|HNL|oahu,waikiki|
Maui|OGG||
Anchorage|ANC||
Salt Lake City|SLC|salt lake|
Minneapolis|MSP||
Detroit|DTW||
Charlotte|CLT||
Tampa|TPA||
Fort Lauderdale|FLL||
Key West|EYW||
Savannah|SAV||
Charleston|CHS||
Pittsburgh|PIT||
Baltimore|BWI||
St. Louis|STL|st louis,saint louis|
Kansas City|MCI||
San Antonio|SAT||
San Jose|SJC||
Sacramento|SMF||
Palm Springs|PSP||
Aspen|ASE||
Jackson Hole|JAC||
Cleveland|CLE||
Indianapolis|IND||
Raleigh|RDU||
Albuquerque|ABQ||
Tucson|TUS||
Memphis|MEM||
Milwaukee|MKE||
Cincinnati|CVG||
Toronto|YYZ||
Montreal|YUL|montréal|
Vancouver|YVR||
Calgary|YYC||
Banff|YYC||
Quebec City|YQB|quebec|
Ottawa|YOW||
Mexico City|MEX|cdmx|
Cancun|CUN|cancún,playa del carmen|
Tulum|TQO||
Puerto Vallarta|PVR||
Los Cabos|SJD|cabo,cabo san lucas|
Oaxaca|OAX||
Guadalajara|GDL||
Havana|HAV|la habana|
Punta Cana|PUJ||
San Juan|SJU||
Nassau|NAS||
Montego Bay|MBJ||
Panama City|PTY||
Rio de Janeiro|GIG|rio|
Sao Paulo|GRU|são paulo|
Buenos Aires|EZE||
Lima|LIM||
Cusco|CUZ|cuzco,machu picchu|
Bogota|BOG|bogotá|
Medellin|MDE|medellín|
Cartagena|CTG||
Santiago|SCL|santiago de chile|
Quito|UIO||
Galapagos|GPS|galápagos,galapagos islands|
Montevideo|MVD||
London|LHR||
Paris|CDG||
Rome|FCO|roma|
Milan|MXP|milano|
Venice|VCE|venezia|
Florence|FLR|firenze|
Naples|NAP|napoli,capri|
Palermo|PMO||
Catania|CTA||
Bologna|BLQ||
Pisa|PSA||
Turin|TRN|torino|
Verona|VRN||
Lake Como|MXP|como|
Madrid|MAD||
Barcelona|BCN||
Seville|SVQ|sevilla|
Valencia|VLC||
Malaga|AGP|málaga|
Granada|GRX||
Ibiza|IBZ||
Mallorca|PMI|majorca,palma de mallorca|
Tenerife|TFS||
Lisbon|LIS|lisboa|
Porto|OPO|oporto|
Faro|FAO||
Madeira|FNC|funchal|
Berlin|BER||
Munich|MUC|münchen,muenchen|
Frankfurt|FRA||
Hamburg|HAM||
Cologne|CGN|köln|
Dusseldorf|DUS|düsseldorf|
Amsterdam|AMS||
Rotterdam|RTM||
Brussels|BRU|bruxelles,bruges|
Vienna|VIE|wien|
Salzburg|SZG||
Zurich|ZRH|zürich|
Geneva|GVA|genève|
Prague|PRG|praha|
Budapest|BUD||
Warsaw|WAW||
Krakow|KRK|kraków,cracow|
Copenhagen|CPH||
Stockholm|ARN||
Oslo|OSL||
Bergen|BGO||
Helsinki|HEL||
Reykjavik|KEF|reykjavík|
Dublin|DUB||
Edinburgh|EDI||
Glasgow|GLA||
Manchester|MAN||
Liverpool|LPL||
Athens|ATH||
Santorini|JTR|thira|
Mykonos|JMK||
Crete|HER|heraklion|
Corfu|CFU||
Rhodes|RHO||
Thessaloniki|SKG||
Istanbul|IST||
Cappadocia|NAV||
Antalya|AYT||
Dubrovnik|DBV||
Split|SPU||guarded
Zagreb|ZAG||
Ljubljana|LJU||
Nice|NCE||guarded
Monaco|NCE|monte carlo|
Marseille|MRS||
Lyon|LYS||
Bordeaux|BOD||
Tallinn|TLL||
Riga|RIX||
Vilnius|VNO||
Bucharest|OTP||
Sofia|SOF||
Belgrade|BEG||
Valletta|MLA||
Moscow|SVO||
St. Petersburg|LED|st petersburg,saint petersburg|
Kyiv|KBP|kiev|
Dubai|DXB||
Abu Dhabi|AUH||
Doha|DOH||
Tel Aviv|TLV||
Jerusalem|TLV||
Amman|AMM|petra|
Cairo|CAI|giza|
Luxor|LXR||
Marrakech|RAK|marrakesh|
Casablanca|CMN||
Fez|FEZ|fes|
Tunis|TUN||
Cape Town|CPT||
Johannesburg|JNB|joburg|
Nairobi|NBO||
Zanzibar|ZNZ||
Accra|ACC||
Lagos|LOS||
Addis Ababa|ADD||
Kigali|KGL||
Muscat|MCT||
Riyadh|RUH||
Jeddah|JED||
Tokyo|HND||
Kyoto|KIX||
Osaka|KIX||
Sapporo|CTS||
Okinawa|OKA|naha|
Hiroshima|HIJ||
Seoul|ICN||
Busan|PUS||
Beijing|PEK|peking|
Shanghai|PVG||
Hong Kong|HKG|=HK|
Macau|MFM|macao|
Taipei|TPE||
Bangkok|BKK||
Phuket|HKT||
Chiang Mai|CNX||
Koh Samui|USM|ko samui,samui|
Krabi|KBV||
Singapore|SIN||
Kuala Lumpur|KUL|=KL|
Penang|PEN||
Bali|DPS|denpasar,ubud|
Jakarta|CGK||
Manila|MNL||
Cebu|CEB||
Boracay|MPH||
Palawan|PPS|el nido|
Hanoi|HAN|ha long bay,halong bay|
Ho Chi Minh City|SGN|saigon,hcmc|
Da Nang|DAD|danang,hoi an|
Siem Reap|SAI|angkor wat|
Phnom Penh|KTI||
Luang Prabang|LPQ||
Yangon|RGN||
Kathmandu|KTM||
Delhi|DEL|new delhi,agra|
Mumbai|BOM|bombay|
Goa|GOI||
Jaipur|JAI||
Bangalore|BLR|bengaluru|
Chennai|MAA|madras|
Kolkata|CCU|calcutta|
Kochi|COK|cochin|
Colombo|CMB||
Almaty|ALA||
Tashkent|TAS||
Samarkand|SKD||
Tbilisi|TBS||
Baku|GYD||
Yerevan|EVN||
Sydney|SYD||
Melbourne|MEL||
Brisbane|BNE||
Perth|PER||
Cairns|CNS|great barrier reef|
Adelaide|ADL||
Gold Coast|OOL||
Hobart|HBA||
Auckland|AKL||
Queenstown|ZQN||
Wellington|WLG||
Christchurch|CHC||
Tahiti|PPT|papeete|
Bora Bora|BOB||
Inverness|INV||
Cardiff|CWL||
Nuremberg|NUE|nürnberg|
Udaipur|UDR||
Jodhpur|JDH||
Merida|MID|mérida|
El Calafate|FTE||
Ushuaia|USH||
Bariloche|BRC|san carlos de bariloche|
Fairbanks|FAI||
Juneau|JNU||
Gran Canaria|LPA|las palmas|
Lanzarote|ACE||
Menorca|MAH|minorca|
Hvar|SPU||
Kona|KOA||
Lucerne|ZRH|luzern|
Interlaken|BRN||
"""
