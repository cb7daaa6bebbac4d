"""Simulated MusicBrainz: User-Agent rule, ISRC lookup, Lucene search with scores, inc=."""

from __future__ import annotations

import requests

from sandbox.catalogue import Catalogue, Recording
from sandbox.server import SandboxServer
from tests.sandbox.conftest import missing_keys, sample


def _known(data: Catalogue, case: str) -> Recording:
    return next(r for r in data.hard_cases[case] if r.on("musicbrainz"))


def test_requests_without_a_meaningful_user_agent_get_403(
    server: SandboxServer, data: Catalogue
) -> None:
    url = f"{server.url}/musicbrainz/ws/2/isrc/{data.recordings[0].isrc}?fmt=json"
    assert requests.get(url).status_code == 403  # python-requests' default User-Agent
    assert requests.get(url, headers={"User-Agent": ""}).status_code == 403


def test_isrc_lookup_has_the_real_shape_and_feat_credit(
    http: requests.Session, server: SandboxServer, data: Catalogue
) -> None:
    recording = _known(data, "featured")
    url = f"{server.url}/musicbrainz/ws/2/isrc/{recording.isrc}"
    body = http.get(url, params={"inc": "artists+releases", "fmt": "json"}).json()
    real = sample("musicbrainz/isrc_lookup_hey_boy_hey_girl.json")
    assert set(body) == set(real) and missing_keys(real, body) == []
    credit = body["recordings"][0]["artist-credit"]
    assert credit[0]["joinphrase"] == " feat. "
    assert credit[0]["artist"]["id"] == recording.artist.mbid
    assert credit[1]["name"] == recording.featured[0].name
    assert body["recordings"][0]["releases"][0]["id"] == recording.release.mbid


def test_unknown_isrc_is_404_and_invalid_isrc_400(
    http: requests.Session, server: SandboxServer, data: Catalogue
) -> None:
    absent = data.hard_cases["no_musicbrainz"][0]
    response = http.get(f"{server.url}/musicbrainz/ws/2/isrc/{absent.isrc}?fmt=json")
    assert response.status_code == 404 and response.json()["error"] == "Not Found"
    assert http.get(f"{server.url}/musicbrainz/ws/2/isrc/nonsense?fmt=json").status_code == 400


def test_json_format_is_required(
    http: requests.Session, server: SandboxServer, data: Catalogue
) -> None:
    assert (
        http.get(f"{server.url}/musicbrainz/ws/2/isrc/{data.recordings[0].isrc}").status_code == 406
    )


def test_one_search_resolves_many_isrcs(
    http: requests.Session, server: SandboxServer, data: Catalogue
) -> None:
    wanted = [r for r in data.recordings[:40] if r.on("musicbrainz")][:5]
    query = "isrc:(" + " OR ".join(r.isrc for r in wanted) + ")"
    body = http.get(
        f"{server.url}/musicbrainz/ws/2/recording", params={"query": query, "fmt": "json"}
    ).json()
    assert body["count"] == 5
    assert {isrc for rec in body["recordings"] for isrc in rec["isrcs"]} == {r.isrc for r in wanted}
    real = sample("musicbrainz/recording_search_zankoku_na_tenshi_no_these.json")
    assert set(body) == set(real)
    assert missing_keys(real["recordings"][0], body["recordings"][0]) == [
        ".artist-credit[0].artist.aliases",
        ".releases[0].count",
    ]


def test_title_and_artist_search_scores_from_0_to_100(
    http: requests.Session, server: SandboxServer, data: Catalogue
) -> None:
    original = next(
        r for r in data.hard_cases["remix_family"] if not r.version and r.on("musicbrainz")
    )
    query = f'recording:"{original.title}" AND artist:"{original.artist.name}"'
    body = http.get(
        f"{server.url}/musicbrainz/ws/2/recording",
        params={"query": query, "limit": "10", "fmt": "json"},
    ).json()
    scores = [rec["score"] for rec in body["recordings"]]
    assert body["recordings"][0]["id"] == original.mbid and scores[0] == 100
    assert all(0 <= s <= 100 for s in scores) and scores == sorted(scores, reverse=True)


def test_lookup_honours_inc(http: requests.Session, server: SandboxServer, data: Catalogue) -> None:
    recording = next(r for r in data.recordings if r.on("musicbrainz"))
    url = f"{server.url}/musicbrainz/ws/2/recording/{recording.mbid}"
    bare = http.get(url, params={"fmt": "json"}).json()
    assert "artist-credit" not in bare and "releases" not in bare and "isrcs" not in bare
    full = http.get(
        url, params={"inc": "artist-credits releases labels isrcs", "fmt": "json"}
    ).json()
    assert full["isrcs"] == [recording.isrc]
    label_info = full["releases"][0]["label-info"][0]
    assert label_info["catalog-number"] == recording.release.catalog_number
    assert label_info["label"]["name"] == recording.release.label.name
    real = sample("musicbrainz/recording_lookup_with_releases_like_a_tim.json")
    assert {"id", "title", "length", "artist-credit", "releases"} <= set(full) & set(real)


def test_lookup_of_unknown_or_malformed_mbid(http: requests.Session, server: SandboxServer) -> None:
    base = f"{server.url}/musicbrainz/ws/2/recording"
    unknown = http.get(f"{base}/00000000-0000-4000-8000-000000000000", params={"fmt": "json"})
    assert unknown.status_code == 404
    assert http.get(f"{base}/not-a-uuid", params={"fmt": "json"}).status_code == 400


def test_a_live_recording_says_live_in_its_disambiguation_not_its_title(
    http: requests.Session, server: SandboxServer, data: Catalogue
) -> None:
    live = next(r for r in data.recordings if r.version == "Live" and r.on("musicbrainz"))
    url = f"{server.url}/musicbrainz/ws/2/isrc/{live.isrc}"
    (item,) = http.get(url, params={"inc": "artists", "fmt": "json"}).json()["recordings"]
    assert (item["title"], item["disambiguation"]) == (live.title, "live")
    other = next(r for r in data.recordings if r.version not in ("", "Live"))
    other_url = f"{server.url}/musicbrainz/ws/2/recording/{other.mbid}"
    body = http.get(other_url, params={"fmt": "json"}).json()
    assert (body["title"], body["disambiguation"]) == (other.bracketed_title, "")
