"""The admin's DJ library tools: upload with a dry-run preview, export action, mixes-with panel."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from enrichment import track_metadata
from enrichment.models import Track
from tests.factories import make_track

pytestmark = pytest.mark.django_db
IMPORT = reverse("admin:enrichment_track_import")
CHANGELIST = reverse("admin:enrichment_track_changelist")
REKORDBOX = Path(__file__).parent.parent / "fixtures" / "dj" / "rekordbox.xml"


def upload(client: Client) -> str:
    file = SimpleUploadedFile("collection.xml", REKORDBOX.read_bytes(), "application/xml")
    response = client.post(IMPORT, {"file": file, "format": ""})
    assert response.status_code == 200
    return response.content.decode()


def test_an_upload_is_previewed_without_importing_then_imported_on_confirm(
    curator_client: Client,
) -> None:
    page = upload(curator_client)
    assert "Would be: 2 created, 0 updated, 0 unchanged, 1 refused" in page
    assert "entry 2 (TrackID 102): AverageBpm" in page
    assert not Track.objects.exists()
    response = curator_client.post(IMPORT, {"confirm": "1"})
    assert response.status_code == 302
    assert Track.objects.count() == 2
    said = [str(m) for m in get_messages(response.wsgi_request)]
    assert said == ["Imported collection.xml: 2 created, 0 updated, 0 unchanged, 1 refused"]


def test_viewers_may_not_import(viewer_client: Client) -> None:
    assert viewer_client.get(IMPORT).status_code == 403


def test_the_export_action_streams_the_selection_in_the_chosen_format(
    curator_client: Client,
) -> None:
    chosen = make_track(title="Chosen", bpm=124.0, camelot_key="5A", key_pitch_class=0, key_mode=0)
    track_metadata.set_location(chosen, "/music/chosen.mp3")
    chosen.save()
    make_track(title="Other")
    data = {"action": "export_library", "index": 0, "_selected_action": [str(chosen.pk)]}
    form = curator_client.post(CHANGELIST, data)
    assert b"Key notation" in form.content
    response = curator_client.post(
        CHANGELIST, {**data, "apply": "1", "format": "m3u", "key_notation": "musical"}
    )
    text = b"".join(response.streaming_content).decode()  # type: ignore[attr-defined]
    assert text == f"#EXTM3U\n#EXTINF:-1,{chosen.artist_name} - Chosen\n/music/chosen.mp3\n"


def test_the_track_page_lists_tracks_that_mix_with_it(curator_client: Client) -> None:
    track = make_track(title="Source", camelot_key="8A", bpm=128.0)
    make_track(title="Neighbour", camelot_key="9A", bpm=127.0)
    make_track(title="Clash", camelot_key="2B", bpm=128.0)
    page = curator_client.get(reverse("admin:enrichment_track_change", args=[track.pk]))
    assert "Neighbour" in page.content.decode()
    assert "Clash" not in page.content.decode()
