"""Identifier notes: shown on the track page, filterable in the list, resolved by Curators only."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse

from enrichment import pipeline, track_metadata
from enrichment.models import Track
from tests import fakes as f
from tests.factories import make_track

pytestmark = pytest.mark.django_db
ISRC = "USUS11000356"
AT = datetime(2026, 1, 5, 12, 0, tzinfo=UTC)
LIST_URL = reverse("admin:enrichment_track_changelist")


def noted(track: Track, kind: str, source: str, **fields: Any) -> Track:
    """The track with one note, saved."""
    details = fields.pop("details", ["artist 'deadmau5' vs 'デッドマウス'"])
    entry = track_metadata.note_entry(fields.pop("identifier", ISRC), "isrc", details, AT, **fields)
    track_metadata.add_note(track, kind, source, entry)
    track.save()
    return track


@pytest.fixture
def conflict() -> tuple[Track, Track]:
    """A track whose provider ISRC another track of ours (a different version) holds."""
    holder = make_track(artist_name="deadmau5", title="Strobe (Club Edit)", isrc=ISRC)
    track = make_track(artist_name="deadmau5", title="Strobe")
    details = [f"held by 'Strobe (Club Edit)' by deadmau5 (track {holder.pk})"]
    return noted(track, "isrc_conflict", "catalogue", details=details, holder=holder.pk), holder


def resolve(client: Client, track: Track, kind: str, source: str, decision: str) -> Any:
    url = reverse("admin:enrichment_note_resolve", args=[track.pk, kind, source])
    return client.post(url, {"decision": decision})


def last_message(response: Any) -> str:
    return [str(m) for m in get_messages(response.wsgi_request)][-1]


def page(client: Client, track: Track) -> str:
    return client.get(reverse("admin:enrichment_track_change", args=[track.pk])).content.decode()


def listed(client: Client, query: str) -> str:
    return client.get(f"{LIST_URL}?{query}").content.decode()


def test_the_track_page_shows_each_note_with_its_details_and_the_curators_buttons(
    curator_client: Client, conflict: tuple[Track, Track]
) -> None:
    track, holder = conflict
    html = page(curator_client, track)
    assert 'id="sn-notes"' in html and "ISRC conflict" in html
    assert f"held by &#x27;Strobe (Club Edit)&#x27; by deadmau5 (track {holder.pk})" in html
    assert "Keep ISRC on this track" in html and "Dismiss" in html


def test_a_viewer_sees_the_notes_but_no_buttons(
    viewer_client: Client, conflict: tuple[Track, Track]
) -> None:
    html = page(viewer_client, conflict[0])
    assert "ISRC conflict" in html
    assert "Keep ISRC on this track" not in html and "Dismiss</button>" not in html


def test_the_list_filters_tracks_by_note_kind(curator_client: Client) -> None:
    other_script = noted(make_track(title="Strobe"), "text_disagrees", "deezer")
    plain = make_track(title="Ghosts and Stuff")
    both = listed(curator_client, "notes=yes")
    assert other_script.title in both and plain.title not in both
    assert other_script.title in listed(curator_client, "notes=text_disagrees")
    assert other_script.title not in listed(curator_client, "notes=isrc_conflict")
    assert plain.title in listed(curator_client, "notes=no")
    assert "sn-flag sn-notes" in both


def test_keeping_the_isrc_moves_it_here_and_locks_it_on_both_tracks(
    curator_client: Client, curator: Any, conflict: tuple[Track, Track]
) -> None:
    track, holder = conflict
    response = resolve(curator_client, track, "isrc_conflict", "catalogue", "kept")
    assert last_message(response) == f"Kept ISRC {ISRC} on {track}."
    track.refresh_from_db()
    holder.refresh_from_db()
    assert (track.isrc, holder.isrc) == (ISRC, None)
    assert "isrc" in track.locked_fields and "isrc" in holder.locked_fields
    assert track_metadata.provenance(track)["isrc"]["curator"] == curator.username
    assert "notes" not in track.metadata
    (done,) = track_metadata.resolved_notes(track)
    assert (done["kind"], done["decision"], done["by"]) == ("isrc_conflict", "kept", "carla")


def test_a_dismissed_note_is_not_raised_again_by_the_next_enrichment(
    curator_client: Client, upstream: f.Fakes
) -> None:
    upstream.on("deezer", "track_by_isrc", f.deezer_track(artist="デッドマウス"))
    track = make_track(artist_name="deadmau5", title="Strobe", isrc=ISRC)
    pipeline.enrich(track.pk)
    track.refresh_from_db()
    assert "deezer" in track_metadata.notes(track)["text_disagrees"]
    resolve(curator_client, track, "text_disagrees", "deezer", "dismissed")
    pipeline.enrich(track.pk, force_refresh=True)
    track.refresh_from_db()
    assert track_metadata.notes(track) == {}
    assert track.deezer_id == 3135556  # the identifier match itself was never in question


def test_only_an_isrc_conflict_can_be_kept(curator_client: Client) -> None:
    track = noted(make_track(title="Strobe"), "text_disagrees", "deezer")
    response = resolve(curator_client, track, "text_disagrees", "deezer", "kept")
    assert "only an ISRC conflict" in last_message(response)
    track.refresh_from_db()
    assert track.isrc is None and "deezer" in track_metadata.notes(track)["text_disagrees"]


def test_a_note_already_resolved_changes_nothing(
    curator_client: Client, conflict: tuple[Track, Track]
) -> None:
    track, _ = conflict
    resolve(curator_client, track, "isrc_conflict", "catalogue", "dismissed")
    response = resolve(curator_client, track, "isrc_conflict", "catalogue", "kept")
    assert "no ISRC conflict note from catalogue" in last_message(response)
    track.refresh_from_db()
    assert track.isrc is None


def test_a_viewer_cannot_resolve_a_note(
    viewer_client: Client, conflict: tuple[Track, Track]
) -> None:
    track, holder = conflict
    assert resolve(viewer_client, track, "isrc_conflict", "catalogue", "kept").status_code == 403
    track.refresh_from_db()
    holder.refresh_from_db()
    assert holder.isrc == ISRC and "isrc_conflict" in track_metadata.notes(track)


def test_an_unknown_decision_changes_nothing(
    curator_client: Client, conflict: tuple[Track, Track]
) -> None:
    track, _ = conflict
    response = resolve(curator_client, track, "isrc_conflict", "catalogue", "merge")
    assert "decision must be one of kept, dismissed" in last_message(response)
    track.refresh_from_db()
    assert "isrc_conflict" in track_metadata.notes(track)


def test_the_dashboard_links_to_the_tracks_with_notes(curator_client: Client) -> None:
    html = curator_client.get(reverse("admin:enrichment_dashboard")).content.decode()
    assert f'href="{LIST_URL}?notes=yes"' in html
