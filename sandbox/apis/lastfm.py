"""Simulated Last.fm track.getInfo (errors inside the JSON body)."""

# https://www.last.fm/api/show/track.getInfo and https://www.last.fm/api/errorcodes.
# Status codes chosen here: not found (6) is HTTP 200 with the error in the body; bad or
# missing parameters (6) and unknown methods (3) are 400; invalid (10) or suspended (26) keys
# are 403; rate limit (29) is HTTP 429. A track with one tag gets toptags.tag as an object.

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote_plus

from sandbox.apis.common import (
    Api,
    HardCase,
    Simulated,
    issuer,
    method_not_allowed,
    sampled,
    sandbox_path,
)
from sandbox.base import Context, Request, Response, json_response
from sandbox.records import Recording
from sandbox.search import normalise

WEB = "https://www.last.fm"
# Last.fm knows a recording's MBID when the API issuing MBIDs knows the recording.
MBID_ISSUER = issuer("musicbrainz_id")
FEAT = re.compile(r"[(\[]?\s*\b(feat|ft|featuring)\b\.?\s.*?([)\]]|$)", re.IGNORECASE)
MESSAGES = {
    3: "Invalid Method - No method with that name in this package",
    6: "Track not found",
    8: "Operation failed - Most likely the backend service failed. Please try again.",
    10: "Invalid API key - You must be granted a valid key by last.fm",
    16: "The service is temporarily unavailable, please try again.",
    26: "Suspended API key - Access for your account has been suspended, please contact Last.fm",
    29: "Rate Limit Exceeded - Your IP has made too many requests in a short period",
}


def error(status: int, code: int, message: str = "") -> Response:
    """Last.fm's error body: {"error": code, "message", "links": []}."""
    return json_response(status, {"error": code, "message": message or MESSAGES[code], "links": []})


def too_many(retry_after: int) -> Response:
    """Error 29, sent with HTTP 429."""
    return error(429, 29)


def failure(status: int) -> Response:
    """Error 8 (operation failed) or 16 (temporarily unavailable) with the 5xx status."""
    return error(status, 8 if status == 500 else 16)


def handle(request: Request, path: str, ctx: Context) -> Response:
    """Route /lastfm/2.0/?method=... after checking api_key."""
    if path not in ("", "/"):
        return error(404, 3)
    if request.method not in ("GET", "POST"):
        return method_not_allowed()
    params = {**request.form(), **request.query} if request.method == "POST" else request.query
    key = params.get("api_key", "")
    if not key:
        return error(403, 10)
    if key.startswith("suspended"):
        return error(403, 26)
    if params.get("method", "").lower() != "track.getinfo":
        return error(400, 3)
    return track_info(params, ctx)


def track_info(params: dict[str, str], ctx: Context) -> Response:
    """track.getInfo by mbid, or by artist + track (autocorrect=1 forgives case and punctuation)."""
    mbid, artist, track = params.get("mbid", ""), params.get("artist", ""), params.get("track", "")
    if not mbid and not (artist and track):
        return error(400, 6, "You must supply either a track & artist name or a track mbid.")
    if mbid:
        found = ctx.catalogue.by_mbid.get(mbid)
        recording = found if found and found.on(MBID_ISSUER) else None
    else:
        recording = lookup(artist, track, params.get("autocorrect") == "1", ctx)
    if recording is None or not recording.on("lastfm"):
        return error(200, 6)
    return json_response(200, {"track": track_object(recording)})


def _strip_feat(text: str) -> str:
    return FEAT.sub(" ", text)


def lookup(artist: str, track: str, autocorrect: bool, ctx: Context) -> Recording | None:
    """Exact (case-insensitive) name match, or a normalised one when autocorrecting."""
    exact, loose = _indexes(ctx)
    if not autocorrect:
        return exact.get((artist.casefold(), track.casefold()))
    return loose.get((normalise(_strip_feat(artist)), normalise(_strip_feat(track))))


def _indexes(
    ctx: Context,
) -> tuple[dict[tuple[str, str], Recording], dict[tuple[str, str], Recording]]:
    cached = ctx.cache.get("lastfm")
    if cached is None:
        exact: dict[tuple[str, str], Recording] = {}
        loose: dict[tuple[str, str], Recording] = {}
        # Reverse order so that, on a clash, the earliest (original) recording wins.
        for recording in reversed(ctx.catalogue.recordings):
            artist, name = recording.artist.name, recording.spotify_name
            exact[(artist.casefold(), name.casefold())] = recording
            loose[(normalise(artist), normalise(name))] = recording
        cached = ctx.cache["lastfm"] = (exact, loose)
    return cached


def _url(*parts: str) -> str:
    return WEB + "/music/" + "/_/".join(quote_plus(p) for p in parts)


def track_object(recording: Recording) -> dict[str, Any]:
    """The track object; toptags.tag is a list, or one object when there is one tag."""
    artist, release = recording.artist, recording.release
    tags = [{"name": t, "url": f"{WEB}/tag/{quote_plus(t)}"} for t in recording.lastfm_tags]
    item: dict[str, Any] = {"name": recording.spotify_name}
    if recording.on(MBID_ISSUER):
        item["mbid"] = recording.mbid
    item |= {
        "url": _url(artist.name, recording.spotify_name),
        "duration": str(recording.duration_ms),
        "streamable": {"#text": "0", "fulltrack": "0"},
        "listeners": str(recording.lastfm_listeners),
        "playcount": str(recording.lastfm_playcount),
        "artist": {"name": artist.name, "mbid": artist.mbid, "url": _url(artist.name)},
        "album": {
            "artist": release.artist.name,
            "title": release.title,
            "url": _url(release.artist.name, release.title).replace("/_/", "/"),
            "image": [{"#text": "", "size": size} for size in ("small", "medium", "large")],
            "@attr": {"position": str(recording.track_number)},
        },
        "toptags": {"tag": tags[0] if len(tags) == 1 else tags},
    }
    return item


SIMULATED = Simulated(
    name="lastfm",
    position=3,
    apis=(
        Api(
            "lastfm", sandbox_path("lastfm"), handle, too_many, failure, "lastfm",
            limit_per_s=5.0, window_s=1.0,
        ),
    ),
    presence=sampled(0.92),
    hard_cases={
        "no_lastfm": HardCase("unknown to Last.fm", lambda r: not r.on("lastfm")),
        "lastfm_single_tag": HardCase(
            "Last.fm toptags.tag is one object instead of a list",
            lambda r: r.on("lastfm") and len(r.lastfm_tags) == 1,
        ),
    },
)  # fmt: skip
