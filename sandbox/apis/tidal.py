"""Simulated TIDAL Open API v2: client-credentials token and tracks by ISRC (JSON:API)."""

# https://developer.tidal.com/apiref (GET /tracks?filter[isrc]=, JSON:API documents, errors
# {"errors": [{"status": "404", "code", "detail"}]}) and the authorization guide (POST
# /v1/oauth2/token, grant_type=client_credentials, HTTP Basic).
#
# Which recordings TIDAL knows, their TIDAL ids and which carry bpm/key/keyScale are derived
# from each recording's ISRC by hashing, not drawn from the catalogue's random stream, so
# adding this API left every recording (and every other API's answer) exactly as it was.
# Like the real API, most tracks carry no tempo or key at all.

from __future__ import annotations

import base64
import hashlib
from typing import Any
from urllib.parse import quote

from sandbox.apis.common import Api, Simulated, method_not_allowed, sandbox_path
from sandbox.base import Context, Request, Response, json_response
from sandbox.records import Recording

WEB = "https://tidal.com/browse"
KNOWN_SHARE = 0.9  # of recordings with an ISRC TIDAL knows
ANALYSED_SHARE = 0.4  # of those with audio features, the ones whose tempo and key TIDAL sends
# Pitch class (Spotify notation, 0 = C) -> the spec's key names.
KEY_NAMES = ("C", "CSharp", "D", "Eb", "E", "F", "FSharp", "G", "Ab", "A", "Bb", "B")


def _fraction(recording: Recording, purpose: str) -> float:
    """A stable number in [0, 1) for one recording and purpose."""
    digest = hashlib.sha256(f"tidal:{purpose}:{recording.isrc}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def known(recording: Recording) -> bool:
    """Whether TIDAL knows this recording."""
    return _fraction(recording, "known") < KNOWN_SHARE


def analysed(recording: Recording) -> bool:
    """Whether TIDAL's answer carries bpm, key and keyScale for it."""
    return recording.features is not None and _fraction(recording, "analysed") < ANALYSED_SHARE


def track_id(recording: Recording) -> str:
    """The recording's TIDAL id: digits, as a JSON:API string."""
    return str(100_000_000 + int(_fraction(recording, "id") * 400_000_000))


def error(status: int, detail: str, headers: dict[str, str] | None = None) -> Response:
    """A JSON:API errors document (status as a string, as TIDAL sends it)."""
    body = {"errors": [{"status": str(status), "detail": detail}]}
    return json_response(
        status, body, {"Content-Type": "application/vnd.api+json", **(headers or {})}
    )


def too_many(retry_after: int) -> Response:
    """429 as the spec documents it, plus Retry-After in seconds."""
    return error(429, "Rate limit exceeded", {"Retry-After": str(retry_after)})


def failure(status: int) -> Response:
    """A 5xx."""
    return error(status, "Internal server error" if status == 500 else "Service unavailable")


def _client_credentials(request: Request) -> tuple[str, str]:
    header = request.header("Authorization")
    if not header.startswith("Basic "):
        return "", ""
    try:
        decoded = base64.b64decode(header[6:], validate=True).decode()
    except (ValueError, UnicodeDecodeError):
        return "", ""
    client_id, _, secret = decoded.partition(":")
    return client_id, secret


def handle_token(request: Request, path: str, ctx: Context) -> Response:
    """POST the token endpoint with grant_type=client_credentials and any non-empty client."""
    if request.method != "POST" or path not in ("", "/"):
        return method_not_allowed()
    client_id, secret = _client_credentials(request)
    if not client_id or not secret:
        body = {"error": "invalid_client", "error_description": "Client authentication failed"}
        return json_response(401, body)
    if request.form().get("grant_type", "") != "client_credentials":
        body = {"error": "unsupported_grant_type", "error_description": "Unsupported grant"}
        return json_response(400, body)
    token = {
        "scope": "",
        "token_type": "Bearer",
        "access_token": ctx.tokens.issue(),
        "expires_in": ctx.tokens.ttl_s,
    }
    return json_response(200, token)


def handle(request: Request, path: str, ctx: Context) -> Response:
    """Route /tidal/v2 requests after checking the Bearer token."""
    header = request.header("Authorization")
    token = header[7:].strip() if header.startswith("Bearer ") else ""
    if not token or ctx.tokens.check(token) != "ok":
        return error(401, "Unauthorized: missing, invalid or expired token")
    if request.method != "GET":
        return method_not_allowed()
    if path.strip("/") != "tracks":
        return error(404, "Resource not found")
    isrc = request.query.get("filter[isrc]", "").strip().upper()
    if not isrc:
        return error(400, "This endpoint needs a filter, e.g. filter[isrc] or filter[id]")
    recording = ctx.catalogue.by_isrc.get(isrc)
    found = [recording] if recording is not None and known(recording) else []
    country = request.query.get("countryCode", "")
    document = {
        "data": [track_object(r, country) for r in found],
        "links": {"self": f"/tracks?countryCode={country}&filter%5Bisrc%5D={quote(isrc)}"},
        "included": [],
    }
    return json_response(200, document, {"Content-Type": "application/vnd.api+json"})


def track_object(recording: Recording, country: str) -> dict[str, Any]:
    """A tracks resource in the attribute order of the real captures."""
    tidal_id = track_id(recording)
    seconds = recording.duration_ms // 1000
    attributes: dict[str, Any] = {
        "title": recording.title,
        "version": recording.version or None,
        "isrc": recording.isrc,
        "duration": f"PT{seconds // 60}M{seconds % 60}S",
        "copyright": {"text": f"℗ {recording.release.year} {recording.release.label.name}"},
        "explicit": recording.explicit,
        "popularity": round(recording.popularity / 100, 4),
        "accessType": "PUBLIC",
        "availability": ["STREAM", "DJ"],
        "mediaTags": ["LOSSLESS"],
        "externalLinks": [{"href": f"{WEB}/track/{tidal_id}", "meta": {"type": "TIDAL_SHARING"}}],
        "spotlighted": False,
    }
    features = recording.features
    if features is not None and analysed(recording):
        attributes["bpm"] = round(features.tempo, 1)
        attributes["key"] = KEY_NAMES[features.key] if 0 <= features.key <= 11 else "UNKNOWN"
        attributes["keyScale"] = "MAJOR" if features.mode == 1 else "MINOR"
    related = f"/tracks/{tidal_id}/relationships"
    return {
        "id": tidal_id,
        "type": "tracks",
        "attributes": attributes,
        "relationships": {
            name: {"links": {"self": f"{related}/{name}?countryCode={country}"}}
            for name in ("albums", "artists", "owners", "providers", "radio", "similarTracks")
        },
    }


SIMULATED = Simulated(
    name="tidal",
    position=6,
    apis=(
        # The auth service is counted but not limited, like Spotify's accounts service.
        Api(
            "tidal_auth", sandbox_path("tidal", "TIDAL_AUTH_URL"), handle_token, too_many,
            failure, "tidal",
        ),
        # TIDAL states no number; 3 requests per second over a 10-second window here.
        Api(
            "tidal", sandbox_path("tidal"), handle, too_many, failure, "tidal",
            limit_per_s=3.0, window_s=10.0,
        ),
    ),
    # Drawn from the ISRC (see known()), never from the catalogue's random stream: a presence
    # that draws nothing and lists nothing leaves every recording as it was.
    presence=lambda rng, release, features: False,
)  # fmt: skip
