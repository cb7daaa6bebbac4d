"""Simulated Discogs database search (token required, rate-limit headers on every answer)."""

# https://www.discogs.com/developers#page:database,header:database-search and
# https://www.discogs.com/developers#page:home,header:home-rate-limiting.

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlencode

from sandbox.apis.common import (
    Api,
    HardCase,
    Simulated,
    int_param,
    method_not_allowed,
    sandbox_path,
)
from sandbox.base import Context, Request, Response, json_response
from sandbox.records import Release
from sandbox.search import normalise, parse_query
from sandbox.vocabulary import COUNTRIES

HOST = "https://api.discogs.com"
DEFAULT_PER_MINUTE = 60
PRIMARY_FORMAT = {"single": "Single", "ep": "EP", "album": "Album"}
TOKEN = re.compile(r"^Discogs\s+(token=\S+|key=\S+,\s*secret=\S+)")


def error(status: int, message: str) -> Response:
    """Discogs's error body: {"message"}."""
    return json_response(status, {"message": message})


def too_many(retry_after: int) -> Response:
    """429 without Retry-After: Discogs only sends the X-Discogs-Ratelimit headers."""
    return error(429, "You are making requests too quickly.")


def failure(status: int) -> Response:
    """A 5xx from Discogs."""
    return error(status, "An internal server error occurred.")


def rate_headers(ctx: Context) -> dict[str, str]:
    """X-Discogs-Ratelimit headers: the per-minute limit and the last minute's use of it."""
    rate = ctx.rate_per_s("discogs")
    per_minute = round(rate * 60) if rate else DEFAULT_PER_MINUTE
    used = ctx.recent_requests("discogs", 60.0)
    return {
        "X-Discogs-Ratelimit": str(per_minute),
        "X-Discogs-Ratelimit-Used": str(min(used, per_minute)),
        "X-Discogs-Ratelimit-Remaining": str(max(0, per_minute - used)),
    }


def handle(request: Request, path: str, ctx: Context) -> Response:
    """Route /discogs requests after checking the token."""
    if not TOKEN.match(request.header("Authorization")) and not request.query.get("token"):
        return error(401, "You must authenticate to access this resource.")
    if request.method != "GET":
        return method_not_allowed()
    if path.rstrip("/") == "/database/search":
        return search(request, ctx)
    return error(404, "The requested resource was not found.")


def search(request: Request, ctx: Context) -> Response:
    """GET /database/search?type=release&artist=A&track=T&per_page=N (or q=...)."""
    params = request.query
    per_page = int_param(params.get("per_page", ""), 50, 1, 100)
    page = int_param(params.get("page", ""), 1, 1, 10_000)
    if per_page is None or page is None:
        return error(400, "Invalid pagination parameters.")
    releases = [] if params.get("type", "release") != "release" else find(params, ctx)
    start = (page - 1) * per_page
    results = [result_object(r) for r in releases[start : start + per_page]]
    pages = max(1, -(-len(releases) // per_page))
    urls = {}
    if page < pages:
        base = {k: v for k, v in params.items() if k not in ("page", "token")}
        urls = {
            "last": f"{HOST}/database/search?{urlencode({**base, 'page': pages})}",
            "next": f"{HOST}/database/search?{urlencode({**base, 'page': page + 1})}",
        }
    pagination = {
        "page": page,
        "pages": pages,
        "per_page": per_page,
        "items": len(releases),
        "urls": urls,
    }
    return json_response(200, {"pagination": pagination, "results": results})


def find(params: dict[str, str], ctx: Context) -> list[Release]:
    """Releases holding recordings that match track/artist (or q), best match first."""
    track, artist = params.get("track", ""), params.get("artist", "")
    if track:
        hits = ctx.search.search(title=track, artist=artist, strict_artist=True)
    else:
        query = parse_query(params.get("q", ""))
        text = " ".join(filter(None, [query.text, artist, *query.fields.get("artist", [])]))
        hits = ctx.search.search(text=text) if text.strip() else []
    releases: dict[int, Release] = {}
    for hit in hits:
        if hit.score >= 0.3 and hit.recording.discogs_release_id is not None:
            releases.setdefault(hit.recording.discogs_release_id, hit.recording.release)
    return [r for r in releases.values() if _passes_filters(r, params)]


def _passes_filters(release: Release, params: dict[str, str]) -> bool:
    checks = {
        "year": release.year,
        "country": COUNTRIES.get(release.country, release.country),
        "label": release.label.name,
        "catno": release.catalog_number,
    }
    return all(normalise(params[k]) == normalise(v) for k, v in checks.items() if params.get(k))


def result_object(release: Release) -> dict[str, Any]:
    """One search result: a release with labels, catno, country, year, genres and styles."""
    discogs_id = release.discogs_id
    slug = "-".join(normalise(f"{release.artist.name} {release.title}").split()).title()
    digital = release.discogs_id is not None and release.discogs_id % 3 != 0
    formats = (
        ["File", "MP3", PRIMARY_FORMAT[release.kind]] if digital else ["Vinyl", '12"', "33 ⅓ RPM"]
    )
    return {
        "style": list(release.styles),
        "thumb": "",
        "format": formats,
        "country": COUNTRIES.get(release.country, release.country),
        "barcode": [release.barcode],
        "uri": f"/release/{discogs_id}-{slug}",
        "community": {"want": (discogs_id or 0) % 97, "have": (discogs_id or 0) % 211},
        "label": [release.label.name],
        "catno": release.catalog_number,
        "year": release.year,
        "genre": list(release.genres),
        "title": f"{release.artist.name} - {release.title}",
        "resource_url": f"{HOST}/releases/{discogs_id}",
        "type": "release",
        "id": discogs_id,
        "master_id": release.discogs_master_id,
        "master_url": f"{HOST}/masters/{release.discogs_master_id}"
        if release.discogs_master_id
        else None,
        "cover_image": "",
        "format_quantity": 1,
    }


SIMULATED = Simulated(
    name="discogs",
    position=2,
    apis=(
        # 60 authenticated requests per minute, "a moving average over a 60 second window".
        Api(
            "discogs", sandbox_path("discogs"), handle, too_many, failure, "discogs",
            limit_per_s=1.0, window_s=60.0, headers=rate_headers,
        ),
    ),
    # Discogs knows a recording when it knows the release it is on.
    presence=lambda rng, release, features: release.discogs_id is not None,
    hard_cases={
        "no_discogs": HardCase("its release is unknown to Discogs", lambda r: not r.on("discogs")),
    },
)  # fmt: skip
