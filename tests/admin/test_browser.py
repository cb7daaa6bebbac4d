"""The curator pages in a real headless Chromium against a live server.

Without Chromium the test skips on a developer's machine and fails in CI (tests/required.py).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from enrichment.models import ApiCache, EnrichmentStatus, Track
from tests import required
from tests.admin.browser import Browser
from tests.admin.factories import SPOTIFY_A, jobs_of, spotify_candidates, with_review
from tests.factories import make_track

SCREENSHOTS = settings.DATA_DIR / "screenshots"
pytestmark = pytest.mark.slow


@pytest.fixture
def browser(live_server: Any, curator: User, tmp_path: Path) -> Iterator[Browser]:
    """Chromium logged in as the curator through a real session cookie (fresh profile)."""
    binary = required.path_of(required.CHROMIUM)
    client = Client()
    client.force_login(curator)
    session = client.cookies[settings.SESSION_COOKIE_NAME].value
    with Browser(binary, tmp_path / "profile") as chromium:
        chromium.set_cookie(settings.SESSION_COOKIE_NAME, session, live_server.url)
        yield chromium


def text_of(browser: Browser, selector: str) -> str:
    return str(browser.evaluate(f"document.querySelector({selector!r}).innerText"))


def test_curator_sees_dashboard_tracks_and_review_and_accepts_a_match(
    live_server: Any, browser: Browser
) -> None:
    tracks = [make_track(status=("completed", "failed")[n % 2]) for n in range(12)]
    Track.objects.filter(pk__in=[t.pk for t in tracks[:9]]).update(
        bpm=126.0, camelot_key="8A", key="A minor"
    )
    for number, track in enumerate(tracks[:9]):  # a Spotify id belongs to one track only
        spotify_id = SPOTIFY_A if number == 0 else f"{SPOTIFY_A[:-4]}{number:04d}"
        Track.objects.filter(pk=track.pk).update(spotify_id=spotify_id)
    now = timezone.now()
    outcomes = {
        "spotify": {"outcome": "data", "at": now.isoformat()},
        "discogs": {"outcome": "transient", "at": now.isoformat(), "detail": "HTTP 502"},
    }
    EnrichmentStatus.objects.filter(status="failed").update(
        last_attempt=now, error_message="discogs: transient: HTTP 502", source_outcomes=outcomes
    )
    for n in range(4):
        ApiCache.objects.create(
            cache_key=f"k{n}",
            api_source="spotify",
            endpoint="/v1/tracks",
            status_code=200,
            expires_at=now + timedelta(days=n - 1),
            hit_count=n,
        )
    crazy = make_track(artist_name="Gnarls Barkley", title="Crazy", status="partial")
    with_review(crazy, "spotify", spotify_candidates(crazy, ("5" * 22, "6" * 22)))

    browser.goto(live_server.url + reverse("admin:enrichment_dashboard"))
    assert text_of(browser, "#sn-total") == "13"
    assert text_of(browser, "#sn-awaiting-review") == "1"
    spotify_row = text_of(browser, '#sn-coverage tr[data-field="spotify_id"]')
    assert spotify_row.split("\t")[1:3] == ["9", "69.2%"]
    assert "failed" in text_of(browser, "#sn-statuses")
    assert text_of(browser, '#sn-sources tr[data-source="discogs"] .sn-error-rate') == "100.0%"
    assert text_of(browser, '#sn-cache tr[data-cache="spotify"] .sn-hit-rate') == "60.0%"
    browser.screenshot(SCREENSHOTS / "admin-dashboard.png")

    browser.goto(live_server.url + reverse("admin:enrichment_track_changelist"))
    headers = browser.evaluate(
        "[...document.querySelectorAll('#result_list th')].map(h => h.innerText.trim())"
    )
    assert {"CAMELOT", "BPM", "IDENTIFIERS"} <= {h.upper() for h in headers}
    assert browser.evaluate(
        f"!!document.querySelector('a[href=\"https://open.spotify.com/track/{SPOTIFY_A}\"]')"
    )
    browser.screenshot(SCREENSHOTS / "admin-tracks.png")

    browser.goto(live_server.url + reverse("admin:enrichment_review_queue"))
    assert "Gnarls Barkley — Crazy" in text_of(browser, "#content-main")
    browser.screenshot(SCREENSHOTS / "admin-review-queue.png")
    browser.evaluate("document.querySelector('button.sn-accept').click()")
    browser.wait_for("document.querySelector('.messagelist') !== null")
    assert "Accepted spotify" in text_of(browser, ".messagelist")
    crazy.refresh_from_db()
    assert crazy.spotify_id is not None and "review" not in crazy.metadata
    assert len(jobs_of(crazy)) == 1

    browser.goto(live_server.url + reverse("admin:enrichment_track_change", args=[crazy.pk]))
    assert "curator-review" in text_of(browser, "#sn-provenance")
    browser.screenshot(SCREENSHOTS / "admin-track.png")
