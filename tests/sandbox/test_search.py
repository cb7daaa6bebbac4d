"""Query parsing and ranking shared by the simulated search endpoints."""

from __future__ import annotations

import pytest

from sandbox.catalogue import Catalogue
from sandbox.search import SearchIndex, normalise, parse_query


@pytest.fixture(scope="module")
def index(data: Catalogue) -> SearchIndex:
    return SearchIndex(data)


def test_normalise_folds_case_accents_and_punctuation() -> None:
    assert normalise("Chloé & Björn - Lost (Extended Mix)") == "chloe bjorn lost extended mix"


def test_parses_fielded_spotify_query() -> None:
    query = parse_query('track:"Lost Horizon" artist:"DJ Lena"')
    assert query.first("track") == "Lost Horizon" and query.first("artist") == "DJ Lena"
    assert query.text == ""


def test_parses_lucene_isrc_group_and_and() -> None:
    assert parse_query("isrc:(GBAAA0000001 OR USBBB0000002)").fields["isrc"] == [
        "GBAAA0000001",
        "USBBB0000002",
    ]
    query = parse_query('recording:"Say \\"Hi\\"" AND artist:"A"')
    assert query.first("recording") == 'Say "Hi"' and query.text == ""


def test_free_text_is_kept_apart_from_fields() -> None:
    query = parse_query("isrc:GBAAA0000001 velvet horizon")
    assert query.fields == {"isrc": ["GBAAA0000001"]} and query.text == "velvet horizon"


def test_exact_match_ranks_first_then_its_versions(index: SearchIndex, data: Catalogue) -> None:
    original = next(r for r in data.hard_cases["remix_family"] if not r.version)
    hits = index.search(title=original.title, artist=original.artist.name)
    assert hits[0].recording == original and hits[0].score == pytest.approx(1.0)
    versions = {r.number for r in data.versions_of(original)} - {original.number}
    assert versions <= {h.recording.number for h in hits}


def test_same_title_by_another_artist_is_a_near_miss_unless_strict(
    index: SearchIndex, data: Catalogue
) -> None:
    recording = data.hard_cases["same_title"][0]
    loose = index.search(title=recording.title, artist=recording.artist.name)
    others = [h for h in loose if h.recording.artist != recording.artist]
    assert loose[0].recording.artist == recording.artist and others
    assert all(h.score < loose[0].score for h in others)
    strict = index.search(title=recording.title, artist=recording.artist.name, strict_artist=True)
    wanted = set(normalise(recording.artist.name).split())
    for hit in strict:
        credited = {w for a in hit.recording.spotify_artists for w in normalise(a.name).split()}
        assert wanted & credited


def test_featured_artist_in_the_artist_text_still_matches(
    index: SearchIndex, data: Catalogue
) -> None:
    recording = data.hard_cases["featured"][0]
    artist = f"{recording.artist.name} feat. {recording.featured[0].name}"
    assert (
        index.search(title=recording.title, artist=artist)[0].recording.artist == recording.artist
    )
