"""Curator actions: they really queue jobs, reset statuses and set locks, and say what they did."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse

from enrichment.admin import curation
from enrichment.admin.curation import CURATOR_PRIORITY
from enrichment.models import EnrichmentStatus, JobQuerySet, Track
from enrichment.tasks import defer_enrichment
from tests.admin.factories import jobs_of
from tests.factories import make_track

pytestmark = pytest.mark.django_db
CHANGELIST = reverse("admin:enrichment_track_changelist")


def act(client: Client, action: str, tracks: list[Track], query: str = "", **extra: Any) -> Any:
    data = {"action": action, "index": 0, "_selected_action": [str(t.pk) for t in tracks], **extra}
    return client.post(f"{CHANGELIST}{query}", data)


def messages_of(response: Any) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def test_re_enrich_defers_one_job_per_selected_track_ahead_of_the_backlog(
    curator_client: Client,
) -> None:
    chosen, other = [make_track(), make_track()], make_track()
    response = act(curator_client, "re_enrich", chosen)
    assert response.status_code == 302
    for track in chosen:
        [job] = jobs_of(track)
        assert job.task_name == "enrichment.enrich_track"
        assert job.status == "todo"
        assert job.priority == CURATOR_PRIORITY
        assert job.args == {"track_id": str(track.pk), "force_refresh": False}
    assert jobs_of(other) == []
    assert messages_of(response) == ["Queued enrichment of 2 track(s); 0 already queued."]


def test_re_enrich_counts_tracks_that_already_have_a_job_waiting(curator_client: Client) -> None:
    waiting, fresh = make_track(), make_track()
    defer_enrichment([waiting.pk])
    response = act(curator_client, "re_enrich", [waiting, fresh])
    assert len(jobs_of(waiting)) == 1 and len(jobs_of(fresh)) == 1
    assert messages_of(response) == ["Queued enrichment of 1 track(s); 1 already queued."]


def test_force_refresh_action_queues_jobs_that_bypass_the_cache(curator_client: Client) -> None:
    track = make_track()
    response = act(curator_client, "re_enrich_force", [track])
    [job] = jobs_of(track)
    assert job.args["force_refresh"] is True
    assert "force refresh" in messages_of(response)[0]


def test_select_all_matching_queues_every_filtered_track_in_batches(
    curator_client: Client, monkeypatch: pytest.MonkeyPatch, django_assert_max_num_queries: Any
) -> None:
    monkeypatch.setattr(curation, "BATCH_SIZE", 7)
    failed = [make_track(status="failed") for _ in range(30)]
    completed = [make_track(status="completed") for _ in range(5)]
    defer_enrichment([failed[0].pk])
    # 30 tracks in batches of 7: a handful of statements per batch, not several per track.
    with django_assert_max_num_queries(40):
        response = act(curator_client, "re_enrich", failed[:2], "?status=failed", select_across=1)
    assert messages_of(response) == ["Queued enrichment of 29 track(s); 1 already queued."]
    assert all(len(jobs_of(track)) == 1 for track in failed)
    assert not any(jobs_of(track) for track in completed)


def test_a_job_queued_meanwhile_falls_back_to_one_by_one(monkeypatch: pytest.MonkeyPatch) -> None:
    first, second = make_track(), make_track()
    # The look-up misses a job queued after it: the batch insert conflicts, and the fallback
    # still queues the other track and counts the conflicting one as already queued.
    monkeypatch.setattr(JobQuerySet, "held_locks", _sees_nothing)
    defer_enrichment([first.pk])
    report = curation.defer_batch([str(first.pk), str(second.pk)], force_refresh=False, priority=0)
    monkeypatch.undo()
    assert report == curation.QueueReport(queued=1, already_queued=1)
    assert len(jobs_of(second)) == 1


def _sees_nothing(*args: Any, **kwargs: Any) -> Any:
    return set()


def test_reset_retries_gives_failed_tracks_back_to_the_queue(curator_client: Client) -> None:
    failed = make_track(status="failed")
    partial = make_track(status="partial")
    busy = make_track(status="in_progress")
    EnrichmentStatus.objects.update(retry_count=3, error_message="spotify: transient")
    response = act(curator_client, "reset", [failed, partial, busy])
    statuses = {s.track_id: s for s in EnrichmentStatus.objects.all()}
    assert (statuses[failed.pk].status, statuses[failed.pk].retry_count) == ("pending", 0)
    assert (statuses[partial.pk].status, statuses[partial.pk].retry_count) == ("partial", 0)
    assert (statuses[busy.pk].status, statuses[busy.pk].retry_count) == ("in_progress", 3)
    assert messages_of(response) == ["Reset retries of 2 track(s)."]


def test_lock_action_asks_which_fields_then_locks_them(curator_client: Client) -> None:
    first = make_track(locked_fields=["label"])
    second = make_track()
    form = act(curator_client, "lock_or_unlock", [first, second])
    assert form.status_code == 200
    assert b"Lock or unlock fields" in form.content and b'name="names"' in form.content
    response = act(
        curator_client,
        "lock_or_unlock",
        [first, second],
        apply=1,
        operation="lock",
        names=["bpm", "camelot_key", "label"],
    )
    assert response.status_code == 302
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.locked_fields == ["bpm", "camelot_key", "label"]
    assert second.locked_fields == ["bpm", "camelot_key", "label"]
    assert messages_of(response) == ["Locked bpm, camelot_key, label on 2 track(s)."]


def test_unlock_over_select_all_matching_removes_only_the_chosen_fields(
    curator_client: Client,
) -> None:
    locked = [make_track(locked_fields=["bpm", "isrc"], status="failed") for _ in range(3)]
    untouched = make_track(locked_fields=["bpm"], status="completed")
    act(
        curator_client,
        "lock_or_unlock",
        locked[:1],
        "?status=failed",
        select_across=1,
        apply=1,
        operation="unlock",
        names=["bpm"],
    )
    assert {
        tuple(t.locked_fields) for t in Track.objects.filter(pk__in=[t.pk for t in locked])
    } == {("isrc",)}
    untouched.refresh_from_db()
    assert untouched.locked_fields == ["bpm"]


def test_lock_form_refuses_unknown_fields(curator_client: Client) -> None:
    track = make_track()
    response = act(
        curator_client, "lock_or_unlock", [track], apply=1, operation="lock", names=["secret"]
    )
    assert response.status_code == 200  # the form again, with its error
    track.refresh_from_db()
    assert track.locked_fields == []


def test_track_page_buttons_queue_and_reset_one_track(curator_client: Client) -> None:
    track = make_track(status="failed")
    EnrichmentStatus.objects.filter(track=track).update(retry_count=3)
    page = reverse("admin:enrichment_track_change", args=[track.pk])
    enrich = reverse("admin:enrichment_track_enrich", args=[track.pk])
    response = curator_client.post(enrich, {"force_refresh": "1"})
    assert response.status_code == 302 and response["Location"] == page
    assert jobs_of(track)[0].args["force_refresh"] is True
    again = curator_client.post(enrich)
    assert messages_of(again)[-1] == "Queued enrichment of 0 track(s); 1 already queued."
    curator_client.post(reverse("admin:enrichment_track_reset", args=[track.pk]))
    status = EnrichmentStatus.objects.get(track=track)
    assert (status.status, status.retry_count) == ("pending", 0)


def test_buttons_return_only_to_pages_of_this_site(curator_client: Client) -> None:
    track = make_track()
    enrich = reverse("admin:enrichment_track_enrich", args=[track.pk])
    response = curator_client.post(enrich, {"next": "https://evil.example/"})
    assert response["Location"] == reverse("admin:enrichment_track_change", args=[track.pk])


def test_editing_a_field_on_the_track_page_records_and_locks_it(curator_client: Client) -> None:
    track = make_track(bpm=120.0)
    page = reverse("admin:enrichment_track_change", args=[track.pk])
    form = curator_client.get(page).context["adminform"].form
    data = {name: value for name, value in form.initial.items() if value is not None}
    data.update(bpm="128", key_pitch_class="9", key_mode="0", locked_fields=[])
    data = {k: ("" if v is None else v) for k, v in data.items() if k in form.fields}
    response = curator_client.post(page, {**data, "_continue": "1"})
    assert response.status_code == 302, response.context["adminform"].form.errors
    track.refresh_from_db()
    assert track.bpm == 128.0
    assert (track.key, track.camelot_key, track.open_key) == ("A minor", "8A", "1m")
    assert set(track.locked_fields) >= {"bpm", "key_pitch_class", "key_mode", "camelot_key"}
    assert track.metadata["provenance"]["bpm"]["source"] == "curator"
    assert track.metadata["provenance"]["bpm"]["curator"] == "carla"


def test_queueing_stops_at_the_time_budget_and_says_how_to_carry_on(
    curator_client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(curation, "BATCH_SIZE", 2)
    monkeypatch.setattr(curation, "QUEUE_TIME_BUDGET", -1.0)  # spent after the first batch
    tracks = [make_track(status="failed") for _ in range(5)]
    first = act(curator_client, "re_enrich", tracks[:1], "?status=failed", select_across=1)
    assert sum(len(jobs_of(t)) for t in tracks) == 2
    assert "run the action again to queue the rest" in messages_of(first)[-1]
    monkeypatch.setattr(curation, "QUEUE_TIME_BUDGET", 20.0)
    again = act(curator_client, "re_enrich", tracks[:1], "?status=failed", select_across=1)
    assert all(len(jobs_of(t)) == 1 for t in tracks)
    assert messages_of(again)[-1] == "Queued enrichment of 3 track(s); 2 already queued."
