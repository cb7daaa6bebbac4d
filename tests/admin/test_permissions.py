"""Staff only; curators act; viewers look (no actions, no buttons, 403 on every write)."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group, User
from django.test import Client
from django.urls import reverse

from enrichment.models import Track
from tests.admin.factories import SPOTIFY_A, jobs_of, spotify_candidates, with_review
from tests.factories import make_track

pytestmark = pytest.mark.django_db
CHANGELIST = reverse("admin:enrichment_track_changelist")


@pytest.fixture
def uncertain() -> Track:
    track = make_track(artist_name="Gnarls Barkley", title="Crazy", status="failed")
    return with_review(track, "spotify", spotify_candidates(track))


def writes(track: Track) -> dict[str, tuple[str, dict[str, str]]]:
    """Every POST endpoint that changes something, with valid data."""
    return {
        "enrich": (reverse("admin:enrichment_track_enrich", args=[track.pk]), {}),
        "reset": (reverse("admin:enrichment_track_reset", args=[track.pk]), {}),
        "accept": (
            reverse("admin:enrichment_review_accept", args=[track.pk, "spotify"]),
            {"identifier": SPOTIFY_A},
        ),
        "reject": (reverse("admin:enrichment_review_reject", args=[track.pk, "spotify"]), {}),
        "purge": (reverse("admin:enrichment_apicache_purge"), {}),
    }


def test_groups_grant_what_each_role_needs(roles: None) -> None:
    def codenames(name: str) -> set[str]:
        group = Group.objects.get(name=name)
        return {f"{p.content_type.app_label}.{p.codename}" for p in group.permissions.all()}

    viewers, curators = codenames("Viewers"), codenames("Curators")
    assert "enrichment.view_track" in viewers
    assert "procrastinate.view_procrastinatejob" in viewers
    assert not {p for p in viewers if not p.split(".")[1].startswith("view_")}
    assert {"enrichment.change_track", "enrichment.enrich_track"} <= curators
    assert "enrichment.delete_apicache" in curators
    assert "enrichment.delete_track" not in curators


def test_viewer_gets_403_on_every_write_and_nothing_changes(
    viewer_client: Client, uncertain: Track
) -> None:
    for name, (url, data) in writes(uncertain).items():
        assert viewer_client.post(url, data).status_code == 403, name
    track = Track.objects.get(pk=uncertain.pk)
    assert track.spotify_id is None and "spotify" in track.metadata["review"]
    assert jobs_of(track) == []


def test_viewer_sees_no_actions_and_cannot_post_one(
    viewer_client: Client, uncertain: Track
) -> None:
    page = viewer_client.get(CHANGELIST)
    assert page.status_code == 200
    assert page.context["action_form"] is None  # no action dropdown at all
    data = {"action": "re_enrich", "index": 0, "_selected_action": [str(uncertain.pk)]}
    viewer_client.post(CHANGELIST, data)
    assert jobs_of(uncertain) == []


def test_viewer_sees_pages_without_decision_buttons(
    viewer_client: Client, uncertain: Track
) -> None:
    queue = viewer_client.get(reverse("admin:enrichment_review_queue")).content.decode()
    assert "Gnarls Barkley" in queue and "sn-accept" not in queue
    assert "You can look, not decide" in queue
    track_page = viewer_client.get(reverse("admin:enrichment_track_change", args=[uncertain.pk]))
    html = track_page.content.decode()
    assert track_page.status_code == 200 and "sn-accept" not in html
    assert 'id="sn-re-enrich"' not in html and 'name="_save"' not in html
    assert viewer_client.get(reverse("admin:enrichment_dashboard")).status_code == 200
    cache = viewer_client.get(reverse("admin:enrichment_apicache_changelist")).content.decode()
    assert "sn-purge-expired" not in cache


def test_curator_may_do_everything_a_viewer_may_not(
    curator_client: Client, uncertain: Track
) -> None:
    responses = {
        name: curator_client.post(url, data).status_code
        for name, (url, data) in writes(uncertain).items()
    }
    assert set(responses.values()) == {302}, responses
    page = curator_client.get(CHANGELIST)
    actions = {name for name, _ in page.context["action_form"].fields["action"].choices}
    assert {"re_enrich", "re_enrich_force", "reset", "lock_or_unlock"} <= actions
    assert "delete_selected" not in actions


def test_staff_without_a_role_and_non_staff_are_kept_out(db: None, uncertain: Track) -> None:
    nobody = User.objects.create_user("nobody", is_staff=True)
    outsider = User.objects.create_user("outsider", is_staff=False)
    client = Client()
    client.force_login(nobody)
    assert client.get(reverse("admin:enrichment_dashboard")).status_code == 403
    assert client.get(CHANGELIST).status_code == 403
    client.force_login(outsider)
    response = client.get(reverse("admin:enrichment_dashboard"))
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
    anonymous = Client().post(writes(uncertain)["enrich"][0])
    assert anonymous.status_code == 302 and jobs_of(uncertain) == []


def test_job_admin_actions_are_for_curators_and_its_list_stays_small(
    viewer_client: Client, curator_client: Client, uncertain: Track
) -> None:
    jobs = reverse("admin:procrastinate_procrastinatejob_changelist")
    curator_client.post(reverse("admin:enrichment_track_enrich", args=[uncertain.pk]))
    viewer_page = viewer_client.get(jobs)
    assert viewer_page.status_code == 200 and viewer_page.context["action_form"] is None
    curator_page = curator_client.get(jobs)
    actions = {name for name, _ in curator_page.context["action_form"].fields["action"].choices}
    assert {"retry", "cancel", "abort"} <= actions
    assert "queueing_lock" not in curator_page.content.decode()  # no one-link-per-job filter
