"""Per-source pacing: the fast sources first, the slow ones in follow-up jobs of their own,
the track's status the aggregate of every source's latest outcome."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from procrastinate.contrib.django.models import ProcrastinateJob

from enrichment import follow_up_tasks, follow_ups, pacing, pipeline, tasks
from enrichment.models import EnrichmentStatus, SourceOutcome, Track
from enrichment.sources import registry
from enrichment.sources.errors import RateLimited
from tests import fakes as f
from tests.factories import make_track

pytestmark = pytest.mark.django_db
STROBE_ID = "0gxyHStUsqpMadRV0Di1Qt"


class Queued:
    """Stands in for the follow-up queue: remembers what the track's attempt handed over."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, list[str]]] = []

    def __call__(self, track_id: str, providers: list[str]) -> None:
        self.calls.append((track_id, providers))


def strobe(**fields: Any) -> Track:
    return make_track(artist_name="deadmau5", title="Strobe", **fields)


def status_of(track: Track) -> EnrichmentStatus:
    return EnrichmentStatus.objects.get(track=track)


def outcomes(track: Track) -> dict[str, str]:
    return {name: seen["outcome"] for name, seen in status_of(track).source_outcomes.items()}


def slow() -> list[str]:
    return pacing.slow_providers(pipeline.enabled_providers())


def set_rate(settings: Any, api: str, rate: float) -> None:
    settings.SOURCES = {**settings.SOURCES, api: {**settings.SOURCES[api], "rate_limit": rate}}


def test_slow_means_slower_than_every_source_of_bpm_or_key(settings: Any) -> None:
    enabled = pipeline.enabled_providers()
    first = [
        name
        for name in enabled
        if {"bpm", "key_pitch_class"} & set(registry.provider(name).supplies)
    ]
    pace = min(pacing.rate(name) for name in first)
    assert slow() == [name for name in enabled if pacing.rate(name) < pace]
    assert slow() and not set(slow()) & set(first)
    for name in enabled:  # every API as fast as the others: nothing is left behind
        set_rate(settings, registry.provider(name).api, 1000.0)
    assert slow() == []


def test_a_source_made_faster_than_the_bpm_sources_is_asked_in_the_tracks_job(
    settings: Any,
) -> None:
    name = slow()[0]
    set_rate(settings, registry.provider(name).api, 10_000.0)
    assert name not in slow()


def test_follow_ups_are_off_with_the_setting(settings: Any) -> None:
    settings.ENRICH_FOLLOW_UPS = False
    assert pacing.follow_up_providers() == [] and pacing.follow_up_queues() == []
    settings.ENRICH_FOLLOW_UPS = True
    assert pacing.follow_up_queues() == [f"enrich-{name}" for name in slow()]


def test_the_tracks_job_asks_the_fast_sources_and_leaves_the_slow_ones_pending(
    upstream: f.Fakes,
) -> None:
    track = strobe()
    queued = Queued()
    result = pipeline.enrich(track.pk, follow_ups=queued)
    asked = {call.split(".")[0] for call in upstream.called()}
    assert asked and not asked & set(slow())
    assert queued.calls == [(str(track.pk), sorted(slow()))]
    assert result.follow_ups == sorted(slow())
    assert result.status == "partial"  # some data, sources still to answer
    track.refresh_from_db()
    assert (track.bpm, track.camelot_key) == (128.01, "8A")  # visible at once
    for name in slow():
        assert outcomes(track)[name] == "pending"
        assert result.errors[name].startswith("pending: queued on enrich-")


def make_busy(api: str, seconds: float = 30.0) -> None:
    """Book the API's next free slot `seconds` ahead, as callers waiting for turns would."""
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO rate_limit_state (api, theoretical_arrival) VALUES"
            " (%s, extract(epoch FROM clock_timestamp()) + %s) ON CONFLICT (api) DO UPDATE"
            " SET theoretical_arrival = EXCLUDED.theoretical_arrival",
            [api, seconds],
        )


def open_breaker(api: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO circuit_breaker_state (api, state, failure_count, success_count,"
            " opened_at, updated_at) VALUES (%s, 'open', 5, 0, now(), now())"
            " ON CONFLICT (api) DO UPDATE SET state = 'open'",
            [api],
        )


def test_busy_apis_have_a_slot_booked_ahead_or_a_breaker_not_closed() -> None:
    make_busy("lastfm")
    make_busy("discogs", -5.0)  # its last slot is past: free
    assert pacing.busy({"lastfm", "discogs", "musicbrainz"}) == {"lastfm"}  # mb: no row
    open_breaker("musicbrainz")
    assert pacing.busy({"lastfm", "discogs", "musicbrainz"}) == {"lastfm", "musicbrainz"}
    assert pacing.busy(set()) == set()


def test_a_slow_source_whose_api_is_free_is_asked_by_the_tracks_job(
    upstream: f.Fakes, settings: Any
) -> None:
    settings.ENRICH_INLINE_WHEN_IDLE = True
    track = strobe()
    queued = Queued()
    result = pipeline.enrich(track.pk, follow_ups=queued)
    asked = {call.split(".")[0] for call in upstream.called()}
    assert {registry.provider(name).api for name in slow()} <= asked
    assert queued.calls == [] and result.follow_ups == []
    assert result.status == "completed"
    assert all(outcomes(track)[name] == "data" for name in slow())


def test_only_the_slow_sources_with_callers_waiting_go_to_follow_ups(
    upstream: f.Fakes, settings: Any
) -> None:
    settings.ENRICH_INLINE_WHEN_IDLE = True
    busy = slow()[-1]
    make_busy(registry.provider(busy).api)
    track = strobe()
    queued = Queued()
    result = pipeline.enrich(track.pk, follow_ups=queued)
    asked = {call.split(".")[0] for call in upstream.called()}
    assert registry.provider(busy).api not in asked
    assert {registry.provider(name).api for name in slow() if name != busy} <= asked
    assert queued.calls == [(str(track.pk), [busy])]
    assert result.status == "partial" and outcomes(track)[busy] == "pending"


def test_a_free_slow_source_that_fails_transiently_goes_to_its_follow_up(
    upstream: f.Fakes, settings: Any
) -> None:
    settings.ENRICH_INLINE_WHEN_IDLE = True
    failing = slow()[-1]
    api = registry.provider(failing).api
    for method in ("search", "track_info", "track_info_by_mbid", "isrc"):
        upstream.on(api, method, RateLimited(api, "HTTP 429", retry_after=30))
    track = strobe()
    queued = Queued()
    result = pipeline.enrich(track.pk, follow_ups=queued)
    assert api in {call.split(".")[0] for call in upstream.called()}  # asked: it was free
    assert queued.calls == [(str(track.pk), [failing])]
    assert not result.transient  # the track's job is not retried for it: its follow-up is
    assert result.status == "partial" and outcomes(track)[failing] == "pending"


def test_a_source_already_pending_is_left_to_its_follow_up_even_when_free(
    upstream: f.Fakes, settings: Any
) -> None:
    track = strobe()
    pipeline.enrich(track.pk, follow_ups=Queued())  # every slow source pending
    EnrichmentStatus.objects.filter(track=track).update(status="failed")  # a rerun's turn
    settings.ENRICH_INLINE_WHEN_IDLE = True
    upstream.calls.clear()
    queued = Queued()
    pipeline.enrich(track.pk, follow_ups=queued)
    asked = {call.split(".")[0] for call in upstream.called()}
    assert not asked & {registry.provider(name).api for name in slow()}
    assert queued.calls == [(str(track.pk), sorted(slow()))]


def test_a_slow_source_whose_breaker_is_open_is_not_asked_inline(
    upstream: f.Fakes, settings: Any
) -> None:
    settings.ENRICH_INLINE_WHEN_IDLE = True
    name = slow()[0]
    open_breaker(registry.provider(name).api)
    queued = Queued()
    track = strobe()
    pipeline.enrich(track.pk, follow_ups=queued)
    assert queued.calls == [(str(track.pk), [name])]


def test_each_follow_up_merges_its_source_and_the_last_one_completes_the_track(
    upstream: f.Fakes,
) -> None:
    track = strobe()
    pipeline.enrich(track.pk, follow_ups=Queued())
    upstream.calls.clear()
    statuses = [follow_ups.enrich_source(track.pk, name).status for name in slow()]
    assert statuses[:-1] == ["partial"] * (len(statuses) - 1)
    assert statuses[-1] == "completed"
    assert {call.split(".")[0] for call in upstream.called()} == {
        registry.provider(name).api for name in slow()
    }
    track.refresh_from_db()
    assert track.label == "Mau5trap" and track.lastfm_playcount == 912345
    assert (track.bpm, track.camelot_key) == (128.01, "8A")
    assert track.metadata["provenance"]["bpm"]["source"] == "spotify_features"
    assert set(track.metadata["enrichment_sources"]) >= set(slow())
    status = status_of(track)
    assert status.status == "completed" and status.error_message is None
    assert set(outcomes(track).values()) <= SourceOutcome.settled()
    assert all(outcomes(track)[name] == "data" for name in slow())


def test_the_same_follow_up_twice_merges_to_the_same_track(upstream: f.Fakes) -> None:
    track = strobe()
    pipeline.enrich(track.pk, follow_ups=Queued())
    for name in slow():
        follow_ups.enrich_source(track.pk, name)
    track.refresh_from_db()
    before = {name: getattr(track, name) for name in ("label", "lastfm_playcount", "bpm")}
    sources = list(track.metadata["enrichment_sources"])
    result = follow_ups.enrich_source(track.pk, slow()[0])
    track.refresh_from_db()
    assert result.metadata_acquired == []  # nothing merged twice
    assert {name: getattr(track, name) for name in before} == before
    assert track.metadata["enrichment_sources"] == sources


def test_nothing_from_the_fast_sources_leaves_the_track_pending_not_failed(
    upstream: f.Fakes,
) -> None:
    for source, method in [("spotify", "search"), ("deezer", "search")]:
        upstream.on(source, method, [])
    track = strobe()
    result = pipeline.enrich(track.pk, follow_ups=Queued())
    assert result.status == "pending"
    assert status_of(track).retry_count == 0
    for name in slow():
        upstream.on(registry.provider(name).api, "search", [])
        upstream.on(registry.provider(name).api, "track_info", None)
    last = [follow_ups.enrich_source(track.pk, name).status for name in slow()][-1]
    assert last == "failed"  # every source answered: nothing usable
    assert status_of(track).retry_count == 1


def test_a_follow_up_that_fails_keeps_the_track_partial_and_the_rerun_asks_only_it(
    upstream: f.Fakes,
) -> None:
    track = strobe()
    pipeline.enrich(track.pk, follow_ups=Queued())
    failing = slow()[-1]
    api = registry.provider(failing).api
    for method in ("search", "track_info", "track_info_by_mbid", "isrc"):
        upstream.on(api, method, RateLimited(api, "HTTP 429", retry_after=30))
    results = {name: follow_ups.enrich_source(track.pk, name) for name in slow()}
    assert results[failing].status == "partial" and results[failing].retry_after == 30
    assert outcomes(track)[failing] == "rate_limited"
    upstream.calls.clear()
    queued = Queued()
    rerun = pipeline.enrich(track.pk, follow_ups=queued)
    assert upstream.calls == []  # the fast sources have answered: not asked again
    assert queued.calls == [(str(track.pk), [failing])]
    assert rerun.status == "partial" and outcomes(track)[failing] == "pending"


def test_a_crashing_follow_up_is_its_sources_error_not_the_tracks(
    upstream: f.Fakes,
) -> None:
    track = strobe()
    pipeline.enrich(track.pk, follow_ups=Queued())
    crashing = slow()[0]
    api = registry.provider(crashing).api
    for method in ("search", "isrc", "track_info", "track_info_by_mbid"):
        upstream.on(api, method, ZeroDivisionError("bug"))
    with pytest.raises(ZeroDivisionError):
        follow_ups.enrich_source(track.pk, crashing)
    status = status_of(track)
    assert status.source_outcomes[crashing]["outcome"] == "error"
    assert "ZeroDivisionError" in status.source_outcomes[crashing]["detail"]
    assert status.status == "partial" and status.retry_count == 0
    track.refresh_from_db()
    assert track.bpm == 128.01


def test_a_follow_up_beside_a_running_attempt_leaves_its_claim_alone(
    upstream: f.Fakes,
) -> None:
    track = strobe()
    pipeline.enrich(track.pk, follow_ups=Queued())
    assert pipeline.claim(track.pk)
    follow_ups.enrich_source(track.pk, slow()[0])
    status = status_of(track)
    assert status.status == "in_progress" and status.claimed_at is not None
    assert status.source_outcomes[slow()[0]]["outcome"] == "data"


def test_a_pending_mark_never_hides_an_answer_that_came_meanwhile(upstream: f.Fakes) -> None:
    track = strobe()
    pipeline.enrich(track.pk, follow_ups=Queued())
    answered = slow()[0]
    track = Track.objects.select_related("enrichment_status").get(pk=track.pk)
    attempt = pipeline.attempt_for(track, False, split=True)  # a re-run starts...
    follow_ups.enrich_source(track.pk, answered)  # ...a follow-up answers meanwhile
    queued = Queued()
    pipeline.persist(track.pk, attempt, queued)
    assert outcomes(track)[answered] == "data"
    assert queued.calls == [(str(track.pk), sorted(set(slow()) - {answered}))]


def test_a_track_with_a_follow_up_in_its_queue_gets_no_new_job(
    upstream: f.Fakes, transactional_db: Any
) -> None:
    ProcrastinateJob.objects.all().delete()
    busy, idle = make_track(), make_track()
    follow_up_tasks.defer_follow_ups(str(busy.pk), slow()[:1])
    job = ProcrastinateJob.objects.get(task_name=follow_up_tasks.FOLLOW_UP_TASK)
    assert job.queue_name == f"enrich-{slow()[0]}"
    assert job.queueing_lock == f"enrich:{busy.pk}:{slow()[0]}"
    follow_up_tasks.defer_follow_ups(str(busy.pk), slow()[:1])  # one per track and source
    assert ProcrastinateJob.objects.filter(task_name=follow_up_tasks.FOLLOW_UP_TASK).count() == 1
    queued = tasks.defer_enrichment([busy.pk, idle.pk])
    assert queued[str(busy.pk)] is None and queued[str(idle.pk)] is not None
