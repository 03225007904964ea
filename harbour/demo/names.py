"""Invented names for the demo: survivors and staff.

No name here is taken from a list of real people. Survivors' names are made-up words, so that a
search of the raw database for one of them (the privacy check in issue 2) finds nothing unless
something stored it in clear. Staff names come from a separate list, because staff names are
stored in clear on purpose (they sign in); the two lists never share a word, which a test checks.
"""

SURVIVOR_GIVEN_FEMININE: tuple[str, ...] = (
    "Aurissa", "Belvina", "Caelith", "Daralie", "Elowenna", "Faelyne", "Galisse", "Hollora",
    "Ilvessa", "Jorielle", "Kaelina", "Lumira", "Mirelva", "Nevarra", "Orivelle", "Pellisande",
    "Quillane", "Rosavel", "Sarielle", "Tavenna", "Ulvira", "Velisse", "Wrennaly", "Yselda",
    "Zarielle", "Brivelle", "Corisande", "Delphira", "Florisse", "Halvina", "Isolwen",
    "Jessavel", "Kirabelle", "Lisendra", "Marivonne", "Noveline", "Ophirae", "Quennelle",
    "Rhosanne", "Solvane", "Tiavelle", "Amaranthe",
)  # fmt: skip

SURVIVOR_GIVEN_MASCULINE: tuple[str, ...] = (
    "Aldovan", "Bastiel", "Corvane", "Davrien", "Everisk", "Fennick", "Gavrelo", "Idrian",
    "Joravel", "Kestoren", "Lorvane", "Mathorin", "Navrelo", "Orveldi", "Pevrin", "Quillan",
    "Rovandel", "Savrinno", "Talvern", "Uldren", "Varelio", "Wendric", "Yorvane", "Zevrin",
)  # fmt: skip

SURVIVOR_GIVEN_NEUTRAL: tuple[str, ...] = (
    "Ashlinne", "Brennis", "Caelano", "Daxenne", "Emrynne", "Finlowe", "Harvelle", "Junivel",
    "Kavrenne", "Lumaro", "Merrowen", "Rilanne", "Sorvinne", "Tevlinne",
)  # fmt: skip

SURVIVOR_FAMILY: tuple[str, ...] = (
    "Brackenwhistle", "Cindermoor", "Dapplegate", "Emberwick", "Fernquill", "Gladestone",
    "Hazelrune", "Inkwater", "Jadeholt", "Kindlebrook", "Lanternfield", "Mistlewood",
    "Northwhistle", "Opalmere", "Pebblethorn", "Quietbrook", "Rushlantern", "Saffronwick",
    "Tallowmere", "Umbrafield", "Velvetreed", "Wispwater", "Yewlantern", "Zinniamoor",
    "Ashvarrow", "Brindlemoor", "Corrowyn", "Dunvessel", "Everglint", "Fallowick",
    "Glimmerdown", "Hartwillow", "Ivorsand", "Kestrelholm", "Larkmantle", "Marrowfield",
    "Nettlevane", "Oakenshard", "Quarrelwood", "Rivenmoss", "Silverquill", "Thistlewade",
    "Umberfell", "Vantremont", "Willowgrave", "Yarrowmist", "Beaularigne", "Clairmonvel",
    "Desrochelles", "Fontevrelle", "Grandpréval", "Montvalérac", "Rivelaine", "Saint-Ombrel",
)  # fmt: skip

STAFF_GIVEN: tuple[str, ...] = (
    "Avery", "Jordan", "Morgan", "Camille", "Dominique", "Noor", "Priya", "Sacha", "Mathieu",
    "Élise", "Rowan", "Kai", "Leïla", "Tomas", "Amara", "Gabriel", "Hana", "Ines", "Jonah",
    "Keira", "Lucas", "Maya", "Nadia", "Olivier", "Pascale", "Rafael", "Simone", "Theo",
    "Valérie", "Wanda", "Yusuf", "Zoé",
)  # fmt: skip

STAFF_FAMILY: tuple[str, ...] = (
    "Ardencroft", "Birchvale", "Cedarlund", "Dovemarsh", "Fernhallow", "Granitebay",
    "Heronvale", "Ironleaf", "Juneberry", "Kingsreed", "Lakewarden", "Maplecroft",
    "Northgrove", "Oakhallow", "Pinemarsh", "Quarryvale", "Reedhallow", "Stonemantle",
    "Tidewarden", "Larivière-Demo", "Beaupré-Demo", "Castelnuit", "Duvalmont", "Hautefeuille",
)  # fmt: skip


def all_survivor_words() -> set[str]:
    return {
        *SURVIVOR_GIVEN_FEMININE,
        *SURVIVOR_GIVEN_MASCULINE,
        *SURVIVOR_GIVEN_NEUTRAL,
        *SURVIVOR_FAMILY,
    }
