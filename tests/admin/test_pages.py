"""Pages render with many rows in a bounded number of queries, and show the right figures."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from enrichment.admin import paginator
from enrichment.models import ApiCache, CircuitBreakerState, EnrichmentStatus, Track
from enrichment.tasks import defer_enrichment
from tests.admin.factories import SPOTIFY_A, spotify_candidates, with_review
from tests.factories import make_track

pytestmark = pytest.mark.django_db
CHANGELIST = reverse("admin:enrichment_track_changelist")
DASHBOARD = reverse("admin:enrichment_dashboard")


def catalogue(size: int) -> list[Track]:
    """Tracks in every state, a third fully identified, some awaiting review."""
    statuses = ["completed", "partial", "failed", "pending", None]
    tracks = [make_track(status=statuses[n % 5]) for n in range(size)]
    identified = [t.pk for t in tracks[::3]]
    Track.objects.filter(pk__in=identified).update(
        bpm=124.0, camelot_key="8A", key="A minor", isrc=None
    )
    for number, pk in enumerate(identified):  # a Spotify id belongs to one track only
        spotify_id = SPOTIFY_A if number == 0 else f"{SPOTIFY_A[:-4]}{number:04d}"
        Track.objects.filter(pk=pk).update(spotify_id=spotify_id)
    for track in tracks[:30:3]:
        track.metadata = {"enrichment_sources": ["spotify", "reccobeats"]}
        track.save(update_fields=["metadata"])
        with_review(track, "spotify", spotify_candidates(track))
    return tracks


def test_track_list_with_300_tracks_renders_in_a_few_queries(
    curator_client: Client, django_assert_max_num_queries: Any
) -> None:
    catalogue(300)
    for query in ("", "?status=failed", "?has_spotify_id=yes&review=yes", "?q=Artist+1"):
        with django_assert_max_num_queries(12):
            page = curator_client.get(f"{CHANGELIST}{query}")
        assert page.status_code == 200, query
    html = curator_client.get(CHANGELIST, {"review": "yes"}).content.decode()
    assert "Camelot" in html and "8A" in html and "124.0" in html
    assert f"https://open.spotify.com/track/{SPOTIFY_A}" in html
    assert '<span class="sn-source">reccobeats</span>' in html
    assert "awaiting review" in html


def test_list_filters_narrow_the_tracks(curator_client: Client) -> None:
    tracks = catalogue(20)

    def shown(query: str) -> set[uuid.UUID]:
        return {t.pk for t in curator_client.get(f"{CHANGELIST}?{query}").context["cl"].result_list}

    assert shown("status=failed") == {t.pk for t in tracks[2::5]}
    assert shown("status=none") == {t.pk for t in tracks[4::5]}
    assert shown("has_bpm=no") == {t.pk for t in tracks if t.pk not in {x.pk for x in tracks[::3]}}
    assert shown("review=spotify") == {t.pk for t in tracks[:30:3]}
    assert shown("source=reccobeats") == {t.pk for t in tracks[:30:3]}


def test_search_finds_tracks_by_words_artist_title_and_any_identifier(
    curator_client: Client,
) -> None:
    strobe = make_track(
        artist_name="deadmau5",
        title="Strobe (Club Edit)",
        isrc="USUS11000356",
        spotify_id=SPOTIFY_A,
        discogs_id=2143,
        deezer_id=3135556,
    )
    make_track(artist_name="Daft Punk", title="One More Time", musicbrainz_id=uuid.uuid4())
    searches = [
        "deadmau",
        "strob club",
        "deadmau5 - Strobe",
        "USUS11000356",
        "us-us1-10-00356",
        SPOTIFY_A,
        f"https://open.spotify.com/intl-de/track/{SPOTIFY_A}?si=x",
        "2143",
        "https://www.discogs.com/release/2143-Strobe",
        "https://www.deezer.com/fr/track/3135556",
        str(strobe.pk),
    ]
    for term in searches:
        found = curator_client.get(CHANGELIST, {"q": term}).context["cl"].result_list
        assert [t.pk for t in found] == [strobe.pk], term
    assert not curator_client.get(CHANGELIST, {"q": "Strobe - deadmau5"}).context["cl"].result_list


def test_unfiltered_list_of_a_big_table_shows_the_estimated_count(
    curator_client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    catalogue(3)
    monkeypatch.setattr(paginator, "estimated_rows", lambda table: 1_000_000)
    html = curator_client.get(CHANGELIST).content.decode()
    assert "about 1000000 tracks" in html
    filtered = curator_client.get(CHANGELIST, {"status": "failed"}).content.decode()
    assert "about" not in filtered.split('class="paginator"')[1]


def test_a_filtered_list_counts_up_to_a_cap_and_then_shows_it_with_a_plus(
    curator_client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    for _ in range(4):
        make_track(status="pending")
    monkeypatch.setattr(paginator, "COUNT_CAP", 3)
    capped = curator_client.get(CHANGELIST, {"status": "pending"})
    assert "3+ tracks" in capped.content.decode().split('class="paginator"')[1]
    assert len(capped.context["cl"].result_list) == 4
    monkeypatch.setattr(paginator, "COUNT_CAP", 4)
    exact = curator_client.get(CHANGELIST, {"status": "pending"}).content.decode()
    assert "4 tracks" in exact.split('class="paginator"')[1]


def test_dashboard_shows_coverage_statuses_queue_sources_and_cache(
    curator_client: Client, django_assert_max_num_queries: Any
) -> None:
    tracks = catalogue(300)
    defer_enrichment([t.pk for t in tracks[:7]])
    now = timezone.now()
    recent = {"outcome": "transient", "at": now.isoformat(), "detail": "HTTP 502"}
    ok = {"outcome": "data", "at": now.isoformat(), "detail": ""}
    EnrichmentStatus.objects.filter(track__in=tracks[:4]).update(
        last_attempt=now, source_outcomes={"discogs": recent, "spotify": ok}
    )
    CircuitBreakerState.objects.create(api="discogs", state="open", failure_count=5, opened_at=now)
    for n, hits in enumerate([3, 0, 1]):
        ApiCache.objects.create(
            cache_key=f"k{n}",
            api_source="deezer",
            endpoint="/track",
            status_code=200,
            expires_at=now + dt.timedelta(days=1),
            hit_count=hits,
        )
    with django_assert_max_num_queries(14):
        page = curator_client.get(DASHBOARD)
    html = page.content.decode()
    assert page.status_code == 200
    assert '<td class="sn-num sn-figure" id="sn-total">300</td>' in html
    assert '<td class="sn-num sn-figure" id="sn-awaiting-review">10</td>' in html
    coverage = {c.field: c for c in page.context["coverage"]}
    assert (coverage["spotify_id"].count, coverage["spotify_id"].percent) == (100, 33.3)
    assert dict((v, n) for v, _, n in page.context["statuses"])["failed"] == 60
    assert page.context["without_status"] == 60
    assert dict(page.context["queue"])["todo"] == 7
    sources = {s.name: s for s in page.context["sources"]}
    assert (sources["discogs"].breaker, sources["discogs"].error_rate) == ("open", 100.0)
    assert (sources["spotify"].attempts, sources["spotify"].error_rate) == (4, 0.0)
    [deezer] = page.context["cache"]
    assert (deezer.rows, deezer.hits, deezer.hit_rate) == (3, 4, 57.1)


def test_track_page_shows_provenance_outcomes_links_and_jobs(curator_client: Client) -> None:
    track = make_track(spotify_id=SPOTIFY_A, bpm=128.0, locked_fields=["bpm"], status="partial")
    when = "2026-01-02T03:04:05+00:00"
    track.metadata = {
        "provenance": {"spotify_id": {"source": "spotify", "fetched_at": when, "confidence": 0.93}},
        "kept": {"bpm": "locked by a curator"},
        "enrichment_sources": ["spotify"],
        "lastfm_tags": ["progressive house"],
    }
    track.save()
    EnrichmentStatus.objects.filter(track=track).update(
        source_outcomes={
            "discogs": {"outcome": "breaker_open", "at": when, "detail": "circuit breaker open"}
        }
    )
    [job_id] = defer_enrichment([track.pk]).values()
    html = curator_client.get(reverse("admin:enrichment_track_change", args=[track.pk]))
    content = html.content.decode()
    assert f'href="https://open.spotify.com/track/{SPOTIFY_A}"' in content
    assert "0.930" in content and "2026-01-02 03:04" in content
    assert "locked by a curator" in content and "circuit breaker open" in content
    assert f"job #{job_id} waiting" in content and "progressive house" in content
    jobs_link = f"/admin/procrastinate/procrastinatejob/?queueing_lock=enrich%3A{track.pk}"
    assert jobs_link in content
    assert str(job_id) in curator_client.get(jobs_link).content.decode()


def test_status_and_breaker_admins_list_machine_state(
    curator_client: Client, django_assert_max_num_queries: Any
) -> None:
    tracks = catalogue(150)
    outcome = {"outcome": "rate_limited", "at": timezone.now().isoformat(), "detail": "429"}
    EnrichmentStatus.objects.filter(track=tracks[2]).update(source_outcomes={"lastfm": outcome})
    CircuitBreakerState.objects.create(api="lastfm", state="half-open")
    listing = reverse("admin:enrichment_enrichmentstatus_changelist")
    with django_assert_max_num_queries(10):
        statuses = curator_client.get(listing, {"trouble": "lastfm"})
    assert [s.track_id for s in statuses.context["cl"].result_list] == [tracks[2].pk]
    assert "lastfm: rate_limited" in statuses.content.decode()
    breakers = curator_client.get(reverse("admin:enrichment_circuitbreakerstate_changelist"))
    assert "sn-breaker-half-open" in breakers.content.decode()


def test_cache_admin_filters_and_purges_expired_entries(curator_client: Client) -> None:
    now = timezone.now()
    for n, (source, delta) in enumerate([("spotify", -1), ("spotify", 1), ("deezer", -1)]):
        ApiCache.objects.create(
            cache_key=f"k{n}",
            api_source=source,
            endpoint="/x",
            status_code=200,
            expires_at=now + dt.timedelta(days=delta),
            response_data={"n": n},
        )
    listing = reverse("admin:enrichment_apicache_changelist")
    expired = curator_client.get(listing, {"expired": "yes", "source": "spotify"})
    assert [e.cache_key for e in expired.context["cl"].result_list] == ["k0"]
    assert 'id="sn-purge-expired"' in curator_client.get(listing).content.decode()
    response = curator_client.post(reverse("admin:enrichment_apicache_purge"), follow=True)
    assert "Purged 2 expired cache entries." in response.content.decode()
    assert list(ApiCache.objects.values_list("cache_key", flat=True)) == ["k1"]
    entry = ApiCache.objects.get()
    assert (
        "&quot;n&quot;: 1"
        in curator_client.get(
            reverse("admin:enrichment_apicache_change", args=[entry.pk])
        ).content.decode()
    )


def test_admin_index_links_the_curator_tools(curator_client: Client) -> None:
    html = curator_client.get(reverse("admin:index")).content.decode()
    assert DASHBOARD in html and reverse("admin:enrichment_review_queue") in html
