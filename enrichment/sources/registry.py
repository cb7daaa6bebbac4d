"""Every upstream provider, described once; everything else derives from these entries.

Adding a source is one new adapter module (its class and its lookup step) plus one `Provider`
entry here. The order and steps of an enrichment attempt, merge precedence, settings defaults
and credentials, system checks, admin filters and links, the dashboard, the sandbox's
environment lines and the benchmarks read these descriptors instead of naming providers.

This module imports nothing from Django or the adapters at import time, so that settings can
read it: adapter classes are named by dotted path and loaded on first use.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import TYPE_CHECKING, Any

from enrichment.fields import UNIT_FEATURES

if TYPE_CHECKING:
    from enrichment.lookups import Step
    from enrichment.sources.base import Source


@dataclass(frozen=True)
class Credential:
    """One environment variable a provider needs, and how an operator obtains it."""

    variable: str
    explanation: str
    secret: bool = True  # False for values that are safe to show (a User-Agent)
    sandbox_value: str = ""  # what `sandbox --print-env` sets it to


@dataclass(frozen=True)
class Provider:
    """One upstream provider: where it lives, what it may supply, how it is paced and linked.

    `supplies` maps each field the provider may write to its precedence rank for that field:
    0 is the most trusted source of the field, higher ranks yield to lower ones.

    A provider with `capability_of` set is a second endpoint family of another provider's API
    (Spotify's audio features): it shares that provider's adapter, credentials, rate limit and
    circuit breaker, but is ranked, asked and reported on its own.
    """

    name: str
    label: str
    adapter_path: str  # "package.module.Class"
    step_path: str  # "package.module.function": how an attempt asks this provider (lookups.Step)
    api_url: str
    rate_limit: float  # requests per second, the default for <NAME>_RATE_LIMIT
    supplies: Mapping[str, int]
    identifies: bool  # finds the track's identifiers (text or ISRC search), not only enriches
    credentials: tuple[Credential, ...] = ()
    extra_urls: Mapping[str, str] = field(default_factory=dict)  # other <VARIABLE>: default URL
    sandbox_paths: Mapping[str, str] = field(default_factory=dict)  # <VARIABLE>: sandbox path
    id_field: str | None = None  # the track column holding this provider's identifier
    link_template: str | None = None  # the public page of id_field's value ("{}" = the id)
    # Pages this provider keeps for other columns' values: column -> (label, template).
    other_links: Mapping[str, tuple[str, str]] = field(default_factory=dict)
    capability_of: str | None = None
    # Asked only when its credentials are set: ENRICHMENT_SOURCES' default leaves it out
    # otherwise, so a deployment without them is not degraded (no warning, no partial tracks).
    opt_in: bool = False

    @property
    def api(self) -> str:
        """The API whose adapter, limiter, breaker and credentials this provider uses."""
        return self.capability_of or self.name

    @property
    def env_prefix(self) -> str:
        return self.api.upper()

    @property
    def api_url_variable(self) -> str:
        return f"{self.env_prefix}_API_URL"

    @property
    def rate_limit_variable(self) -> str:
        return f"{self.env_prefix}_RATE_LIMIT"

    def adapter(self) -> type[Source]:
        """The adapter class (imported on first use)."""
        adapter: type[Source] = _load(PROVIDERS_BY_NAME[self.api].adapter_path)
        return adapter

    def step(self) -> Step:
        """The lookup step an enrichment attempt runs for this provider (imported on first use)."""
        step: Step = _load(self.step_path)
        return step


@cache
def _load(path: str) -> Any:  # Any: whatever the dotted path names; callers annotate it
    module, _, name = path.rpartition(".")
    return getattr(importlib.import_module(module), name)


_AUDIO_FEATURES = {"bpm": 0, "key_pitch_class": 0, **dict.fromkeys(UNIT_FEATURES, 0)}
_AUDIO_FEATURES |= {"loudness": 0, "time_signature": 0}

# In waterfall order, the order an attempt asks them: identifying providers first (they find
# spotify_id / isrc / musicbrainz_id), then those that need those identifiers (ReccoBeats needs
# a Spotify id, Last.fm prefers an MBID).
PROVIDERS: tuple[Provider, ...] = (
    Provider(
        name="spotify",
        label="Spotify",
        adapter_path="enrichment.sources.spotify.SpotifySource",
        step_path="enrichment.sources.spotify.identify_track",
        api_url="https://api.spotify.com/v1",
        extra_urls={"SPOTIFY_AUTH_URL": "https://accounts.spotify.com/api/token"},
        sandbox_paths={
            "SPOTIFY_API_URL": "/spotify/v1",
            "SPOTIFY_AUTH_URL": "/spotify/accounts/api/token",
        },
        rate_limit=3.0,
        identifies=True,
        credentials=(
            Credential(
                "SPOTIFY_CLIENT_ID", "a Spotify app's client id", sandbox_value="sandbox-client-id"
            ),
            Credential(
                "SPOTIFY_CLIENT_SECRET",
                "that app's client secret",
                sandbox_value="sandbox-client-secret",
            ),
        ),
        supplies={
            "spotify_id": 0,
            "isrc": 0,
            "duration_ms": 0,
            "label": 2,
            "release_date": 1,
            "spotify_popularity": 0,
        },
        id_field="spotify_id",
        link_template="https://open.spotify.com/track/{}",
    ),
    Provider(
        name="musicbrainz",
        label="MusicBrainz",
        adapter_path="enrichment.sources.musicbrainz.MusicBrainzSource",
        step_path="enrichment.sources.musicbrainz.identify_recording",
        api_url="https://musicbrainz.org/ws/2",
        sandbox_paths={"MUSICBRAINZ_API_URL": "/musicbrainz/ws/2"},
        rate_limit=0.9,
        identifies=True,
        credentials=(
            Credential(
                "MUSICBRAINZ_USER_AGENT",
                "a User-Agent naming the application and a contact, "
                "e.g. 'SongNodes/1.0 ( you@example.org )'",
                secret=False,
                sandbox_value="SongNodesEnrichment/0.1 ( sandbox@example.org )",
            ),
        ),
        supplies={
            "isrc": 1,
            "musicbrainz_id": 0,
            "duration_ms": 1,
            "label": 1,
            "catalog_number": 1,
            # The first release date is the original; Spotify's may be a reissue's.
            "release_date": 0,
            "release_country": 0,
        },
        id_field="musicbrainz_id",
        link_template="https://musicbrainz.org/recording/{}",
        # An ISRC is no provider's own identifier; MusicBrainz keeps the open index of them.
        other_links={"isrc": ("ISRC", "https://musicbrainz.org/isrc/{}")},
    ),
    Provider(
        name="deezer",
        label="Deezer",
        adapter_path="enrichment.sources.deezer.DeezerSource",
        step_path="enrichment.sources.deezer.identify_track",
        api_url="https://api.deezer.com",
        sandbox_paths={"DEEZER_API_URL": "/deezer"},
        rate_limit=5.0,
        identifies=True,
        # Deezer's bpm is a fallback: coarser, and 0 means unknown (the adapter drops it).
        supplies={"isrc": 2, "deezer_id": 0, "bpm": 3, "duration_ms": 2, "release_date": 2},
        id_field="deezer_id",
        link_template="https://www.deezer.com/track/{}",
    ),
    Provider(
        name="spotify_features",
        label="Spotify audio features",
        adapter_path="enrichment.sources.spotify.SpotifySource",
        step_path="enrichment.sources.spotify.audio_features_step",
        api_url="https://api.spotify.com/v1",
        rate_limit=3.0,
        identifies=False,
        supplies={**_AUDIO_FEATURES, "duration_ms": 3},
        capability_of="spotify",
    ),
    Provider(
        name="discogs",
        label="Discogs",
        adapter_path="enrichment.sources.discogs.DiscogsSource",
        step_path="enrichment.sources.discogs.release_step",
        api_url="https://api.discogs.com",
        sandbox_paths={"DISCOGS_API_URL": "/discogs"},
        rate_limit=0.9,
        identifies=True,
        credentials=(
            Credential(
                "DISCOGS_TOKEN",
                "a personal access token from discogs.com/settings/developers",
                sandbox_value="sandbox-discogs-token",
            ),
        ),
        # Discogs knows labels and catalog numbers best; its styles beat crowd tags for genres.
        supplies={
            "genre": 0,
            "genres": 0,
            "discogs_id": 0,
            "label": 0,
            "catalog_number": 0,
            "release_date": 3,
            "release_country": 1,
        },
        id_field="discogs_id",
        link_template="https://www.discogs.com/release/{}",
    ),
    Provider(
        name="lastfm",
        label="Last.fm",
        adapter_path="enrichment.sources.lastfm.LastfmSource",
        step_path="enrichment.sources.lastfm.track_step",
        api_url="https://ws.audioscrobbler.com/2.0/",
        sandbox_paths={"LASTFM_API_URL": "/lastfm/2.0/"},
        rate_limit=0.5,
        identifies=False,
        credentials=(
            Credential(
                "LASTFM_API_KEY",
                "an API key from https://www.last.fm/api/account/create",
                sandbox_value="sandbox-lastfm-key",
            ),
        ),
        supplies={"lastfm_playcount": 0, "lastfm_listeners": 0, "genre": 1, "genres": 1},
    ),
    Provider(
        name="reccobeats",
        label="ReccoBeats",
        adapter_path="enrichment.sources.reccobeats.ReccoBeatsSource",
        step_path="enrichment.sources.reccobeats.audio_features_step",
        api_url="https://api.reccobeats.com/v1",
        sandbox_paths={"RECCOBEATS_API_URL": "/reccobeats/v1"},
        rate_limit=2.0,
        identifies=False,
        supplies={**{name: 1 for name in _AUDIO_FEATURES}, "duration_ms": 4},
    ),
    Provider(
        name="tidal",
        label="TIDAL",
        adapter_path="enrichment.sources.tidal.TidalSource",
        step_path="enrichment.sources.tidal.isrc_step",
        api_url="https://openapi.tidal.com/v2",
        extra_urls={"TIDAL_AUTH_URL": "https://auth.tidal.com/v1/oauth2/token"},
        sandbox_paths={
            "TIDAL_API_URL": "/tidal/v2",
            "TIDAL_AUTH_URL": "/tidal/auth/v1/oauth2/token",
        },
        # TIDAL states no numbers; its own SDK backs off on 429. A modest default.
        rate_limit=2.0,
        identifies=False,  # asked by ISRC only, once the identifying providers found one
        credentials=(
            Credential(
                "TIDAL_CLIENT_ID",
                "a TIDAL developer app's client id (https://developer.tidal.com/dashboard)",
                sandbox_value="sandbox-tidal-client-id",
            ),
            Credential(
                "TIDAL_CLIENT_SECRET",
                "that app's client secret",
                sandbox_value="sandbox-tidal-client-secret",
            ),
        ),
        # Tempo and key where TIDAL has analysed the track: just below ReccoBeats, above
        # Deezer's coarser bpm.
        supplies={"tidal_id": 0, "bpm": 2, "key_pitch_class": 2},
        id_field="tidal_id",
        link_template="https://tidal.com/browse/track/{}",
        opt_in=True,
    ),
)
PROVIDERS_BY_NAME: dict[str, Provider] = {provider.name: provider for provider in PROVIDERS}
# The upstream APIs: one adapter, limiter, breaker and set of credentials each.
APIS: tuple[Provider, ...] = tuple(p for p in PROVIDERS if p.capability_of is None)
# Accepted for compatibility with the original service, which named Beatport; no adapter.
UNSUPPORTED_CREDENTIALS = (
    Credential("BEATPORT_API_KEY", "accepted for compatibility; Beatport is not supported"),
)


def default_sources(credential_values: Mapping[str, str]) -> list[str]:
    """The APIs asked by default: every one, an opt-in one only with all its credentials set."""
    return [
        api.name
        for api in APIS
        if not api.opt_in or all(credential_values.get(c.variable) for c in api.credentials)
    ]


def provider(name: str) -> Provider:
    """The descriptor of one provider (KeyError for an unknown name)."""
    return PROVIDERS_BY_NAME[name]


def all_credentials() -> tuple[Credential, ...]:
    """Every credential variable any provider reads, then the accepted unsupported ones."""
    return (*(c for api in APIS for c in api.credentials), *UNSUPPORTED_CREDENTIALS)


def precedence() -> dict[str, tuple[str, ...]]:
    """Field -> the providers that may supply it, most trusted first."""
    fields: dict[str, list[tuple[int, str]]] = {}
    for entry in PROVIDERS:
        for name, rank in entry.supplies.items():
            fields.setdefault(name, []).append((rank, entry.name))
    return {name: tuple(p for _, p in sorted(ranked)) for name, ranked in fields.items()}


def identifier_source(column: str) -> Provider:
    """The provider whose own identifier a track column holds (KeyError if none does)."""
    for entry in PROVIDERS:
        if entry.id_field == column:
            return entry
    raise KeyError(column)


def providers_for(apis: Iterable[str]) -> list[str]:
    """The providers asked when these APIs are enabled: the APIs, then their capabilities."""
    names = list(apis)
    return [*names, *(entry.name for entry in PROVIDERS if entry.capability_of in names)]


def outranked_by(name: str) -> tuple[str, ...]:
    """The providers ranked above this one for every field it supplies (it only fills gaps)."""
    above = [set(order[: order.index(name)]) for order in precedence().values() if name in order]
    common = set.intersection(*above) if above else set()
    return tuple(entry.name for entry in PROVIDERS if entry.name in common)


class _Adapters(Mapping[str, "type[Source]"]):
    """API name -> adapter class, in registry order; each adapter is imported on first use."""

    def __getitem__(self, name: str) -> type[Source]:
        entry = PROVIDERS_BY_NAME[name]
        if entry.capability_of is not None:  # a capability shares its API's adapter
            raise KeyError(name)
        return entry.adapter()

    def __iter__(self) -> Iterator[str]:
        return (api.name for api in APIS)

    def __len__(self) -> int:
        return len(APIS)


SOURCES: Mapping[str, type[Source]] = _Adapters()


def configured_sources() -> dict[str, str | None]:
    """Each API's missing-configuration message, or None when it can be used."""
    return {api.name: api.adapter().missing_configuration() for api in APIS}
