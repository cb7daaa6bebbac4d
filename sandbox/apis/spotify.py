"""Simulated Spotify Web API and accounts token endpoint."""

# https://developer.spotify.com/documentation/web-api (tracks, search, audio-features) and
# https://developer.spotify.com/documentation/web-api/tutorials/client-credentials-flow.
# Search answers at most SEARCH_MAX_ITEMS items, as development-mode apps get since 2026.

from __future__ import annotations

import base64
import re
from typing import Any
from urllib.parse import quote

from sandbox.apis.common import Api, Simulated, always, int_param, method_not_allowed, sandbox_path
from sandbox.base import Context, Request, Response, json_response
from sandbox.records import Artist, Recording, Release
from sandbox.search import parse_query

HOST = "https://api.spotify.com/v1"
OPEN = "https://open.spotify.com"
MARKETS = ["DE", "GB", "NL", "US"]
SEARCH_MAX_ITEMS = 10
FEATURES_BATCH_MAX = 100
SPOTIFY_ID = re.compile(r"^[0-9A-Za-z]{22}$")


def error(status: int, message: str, headers: dict[str, str] | None = None) -> Response:
    """Spotify's error body: {"error": {"status", "message"}}."""
    return json_response(status, {"error": {"status": status, "message": message}}, headers)


def too_many(retry_after: int) -> Response:
    """429 with Retry-After in seconds."""
    return error(429, "API rate limit exceeded", {"Retry-After": str(retry_after)})


def failure(status: int) -> Response:
    """A 5xx as Spotify's gateway answers it."""
    messages = {500: "Server error.", 502: "Bad gateway.", 503: "Service unavailable"}
    return error(status, messages.get(status, "Server error."))


def token_failure(status: int) -> Response:
    """A 5xx from the accounts service."""
    return json_response(status, {"error": "server_error", "error_description": "Server error"})


def token_too_many(retry_after: int) -> Response:
    """429 from the accounts service."""
    return json_response(429, {"error": "too_many_requests"}, {"Retry-After": str(retry_after)})


def _client_credentials(request: Request) -> tuple[str, str]:
    header = request.header("Authorization")
    if header.startswith("Basic "):
        try:
            decoded = base64.b64decode(header[6:], validate=True).decode()
        except (ValueError, UnicodeDecodeError):
            return "", ""
        client_id, _, secret = decoded.partition(":")
        return client_id, secret
    form = request.form()
    return form.get("client_id", ""), form.get("client_secret", "")


def handle_token(request: Request, path: str, ctx: Context) -> Response:
    """POST accounts/api/token with grant_type=client_credentials and any non-empty client."""
    if request.method != "POST" or path not in ("", "/"):
        return method_not_allowed()
    client_id, secret = _client_credentials(request)
    if not client_id or not secret:
        body = {"error": "invalid_client", "error_description": "Invalid client"}
        return json_response(400, body)
    grant_type = request.form().get("grant_type", "")
    if grant_type != "client_credentials":
        reason = "grant_type parameter is missing" if not grant_type else "unsupported grant_type"
        return json_response(400, {"error": "unsupported_grant_type", "error_description": reason})
    token: dict[str, Any] = {
        "access_token": ctx.tokens.issue(),
        "token_type": "Bearer",
        "expires_in": ctx.tokens.ttl_s,
    }
    return json_response(200, token)


def handle(request: Request, path: str, ctx: Context) -> Response:
    """Route /spotify/v1 requests after checking the Bearer token."""
    header = request.header("Authorization")
    if not header.startswith("Bearer ") or not header[7:].strip():
        return error(401, "No token provided")
    state = ctx.tokens.check(header[7:].strip())
    if state != "ok":
        return error(
            401, "The access token expired" if state == "expired" else "Invalid access token"
        )
    if request.method != "GET":
        return method_not_allowed()
    parts = path.strip("/").split("/")
    if parts == ["search"]:
        return search(request, ctx)
    if len(parts) == 2 and parts[0] == "tracks":
        return track(parts[1], ctx)
    if parts == ["audio-features"]:
        return features_batch(request, ctx)
    if len(parts) == 2 and parts[0] == "audio-features":
        return features_single(parts[1], ctx)
    return error(404, "Service not found")


def track(spotify_id: str, ctx: Context) -> Response:
    """GET /tracks/{id}."""
    if not SPOTIFY_ID.match(spotify_id):
        return error(400, "Invalid base62 id")
    recording = ctx.catalogue.by_spotify_id.get(spotify_id)
    if recording is None:
        return error(404, "Resource not found")
    return json_response(200, _track(recording, ctx))


def search(request: Request, ctx: Context) -> Response:
    """GET /search?q=...&type=track&limit=N&offset=M."""
    q = request.query.get("q", "")
    if not q.strip():
        return error(400, "No search query")
    if "track" not in request.query.get("type", "").split(","):
        return error(
            400,
            "Missing parameter type" if "type" not in request.query else "Bad search type field",
        )
    limit = int_param(request.query.get("limit", ""), 20, 1, 50)
    offset = int_param(request.query.get("offset", ""), 0, 0, 1000)
    if limit is None or offset is None:
        return error(400, "Invalid limit" if limit is None else "Invalid offset")
    found = find(q, ctx)
    limit = min(limit, SEARCH_MAX_ITEMS)
    page = found[offset : offset + limit]
    link = f"{HOST}/search?query={quote(q)}&type=track&limit={limit}&offset="
    more = offset + limit < len(found)
    payload = {
        "href": f"{link}{offset}",
        "items": [_track(r, ctx) for r in page],
        "limit": limit,
        "next": f"{link}{offset + limit}" if more else None,
        "offset": offset,
        "previous": f"{link}{max(0, offset - limit)}" if offset else None,
        "total": len(found),
    }
    return json_response(200, {"tracks": payload})


def find(q: str, ctx: Context) -> list[Recording]:
    """Recordings a Spotify query matches, best first."""
    query = parse_query(q)
    isrc = query.first("isrc").upper()
    if isrc:
        recording = ctx.catalogue.by_isrc.get(isrc)
        return [recording] if recording else []
    title, artist = query.first("track"), query.first("artist")
    hits = ctx.search.search(title=title, artist=artist, text=query.text)
    return [h.recording for h in hits if h.score >= 0.2]


def features_single(spotify_id: str, ctx: Context) -> Response:
    """GET /audio-features/{id} (403 when the sandbox plays a post-2024 app)."""
    if ctx.features_forbidden():
        return error(403, "Forbidden")
    if not SPOTIFY_ID.match(spotify_id):
        return error(400, "Invalid base62 id")
    recording = ctx.catalogue.by_spotify_id.get(spotify_id)
    if recording is None or recording.features is None:
        return error(404, "analysis not found")
    return json_response(200, features_object(recording))


def features_batch(request: Request, ctx: Context) -> Response:
    """GET /audio-features?ids=a,b: one object or null per id, in order."""
    if ctx.features_forbidden():
        return error(403, "Forbidden")
    ids = [i for i in request.query.get("ids", "").split(",") if i]
    if not ids:
        return error(400, "invalid request")
    if len(ids) > FEATURES_BATCH_MAX:
        return error(400, "Too many ids requested")
    found = [ctx.catalogue.by_spotify_id.get(i) for i in ids]
    items = [features_object(r) if r and r.features else None for r in found]
    return json_response(200, {"audio_features": items})


def _track(recording: Recording, ctx: Context) -> dict[str, Any]:
    return track_object(recording, len(ctx.catalogue.by_release[recording.release.spotify_id]))


def artist_object(artist: Artist) -> dict[str, Any]:
    """Simplified artist object."""
    return {
        "external_urls": {"spotify": f"{OPEN}/artist/{artist.spotify_id}"},
        "href": f"{HOST}/artists/{artist.spotify_id}",
        "id": artist.spotify_id,
        "name": artist.name,
        "type": "artist",
        "uri": f"spotify:artist:{artist.spotify_id}",
    }


def album_object(release: Release, total_tracks: int) -> dict[str, Any]:
    """Simplified album object (EPs are album_type "single" on Spotify)."""
    return {
        "album_type": "album" if release.kind == "album" else "single",
        "artists": [artist_object(release.artist)],
        "available_markets": MARKETS,
        "external_urls": {"spotify": f"{OPEN}/album/{release.spotify_id}"},
        "href": f"{HOST}/albums/{release.spotify_id}",
        "id": release.spotify_id,
        "images": [],
        "name": release.title,
        "release_date": release.release_date,
        "release_date_precision": release.release_date_precision,
        "total_tracks": total_tracks,
        "type": "album",
        "uri": f"spotify:album:{release.spotify_id}",
    }


def track_object(recording: Recording, total_tracks: int = 0) -> dict[str, Any]:
    """Full track object: featured artists in artists[], version after " - " in the name."""
    return {
        "album": album_object(recording.release, total_tracks or recording.track_number),
        "artists": [artist_object(a) for a in recording.spotify_artists],
        "available_markets": MARKETS,
        "disc_number": 1,
        "duration_ms": recording.duration_ms,
        "explicit": recording.explicit,
        "external_ids": {"isrc": recording.isrc},
        "external_urls": {"spotify": f"{OPEN}/track/{recording.spotify_id}"},
        "href": f"{HOST}/tracks/{recording.spotify_id}",
        "id": recording.spotify_id,
        "is_local": False,
        "name": recording.spotify_name,
        "popularity": recording.popularity,
        "preview_url": None,
        "track_number": recording.track_number,
        "type": "track",
        "uri": f"spotify:track:{recording.spotify_id}",
    }


def features_object(recording: Recording) -> dict[str, Any]:
    """Audio-features object in the field order Spotify uses."""
    features = recording.features
    assert features is not None
    sid = recording.spotify_id
    return {
        "danceability": features.danceability,
        "energy": features.energy,
        "key": features.key,
        "loudness": features.loudness,
        "mode": features.mode,
        "speechiness": features.speechiness,
        "acousticness": features.acousticness,
        "instrumentalness": features.instrumentalness,
        "liveness": features.liveness,
        "valence": features.valence,
        "tempo": features.tempo,
        "type": "audio_features",
        "id": sid,
        "uri": f"spotify:track:{sid}",
        "track_href": f"{HOST}/tracks/{sid}",
        "analysis_url": f"https://api.spotify.com/v1/audio-analysis/{sid}",
        "duration_ms": recording.duration_ms,
        "time_signature": features.time_signature,
    }


SIMULATED = Simulated(
    name="spotify",
    position=0,
    apis=(
        # The accounts service has its own limits upstream; here it is counted but not limited.
        Api(
            "spotify_accounts", sandbox_path("spotify", "SPOTIFY_AUTH_URL"), handle_token,
            token_too_many, token_failure, "spotify",
        ),
        # Spotify states no number, only "a rolling 30 second window"; 3/s is the sandbox's.
        Api(
            "spotify", sandbox_path("spotify"), handle, too_many, failure, "spotify",
            limit_per_s=3.0, window_s=30.0,
        ),
    ),
    presence=always,  # the catalogue is Spotify's: every recording is on it
)  # fmt: skip
