"""Typed records of the sandbox catalogue and the catalogue with its id indexes."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Artist:
    """One artist with its id in every API."""

    name: str
    sort_name: str
    spotify_id: str
    mbid: str
    deezer_id: int
    discogs_id: int
    lastfm_mbid: str


@dataclass(frozen=True, slots=True)
class Label:
    """A record label with its ISRC registrant and catalogue-number prefix."""

    name: str
    mbid: str
    country: str
    registrant: str
    catno_prefix: str


@dataclass(frozen=True, slots=True)
class Release:
    """A single, EP or album, as Spotify's album, MusicBrainz release and Discogs release."""

    title: str
    kind: str
    artist: Artist
    label: Label
    catalog_number: str
    release_date: str
    release_date_precision: str
    country: str
    genres: tuple[str, ...]
    styles: tuple[str, ...]
    spotify_id: str
    mbid: str
    release_group_mbid: str
    deezer_id: int
    discogs_id: int | None
    discogs_master_id: int
    barcode: str

    @property
    def year(self) -> str:
        """The four-digit release year."""
        return self.release_date[:4]

    @property
    def full_date(self) -> str:
        """The date padded to YYYY-MM-DD (Deezer always prints a full date)."""
        parts = [*self.release_date.split("-"), "01", "01"][:3]
        return "-".join(parts)


@dataclass(frozen=True, slots=True)
class AudioFeatures:
    """Spotify-style audio features (key -1 means no key detected)."""

    tempo: float
    key: int
    mode: int
    time_signature: int
    danceability: float
    energy: float
    valence: float
    acousticness: float
    instrumentalness: float
    liveness: float
    speechiness: float
    loudness: float


@dataclass(frozen=True, slots=True)
class Recording:
    """One recording with identifiers that agree across all the simulated APIs."""

    number: int
    title: str
    version: str
    artist: Artist
    featured: tuple[Artist, ...]
    remixer: Artist | None
    release: Release
    track_number: int
    spotify_id: str
    isrc: str
    mbid: str
    deezer_id: int
    reccobeats_id: str
    duration_ms: int
    popularity: int
    explicit: bool
    features: AudioFeatures | None
    deezer_bpm: float
    deezer_gain: float
    deezer_rank: int
    lastfm_listeners: int
    lastfm_playcount: int
    lastfm_tags: tuple[str, ...]
    sources: frozenset[str]
    hard_cases: frozenset[str]
    original_number: int | None = None

    @property
    def spotify_name(self) -> str:
        """Title as Spotify prints it: version after a dash, featured artists not in the name."""
        return f"{self.title} - {self.version}" if self.version else self.title

    @property
    def bracketed_title(self) -> str:
        """Title as MusicBrainz prints it: version in brackets."""
        return f"{self.title} ({self.version})" if self.version else self.title

    @property
    def feat_suffix(self) -> str:
        """The "(feat. X & Y)" suffix Deezer appends, or an empty string."""
        if not self.featured:
            return ""
        return " (feat. " + " & ".join(a.name for a in self.featured) + ")"

    @property
    def credited_artists(self) -> tuple[Artist, ...]:
        """Main artist then featured artists (the MusicBrainz artist credit)."""
        return (self.artist, *self.featured)

    @property
    def spotify_artists(self) -> tuple[Artist, ...]:
        """Spotify's artists[]: main, featured, then the remixer of a remix."""
        extra = (self.remixer,) if self.remixer and self.remixer not in self.featured else ()
        return (*self.credited_artists, *extra)

    @property
    def discogs_release_id(self) -> int | None:
        """The Discogs release this recording appears on, if Discogs knows it."""
        # Discogs knows a recording exactly when it knows its release (see its presence rule).
        return self.release.discogs_id

    def on(self, source: str) -> bool:
        """Whether the given API knows this recording."""
        return source in self.sources


@dataclass
class Catalogue:
    """All recordings plus lookups by every identifier."""

    seed: int
    recordings: tuple[Recording, ...]
    by_spotify_id: dict[str, Recording] = field(default_factory=dict)
    by_isrc: dict[str, Recording] = field(default_factory=dict)
    by_mbid: dict[str, Recording] = field(default_factory=dict)
    by_deezer_id: dict[int, Recording] = field(default_factory=dict)
    by_reccobeats_id: dict[str, Recording] = field(default_factory=dict)
    by_discogs_release: dict[int, list[Recording]] = field(default_factory=dict)
    by_release: dict[str, list[Recording]] = field(default_factory=dict)
    hard_cases: dict[str, list[Recording]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        releases: dict[str, list[Recording]] = defaultdict(list)
        on_release: dict[int, list[Recording]] = defaultdict(list)
        cases: dict[str, list[Recording]] = defaultdict(list)
        for recording in self.recordings:
            self.by_spotify_id[recording.spotify_id] = recording
            self.by_isrc[recording.isrc] = recording
            self.by_mbid[recording.mbid] = recording
            self.by_deezer_id[recording.deezer_id] = recording
            self.by_reccobeats_id[recording.reccobeats_id] = recording
            releases[recording.release.spotify_id].append(recording)
            if recording.discogs_release_id is not None:
                on_release[recording.discogs_release_id].append(recording)
            for case in sorted(recording.hard_cases):
                cases[case].append(recording)
        self.by_release = dict(releases)
        self.by_discogs_release = dict(on_release)
        self.hard_cases = dict(sorted(cases.items()))

    def __len__(self) -> int:
        return len(self.recordings)

    def versions_of(self, recording: Recording) -> list[Recording]:
        """The original and every version (remix, edit, ...) of the same work."""
        root = (
            recording.original_number
            if recording.original_number is not None
            else (recording.number)
        )
        family = self.hard_cases.get("remix_family", [])
        return [r for r in family if r.number == root or r.original_number == root]
