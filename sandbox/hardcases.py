"""Tags marking the recordings that exercise matching and fallbacks (the hard cases)."""

from __future__ import annotations

import unicodedata
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import replace

from sandbox.apis import SIMULATED_APIS
from sandbox.records import Recording

# Hard cases of the catalogue as a whole; each API module adds its own (absences, quirks).
_GENERAL = {
    "remix_family": "an original and its remixes/extended mixes/edits: same artist, other ids",
    "version": "a remix, extended mix, radio edit, dub... of another recording",
    "featured": "featured artist: Spotify artists[], MusicBrainz ' feat. ', Deezer '(feat. X)'",
    "same_title": "another artist has an original recording with the same title",
    "no_audio_features": "neither Spotify nor ReccoBeats has audio features",
    "key_unknown": "audio features with key -1 (no key detected)",
    "month_precision": "release date known to the month (YYYY-MM)",
    "year_precision": "release date known to the year (YYYY)",
    "accented_artist": "main artist name with diacritics",
}
_BY_API = {name: case for api in SIMULATED_APIS for name, case in api.hard_cases.items()}
DESCRIPTIONS = _GENERAL | {name: case.description for name, case in _BY_API.items()}


def _is_accented(name: str) -> bool:
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return ascii_name != name


def _own_tags(recording: Recording) -> set[str]:
    """Hard cases visible from the recording alone."""
    tags = {name for name, case in _BY_API.items() if case.applies(recording)}
    if recording.version:
        tags |= {"version", "remix_family"}
    if recording.featured:
        tags.add("featured")
    if recording.features is None:
        tags.add("no_audio_features")
    elif recording.features.key == -1:
        tags.add("key_unknown")
    if recording.release.release_date_precision != "day":
        tags.add(f"{recording.release.release_date_precision}_precision")
    if _is_accented(recording.artist.name):
        tags.add("accented_artist")
    return tags


def tag_hard_cases(recordings: Sequence[Recording]) -> tuple[Recording, ...]:
    """Return the recordings with their hard-case tags filled in."""
    roots = {r.original_number for r in recordings if r.original_number is not None}
    artists_by_title: dict[str, set[str]] = defaultdict(set)
    for recording in recordings:
        if not recording.version:
            artists_by_title[recording.title.casefold()].add(recording.artist.name)
    tagged = []
    for recording in recordings:
        tags = _own_tags(recording)
        if recording.number in roots:
            tags.add("remix_family")
        if not recording.version and len(artists_by_title[recording.title.casefold()]) > 1:
            tags.add("same_title")
        tagged.append(replace(recording, hard_cases=frozenset(tags)))
    return tuple(tagged)
