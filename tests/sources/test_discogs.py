"""Discogs: release search with label, catno, country and year read from the results."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
import responses

from enrichment.sources.discogs import DiscogsSource
from enrichment.sources.errors import (
    ConfigurationError,
    MalformedResponse,
    RateLimited,
    Unconfigured,
)
from tests.sources.payloads import payload, sent_query, stored_rows

pytestmark = pytest.mark.django_db

SEARCH = "https://api.discogs.com/database/search"
TOKEN = "fixture-discogs-token"


@pytest.fixture(autouse=True)
def token(settings: Any) -> None:
    """A configured Discogs token."""
    settings.DISCOGS_TOKEN = TOKEN


@responses.activate
def test_search_results_are_parsed_into_releases() -> None:
    responses.get(SEARCH, json=payload("discogs", "search"))
    first, second, third = DiscogsSource().search("Lumen Drift", "Nightfall Avenue")
    assert first.id == 13370042
    assert (first.artist, first.release_title) == ("Lumen Drift", "Nightfall Avenue")
    assert (
        first.labels == ("Helix Records", "Helix Distribution") and first.label == "Helix Records"
    )
    assert (first.catno, first.country, first.year) == ("HLX042", "UK", 2019)
    assert first.genres == ("Electronic",)
    assert first.styles == ("Deep House", "Progressive House")
    assert first.formats == ("Vinyl", '12"', "33 ⅓ RPM")
    assert second.artist == "Lumen Drift & Kara Vale"  # "*" variation mark removed
    assert (second.catno, second.country, second.label) == (None, None, None)
    assert third.labels == ("Oxbow Tapes",) and third.year is None  # one label as a string


@responses.activate
def test_search_sends_type_artist_track_and_page_size() -> None:
    responses.get(SEARCH, json=payload("discogs", "search"))
    DiscogsSource().search("Lumen Drift", "Nightfall Avenue", limit=5)
    query = sent_query(responses.calls[0])
    assert query == {
        "type": ["release"],
        "artist": ["Lumen Drift"],
        "track": ["Nightfall Avenue"],
        "per_page": ["5"],
    }


@responses.activate
def test_fields_give_label_catalog_country_year_and_genres() -> None:
    responses.get(SEARCH, json=payload("discogs", "search"))
    first, second, _ = DiscogsSource().search("Lumen Drift", "Nightfall Avenue")
    assert first.fields() == {
        "genre": "Deep House",  # styles come before the broad genre
        "genres": ["Deep House", "Progressive House", "Electronic"],
        "discogs_id": 13370042,
        "label": "Helix Records",
        "catalog_number": "HLX042",
        "release_country": "UK",
        "release_date": date(2019, 1, 1),
        "release_date_precision": "year",
    }
    assert "label" not in second.fields()  # "Not On Label" is not a label


@responses.activate
def test_a_result_becomes_a_candidate_titled_by_its_release() -> None:
    responses.get(SEARCH, json=payload("discogs", "search"))
    candidate = DiscogsSource().search("Lumen Drift", "Nightfall Avenue")[0].to_candidate()
    assert (candidate.source, candidate.identifier) == ("discogs", "13370042")
    assert (candidate.artist, candidate.title) == ("Lumen Drift", "Nightfall Avenue")


@responses.activate
def test_the_token_is_sent_but_never_stored_nor_part_of_the_key(settings: Any) -> None:
    responses.get(SEARCH, json=payload("discogs", "search"))
    DiscogsSource().search("Lumen Drift", "Nightfall Avenue")
    assert responses.calls[0].request.headers["Authorization"] == f"Discogs token={TOKEN}"
    assert TOKEN not in stored_rows()
    settings.DISCOGS_TOKEN = "another-token"
    DiscogsSource().search("Lumen Drift", "Nightfall Avenue")  # same key: a cache hit
    assert len(responses.calls) == 1


@responses.activate
def test_an_empty_search_is_an_empty_list() -> None:
    responses.get(SEARCH, json={"pagination": {"items": 0}, "results": []})
    assert DiscogsSource().search("Nobody", "Nothing") == []


@responses.activate
def test_a_401_is_a_configuration_error() -> None:
    responses.get(SEARCH, status=401, json=payload("discogs", "error_401"))
    with pytest.raises(ConfigurationError, match="401"):
        DiscogsSource().search("Lumen Drift", "Nightfall Avenue")


@responses.activate
def test_a_429_is_rate_limited_with_its_retry_after() -> None:
    responses.get(
        SEARCH, status=429, headers={"Retry-After": "20"}, json=payload("discogs", "error_429")
    )
    with pytest.raises(RateLimited) as caught:
        DiscogsSource().search("Lumen Drift", "Nightfall Avenue")
    assert caught.value.retry_after == 20.0


@responses.activate
def test_a_body_without_results_is_malformed() -> None:
    responses.get(SEARCH, json={"pagination": {"items": 0}})
    with pytest.raises(MalformedResponse, match="search"):
        DiscogsSource().search("Lumen Drift", "Nightfall Avenue")


@responses.activate
def test_a_result_with_a_text_id_is_malformed() -> None:
    body = payload("discogs", "search")
    body["results"][0]["id"] = "thirteen"
    responses.get(SEARCH, json=body)
    with pytest.raises(MalformedResponse, match="'id'"):
        DiscogsSource().search("Lumen Drift", "Nightfall Avenue")


def test_without_a_token_it_is_unconfigured_and_calls_nothing(settings: Any) -> None:
    settings.DISCOGS_TOKEN = ""
    with responses.RequestsMock() as mock, pytest.raises(Unconfigured, match="DISCOGS_TOKEN"):
        DiscogsSource().search("Lumen Drift", "Nightfall Avenue")
    assert len(mock.calls) == 0
