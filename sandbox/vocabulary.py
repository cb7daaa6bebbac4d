"""Word lists the catalogue generator draws names, titles, labels and styles from."""

from __future__ import annotations

from dataclasses import dataclass

ADJECTIVES = (
    "Solar", "Deep", "Velvet", "Neon", "Midnight", "Lunar", "Crystal", "Electric", "Golden",
    "Silent", "Hidden", "Cosmic", "Analog", "Digital", "Urban", "Frozen", "Burning", "Endless",
    "Broken", "Distant", "Wild", "Hollow", "Liquid", "Restless", "Savage", "Sacred", "Violet",
    "Amber", "Infinite", "Lost", "Secret", "Silver", "Crimson", "Northern", "Sunken", "Open",
)  # fmt: skip

NOUNS = (
    "Fields", "Shadows", "Waves", "Horizon", "Pulse", "Machine", "Garden", "Signal", "Circuit",
    "Dreams", "Echoes", "Lights", "Rhythm", "Motion", "Tides", "City", "Skyline", "Frequency",
    "Memory", "Fire", "Ocean", "Harbour", "Desert", "Bloom", "Gravity", "Orbit", "Mirage",
    "Paradise", "Voltage", "Ritual", "Prism", "Atlas", "Heartbeat", "Satellite", "Sunrise",
    "Thunder", "Temple", "Mirror", "Carousel", "Jungle", "Cathedral", "Neon", "Avenue",
    "Daylight", "Storm", "River", "Spectrum", "Runway", "Kingdom", "Island", "Comet", "Velocity",
)  # fmt: skip

VERBS = (
    "Falling", "Running", "Dancing", "Drifting", "Chasing", "Floating", "Burning", "Waiting",
    "Coming", "Holding", "Breaking", "Rising", "Calling", "Moving", "Losing", "Searching",
)  # fmt: skip

PREPOSITIONS = ("Into", "Through", "Under", "Beyond", "Back To", "Across", "Without", "For")

FIRST_NAMES = (
    "Marco", "Anna", "Lena", "Sven", "Jonas", "Nina", "Felix", "Yuki", "Maya", "Tomas", "Elif",
    "Ravi", "Kofi", "Luca", "Ines", "Oskar", "Noor", "Sami", "Mila", "Dario", "Chloé", "Hugo",
    "Aiko", "Finn", "Zara", "Björn", "Ömer", "Amara", "Joël", "Rosa", "Theo", "Iris", "Malik",
)  # fmt: skip

LAST_NAMES = (
    "Berg", "Lindqvist", "Moreau", "Okafor", "Visser", "Novak", "Tanaka", "Rossi", "Kaya",
    "Herrera", "Jansen", "Dubois", "Keller", "Silva", "Nakamura", "Petrov", "Ahmed", "Larsen",
    "Costa", "Brandt", "Müller", "Søndergaard", "Whitfield", "Oyelaran", "Castell", "Reyes",
)  # fmt: skip

PROJECT_SUFFIXES = ("Kollektiv", "Sound System", "Project", "Unit", "Collective", "Audio", "Trio")

VERSION_KINDS = (
    ("Extended Mix", 30), ("Radio Edit", 20), ("{remixer} Remix", 30), ("Dub Mix", 6),
    ("VIP Mix", 5), ("Instrumental", 5), ("Club Mix", 6), ("Live", 3),
)  # fmt: skip

# Words no catalogue name or title uses, so sample rows built from them are never found.
UNKNOWN_ARTISTS = ("Quokka Parade", "Marmalade Cosmonaut", "Zeppelin Okapi", "Gizzard Toaster")
UNKNOWN_TITLES = ("Pickled Tangerine", "Wombat Lullaby", "Spatula Symphony", "Kumquat Rodeo")


@dataclass(frozen=True, slots=True)
class StyleFamily:
    """A family of Discogs styles with its tempo range and Last.fm tags."""

    name: str
    styles: tuple[str, ...]
    tempo: tuple[float, float]
    energy: tuple[float, float]
    tags: tuple[str, ...]


STYLE_FAMILIES = (
    StyleFamily(
        "house",
        ("House", "Deep House", "Tech House", "Progressive House", "Nu-Disco"),
        (118.0, 126.0), (0.55, 0.85),
        ("house", "deep house", "electronic", "dance", "tech house", "nu disco"),
    ),
    StyleFamily(
        "techno",
        ("Techno", "Minimal", "Tech House", "Acid"),
        (124.0, 138.0), (0.7, 0.95),
        ("techno", "minimal", "electronic", "acid", "industrial techno"),
    ),
    StyleFamily(
        "trance",
        ("Trance", "Progressive Trance", "Progressive House"),
        (132.0, 140.0), (0.75, 0.95),
        ("trance", "progressive trance", "uplifting trance", "electronic"),
    ),
    StyleFamily(
        "drum_and_bass",
        ("Drum n Bass", "Jungle", "Liquid Funk"),
        (170.0, 176.0), (0.8, 0.98),
        ("drum and bass", "dnb", "jungle", "liquid funk", "electronic"),
    ),
    StyleFamily(
        "bass",
        ("Dubstep", "UK Garage", "Bassline", "Breakbeat"),
        (130.0, 142.0), (0.7, 0.95),
        ("dubstep", "uk garage", "bass", "breakbeat", "electronic"),
    ),
    StyleFamily(
        "downtempo",
        ("Downtempo", "Ambient", "Chillout"),
        (85.0, 110.0), (0.2, 0.55),
        ("downtempo", "ambient", "chillout", "electronica", "chill"),
    ),
)  # fmt: skip

LABEL_WORDS = (
    "Sandbox", "Afterglow", "Nightshift", "Low Tide", "Parallax", "Hexagon", "Meridian",
    "Lowlight", "Tessellate", "Outpost", "Monolith", "Fathom", "Driftwood", "Kinetic", "Halcyon",
    "Brightwater", "Subsonic", "Paper Moon", "Copperline", "Wavelength", "Undertow", "Helix",
    "Northbound", "Static", "Overpass", "Zenith", "Blackbird", "Cinder", "Glasshouse", "Radiant",
)  # fmt: skip

LABEL_SUFFIXES = ("Recordings", "Records", "Music", "Audio", "Trax", "")

# ISO 3166-1 code -> the country name Discogs prints in search results.
COUNTRIES = {
    "GB": "UK", "US": "US", "DE": "Germany", "NL": "Netherlands", "FR": "France",
    "BE": "Belgium", "SE": "Sweden", "IT": "Italy", "ES": "Spain", "CA": "Canada",
}  # fmt: skip

COUNTRY_NAMES = {
    "GB": "United Kingdom", "US": "United States", "DE": "Germany", "NL": "Netherlands",
    "FR": "France", "BE": "Belgium", "SE": "Sweden", "IT": "Italy", "ES": "Spain",
    "CA": "Canada",
}  # fmt: skip
