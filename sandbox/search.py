"""Text search over the catalogue: normalisation, fielded query parsing and ranking."""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from dataclasses import dataclass, field

from sandbox.records import Catalogue, Recording

WORD = re.compile(r"[a-z0-9]+")
FIELD = re.compile(r'(\w+):(?:"((?:[^"\\]|\\.)*)"|\(([^)]*)\)|((?:[^\s\\]|\\.)+))')
# Words too common to pick candidates with; they still count when ranking.
WEAK_WORDS = frozenset(
    ("the", "a", "an", "of", "and", "to", "in", "for", "feat", "ft", "featuring", "mix", "remix",
     "edit", "extended", "radio", "original", "club", "dub", "vip", "version", "live",
     "instrumental")
)  # fmt: skip


def words(text: str) -> list[str]:
    """Lower-case ASCII words of a text ("Chloé & Finn" -> ["chloe", "finn"])."""
    folded = unicodedata.normalize("NFKD", text.casefold()).encode("ascii", "ignore").decode()
    return WORD.findall(folded)


def normalise(text: str) -> str:
    """A comparison key: lower-case ASCII words joined by single spaces."""
    return " ".join(words(text))


@dataclass
class Query:
    """A parsed search: fielded values (track/artist/isrc...) and left-over free text."""

    fields: dict[str, list[str]] = field(default_factory=dict)
    text: str = ""

    def first(self, *names: str) -> str:
        """The first value of the first field present among `names`, or ""."""
        for name in names:
            if self.fields.get(name):
                return self.fields[name][0]
        return ""


def parse_query(query: str) -> Query:
    """Parse `isrc:X`, `track:"T" artist:"A"`, `isrc:(A OR B)` and free text (Lucene subset)."""
    parsed = Query()
    for match in FIELD.finditer(query):
        name = match.group(1).lower()
        quoted, group, bare = match.group(2), match.group(3), match.group(4)
        if group is not None:
            values = [v.strip('"') for v in re.split(r"\s+OR\s+|\s+", group.strip()) if v]
        else:
            values = [quoted if quoted is not None else bare]
        parsed.fields.setdefault(name, []).extend(_unescape(v) for v in values)
    rest = FIELD.sub(" ", query)
    parsed.text = " ".join(t for t in rest.split() if t not in ("AND", "OR", "&&", "||"))
    return parsed


def _unescape(value: str) -> str:
    return re.sub(r"\\(.)", r"\1", value)


@dataclass(frozen=True)
class Hit:
    """One ranked candidate with its similarity (0..1)."""

    score: float
    recording: Recording


class SearchIndex:
    """Inverted indexes of title and artist words, built once per catalogue."""

    def __init__(self, catalogue: Catalogue) -> None:
        self.catalogue = catalogue
        self.title_words: list[frozenset[str]] = []
        self.artist_words: list[frozenset[str]] = []
        self.main_artist_words: list[frozenset[str]] = []
        self.by_title_word: dict[str, list[int]] = defaultdict(list)
        self.by_artist_word: dict[str, list[int]] = defaultdict(list)
        for recording in catalogue.recordings:
            title = frozenset(words(recording.bracketed_title))
            artists = frozenset(w for a in recording.spotify_artists for w in words(a.name))
            self.title_words.append(title)
            self.artist_words.append(artists)
            self.main_artist_words.append(frozenset(words(recording.artist.name)))
            for word in title:
                self.by_title_word[word].append(recording.number)
            for word in artists:
                self.by_artist_word[word].append(recording.number)

    def search(
        self, title: str = "", artist: str = "", text: str = "", strict_artist: bool = False
    ) -> list[Hit]:
        """Candidates ranked best first; near misses (same title, other artist) unless strict."""
        if text and not title:
            return self._search_text(frozenset(words(text)))
        title_query = frozenset(words(f"{title} {text}"))
        artist_query = frozenset(w for w in words(artist) if w not in ("feat", "ft"))
        hits = []
        for number in self._candidates(title_query, self.by_title_word):
            title_similarity = _jaccard(title_query, self.title_words[number])
            if not artist_query:
                hits.append(Hit(title_similarity, self.catalogue.recordings[number]))
                continue
            artist_similarity = self._artist_similarity(artist_query, number)
            # Same title by another artist stays in as a near miss, ranked below.
            if artist_similarity > 0 or (title_similarity >= 0.99 and not strict_artist):
                score = 0.6 * title_similarity + 0.4 * artist_similarity
                hits.append(Hit(score, self.catalogue.recordings[number]))
        return _ranked(hits)

    def _search_text(self, query: frozenset[str]) -> list[Hit]:
        hits = []
        candidates = self._candidates(query, self.by_title_word)
        candidates |= self._candidates(query, self.by_artist_word)
        for number in candidates:
            known = self.title_words[number] | self.artist_words[number]
            covered = len(query & known) / len(query)
            precision = len(query & known) / len(known)
            hits.append(Hit(0.8 * covered + 0.2 * precision, self.catalogue.recordings[number]))
        return _ranked([h for h in hits if h.score >= 0.4])

    def _artist_similarity(self, query: frozenset[str], number: int) -> float:
        credited = self.artist_words[number]
        main = self.main_artist_words[number]
        return max(_jaccard(query, main), len(query & credited) / max(len(query), len(main)))

    @staticmethod
    def _candidates(query: frozenset[str], index: dict[str, list[int]]) -> set[int]:
        strong = [w for w in query if w not in WEAK_WORDS] or list(query)
        found: set[int] = set()
        for word in strong:
            found.update(index.get(word, ()))
        return found


def _jaccard(left: frozenset[str], right: frozenset[str]) -> float:
    if not left or not right:
        return 0.0
    return len(left & right) / len(left | right)


def _ranked(hits: list[Hit]) -> list[Hit]:
    # Popularity breaks ties the way real search engines favour well-known tracks.
    return sorted(
        hits, key=lambda h: (-round(h.score, 6), -h.recording.popularity, h.recording.number)
    )
