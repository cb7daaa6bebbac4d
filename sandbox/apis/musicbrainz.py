"""Simulated MusicBrainz web service (ws/2, JSON only)."""

# https://musicbrainz.org/doc/MusicBrainz_API (lookups, inc=, ISRC) and
# https://musicbrainz.org/doc/MusicBrainz_API/Search (Lucene recording search with score).
# Requests need a meaningful User-Agent: empty ones and bare library defaults get 403.

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime
from typing import Any

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
from sandbox.vocabulary import COUNTRY_NAMES

HELP = "For usage, please see: https://musicbrainz.org/development/mmd"
RATE_LIMITED = (
    "Your requests are exceeding the allowable rate limit. Please see "
    "https://wiki.musicbrainz.org/XMLWebService for more information."
)
ISRC = re.compile(r"^[A-Z]{2}[A-Z0-9]{3}[0-9]{7}$")
MBID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
OFFICIAL = "4e304316-386d-3409-af2e-78857eec5cfe"
GENERIC_AGENTS = (
    "python-requests/",
    "python-urllib/",
    "python-httpx/",
    "aiohttp/",
    "go-http-client/",
)
GROUP_TYPE_IDS = {
    "single": "d6038452-8ee0-3f68-affc-2de9a1ede0b9",
    "ep": "6d0c5bf6-7a33-3420-a519-44fc63eedebf",
    "album": "f529b476-6e62-324f-b0aa-1f3e33d313fc",
}
PRIMARY_TYPES = {"single": "Single", "ep": "EP", "album": "Album"}


def error(status: int, message: str, headers: dict[str, str] | None = None) -> Response:
    """MusicBrainz's error body: {"error", "help"}."""
    return json_response(status, {"error": message, "help": HELP}, headers)


def too_many(retry_after: int) -> Response:
    """MusicBrainz answers an exceeded rate limit with 503."""
    return json_response(503, {"error": RATE_LIMITED}, {"Retry-After": str(retry_after)})


def failure(status: int) -> Response:
    """A 5xx from the web service."""
    return error(status, "Internal server error" if status == 500 else "Service unavailable")


def handle(request: Request, path: str, ctx: Context) -> Response:
    """Route /musicbrainz/ws/2 requests after checking User-Agent and format."""
    agent = request.header("User-Agent").strip()
    if not agent or agent.lower().startswith(GENERIC_AGENTS):
        message = "Requests need a meaningful User-Agent, e.g. 'App/1.0 ( contact@example.org )'"
        return error(403, message)
    if request.method != "GET":
        return method_not_allowed()
    if request.query.get("fmt") != "json" and "json" not in request.header("Accept"):
        return error(406, "The sandbox serves JSON only: add fmt=json")
    parts = path.strip("/").split("/")
    inc = set(re.split(r"[+\s]+", request.query.get("inc", "")))
    if len(parts) == 2 and parts[0] == "isrc":
        return isrc_lookup(parts[1], inc, ctx)
    if parts == ["recording"]:
        return recording_search(request, ctx)
    if len(parts) == 2 and parts[0] == "recording":
        return recording_lookup(parts[1], inc, ctx)
    return error(404, "Not Found")


def isrc_lookup(isrc: str, inc: set[str], ctx: Context) -> Response:
    """GET /isrc/{isrc}?inc=artists+releases."""
    if not ISRC.match(isrc):
        return error(400, "Invalid isrc.")
    recording = ctx.catalogue.by_isrc.get(isrc)
    if recording is None or not recording.on("musicbrainz"):
        return error(404, "Not Found")
    return json_response(200, {"isrc": isrc, "recordings": [recording_object(recording, inc, ctx)]})


def recording_lookup(mbid: str, inc: set[str], ctx: Context) -> Response:
    """GET /recording/{mbid}?inc=artist-credits+releases+labels+isrcs."""
    if not MBID.match(mbid):
        return error(400, "Invalid mbid.")
    recording = ctx.catalogue.by_mbid.get(mbid)
    if recording is None or not recording.on("musicbrainz"):
        return error(404, "Not Found")
    return json_response(200, recording_object(recording, inc, ctx))


def recording_search(request: Request, ctx: Context) -> Response:
    """GET /recording?query=...: isrc:(A OR B) or recording:"T" AND artist:"A" (Lucene subset)."""
    query = request.query.get("query", "").strip()
    limit = int_param(request.query.get("limit", ""), 25, 1, 100)
    offset = int_param(request.query.get("offset", ""), 0, 0, 1_000_000)
    if not query or limit is None or offset is None:
        return error(400, "Invalid search query, limit or offset.")
    scored = find(query, ctx)
    inc = {"artist-credits", "releases", "isrcs", "search"}
    items = []
    for score, recording in scored[offset : offset + limit]:
        fields = recording_object(recording, inc, ctx)
        items.append({"id": fields.pop("id"), "score": score, **fields})
    created = datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    payload = {"created": created, "count": len(scored), "offset": offset, "recordings": items}
    return json_response(200, payload)


def find(lucene: str, ctx: Context) -> list[tuple[int, Recording]]:
    """(score 0..100, recording) pairs for a query, best first."""
    query = parse_query(lucene)
    isrcs = query.fields.get("isrc", [])
    if isrcs:
        found = [ctx.catalogue.by_isrc.get(i.upper()) for i in isrcs]
        return [(100, r) for r in found if r is not None and r.on("musicbrainz")]
    title = query.first("recording", "recordingaccent", "title")
    artist = query.first("artist", "artistname", "creditname")
    # Lucene AND: both fields must match, so other artists' same-title recordings drop out.
    hits = ctx.search.search(title=title, artist=artist, text=query.text, strict_artist=True)
    return [
        (round(100 * h.score), h.recording)
        for h in hits
        if h.recording.on("musicbrainz") and h.score >= 0.2
    ]


def artist_credit(recording: Recording) -> list[dict[str, Any]]:
    """Main artist joined to featured artists by " feat. " (then " & ")."""
    credited = recording.credited_artists
    phrases = [" feat. "] + [" & "] * (len(credited) - 2) + [""] if len(credited) > 1 else [""]
    return [
        {"name": a.name, "joinphrase": phrase, "artist": artist_object(a)}
        for a, phrase in zip(credited, phrases, strict=True)
    ]


def artist_object(artist: Artist) -> dict[str, Any]:
    """The artist inside an artist credit."""
    kind = "Group" if " & " in artist.name or artist.sort_name == artist.name else "Person"
    return {
        "id": artist.mbid,
        "name": artist.name,
        "sort-name": artist.sort_name,
        "disambiguation": "",
        "type": kind,
    }


def titled(recording: Recording) -> tuple[str, str]:
    """(title, disambiguation) as MusicBrainz keeps them: a live recording carries the plain
    title and says "live" in its disambiguation; other versions are named in the title."""
    if recording.version.lower() == "live":
        return recording.title, "live"
    return recording.bracketed_title, ""


def recording_object(recording: Recording, inc: set[str], ctx: Context) -> dict[str, Any]:
    """A recording with the parts `inc` asks for (artists, releases, labels, isrcs)."""
    title, disambiguation = titled(recording)
    item: dict[str, Any] = {
        "id": recording.mbid,
        "title": title,
        "length": recording.duration_ms,
        "disambiguation": disambiguation,
        "video": False,
        "first-release-date": recording.release.release_date,
    }
    if inc & {"artists", "artist-credits"}:
        item["artist-credit"] = artist_credit(recording)
    if "isrcs" in inc:
        item["isrcs"] = [recording.isrc]
    if "releases" in inc:
        item["releases"] = [release_object(recording, inc, ctx)]
    return item


def release_object(recording: Recording, inc: set[str], ctx: Context) -> dict[str, Any]:
    """The release a recording appears on; label-info when inc has labels."""
    release = recording.release
    tracks = ctx.catalogue.by_release[release.spotify_id]
    track = {
        "id": str(uuid.uuid5(uuid.NAMESPACE_URL, recording.mbid + release.mbid)),
        "number": str(recording.track_number),
        "position": recording.track_number,
        "title": recording.bracketed_title,
        "length": recording.duration_ms,
    }
    item: dict[str, Any] = {
        "id": release.mbid,
        "title": release.title,
        "status": "Official",
        "status-id": OFFICIAL,
        "date": release.release_date,
        "country": release.country,
        "release-events": [{"date": release.release_date, "area": _area(release.country)}],
        "barcode": release.barcode,
        "disambiguation": "",
        "quality": "normal",
        "packaging": None,
        "text-representation": {"language": "eng", "script": "Latn"},
        "artist-credit": [
            {"name": release.artist.name, "joinphrase": "", "artist": artist_object(release.artist)}
        ],
        "release-group": {
            "id": release.release_group_mbid,
            "type-id": GROUP_TYPE_IDS[release.kind],
            "primary-type-id": GROUP_TYPE_IDS[release.kind],
            "title": release.title,
            "primary-type": PRIMARY_TYPES[release.kind],
        },
        "track-count": len(tracks),
        "media": [
            {
                "position": 1,
                "title": "",
                "format": "Digital Media",
                "track-count": len(tracks),
                "track-offset": recording.track_number - 1,
                ("track" if "search" in inc else "tracks"): [track],
            }
        ],
    }
    if "labels" in inc:
        item["label-info"] = [label_info(recording)]
    return item


def label_info(recording: Recording) -> dict[str, Any]:
    """Catalogue number and label of the release."""
    label = recording.release.label
    return {
        "catalog-number": recording.release.catalog_number,
        "label": {
            "id": label.mbid,
            "name": label.name,
            "sort-name": label.name,
            "disambiguation": "",
        },
    }


def _area(country: str) -> dict[str, Any]:
    return {
        "id": str(uuid.uuid5(uuid.NAMESPACE_DNS, f"{country}.area.sandbox")),
        "name": COUNTRY_NAMES.get(country, country),
        "sort-name": COUNTRY_NAMES.get(country, country),
        "iso-3166-1-codes": [country],
    }


SIMULATED = Simulated(
    name="musicbrainz",
    position=1,
    apis=(
        # One request per second per client; beyond it the web service answers 503.
        Api(
            "musicbrainz", sandbox_path("musicbrainz"), handle, too_many, failure, "musicbrainz",
            limit_per_s=1.0, window_s=1.0,
        ),
    ),
    presence=sampled(0.92),
    hard_cases={
        "no_musicbrainz": HardCase("unknown to MusicBrainz", lambda r: not r.on("musicbrainz")),
    },
)  # fmt: skip
