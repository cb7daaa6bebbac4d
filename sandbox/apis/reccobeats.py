"""Simulated ReccoBeats audio features looked up by Spotify track ids."""

# https://reccobeats.com/docs/apis/get-audio-features (ids unknown to it are simply absent).
# Bodies as recorded from the real API: each row carries the recording's `isrc`; a request it
# refuses is `{"status": 4004, "errors": [{"path": ..., "message": ...}]}` with HTTP 400.

from __future__ import annotations

from typing import Any

from enrichment.sources.registry import provider
from sandbox.apis.common import Api, Simulated, issuer, method_not_allowed, sandbox_path
from sandbox.base import Context, Request, Response, json_response
from sandbox.records import Recording

MAX_IDS = 40
VALIDATION = 4004  # ReccoBeats's own code for a request that fails validation
IDS_PATH = "getAudioFeatures.ids"
# Each item links back to the public page of the track whose id it was asked for.
TRACK_PAGE = provider(issuer("spotify_id")).link_template or "{}"


def error(status: int, message: str, headers: dict[str, str] | None = None) -> Response:
    """ReccoBeats's common error body."""
    return json_response(status, {"error": message, "status": status}, headers)


def invalid(path: str, message: str) -> Response:
    """HTTP 400 with ReccoBeats's validation body."""
    body = {"status": VALIDATION, "errors": [{"path": path, "message": message}]}
    return json_response(400, body)


def too_many(retry_after: int) -> Response:
    """429 with Retry-After in seconds."""
    return error(429, "Too Many Requests", {"Retry-After": str(retry_after)})


def failure(status: int) -> Response:
    """A 5xx."""
    return error(status, "Internal Server Error" if status == 500 else "Service Unavailable")


def handle(request: Request, path: str, ctx: Context) -> Response:
    """Route /reccobeats/v1 requests."""
    if request.method != "GET":
        return method_not_allowed()
    if path.rstrip("/") != "/audio-features":
        return error(404, "Not Found")
    ids = [i.strip() for i in request.query.get("ids", "").split(",") if i.strip()]
    if not 1 <= len(ids) <= MAX_IDS:
        return invalid(IDS_PATH, f"size must be between 1 and {MAX_IDS}")
    found = (ctx.catalogue.by_spotify_id.get(i) for i in ids)
    content = [features_object(r) for r in found if r is not None and r.on("reccobeats")]
    return json_response(200, {"content": content})


def features_object(recording: Recording) -> dict[str, Any]:
    """Audio features keyed by ReccoBeats's own id, linking back to the Spotify track."""
    features = recording.features
    assert features is not None
    return {
        "id": recording.reccobeats_id,
        "href": TRACK_PAGE.format(recording.spotify_id),
        "isrc": recording.isrc,
        "acousticness": features.acousticness,
        "danceability": features.danceability,
        "energy": features.energy,
        "instrumentalness": features.instrumentalness,
        "key": features.key,
        "liveness": features.liveness,
        "loudness": features.loudness,
        "mode": features.mode,
        "speechiness": features.speechiness,
        "tempo": features.tempo,
        "valence": features.valence,
    }


SIMULATED = Simulated(
    name="reccobeats",
    position=5,
    apis=(
        Api(
            "reccobeats", sandbox_path("reccobeats"), handle, too_many, failure, "reccobeats",
            limit_per_s=5.0, window_s=1.0,
        ),
    ),
    # ReccoBeats has features exactly for the recordings that have audio features at all.
    presence=lambda rng, release, features: features is not None,
)  # fmt: skip
