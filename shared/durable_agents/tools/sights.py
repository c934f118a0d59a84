"""The sights of the curated destinations that have no described entry in :mod:`.landmarks`.

Format, one destination a line, keyed like every destination fact (its airport's IATA code and its
name: "KIX Kyoto")::

    KEY|Sight/category; Sight/category; ...

Categories are the attractions tool's vocabulary (museum, art, history, architecture, religion, nature,
food, entertainment, shopping, beach, viewpoint, neighbourhood); the best-known sights come first.
"""

from __future__ import annotations

SIGHTS = """
BOS Boston|Freedom Trail/history; Museum of Fine Arts/art; Fenway Park/entertainment; Boston Public Garden/nature; Quincy Market/food
IAD Washington, D.C.|National Mall and Lincoln Memorial/history; Smithsonian National Air and Space Museum/museum; US Capitol/architecture; National Gallery of Art/art; Georgetown/neighbourhood
MCO Orlando|Walt Disney World Magic Kingdom/entertainment; Universal Studios Florida/entertainment; Kennedy Space Center/museum; Lake Eola Park/nature
LAS Las Vegas|The Strip/entertainment; Bellagio Fountains/entertainment; Fremont Street Experience/neighbourhood; Red Rock Canyon/nature; Hoover Dam/architecture
SEA Seattle|Pike Place Market/food; Space Needle/viewpoint; Museum of Pop Culture/museum; Chihuly Garden and Glass/art; Kerry Park/viewpoint
PDX Portland|Powell's City of Books/shopping; Washington Park and the Japanese Garden/nature; Multnomah Falls/nature; Pearl District/neighbourhood; Food cart pods/food
DEN Denver|Red Rocks Amphitheatre/entertainment; Denver Art Museum/art; Larimer Square/neighbourhood; Rocky Mountain National Park/nature; Union Station/architecture
AUS Austin|Texas State Capitol/architecture; South Congress Avenue/neighbourhood; Barton Springs Pool/nature; Sixth Street live music/entertainment; Congress Avenue Bridge bats/nature
DFW Dallas|Sixth Floor Museum at Dealey Plaza/history; Dallas Arts District/art; Reunion Tower/viewpoint; Deep Ellum/neighbourhood; Klyde Warren Park/nature
IAH Houston|Space Center Houston/museum; Museum of Fine Arts Houston/art; Rothko Chapel/religion; Buffalo Bayou Park/nature; Houston Museum of Natural Science/museum
ATL Atlanta|Georgia Aquarium/entertainment; Martin Luther King Jr. National Historical Park/history; World of Coca-Cola/museum; Piedmont Park/nature; Ponce City Market/food
PHL Philadelphia|Independence Hall and the Liberty Bell/history; Philadelphia Museum of Art/art; Reading Terminal Market/food; Barnes Foundation/art; Eastern State Penitentiary/history
PHX Phoenix|Desert Botanical Garden/nature; Heard Museum/museum; Camelback Mountain/nature; Taliesin West/architecture; Musical Instrument Museum/museum
SAN San Diego|Balboa Park/nature; USS Midway Museum/museum; La Jolla Cove/beach; San Diego Zoo/entertainment; Old Town San Diego/history
BNA Nashville|Country Music Hall of Fame/museum; Ryman Auditorium/entertainment; Broadway honky-tonks/entertainment; Parthenon in Centennial Park/architecture; Grand Ole Opry/entertainment
MSY New Orleans|French Quarter/neighbourhood; National WWII Museum/museum; Garden District/architecture; Frenchmen Street jazz/entertainment; Café du Monde/food
HNL Honolulu|Pearl Harbor National Memorial/history; Diamond Head/nature; Waikiki Beach/beach; Iolani Palace/history; Hanauma Bay/beach
OGG Maui|Haleakalā National Park/nature; Road to Hana/nature; Kaanapali Beach/beach; Lahaina Harbor/neighbourhood; Molokini snorkelling/beach
ANC Anchorage|Anchorage Museum/museum; Alaska Native Heritage Center/museum; Tony Knowles Coastal Trail/nature; Flattop Mountain/nature; Portage Glacier/nature
SLC Salt Lake City|Temple Square/religion; Natural History Museum of Utah/museum; Great Salt Lake/nature; Big Cottonwood Canyon/nature; Utah State Capitol/architecture
MSP Minneapolis|Walker Art Center and Sculpture Garden/art; Minneapolis Institute of Art/art; Mill City Museum/history; Minnehaha Falls/nature; Chain of Lakes/nature
DTW Detroit|Detroit Institute of Arts/art; Henry Ford Museum/museum; Motown Museum/museum; Belle Isle/nature; Eastern Market/food
CLT Charlotte|NASCAR Hall of Fame/museum; Mint Museum/art; U.S. National Whitewater Center/nature; NoDa arts district/neighbourhood
TPA Tampa|Florida Aquarium/entertainment; Ybor City/history; Tampa Riverwalk/neighbourhood; Busch Gardens/entertainment; Clearwater Beach/beach
FLL Fort Lauderdale|Las Olas Boulevard/neighbourhood; Fort Lauderdale Beach/beach; Bonnet House/history; New River water taxi/viewpoint
EYW Key West|Ernest Hemingway Home/history; Mallory Square sunset/viewpoint; Duval Street/neighbourhood; Southernmost Point/viewpoint; Dry Tortugas National Park/nature
SAV Savannah|Historic District squares/history; Forsyth Park/nature; Bonaventure Cemetery/history; River Street/neighbourhood; Mercer Williams House/architecture
CHS Charleston|Historic Charleston and the Battery/history; Fort Sumter/history; Magnolia Plantation/nature; Rainbow Row/architecture; Charleston City Market/shopping
PIT Pittsburgh|Andy Warhol Museum/art; Carnegie Museums of Art and Natural History/museum; Duquesne Incline/viewpoint; Strip District/food; Fallingwater/architecture
BWI Baltimore|Inner Harbor/neighbourhood; National Aquarium/entertainment; Fort McHenry/history; Walters Art Museum/art; Fells Point/neighbourhood
STL St. Louis|Gateway Arch/viewpoint; Forest Park/nature; Missouri Botanical Garden/nature; City Museum/entertainment; Cathedral Basilica of Saint Louis/religion
MCI Kansas City|Nelson-Atkins Museum of Art/art; National WWI Museum/museum; 18th and Vine Jazz District/entertainment; Country Club Plaza/shopping; Kansas City barbecue/food
SAT San Antonio|The Alamo/history; River Walk/neighbourhood; San Antonio Missions/history; Pearl District/food; Market Square/shopping
SJC San Jose|Winchester Mystery House/history; Tech Interactive/museum; Santana Row/shopping; Alum Rock Park/nature
SMF Sacramento|Old Sacramento/history; California State Railroad Museum/museum; California State Capitol/architecture; Crocker Art Museum/art; Sutter's Fort/history
PSP Palm Springs|Palm Springs Aerial Tramway/viewpoint; Joshua Tree National Park/nature; Indian Canyons/nature; Mid-century modern architecture tour/architecture
ASE Aspen|Maroon Bells/nature; Aspen Mountain/nature; Independence Pass/viewpoint; Aspen Art Museum/art
JAC Jackson Hole|Grand Teton National Park/nature; Yellowstone National Park/nature; Jackson Town Square/neighbourhood; National Elk Refuge/nature; Jackson Hole aerial tram/viewpoint
CLE Cleveland|Rock and Roll Hall of Fame/museum; Cleveland Museum of Art/art; West Side Market/food; Cuyahoga Valley National Park/nature
IND Indianapolis|Indianapolis Motor Speedway/entertainment; Newfields art museum/art; Children's Museum of Indianapolis/museum; Monument Circle/history
RDU Raleigh|North Carolina Museum of Art/art; North Carolina Museum of Natural Sciences/museum; Pullen Park/nature; William B. Umstead State Park/nature
ABQ Albuquerque|Old Town Albuquerque/history; Sandia Peak Tramway/viewpoint; Indian Pueblo Cultural Center/museum; Petroglyph National Monument/history; Balloon Fiesta Park/entertainment
TUS Tucson|Saguaro National Park/nature; Arizona-Sonora Desert Museum/museum; Mission San Xavier del Bac/religion; Pima Air and Space Museum/museum
MEM Memphis|Graceland/history; National Civil Rights Museum/history; Beale Street/entertainment; Sun Studio/museum; Memphis barbecue/food
MKE Milwaukee|Milwaukee Art Museum/art; Harley-Davidson Museum/museum; Historic Third Ward/neighbourhood; Lakefront and Discovery World/nature
CVG Cincinnati|National Underground Railroad Freedom Center/history; Cincinnati Art Museum/art; Findlay Market/food; Over-the-Rhine/neighbourhood; Cincinnati Zoo/entertainment
YUL Montreal|Old Montreal/history; Notre-Dame Basilica of Montreal/religion; Mount Royal Park/viewpoint; Montreal Museum of Fine Arts/art; Jean-Talon Market/food
YVR Vancouver|Stanley Park/nature; Granville Island/food; Capilano Suspension Bridge/nature; Gastown/neighbourhood; Museum of Anthropology/museum
YYC Calgary|Calgary Tower/viewpoint; Glenbow Museum/museum; Heritage Park Historical Village/history; Prince's Island Park/nature; Banff National Park day trip/nature
YYC Banff|Lake Louise/nature; Moraine Lake/nature; Banff Gondola/viewpoint; Banff Upper Hot Springs/nature; Icefields Parkway/nature
YQB Quebec City|Old Québec/history; Château Frontenac/architecture; Plains of Abraham/history; Montmorency Falls/nature; Petit-Champlain/neighbourhood
YOW Ottawa|Parliament Hill/architecture; National Gallery of Canada/art; Rideau Canal/nature; ByWard Market/food; Canadian Museum of History/museum
CUN Cancun|Chichén Itzá/history; Isla Mujeres/beach; Cenote Ik Kil/nature; Hotel Zone beaches/beach; Xcaret Park/entertainment
TQO Tulum|Tulum archaeological site/history; Gran Cenote/nature; Sian Ka'an Biosphere Reserve/nature; Playa Paraíso/beach; Cobá ruins/history
PVR Puerto Vallarta|Malecón/neighbourhood; Zona Romántica/neighbourhood; Islas Marietas/nature; Vallarta Botanical Garden/nature; Our Lady of Guadalupe Church/religion
SJD Los Cabos|El Arco de Cabo San Lucas/nature; Playa del Amor/beach; San José del Cabo art district/art; Whale watching/nature
OAX Oaxaca|Monte Albán/history; Santo Domingo de Guzmán/religion; Hierve el Agua/nature; Mercado 20 de Noviembre/food; Mezcal distilleries/food
GDL Guadalajara|Guadalajara Cathedral/religion; Hospicio Cabañas/art; Tlaquepaque/shopping; Tequila town day trip/food; Mercado San Juan de Dios/shopping
HAV Havana|Old Havana/history; Malecón/viewpoint; Plaza de la Catedral/religion; Museum of the Revolution/museum; Fusterlandia/art
PUJ Punta Cana|Bávaro Beach/beach; Saona Island/beach; Hoyo Azul/nature; Altos de Chavón/history
SJU San Juan|Old San Juan/history; Castillo San Felipe del Morro/history; El Yunque National Forest/nature; Condado Beach/beach; Bioluminescent bay/nature
NAS Nassau|Paradise Island beaches/beach; Queen's Staircase/history; Fort Fincastle/history; Exuma swimming pigs day trip/nature
MBJ Montego Bay|Doctor's Cave Beach/beach; Rose Hall Great House/history; Martha Brae rafting/nature; Hip Strip/neighbourhood
PTY Panama City|Panama Canal at Miraflores Locks/history; Casco Viejo/history; Biomuseo/museum; Amador Causeway/viewpoint; Metropolitan Natural Park/nature
GRU Sao Paulo|Ibirapuera Park/nature; São Paulo Museum of Art (MASP)/art; Municipal Market/food; Avenida Paulista/neighbourhood; Beco do Batman/art
LIM Lima|Historic Centre of Lima/history; Larco Museum/museum; Miraflores clifftop Malecón/viewpoint; Barranco/neighbourhood; Huaca Pucllana/history
CUZ Cusco|Machu Picchu/history; Sacsayhuamán/history; Qorikancha/religion; Sacred Valley/nature; San Pedro Market/food
BOG Bogota|Gold Museum/museum; La Candelaria/neighbourhood; Monserrate/viewpoint; Botero Museum/art; Salt Cathedral of Zipaquirá/religion
MDE Medellin|Comuna 13/neighbourhood; Plaza Botero/art; Metrocable to Parque Arví/viewpoint; Museo de Antioquia/museum; Guatapé day trip/nature
CTG Cartagena|Walled City/history; Castillo San Felipe de Barajas/history; Getsemaní/neighbourhood; Rosario Islands/beach
SCL Santiago|Cerro San Cristóbal/viewpoint; Plaza de Armas/history; Museum of Memory and Human Rights/museum; La Chascona/history; Mercado Central/food
UIO Quito|Old Town of Quito/history; La Compañía de Jesús/religion; TelefériQo/viewpoint; Middle of the World monument/history; Basílica del Voto Nacional/religion
GPS Galapagos|Charles Darwin Research Station/nature; Tortuga Bay/beach; Los Gemelos/nature; Snorkelling at Kicker Rock/nature
MVD Montevideo|Ciudad Vieja/history; Mercado del Puerto/food; Rambla/viewpoint; Teatro Solís/entertainment; Colonia del Sacramento day trip/history
MXP Milan|Duomo di Milano/religion; The Last Supper/art; Galleria Vittorio Emanuele II/shopping; Sforza Castle/history; Navigli/neighbourhood
NAP Naples|Pompeii/history; National Archaeological Museum/museum; Spaccanapoli/neighbourhood; Mount Vesuvius/nature; Naples pizza/food
PMO Palermo|Palermo Cathedral/religion; Palatine Chapel/art; Monreale Cathedral/religion; Teatro Massimo/entertainment; Ballarò Market/food
CTA Catania|Mount Etna/nature; Piazza del Duomo/history; Catania Fish Market/food; Taormina day trip/history; Roman Theatre/history
BLQ Bologna|Piazza Maggiore/history; Two Towers/viewpoint; Basilica of San Petronio/religion; Quadrilatero food market/food; Archiginnasio/history
PSA Pisa|Leaning Tower of Pisa/architecture; Pisa Cathedral/religion; Baptistery/architecture; Lucca day trip/history
TRN Turin|Egyptian Museum/museum; Mole Antonelliana/viewpoint; Royal Palace of Turin/history; Basilica of Superga/religion; Porta Palazzo Market/food
VRN Verona|Verona Arena/history; Juliet's House/history; Piazza delle Erbe/neighbourhood; Castelvecchio/history; Lake Garda day trip/nature
MXP Lake Como|Villa del Balbianello/history; Bellagio/neighbourhood; Villa Carlotta/nature; Varenna/neighbourhood; Como-Brunate funicular/viewpoint
SVQ Seville|Real Alcázar/history; Seville Cathedral and the Giralda/religion; Plaza de España/architecture; Santa Cruz quarter/neighbourhood; Metropol Parasol/viewpoint
VLC Valencia|City of Arts and Sciences/architecture; La Lonja de la Seda/history; Mercado Central/food; Turia Gardens/nature; Albufera paella/food
AGP Malaga|Alcazaba/history; Picasso Museum Málaga/art; Gibralfaro Castle/viewpoint; Atarazanas Market/food; Caminito del Rey/nature
GRX Granada|Alhambra/history; Albaicín/neighbourhood; Mirador de San Nicolás/viewpoint; Granada Cathedral/religion; Sacromonte/neighbourhood
IBZ Ibiza|Dalt Vila/history; Cala Comte/beach; Es Vedrà/viewpoint; Ibiza nightclubs/entertainment
PMI Mallorca|Palma Cathedral/religion; Bellver Castle/history; Serra de Tramuntana/nature; Cala Mondragó/beach; Valldemossa/neighbourhood
TFS Tenerife|Teide National Park/nature; Los Gigantes cliffs/nature; Anaga Rural Park/nature; La Laguna old town/history; Playa de las Teresitas/beach
OPO Porto|Ribeira/neighbourhood; Livraria Lello/architecture; Port wine cellars of Gaia/food; Dom Luís I Bridge/viewpoint; Clérigos Tower/viewpoint
FAO Faro|Faro Old Town/history; Ria Formosa/nature; Benagil sea cave/nature; Praia da Marinha/beach; Capela dos Ossos/religion
FNC Madeira|Levada walks/nature; Pico do Arieiro/viewpoint; Monte Palace Tropical Garden/nature; Mercado dos Lavradores/food; Cabo Girão skywalk/viewpoint
MUC Munich|Marienplatz and the Glockenspiel/history; Deutsches Museum/museum; English Garden/nature; Nymphenburg Palace/history; Viktualienmarkt/food
FRA Frankfurt|Römerberg/history; Städel Museum/art; Main Tower/viewpoint; Sachsenhausen cider taverns/food; Palmengarten/nature
HAM Hamburg|Elbphilharmonie/architecture; Speicherstadt/history; Miniatur Wunderland/entertainment; Fish Market/food; Planten un Blomen/nature
CGN Cologne|Cologne Cathedral/religion; Museum Ludwig/art; Chocolate Museum/museum; Old Town brewhouses/food; Hohenzollern Bridge/viewpoint
DUS Dusseldorf|Königsallee/shopping; Altstadt/neighbourhood; Rhine Tower/viewpoint; K20 art collection/art; MedienHafen/architecture
RTM Rotterdam|Markthal/food; Cube Houses/architecture; Erasmus Bridge/architecture; Kinderdijk windmills/history; Museum Boijmans Depot/art
BRU Brussels|Grand Place/history; Atomium/architecture; Royal Museums of Fine Arts/art; Manneken Pis/history; Bruges day trip/history
SZG Salzburg|Hohensalzburg Fortress/history; Mozart's Birthplace/museum; Mirabell Palace and Gardens/nature; Salzburg Cathedral/religion; Hellbrunn Palace/history
ZRH Zurich|Old Town and Grossmünster/religion; Swiss National Museum/museum; Lake Zurich/nature; Kunsthaus Zürich/art; Uetliberg/viewpoint
GVA Geneva|Jet d'Eau/viewpoint; Palais des Nations/history; St. Pierre Cathedral/religion; Patek Philippe Museum/museum; Mont Salève/viewpoint
WAW Warsaw|Old Town Market Square/history; Royal Castle/history; Warsaw Uprising Museum/museum; POLIN Museum/museum; Łazienki Park/nature
KRK Krakow|Main Market Square/history; Wawel Castle/history; Kazimierz/neighbourhood; Wieliczka Salt Mine/history; Auschwitz-Birkenau Memorial/history
ARN Stockholm|Gamla Stan/history; Vasa Museum/museum; Skansen/museum; ABBA The Museum/entertainment; Fotografiska/art
OSL Oslo|Viking Ship Museum/museum; Vigeland Sculpture Park/art; Oslo Opera House/architecture; Munch Museum/art; Holmenkollen ski jump/viewpoint
BGO Bergen|Bryggen/history; Fløyen funicular/viewpoint; Bergen Fish Market/food; Nærøyfjord cruise/nature; KODE art museums/art
HEL Helsinki|Suomenlinna/history; Helsinki Cathedral/religion; Temppeliaukio Rock Church/religion; Market Square/food; Löyly sauna/entertainment
GLA Glasgow|Kelvingrove Art Gallery/art; Glasgow Cathedral/religion; Riverside Museum/museum; Glasgow School of Art/architecture; West End/neighbourhood
MAN Manchester|Science and Industry Museum/museum; John Rylands Library/architecture; Old Trafford/entertainment; Northern Quarter/neighbourhood; Manchester Museum/museum
LPL Liverpool|The Beatles Story/museum; Albert Dock/history; Cavern Club/entertainment; Liverpool Cathedral/religion; Walker Art Gallery/art
JTR Santorini|Oia sunset/viewpoint; Fira to Oia caldera walk/nature; Akrotiri/history; Red Beach/beach; Santorini wineries/food
JMK Mykonos|Little Venice/neighbourhood; Mykonos windmills/viewpoint; Delos/history; Paradise Beach/beach
HER Crete|Knossos/history; Heraklion Archaeological Museum/museum; Samaria Gorge/nature; Chania old harbour/neighbourhood; Elafonissi Beach/beach
CFU Corfu|Corfu Old Town/history; Achilleion Palace/history; Paleokastritsa/beach; Old Fortress/history
RHO Rhodes|Rhodes Old Town/history; Palace of the Grand Master/history; Lindos Acropolis/history; Anthony Quinn Bay/beach
SKG Thessaloniki|White Tower/history; Rotunda/history; Church of Saint Demetrios/religion; Ladadika/food; Archaeological Museum of Thessaloniki/museum
NAV Cappadocia|Hot-air balloon flight/viewpoint; Göreme Open-Air Museum/history; Derinkuyu Underground City/history; Uçhisar Castle/viewpoint; Love Valley/nature
AYT Antalya|Kaleiçi old town/history; Düden Waterfalls/nature; Aspendos theatre/history; Konyaaltı Beach/beach; Perge/history
DBV Dubrovnik|City walls/history; Stradun/neighbourhood; Mount Srđ cable car/viewpoint; Lokrum Island/nature; Rector's Palace/history
SPU Split|Diocletian's Palace/history; Riva promenade/neighbourhood; Marjan Hill/viewpoint; Krka National Park/nature; Cathedral of Saint Domnius/religion
ZAG Zagreb|Upper Town/history; St. Mark's Church/religion; Museum of Broken Relationships/museum; Dolac Market/food; Plitvice Lakes day trip/nature
LJU Ljubljana|Ljubljana Castle/history; Triple Bridge and Prešeren Square/architecture; Tivoli Park/nature; Central Market/food; Lake Bled day trip/nature
NCE Nice|Promenade des Anglais/beach; Vieux Nice/neighbourhood; Castle Hill/viewpoint; Matisse Museum/art; Cours Saleya market/food
NCE Monaco|Monte Carlo Casino/entertainment; Prince's Palace/history; Oceanographic Museum/museum; Exotic Garden/nature; Port Hercule/neighbourhood
MRS Marseille|Notre-Dame de la Garde/religion; Vieux-Port/neighbourhood; MuCEM/museum; Calanques National Park/nature; Le Panier/neighbourhood
LYS Lyon|Vieux Lyon and its traboules/history; Basilica of Notre-Dame de Fourvière/religion; Les Halles Paul Bocuse/food; Musée des Confluences/museum; Parc de la Tête d'Or/nature
BOD Bordeaux|Place de la Bourse and the Water Mirror/architecture; La Cité du Vin/museum; Saint-Émilion day trip/food; Bordeaux Cathedral/religion; Dune of Pilat/nature
TLL Tallinn|Tallinn Old Town/history; Toompea Hill viewpoints/viewpoint; Kadriorg Palace/art; Telliskivi Creative City/neighbourhood; Alexander Nevsky Cathedral/religion
RIX Riga|Riga Old Town/history; Art Nouveau district/architecture; Riga Central Market/food; House of the Blackheads/architecture; St. Peter's Church tower/viewpoint
VNO Vilnius|Vilnius Old Town/history; Gediminas Tower/viewpoint; Užupis/neighbourhood; Vilnius Cathedral/religion; Trakai Island Castle/history
OTP Bucharest|Palace of the Parliament/architecture; Old Town (Lipscani)/neighbourhood; Romanian Athenaeum/entertainment; Village Museum/museum; Carturesti Carusel bookshop/shopping
SOF Sofia|Alexander Nevsky Cathedral/religion; Boyana Church/religion; Vitosha Boulevard/neighbourhood; National History Museum/museum; Rila Monastery day trip/religion
BEG Belgrade|Belgrade Fortress/history; Church of Saint Sava/religion; Skadarlija/food; Museum of Yugoslavia/museum; Zemun/neighbourhood
MLA Valletta|St. John's Co-Cathedral/religion; Upper Barrakka Gardens/viewpoint; Grand Master's Palace/history; Mdina/history; Blue Grotto/nature
SVO Moscow|Red Square and the Kremlin/history; St. Basil's Cathedral/religion; Tretyakov Gallery/art; Moscow Metro stations/architecture; Gorky Park/nature
LED St. Petersburg|Hermitage Museum/art; Church of the Savior on Spilled Blood/religion; Peterhof Palace/history; Nevsky Prospekt/neighbourhood; St. Isaac's Cathedral/viewpoint
KBP Kyiv|St. Sophia's Cathedral/religion; Kyiv Pechersk Lavra/religion; St. Andrew's Descent/neighbourhood; St. Michael's Golden-Domed Monastery/religion
AUH Abu Dhabi|Sheikh Zayed Grand Mosque/religion; Louvre Abu Dhabi/art; Qasr Al Watan/architecture; Ferrari World/entertainment; Corniche Beach/beach
DOH Doha|Museum of Islamic Art/museum; Souq Waqif/shopping; National Museum of Qatar/museum; The Corniche/viewpoint; Katara Cultural Village/art
TLV Tel Aviv|Jaffa Old City/history; Carmel Market/food; Tel Aviv beaches/beach; White City Bauhaus architecture/architecture; Tel Aviv Museum of Art/art
TLV Jerusalem|Western Wall/religion; Church of the Holy Sepulchre/religion; Dome of the Rock/religion; Yad Vashem/history; Mahane Yehuda Market/food
AMM Amman|Petra/history; Amman Citadel/history; Roman Theatre/history; Jerash/history; Wadi Rum/nature
LXR Luxor|Karnak Temple/history; Valley of the Kings/history; Luxor Temple/history; Temple of Hatshepsut/history; Hot-air balloon over the West Bank/viewpoint
CMN Casablanca|Hassan II Mosque/religion; Corniche Ain Diab/beach; Old Medina/neighbourhood; Habous Quarter/shopping; Rick's Café/food
FEZ Fez|Fes el-Bali medina/history; Chouara Tannery/history; Al-Qarawiyyin/religion; Bou Inania Madrasa/architecture; Royal Palace gates/architecture
TUN Tunis|Medina of Tunis/history; Bardo National Museum/museum; Carthage/history; Sidi Bou Said/neighbourhood
JNB Johannesburg|Apartheid Museum/history; Constitution Hill/history; Soweto and Vilakazi Street/neighbourhood; Maboneng Precinct/art; Cradle of Humankind/history
NBO Nairobi|Nairobi National Park/nature; David Sheldrick Elephant Orphanage/nature; Giraffe Centre/nature; Karen Blixen Museum/museum; Maasai Market/shopping
ZNZ Zanzibar|Stone Town/history; Spice farm tour/food; Nungwi Beach/beach; Jozani Forest/nature; Prison Island/history
ACC Accra|Kwame Nkrumah Memorial Park/history; Jamestown/neighbourhood; Makola Market/shopping; Labadi Beach/beach; Cape Coast Castle day trip/history
LOS Lagos|Lekki Conservation Centre/nature; Nike Art Gallery/art; Tarkwa Bay/beach; Freedom Park/history; Balogun Market/shopping
ADD Addis Ababa|National Museum of Ethiopia and Lucy/museum; Holy Trinity Cathedral/religion; Merkato/shopping; Entoto Hills/viewpoint; Ethiopian coffee ceremony/food
KGL Kigali|Kigali Genocide Memorial/history; Kimironko Market/shopping; Inema Arts Center/art; Volcanoes National Park gorillas/nature
MCT Muscat|Sultan Qaboos Grand Mosque/religion; Mutrah Souq/shopping; Royal Opera House Muscat/entertainment; Wadi Shab/nature; Nizwa Fort/history
RUH Riyadh|Diriyah and At-Turaif/history; Masmak Fortress/history; Kingdom Centre Sky Bridge/viewpoint; National Museum of Saudi Arabia/museum; Edge of the World/nature
JED Jeddah|Al-Balad historic district/history; King Fahd's Fountain/viewpoint; Jeddah Corniche/neighbourhood; Floating Mosque/religion
KIX Kyoto|Fushimi Inari Taisha/religion; Kinkaku-ji (Golden Pavilion)/religion; Kiyomizu-dera/religion; Arashiyama Bamboo Grove/nature; Gion and Hanamikoji/neighbourhood; Nishiki Market/food; Ginkaku-ji and the Philosopher's Path/religion
KIX Osaka|Osaka Castle/history; Dotonbori/food; Shitenno-ji/religion; Universal Studios Japan/entertainment; Umeda Sky Building/viewpoint; Kuromon Market/food
CTS Sapporo|Odori Park/nature; Sapporo Beer Museum/museum; Nijo Market/food; Mount Moiwa/viewpoint; Historic Village of Hokkaido/history
OKA Okinawa|Shuri Castle/history; Churaumi Aquarium/entertainment; Kokusai Street/neighbourhood; Kerama Islands/beach; Okinawa Peace Memorial Park/history
HIJ Hiroshima|Peace Memorial Park and Museum/history; Atomic Bomb Dome/history; Itsukushima Shrine, Miyajima/religion; Hiroshima Castle/history; Shukkeien Garden/nature
PUS Busan|Gamcheon Culture Village/neighbourhood; Haeundae Beach/beach; Jagalchi Fish Market/food; Haedong Yonggungsa Temple/religion; Beomeosa Temple/religion
PEK Beijing|Forbidden City/history; Great Wall at Mutianyu/history; Temple of Heaven/religion; Summer Palace/history; Hutongs/neighbourhood
PVG Shanghai|The Bund/viewpoint; Yu Garden/nature; Shanghai Museum/museum; Shanghai Tower/viewpoint; French Concession/neighbourhood
MFM Macau|Ruins of St. Paul's/history; Senado Square/history; A-Ma Temple/religion; Macau Tower/viewpoint; Cotai Strip/entertainment
TPE Taipei|Taipei 101/viewpoint; National Palace Museum/museum; Longshan Temple/religion; Shilin Night Market/food; Elephant Mountain/viewpoint
HKT Phuket|Big Buddha/religion; Old Phuket Town/neighbourhood; Phang Nga Bay/nature; Patong Beach/beach; Wat Chalong/religion
CNX Chiang Mai|Wat Phra That Doi Suthep/religion; Old City temples/religion; Elephant Nature Park/nature; Sunday Walking Street/shopping; Doi Inthanon/nature
USM Koh Samui|Big Buddha Temple/religion; Ang Thong Marine Park/nature; Chaweng Beach/beach; Fisherman's Village/neighbourhood; Na Muang Waterfall/nature
KBV Krabi|Railay Beach/beach; Phi Phi Islands/beach; Tiger Cave Temple/religion; Four Islands tour/beach; Emerald Pool/nature
KUL Kuala Lumpur|Petronas Twin Towers/viewpoint; Batu Caves/religion; Merdeka Square/history; Islamic Arts Museum/museum; Jalan Alor/food
PEN Penang|George Town street art/art; Kek Lok Si Temple/religion; Penang Hill/viewpoint; Cheong Fatt Tze Mansion/architecture; Gurney Drive hawker centre/food
DPS Bali|Uluwatu Temple/religion; Tegallalang Rice Terraces/nature; Tanah Lot/religion; Ubud Monkey Forest/nature; Mount Batur sunrise/nature
CGK Jakarta|Kota Tua/history; National Monument (Monas)/history; Istiqlal Mosque/religion; National Museum of Indonesia/museum; Thousand Islands/beach
MNL Manila|Intramuros/history; Fort Santiago/history; San Agustin Church/religion; National Museum of the Philippines/museum; Rizal Park/nature
CEB Cebu|Magellan's Cross/history; Basilica del Santo Niño/religion; Kawasan Falls/nature; Oslob whale sharks/nature; Temple of Leah/viewpoint
MPH Boracay|White Beach/beach; Puka Shell Beach/beach; Mount Luho/viewpoint; Island hopping and snorkelling/beach
PPS Palawan|El Nido Bacuit Bay/beach; Puerto Princesa Underground River/nature; Nacpan Beach/beach; Honda Bay/beach
HAN Hanoi|Old Quarter/neighbourhood; Hoan Kiem Lake/nature; Temple of Literature/history; Ho Chi Minh Mausoleum/history; Ha Long Bay cruise/nature
SGN Ho Chi Minh City|War Remnants Museum/history; Cu Chi Tunnels/history; Ben Thanh Market/food; Notre-Dame Cathedral Basilica of Saigon/religion; Mekong Delta day trip/nature
DAD Da Nang|Hoi An Ancient Town/history; Marble Mountains/nature; Ba Na Hills and the Golden Bridge/viewpoint; My Khe Beach/beach; My Son Sanctuary/history
SAI Siem Reap|Angkor Wat/history; Bayon and Angkor Thom/history; Ta Prohm/history; Banteay Srei/history; Tonlé Sap floating villages/nature
KTI Phnom Penh|Royal Palace and Silver Pagoda/history; Tuol Sleng Genocide Museum/history; Choeung Ek Killing Fields/history; National Museum of Cambodia/museum; Central Market/shopping
LPQ Luang Prabang|Kuang Si Falls/nature; Wat Xieng Thong/religion; Mount Phousi/viewpoint; Morning alms giving/religion; Night Market/shopping
RGN Yangon|Shwedagon Pagoda/religion; Sule Pagoda/religion; Bogyoke Aung San Market/shopping; Kandawgyi Lake/nature; Chaukhtatgyi Buddha/religion
KTM Kathmandu|Kathmandu Durbar Square/history; Swayambhunath/religion; Boudhanath Stupa/religion; Pashupatinath Temple/religion; Bhaktapur/history
DEL Delhi|Red Fort/history; Qutub Minar/history; Humayun's Tomb/history; Jama Masjid/religion; Taj Mahal day trip to Agra/history
BOM Mumbai|Gateway of India/history; Chhatrapati Shivaji Terminus/architecture; Elephanta Caves/history; Marine Drive/viewpoint; Crawford Market/food
GOI Goa|Basilica of Bom Jesus/religion; Fontainhas/neighbourhood; Palolem Beach/beach; Anjuna Flea Market/shopping; Dudhsagar Falls/nature
JAI Jaipur|Amber Fort/history; Hawa Mahal/architecture; City Palace/history; Jantar Mantar/history; Nahargarh Fort/viewpoint
BLR Bangalore|Bangalore Palace/history; Lalbagh Botanical Garden/nature; Cubbon Park/nature; Tipu Sultan's Summer Palace/history; VV Puram food street/food
MAA Chennai|Kapaleeshwarar Temple/religion; Marina Beach/beach; Fort St. George/history; Government Museum/museum; Mahabalipuram day trip/history
CCU Kolkata|Victoria Memorial/history; Howrah Bridge/architecture; Dakshineswar Kali Temple/religion; Indian Museum/museum; College Street/shopping
COK Kochi|Fort Kochi and the Chinese fishing nets/history; Mattancherry Palace/history; Paradesi Synagogue/religion; Kerala backwaters cruise/nature; Kathakali performance/entertainment
CMB Colombo|Gangaramaya Temple/religion; Galle Face Green/viewpoint; National Museum of Colombo/museum; Pettah Market/shopping; Sigiriya day trip/history
ALA Almaty|Medeu and Shymbulak/nature; Big Almaty Lake/nature; Kok Tobe/viewpoint; Zenkov Cathedral/religion; Green Bazaar/food
TAS Tashkent|Khast Imam Complex/religion; Chorsu Bazaar/food; Tashkent Metro/architecture; Amir Timur Museum/museum
SKD Samarkand|Registan/history; Gur-e-Amir/history; Shah-i-Zinda/history; Bibi-Khanym Mosque/religion; Siab Bazaar/food
TBS Tbilisi|Old Tbilisi and the sulphur baths/history; Narikala Fortress/viewpoint; Holy Trinity Cathedral/religion; Georgian National Museum/museum; Mtskheta day trip/religion
GYD Baku|Icherisheher old city/history; Maiden Tower/history; Flame Towers/architecture; Heydar Aliyev Center/architecture; Gobustan petroglyphs/history
EVN Yerevan|Cascade Complex/art; Matenadaran/museum; Armenian Genocide Memorial/history; Republic Square/architecture; Garni Temple and Geghard/history
MEL Melbourne|Federation Square/neighbourhood; National Gallery of Victoria/art; Royal Botanic Gardens/nature; Queen Victoria Market/food; Great Ocean Road day trip/nature
BNE Brisbane|South Bank Parklands/nature; Lone Pine Koala Sanctuary/nature; Queensland Art Gallery and GOMA/art; Story Bridge/viewpoint; Mount Coot-tha/viewpoint
PER Perth|Kings Park/nature; Fremantle/neighbourhood; Rottnest Island/nature; Cottesloe Beach/beach; Art Gallery of Western Australia/art
CNS Cairns|Great Barrier Reef/nature; Daintree Rainforest/nature; Kuranda Scenic Railway/viewpoint; Cairns Esplanade Lagoon/beach; Fitzroy Island/beach
ADL Adelaide|Adelaide Central Market/food; Art Gallery of South Australia/art; Barossa Valley/food; Glenelg Beach/beach; Adelaide Botanic Garden/nature
OOL Gold Coast|Surfers Paradise/beach; SkyPoint Observation Deck/viewpoint; Burleigh Heads/nature; Springbrook National Park/nature; Theme parks/entertainment
HBA Hobart|MONA/art; Salamanca Market/shopping; Mount Wellington/viewpoint; Port Arthur Historic Site/history; Battery Point/neighbourhood
AKL Auckland|Sky Tower/viewpoint; Waiheke Island/food; Auckland War Memorial Museum/museum; Mount Eden/viewpoint; Piha Beach/beach
ZQN Queenstown|Skyline Gondola/viewpoint; Milford Sound/nature; Shotover Jet/entertainment; Arrowtown/history; Lake Wakatipu/nature
WLG Wellington|Te Papa Tongarewa/museum; Wellington Cable Car/viewpoint; Zealandia/nature; Cuba Street/neighbourhood; Mount Victoria Lookout/viewpoint
CHC Christchurch|Botanic Gardens/nature; Cardboard Cathedral/religion; International Antarctic Centre/museum; Punting on the Avon/nature; Akaroa day trip/neighbourhood
PPT Tahiti|Papeete Market/food; Teahupo'o/beach; Fautaua Waterfall/nature; Point Venus/beach; Moorea day trip/nature
BOB Bora Bora|Matira Beach/beach; Lagoon snorkelling with rays and sharks/nature; Mount Otemanu/viewpoint; Coral Gardens/nature
INV Inverness|Loch Ness/nature; Urquhart Castle/history; Culloden Battlefield/history; Inverness Castle viewpoint/viewpoint; Isle of Skye day trip/nature
CWL Cardiff|Cardiff Castle/history; National Museum Cardiff/museum; Cardiff Bay and the Senedd/neighbourhood; Castell Coch/history; St Fagans National Museum of History/museum
NUE Nuremberg|Imperial Castle/history; Nazi Party Rally Grounds Documentation Centre/history; Germanisches Nationalmuseum/museum; Hauptmarkt/neighbourhood; Albrecht Dürer's House/art
UDR Udaipur|City Palace/history; Lake Pichola boat ride/viewpoint; Jag Mandir/history; Jagdish Temple/religion; Bagore Ki Haveli/museum
JDH Jodhpur|Mehrangarh Fort/history; Jaswant Thada/history; Blue City/neighbourhood; Umaid Bhawan Palace/history; Sardar Market/shopping
MID Merida|Plaza Grande/history; Uxmal/history; Gran Museo del Mundo Maya/museum; Paseo de Montejo/architecture; Cenotes of Cuzamá/nature
FTE El Calafate|Perito Moreno Glacier/nature; Upsala Glacier cruise/nature; Glaciarium/museum; Laguna Nimez/nature
USH Ushuaia|Tierra del Fuego National Park/nature; Beagle Channel cruise/nature; End of the World Train/viewpoint; Maritime Museum and Old Prison/museum; Martial Glacier/nature
BRC Bariloche|Cerro Campanario/viewpoint; Circuito Chico/nature; Cerro Catedral/nature; Bariloche chocolate shops/food; Nahuel Huapi Lake/nature
FAI Fairbanks|Northern lights viewing/nature; Chena Hot Springs/nature; Museum of the North/museum; Riverboat Discovery/history; Denali National Park/nature
JNU Juneau|Mendenhall Glacier/nature; Mount Roberts Tramway/viewpoint; Whale watching/nature; Tracy Arm Fjord/nature; Alaska State Museum/museum
LPA Gran Canaria|Maspalomas Dunes/nature; Roque Nublo/nature; Vegueta old town/history; Playa de las Canteras/beach; Puerto de Mogán/neighbourhood
ACE Lanzarote|Timanfaya National Park/nature; Jameos del Agua/art; Cueva de los Verdes/nature; Mirador del Río/viewpoint; Papagayo beaches/beach
MAH Menorca|Ciutadella old town/history; Cala Macarelleta/beach; Mahón harbour/neighbourhood; Monte Toro/viewpoint; Naveta des Tudons/history
SPU Hvar|Hvar Town and St. Stephen's Square/history; Spanish Fortress/viewpoint; Pakleni Islands/beach; Stari Grad Plain/history; Lavender fields/nature
KOA Kona|Hawaiʻi Volcanoes National Park/nature; Puʻuhonua o Hōnaunau/history; Kona coffee farms/food; Manta ray night snorkel/nature; Kealakekua Bay/beach
ZRH Lucerne|Chapel Bridge/history; Lion Monument/history; Mount Pilatus/viewpoint; Swiss Museum of Transport/museum; Lake Lucerne cruise/nature
BRN Interlaken|Jungfraujoch/viewpoint; Harder Kulm/viewpoint; Lauterbrunnen Valley/nature; Lake Brienz/nature; Schynige Platte/nature
"""
