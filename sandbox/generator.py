"""Deterministic generator of the sandbox catalogue from a seeded random.Random."""

from __future__ import annotations

import random
import uuid
from collections import defaultdict
from collections.abc import Callable
from typing import NamedTuple, TypeVar

from sandbox import naming
from sandbox import vocabulary as words
from sandbox.apis import SIMULATED_APIS
from sandbox.hardcases import tag_hard_cases
from sandbox.records import Artist, AudioFeatures, Catalogue, Label, Recording, Release

BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
T = TypeVar("T")


class TrackPlan(NamedTuple):
    """What to record on a release before identifiers are drawn."""

    title: str
    version: str
    featured: tuple[Artist, ...]
    remixer: Artist | None


class CatalogueBuilder:
    """Builds releases until the catalogue holds the requested number of recordings."""

    def __init__(self, seed: int) -> None:
        self.seed = seed
        self.rng = random.Random(seed)
        self.used_ids: set[object] = set()
        self.recordings: list[Recording] = []
        self.isrc_counters: dict[str, int] = defaultdict(int)
        self.catno_counters: dict[str, int] = defaultdict(int)
        self.titles_by_artist: dict[str, set[str]] = defaultdict(set)
        self.producers = self._artists(260, naming.producer_name)
        self.vocalists = self._artists(60, naming.vocalist_name)
        self.families = {
            a.spotify_id: self.rng.choice(words.STYLE_FAMILIES) for a in self.producers
        }
        self.labels = [self._label(index) for index in range(36)]
        # A pool of titles several artists record, so "same title, other artist" is common.
        self.shared_titles = [naming.track_title(self.rng) for _ in range(30)]

    def build(self, size: int) -> Catalogue:
        """Create releases until `size` recordings exist, then tag and index them."""
        while len(self.recordings) < size:
            self._release_group()
        return Catalogue(seed=self.seed, recordings=tag_hard_cases(self.recordings[:size]))

    def _unique(self, make: Callable[[], T]) -> T:
        while (value := make()) in self.used_ids:
            pass
        self.used_ids.add(value)
        return value

    def _spotify_id(self) -> str:
        return self._unique(lambda: "".join(self.rng.choices(BASE62, k=22)))

    def _uuid(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def _int_id(self, low: int, high: int) -> int:
        return self._unique(lambda: self.rng.randint(low, high))

    def _artists(self, count: int, make_name: Callable[[random.Random], str]) -> list[Artist]:
        artists: list[Artist] = []
        names: set[str] = set()
        while len(artists) < count:
            name = make_name(self.rng)
            if name in names:
                continue
            names.add(name)
            artists.append(
                Artist(
                    name=name,
                    sort_name=naming.sort_name(name),
                    spotify_id=self._spotify_id(),
                    mbid=self._uuid(),
                    deezer_id=self._int_id(1_000, 99_999_999),
                    discogs_id=self._int_id(100_000, 19_999_999),
                    lastfm_mbid=self._uuid(),
                )
            )
        return artists

    def _label(self, index: int) -> Label:
        name, registrant, prefix = naming.label_parts(self.rng, index)
        country = self.rng.choice(list(words.COUNTRIES))
        return Label(name, self._uuid(), country, registrant, prefix)

    def _title_for(self, artist: Artist) -> str:
        used = self.titles_by_artist[artist.spotify_id]
        candidate = self.rng.choice(self.shared_titles) if self.rng.random() < 0.06 else ""
        while not candidate or candidate in used:
            candidate = naming.track_title(self.rng)
        used.add(candidate)
        return candidate

    def _release_group(self) -> None:
        artist = self.rng.choice(self.producers)
        kind = self.rng.choices(("single", "ep", "album"), weights=(55, 30, 15))[0]
        count = {"single": 1, "ep": self.rng.randint(2, 4), "album": self.rng.randint(6, 10)}[kind]
        titles = [self._title_for(artist) for _ in range(count)]
        name = titles[0] if kind == "single" else naming.track_title(self.rng)
        release = self._release(name + (" EP" if kind == "ep" else ""), kind, artist)
        plans: list[TrackPlan] = []
        for title in titles:
            featured = self._featured()
            plans.append(TrackPlan(title, "", featured, None))
            if kind == "single":
                plans += [TrackPlan(title, v, featured, r) for v, r in self._versions(artist, 3)]
        originals = self._add_tracks(release, artist, plans)
        if kind == "single" and self.rng.random() < 0.25:
            first = originals[0]
            # A remix already on the single is the same recording: leave it off the remix EP.
            taken = {plan.version for plan in plans}
            remixes = [v for v in self._versions(artist, 3, remix_only=True) if v[0] not in taken]
            if remixes:
                plans = [TrackPlan(first.title, v, first.featured, r) for v, r in remixes]
                remix_release = self._release(f"{first.title} (Remixes)", "ep", artist)
                self._add_tracks(remix_release, artist, plans, original=first)

    def _featured(self) -> tuple[Artist, ...]:
        roll = self.rng.random()
        if roll < 0.03:
            return tuple(self.rng.sample(self.vocalists, 2))
        return (self.rng.choice(self.vocalists),) if roll < 0.13 else ()

    def _versions(
        self, artist: Artist, most: int, remix_only: bool = False
    ) -> list[tuple[str, Artist | None]]:
        chosen: dict[str, Artist | None] = {}
        for _ in range(self.rng.randint(1 if remix_only else 0, most)):
            pattern = naming.version_pattern(self.rng, remix_only)
            remixer = None
            if "{remixer}" in pattern:
                remixer = self.rng.choice([p for p in self.producers[:120] if p != artist])
            chosen.setdefault(pattern.format(remixer=remixer.name if remixer else ""), remixer)
        return list(chosen.items())

    def _release(self, title: str, kind: str, artist: Artist) -> Release:
        rng, label = self.rng, self.rng.choice(self.labels)
        year, month, day = rng.randint(2008, 2025), rng.randint(1, 12), rng.randint(1, 28)
        precision = rng.choices(("day", "month", "year"), weights=(80, 12, 8))[0]
        date = {"day": f"{year}-{month:02d}-{day:02d}", "month": f"{year}-{month:02d}"}
        family = self.families[artist.spotify_id]
        self.catno_counters[label.catno_prefix] += 1
        return Release(
            title=title,
            kind=kind,
            artist=artist,
            label=label,
            catalog_number=f"{label.catno_prefix}{self.catno_counters[label.catno_prefix]:03d}",
            release_date=date.get(precision, str(year)),
            release_date_precision=precision,
            country=label.country,
            genres=("Electronic",) if rng.random() < 0.85 else ("Electronic", "Pop"),
            styles=tuple(rng.sample(family.styles, rng.randint(1, 2))),
            spotify_id=self._spotify_id(),
            mbid=self._uuid(),
            release_group_mbid=self._uuid(),
            deezer_id=self._int_id(100_000, 999_999_999),
            discogs_id=self._int_id(1_000_000, 29_999_999) if rng.random() < 0.85 else None,
            discogs_master_id=self._int_id(10_000, 3_999_999) if rng.random() < 0.5 else 0,
            barcode="".join(rng.choices("0123456789", k=13)),
        )

    def _add_tracks(
        self,
        release: Release,
        artist: Artist,
        plans: list[TrackPlan],
        original: Recording | None = None,
    ) -> list[Recording]:
        made: list[Recording] = []
        for position, plan in enumerate(plans, start=1):
            recording = self._recording(release, artist, position, plan, original)
            if not plan.version:
                original = recording
            made.append(recording)
            self.recordings.append(recording)
        return made

    def _recording(
        self,
        release: Release,
        artist: Artist,
        position: int,
        plan: TrackPlan,
        original: Recording | None,
    ) -> Recording:
        rng = self.rng
        original = original if plan.version else None
        features = self._features(artist, plan, original)
        popularity = max(0, min(100, int(rng.gauss(28 if plan.version else 45, 18))))
        listeners = int(10 ** (1.5 + popularity / 22) * rng.uniform(0.5, 1.5))
        family = self.families[artist.spotify_id]
        tags = family.tags
        tag_count = 1 if rng.random() < 0.1 else rng.randint(2, len(tags))
        bpm_known = features is not None and rng.random() >= 0.15
        return Recording(
            number=len(self.recordings),
            title=plan.title,
            version=plan.version,
            artist=artist,
            featured=plan.featured,
            remixer=plan.remixer,
            release=release,
            track_number=position,
            spotify_id=self._spotify_id(),
            isrc=self._isrc(release),
            mbid=self._uuid(),
            deezer_id=self._int_id(1_000_000, 3_999_999_999),
            reccobeats_id=self._uuid(),
            duration_ms=self._duration(plan.version, original),
            popularity=popularity,
            explicit=rng.random() < 0.04,
            features=features,
            deezer_bpm=deezer_bpm(len(self.recordings), family.name, features.tempo)
            if features and bpm_known
            else 0.0,
            deezer_gain=round(rng.uniform(-12.5, -6.0), 1),
            deezer_rank=popularity * 9_000 + rng.randint(0, 8_999),
            lastfm_listeners=listeners,
            lastfm_playcount=int(listeners * rng.uniform(2.0, 12.0)),
            lastfm_tags=tuple(rng.sample(tags, tag_count)),
            sources=self._sources(release, features),
            hard_cases=frozenset(),
            original_number=original.number if original is not None else None,
        )

    def _sources(self, release: Release, features: AudioFeatures | None) -> frozenset[str]:
        # In position order: the sampled presences draw from the stream in that order.
        return frozenset(
            api.name for api in SIMULATED_APIS if api.presence(self.rng, release, features)
        )

    def _isrc(self, release: Release) -> str:
        prefix = f"{release.label.country}{release.label.registrant}{release.year[2:]}"
        self.isrc_counters[prefix] += 1
        return f"{prefix}{self.isrc_counters[prefix]:05d}"

    def _duration(self, version: str, original: Recording | None) -> int:
        rng = self.rng
        base = original.duration_ms if original is not None else rng.randint(180_000, 420_000)
        if "Extended" in version or "Club" in version:
            return base + rng.randint(60_000, 150_000)
        if "Edit" in version:
            return rng.randint(150_000, 215_000)
        return base if not version else rng.randint(300_000, 480_000)

    def _features(
        self, artist: Artist, plan: TrackPlan, original: Recording | None
    ) -> AudioFeatures | None:
        rng = self.rng
        if rng.random() < 0.08:
            return None
        family = self.families[artist.spotify_id]
        base = original.features if original is not None else None
        # Edits keep the original's tempo and key; remixes get a new tempo.
        keeps_tempo = base is not None and "Remix" not in plan.version
        tempo = base.tempo if base is not None and keeps_tempo else rng.uniform(*family.tempo)
        key = base.key if base else (-1 if rng.random() < 0.04 else rng.randint(0, 11))
        return AudioFeatures(
            tempo=round(tempo, 3),
            key=key,
            mode=base.mode if base else rng.randint(0, 1),
            time_signature=3 if rng.random() < 0.02 else 4,
            danceability=round(rng.uniform(0.45, 0.92), 3),
            energy=round(rng.uniform(*family.energy), 3),
            valence=round(rng.uniform(0.05, 0.9), 3),
            acousticness=round(rng.uniform(0.0001, 0.2), 5),
            instrumentalness=round(
                rng.uniform(0.0, 0.1) if plan.featured else rng.uniform(0.5, 0.95), 4
            ),
            liveness=round(
                rng.uniform(0.7, 0.95) if plan.version == "Live" else rng.uniform(0.04, 0.35), 4
            ),
            speechiness=round(rng.uniform(0.03, 0.12), 4),
            loudness=round(rng.uniform(-12.0, -4.0), 3),
        )


def build_catalogue(seed: int, size: int) -> Catalogue:
    """Generate a catalogue of `size` recordings; the same seed always gives the same ids."""
    return CatalogueBuilder(seed).build(size)


def deezer_bpm(number: int, family: str, tempo: float) -> float:
    """Deezer's tempo for a recording: like real analysers, it reads some at another octave.

    Half of the drum & bass at half time (87 for 174), every 12th other recording at half or
    double time and every 29th at 3:2, so the demo shows octave flags. Chosen by the
    recording's number, not drawn: the random stream (and every other value) stays the same.
    """
    if family == "drum_and_bass" and number % 2 == 0:
        return round(tempo / 2, 1)
    if number % 12 == 5:
        return round(tempo * 2 if tempo < 100 else tempo / 2, 1)
    if number % 29 == 11:
        return round(tempo * 1.5, 1)
    return round(tempo, 1)
