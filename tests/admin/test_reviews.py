"""The review queue: candidates side by side; accepting writes identifiers, rejecting records."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse

from enrichment.matching import Candidate
from enrichment.models import EnrichmentStatus, Track
from tests.admin.factories import (
    MBID_A,
    SPOTIFY_A,
    SPOTIFY_B,
    jobs_of,
    spotify_candidates,
    with_review,
)
from tests.factories import make_track

pytestmark = pytest.mark.django_db
QUEUE_URL = reverse("admin:enrichment_review_queue")


def accept(client: Client, track: Track, provider: str, identifier: str) -> Any:
    url = reverse("admin:enrichment_review_accept", args=[track.pk, provider])
    return client.post(url, {"identifier": identifier, "next": QUEUE_URL})


def reject(client: Client, track: Track, provider: str) -> Any:
    return client.post(reverse("admin:enrichment_review_reject", args=[track.pk, provider]))


def last_message(response: Any) -> str:
    return [str(m) for m in get_messages(response.wsgi_request)][-1]


@pytest.fixture
def uncertain() -> Track:
    """A track the pipeline could not decide on Spotify, with MusicBrainz also in review."""
    track = make_track(artist_name="Gnarls Barkley", title="Crazy", status="partial")
    with_review(track, "spotify", spotify_candidates(track))
    mb = Candidate("musicbrainz", MBID_A, "Gnarls Barkley", "Crazy", ("Gnarls Barkley",))
    return with_review(track, "musicbrainz", [mb])


def test_review_queue_shows_candidates_with_scores_and_components(
    curator_client: Client, uncertain: Track
) -> None:
    make_track(title="Settled")  # tracks without a review are not listed
    page = curator_client.get(QUEUE_URL)
    html = page.content.decode()
    assert page.status_code == 200
    assert "1 track(s) awaiting review" in html
    assert f"https://open.spotify.com/track/{SPOTIFY_A}" in html
    assert f"https://musicbrainz.org/recording/{MBID_A}" in html
    for component in ("title", "artist", "version", "duration"):
        assert f'<th class="sn-num">{component}</th>' in html
    assert "review: margin 0.02 below 0.08" in html
    assert html.count('class="button sn-accept"') == 3
    assert "Reject all spotify candidates" in html


def test_review_queue_can_narrow_to_one_provider(curator_client: Client, uncertain: Track) -> None:
    other = make_track()
    with_review(other, "musicbrainz", [Candidate("musicbrainz", MBID_A, "A", "B")])
    html = curator_client.get(QUEUE_URL, {"provider": "spotify"}).content.decode()
    assert "1 track(s) awaiting review by spotify" in html
    assert str(other.pk) not in html


def test_accepting_a_candidate_writes_its_identifiers_with_curator_provenance(
    curator_client: Client, uncertain: Track
) -> None:
    response = accept(curator_client, uncertain, "spotify", SPOTIFY_B)
    assert response.status_code == 302 and response["Location"] == QUEUE_URL
    track = Track.objects.get(pk=uncertain.pk)
    assert (track.spotify_id, track.isrc) == (SPOTIFY_B, "GBAYE0601499")
    provenance = track.metadata["provenance"]["spotify_id"]
    assert provenance["source"] == "curator-review"
    assert provenance["curator"] == "carla"
    assert provenance["provider"] == "spotify"
    assert track.metadata["provenance"]["isrc"]["source"] == "curator-review"
    assert {"spotify_id", "isrc"} <= set(track.locked_fields)
    assert list(track.metadata["review"]) == ["musicbrainz"]  # only Spotify's entry went
    assert track.metadata["reviewed"]["spotify"]["decision"] == "accepted"
    [job] = jobs_of(track)  # the rest of the sources are asked again
    assert job.status == "todo" and job.args["force_refresh"] is False
    assert last_message(response).startswith(f"Accepted spotify {SPOTIFY_B} for ")


def test_accepting_the_last_review_clears_the_needs_review_flag(
    curator_client: Client, uncertain: Track
) -> None:
    accept(curator_client, uncertain, "spotify", SPOTIFY_A)
    accept(curator_client, uncertain, "musicbrainz", MBID_A)
    track = Track.objects.get(pk=uncertain.pk)
    assert "review" not in track.metadata
    assert track.musicbrainz_id == uuid.UUID(MBID_A)
    assert not Track.objects.filter(metadata__has_key="review").exists()


def test_accepting_keeps_an_isrc_another_track_holds(
    curator_client: Client, uncertain: Track
) -> None:
    holder = make_track(isrc="GBAYE0601498")
    response = accept(curator_client, uncertain, "spotify", SPOTIFY_A)
    track = Track.objects.get(pk=uncertain.pk)
    assert track.spotify_id == SPOTIFY_A and track.isrc is None
    assert f"kept isrc (already held by {holder})" in last_message(response)


def test_accepting_keeps_a_spotify_id_another_track_holds(
    curator_client: Client, uncertain: Track
) -> None:
    holder = make_track(spotify_id=SPOTIFY_A)
    response = accept(curator_client, uncertain, "spotify", SPOTIFY_A)
    track = Track.objects.get(pk=uncertain.pk)
    assert track.spotify_id is None and track.isrc == "GBAYE0601498"
    assert f"kept spotify_id (already held by {holder})" in last_message(response)


def test_accepting_a_discogs_release_settles_discogs_so_it_is_not_searched_again(
    curator_client: Client,
) -> None:
    track = make_track(artist_name="Moderat", title="Bad Kingdom", status="partial")
    releases = [Candidate("discogs", str(n), "Moderat", "Bad Kingdom") for n in (4613837, 4613838)]
    with_review(track, "discogs", releases)
    accept(curator_client, track, "discogs", "4613838")
    track.refresh_from_db()
    assert track.discogs_id == 4613838 and "discogs_id" in track.locked_fields
    outcome = EnrichmentStatus.objects.get(track=track).source_outcomes["discogs"]
    assert outcome["outcome"] == "data"


def test_accepting_a_deezer_track_leaves_deezer_to_look_it_up_by_its_id(
    curator_client: Client,
) -> None:
    # Deezer looks a track up by its own id, so the next run fetches the accepted track's
    # bpm and gain instead of settling Deezer without them (no ISRC needed).
    track = make_track(artist_name="Moderat", title="Bad Kingdom", status="partial")
    tracks = [Candidate("deezer", str(n), "Moderat", "Bad Kingdom") for n in (3135556, 3135557)]
    with_review(track, "deezer", tracks)
    accept(curator_client, track, "deezer", "3135557")
    track.refresh_from_db()
    assert track.deezer_id == 3135557 and track.isrc is None
    outcomes = EnrichmentStatus.objects.get(track=track).source_outcomes
    assert outcomes.get("deezer", {}).get("outcome") != "data"
    assert len(jobs_of(track)) == 1


def test_accepting_a_candidate_that_is_gone_changes_nothing(
    curator_client: Client, uncertain: Track
) -> None:
    response = accept(curator_client, uncertain, "spotify", "0000000000000000000000")
    track = Track.objects.get(pk=uncertain.pk)
    assert track.spotify_id is None and set(track.metadata["review"]) == {"spotify", "musicbrainz"}
    assert jobs_of(track) == []
    assert "is not among the spotify candidates" in last_message(response)


def test_rejecting_records_the_candidates_and_settles_the_provider(
    curator_client: Client, uncertain: Track
) -> None:
    response = reject(curator_client, uncertain, "spotify")
    track = Track.objects.get(pk=uncertain.pk)
    assert track.spotify_id is None
    assert track.metadata["rejected"]["spotify"] == sorted([SPOTIFY_A, SPOTIFY_B])
    assert track.metadata["reviewed"]["spotify"]["decision"] == "rejected"
    assert list(track.metadata["review"]) == ["musicbrainz"]
    outcome = EnrichmentStatus.objects.get(track=track).source_outcomes["spotify"]
    assert outcome["outcome"] == "not_found"  # the next ordinary run does not re-propose them
    assert len(jobs_of(track)) == 1
    assert last_message(response).startswith("Rejected the spotify candidates")


def test_rejecting_twice_reports_that_nothing_is_waiting(
    curator_client: Client, uncertain: Track
) -> None:
    reject(curator_client, uncertain, "spotify")
    response = reject(curator_client, uncertain, "spotify")
    assert "no spotify review is waiting" in last_message(response)


def test_track_page_shows_the_review_with_its_decision_buttons(
    curator_client: Client, uncertain: Track
) -> None:
    html = curator_client.get(reverse("admin:enrichment_track_change", args=[uncertain.pk]))
    content = html.content.decode()
    assert 'id="sn-review"' in content
    assert reverse("admin:enrichment_review_accept", args=[uncertain.pk, "spotify"]) in content
