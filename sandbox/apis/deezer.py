"""Simulated Deezer API: track by id or ISRC, and search (errors as HTTP 200 bodies)."""

# https://developers.deezer.com/api/track and https://developers.deezer.com/api/search;
# error codes: https://developers.deezer.com/api/errors (4 quota, 800 no data).

from __future__ import annotations

import hashlib
from typing import Any
from urllib.parse import urlencode

from sandbox.apis.common import (
    Api,
    HardCase,
    Simulated,
    int_param,
    method_not_allowed,
    sampled,
    sandbox_path,
)
from sandbox.base import Context, Request, Response, json_response
from sandbox.records import Artist, Recording
from sandbox.search import parse_query

HOST = "https://api.deezer.com"
WEB = "https://www.deezer.com"
CDN = "https://cdn-images.dzcdn.net/images"
COUNTRIES = ["BE", "DE", "FR", "GB", "NL", "US"]


def error(kind: str, message: str, code: int, status: int = 200) -> Response:
    """Deezer's error body, by default with HTTP 200 as the real API sends it."""
    return json_response(status, {"error": {"type": kind, "message": message, "code": code}})


def no_data() -> Response:
    """Error 800: the requested object does not exist."""
    return error("DataException", "no data", 800)


def too_many(retry_after: int) -> Response:
    """Error 4 (quota) inside an HTTP 200 body."""
    return error("Exception", "Quota limit exceeded", 4)


def failure(status: int) -> Response:
    """A 5xx carrying error 700 (service busy)."""
    return error("Exception", "Service busy", 700, status)


def handle(request: Request, path: str, ctx: Context) -> Response:
    """Route /deezer requests (no key needed)."""
    if request.method != "GET":
        return method_not_allowed()
    parts = path.strip("/").split("/")
    if len(parts) == 2 and parts[0] == "track":
        return track(parts[1], ctx)
    if parts == ["search"] or parts == ["search", "track"]:
        return search(request, ctx)
    return no_data()


def track(key: str, ctx: Context) -> Response:
    """GET /track/{id} or /track/isrc:{ISRC}."""
    if key.lower().startswith("isrc:"):
        recording = ctx.catalogue.by_isrc.get(key[5:].upper())
    else:
        recording = ctx.catalogue.by_deezer_id.get(int(key)) if key.isdigit() else None
    if recording is None or not recording.on("deezer"):
        return no_data()
    return json_response(200, track_object(recording))


def search(request: Request, ctx: Context) -> Response:
    """GET /search?q=artist:"A" track:"T"&limit=N&index=M (items carry no isrc or bpm)."""
    q = request.query.get("q", "").strip()
    if not q:
        return error("MissingParameterException", "Missing parameters: q", 501)
    limit = int_param(request.query.get("limit", ""), 25, 1, 100) or 25
    index = int_param(request.query.get("index", ""), 0, 0, 10_000) or 0
    query = parse_query(q)
    hits = ctx.search.search(
        title=query.first("track"), artist=query.first("artist"), text=query.text
    )
    found = [h.recording for h in hits if h.recording.on("deezer") and h.score >= 0.2]
    payload: dict[str, Any] = {
        "data": [search_item(r) for r in found[index : index + limit]],
        "total": len(found),
    }
    if index + limit < len(found):
        payload["next"] = (
            f"{HOST}/search?{urlencode({'q': q, 'limit': limit, 'index': index + limit})}"
        )
    return json_response(200, payload)


def _md5(text: str) -> str:
    return hashlib.md5(text.encode(), usedforsecurity=False).hexdigest()


def artist_object(artist: Artist, role: str = "", brief: bool = False) -> dict[str, Any]:
    """Artist (as contributor when a role is given; search items carry the brief form)."""
    md5 = _md5(artist.name)
    item: dict[str, Any] = {
        "id": artist.deezer_id,
        "name": artist.name,
        "link": f"{WEB}/artist/{artist.deezer_id}",
        "share": f"{WEB}/artist/{artist.deezer_id}?utm_source=deezer"
        f"&utm_content=artist-{artist.deezer_id}",
        "picture": f"{HOST}/artist/{artist.deezer_id}/image",
        "picture_small": f"{CDN}/artist/{md5}/56x56-000000-80-0-0.jpg",
        "picture_medium": f"{CDN}/artist/{md5}/250x250-000000-80-0-0.jpg",
        "picture_big": f"{CDN}/artist/{md5}/500x500-000000-80-0-0.jpg",
        "picture_xl": f"{CDN}/artist/{md5}/1000x1000-000000-80-0-0.jpg",
        "radio": True,
        "tracklist": f"{HOST}/artist/{artist.deezer_id}/top?limit=50",
        "type": "artist",
    }
    if brief:
        del item["share"], item["radio"]
    if role:
        item["role"] = role
    return item


def album_object(recording: Recording, full: bool) -> dict[str, Any]:
    """Album summary inside a track."""
    release = recording.release
    md5 = _md5(release.mbid)
    item: dict[str, Any] = {"id": release.deezer_id, "title": release.title}
    if full:
        item["link"] = f"{WEB}/album/{release.deezer_id}"
    item |= {
        f"cover{size}": f"{CDN}/cover/{md5}/{dims}-000000-80-0-0.jpg"
        for size, dims in (
            ("_small", "56x56"),
            ("_medium", "250x250"),
            ("_big", "500x500"),
            ("_xl", "1000x1000"),
        )
    }
    item = {"cover": f"{HOST}/album/{release.deezer_id}/image", **item}
    item |= {"md5_image": md5}
    if full:
        item["release_date"] = release.full_date
    item |= {"tracklist": f"{HOST}/album/{release.deezer_id}/tracks", "type": "album"}
    return item


def _titles(recording: Recording) -> tuple[str, str, str]:
    """(title, title_short, title_version): "(feat. X)" stays in the short title."""
    short = recording.title + recording.feat_suffix
    version = f"({recording.version})" if recording.version else ""
    return (f"{short} {version}".strip(), short, version)


def search_item(recording: Recording) -> dict[str, Any]:
    """A search result: the track summary without isrc, bpm or gain."""
    title, short, version = _titles(recording)
    explicit = recording.explicit
    return {
        "id": recording.deezer_id,
        "readable": True,
        "title": title,
        "title_short": short,
        "title_version": version,
        "link": f"{WEB}/track/{recording.deezer_id}",
        "duration": recording.duration_ms // 1000,
        "rank": recording.deezer_rank,
        "explicit_lyrics": explicit,
        "explicit_content_lyrics": 1 if explicit else 0,
        "explicit_content_cover": 0,
        "preview": f"https://cdnt-preview.dzcdn.net/api/1/1/{_md5(recording.isrc)}.mp3",
        "md5_image": _md5(recording.release.mbid),
        "artist": artist_object(recording.artist, brief=True),
        "album": album_object(recording, full=False),
        "type": "track",
    }


def track_object(recording: Recording) -> dict[str, Any]:
    """The full track: isrc, bpm (0 = unknown), gain, contributors with roles."""
    title, short, version = _titles(recording)
    summary = search_item(recording)
    contributors = [artist_object(recording.artist, "Main")]
    contributors += [artist_object(a, "Featured") for a in recording.featured]
    return {
        "id": recording.deezer_id,
        "readable": True,
        "title": title,
        "title_short": short,
        "title_version": version,
        "isrc": recording.isrc,
        "link": summary["link"],
        "share": f"{summary['link']}?utm_source=deezer&utm_content=track-{recording.deezer_id}",
        "duration": summary["duration"],
        "track_position": recording.track_number,
        "disk_number": 1,
        "rank": recording.deezer_rank,
        "release_date": recording.release.full_date,
        "explicit_lyrics": summary["explicit_lyrics"],
        "explicit_content_lyrics": summary["explicit_content_lyrics"],
        "explicit_content_cover": 0,
        "preview": summary["preview"],
        "bpm": recording.deezer_bpm,
        "gain": recording.deezer_gain,
        "available_countries": COUNTRIES,
        "contributors": contributors,
        "md5_image": summary["md5_image"],
        "track_token": _md5(f"token:{recording.deezer_id}") * 2,
        "artist": artist_object(recording.artist),
        "album": album_object(recording, full=True),
        "type": "track",
    }


SIMULATED = Simulated(
    name="deezer",
    position=4,
    apis=(
        # 50 requests per 5 seconds.
        Api(
            "deezer", sandbox_path("deezer"), handle, too_many, failure, "deezer",
            limit_per_s=10.0, window_s=5.0,
        ),
    ),
    presence=sampled(0.92),
    hard_cases={
        "deezer_bpm_zero": HardCase(
            "Deezer bpm is 0 (unknown)", lambda r: r.on("deezer") and r.deezer_bpm == 0
        ),
        "deezer_bpm_octave": HardCase(
            "Deezer reads the tempo at another octave (x2, x1/2) or 3:2 than the audio analysis",
            lambda r: r.on("deezer") and r.features is not None and r.deezer_bpm > 0
            and abs(r.deezer_bpm - round(r.features.tempo, 1)) > 1,
        ),
        "no_deezer": HardCase("unknown to Deezer", lambda r: not r.on("deezer")),
    },
)  # fmt: skip
