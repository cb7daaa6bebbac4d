"""Read display titles and artist credits: base title, version, featured and main artists.

"Strobe (Original Mix)" is the plain recording; "Levels (Skrillex Remix)", "Title - Radio
Edit" and "Song (Live at X)" are other versions; "(feat. Sia)" is a credit, not a title word.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

# Version words that make a recording different; values are the canonical kind.
VERSION_WORDS: dict[str, str] = {
    **dict.fromkeys(("remix", "remixed", "rmx"), "remix"),
    **dict.fromkeys(("rework", "reworked"), "rework"),
    **dict.fromkeys(("remaster", "remastered"), "remaster"),
    **{word: word for word in ("edit", "radio", "live", "extended", "vip", "acoustic")},
    **{word: word for word in ("instrumental", "dub", "club", "bootleg", "mashup")},
}
# Words that describe the plain release: "(Original Mix)", "- Album Version", "(Bonus Track)".
NEUTRAL_WORDS = frozenset({"original", "version", "album", "mix", "mixed", "bonus", "track"})
# Words around a version credit that are not part of the remixer's or venue's name.
_CREDIT_FILLER = NEUTRAL_WORDS | {"by", "at", "in", "from", "the", "and"}
_NOT_CREDIT = VERSION_WORDS.keys() | _CREDIT_FILLER
_DESCRIPTOR_WORDS = VERSION_WORDS.keys() | NEUTRAL_WORDS
CREDIT_JOINERS = frozenset({"and", "x", "vs", "feat", "ft", "featuring", "with"})

_FEAT = r"(?:feat\.?|ft\.?|featuring)"
_FEATURED_PREFIX = re.compile(rf"^(?:{_FEAT}|with)\s+(.+)$", re.IGNORECASE)
# Bare "with" is left in titles on purpose: "Dance With Me" credits nobody.
_BARE_FEATURED = re.compile(rf"\s{_FEAT}\s+(.+)$", re.IGNORECASE)
_BRACKETED = re.compile(r"[(\[]([^()\[\]]*)[)\]]")
_DASH_SUFFIX = re.compile(r"\s+[-\u2013\u2014]\s+")
_ARTIST_SEPARATOR = re.compile(r"\s*[,&]\s*|\s+(?:and|x|vs\.?)\s+", re.IGNORECASE)
_APOSTROPHES = re.compile(r"['\u2019`]")
_NON_WORD = re.compile(r"[\W_]+")
_YEAR = re.compile(r"^(19|20)\d\d$")
# Letters NFKD does not decompose (applied after casefold, so lower case is enough).
_TRANSLITERATE = str.maketrans({"ø": "o", "ł": "l", "đ": "d", "ð": "d", "æ": "ae", "œ": "oe"})


@dataclass(frozen=True)
class Version:
    """The version a title describes; empty kinds and credit mean the plain recording."""

    kinds: frozenset[str]  # e.g. {"radio", "edit"}; remaster is kept apart as a weak difference
    credit: str  # remixer, editor or venue, normalised; "" when none
    remastered: bool = False

    def describe(self) -> str:
        words = sorted(self.kinds) + (["remaster"] if self.remastered else [])
        return " ".join([self.credit, *words]).strip() or "plain"


@dataclass(frozen=True)
class ParsedTitle:
    base: str  # normalised title without version and credits
    version: Version
    featured: tuple[str, ...]  # normalised names credited in the title


@dataclass(frozen=True)
class Credits:
    main: tuple[str, ...]
    featured: tuple[str, ...]

    @property
    def everyone(self) -> tuple[str, ...]:
        return self.main + self.featured


@functools.lru_cache(maxsize=65536)  # a pure function, asked again for every candidate
def normalise(text: str) -> str:
    """Lower-case ASCII-ish words: accents, punctuation and spacing removed."""
    decomposed = unicodedata.normalize("NFKD", text.casefold().translate(_TRANSLITERATE))
    plain = "".join(char for char in decomposed if not unicodedata.combining(char))
    plain = _APOSTROPHES.sub("", plain).replace("&", " and ")
    return " ".join(_NON_WORD.sub(" ", plain).split())


def parse_title(title: str) -> ParsedTitle:
    """Split a display title into base title, version and featured artists."""
    featured: list[str] = []
    descriptors: list[str] = []

    def set_aside(fragment: str) -> bool:
        """File a credit or version away; False for text that stays in the title."""
        kind, text = _classify(fragment)
        if kind != "title":
            (featured if kind == "featured" else descriptors).append(text)
        return kind != "title"

    head = _BRACKETED.sub(lambda m: " " if set_aside(m.group(1)) else f" {m.group(1)} ", title)
    head, *tails = _DASH_SUFFIX.split(head)
    head = " ".join([head, *(tail for tail in tails if not set_aside(tail))])
    if bare := _BARE_FEATURED.search(head):
        featured.append(bare.group(1))
        head = head[: bare.start()]
    names = tuple(name for text in featured for name in split_names(text))
    return ParsedTitle(normalise(head), parse_version(descriptors), names)


def _classify(fragment: str) -> tuple[str, str]:
    """Whether a bracketed or dash-separated fragment is a credit, a version or title text."""
    text = fragment.strip()
    if credit := _FEATURED_PREFIX.match(text):
        return "featured", credit.group(1)
    words = normalise(text).split()
    if words[:1] == ["from"] or _DESCRIPTOR_WORDS.intersection(words):
        return "version", text
    return "title", text


def parse_version(descriptors: Sequence[str]) -> Version:
    """Combine version descriptors ("Skrillex Remix", "Remastered 2011") into one Version."""
    kinds: set[str] = set()
    credit: set[str] = set()
    remastered = False
    for descriptor in descriptors:
        found, leftover = _read_descriptor(normalise(descriptor).replace("mash up", "mashup"))
        remastered = remastered or "remaster" in found
        found.discard("remaster")
        if found:  # for plain and remaster-only descriptors the rest is noise ("Digital")
            kinds |= found
            credit |= leftover
    return Version(frozenset(kinds), " ".join(sorted(credit)), remastered)


def _read_descriptor(text: str) -> tuple[set[str], set[str]]:
    """Version kinds in one descriptor and the words left over (a remixer, venue, name)."""
    words = text.split()
    if words[:1] == ["from"]:  # '(From "Top Gun")': the same recording on a soundtrack
        return set(), set()
    found = {VERSION_WORDS[word] for word in words if word in VERSION_WORDS}
    leftover = {word for word in words if word not in _NOT_CREDIT and not _YEAR.match(word)}
    if found or not leftover or "original" in words:
        return found, leftover
    # Unknown words beside "mix" or "version" name a different recording:
    # "(Tiesto Mix)" is a remix by Tiesto, "(Taylor's Version)" a re-recording.
    if "mix" in words:
        return {"remix"}, leftover
    return ({"version"} if "version" in words else set()), leftover


@functools.lru_cache(maxsize=65536)  # pure (its answer is frozen), asked per candidate
def split_artists(credit: str) -> Credits:
    """Normalised main and featured artists from a credit like "A & B feat. C"."""
    text = re.sub(r"[()\[\]]", " ", credit)
    main_text, featured_text = text, ""
    if bare := _BARE_FEATURED.search(text):
        main_text, featured_text = text[: bare.start()], bare.group(1)
    return Credits(tuple(split_names(main_text)), tuple(split_names(featured_text)))


def split_names(text: str) -> list[str]:
    """Normalised names from a credit joined by commas, &, and, x or vs."""
    return [name for part in _ARTIST_SEPARATOR.split(text) if (name := normalise(part))]
