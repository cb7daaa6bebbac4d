"""The sandbox application: routing, limits, faults and stats around the simulated APIs."""

# Testable without sockets: `Sandbox().handle(Request.build("GET", "/<api prefix>/..."))`.
# Control endpoints: GET /_sandbox/stats, POST /_sandbox/reset, GET|POST /_sandbox/faults,
# POST /_sandbox/expire-tokens, GET /_sandbox/health.

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Mapping
from typing import Any

from sandbox.apis import APIS, Api, route
from sandbox.apis.common import malformed
from sandbox.base import Context, Request, Response, TokenStore, json_response
from sandbox.catalogue import DEFAULT_SEED, catalogue
from sandbox.faults import Decision, Faults, FaultSpec, parse_faults, spec_from_json
from sandbox.limits import WINDOWS_S, Limit, RateLimiter, parse_limits
from sandbox.search import SearchIndex
from sandbox.stats import Stats

logger = logging.getLogger(__name__)


class Sandbox:
    """All simulated APIs behind one `handle(request) -> response`."""

    def __init__(
        self,
        *,
        rate_scale: float = 1.0,
        latency_ms: float = 0,
        faults: str | FaultSpec | None = None,
        limits: str | Mapping[str, float | Limit] | None = None,
        seed: int = DEFAULT_SEED,
        token_ttl_s: int = 3600,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.rate_scale = rate_scale
        self.latency_s = latency_ms / 1000.0
        self.limiter = RateLimiter(parse_limits(limits), rate_scale, clock)
        spec = faults if isinstance(faults, FaultSpec) else parse_faults(faults)
        self.faults = Faults(spec, clock)
        self.stats = Stats({api.name: WINDOWS_S.get(api.name, 1.0) for api in APIS}, clock)
        data = catalogue(seed)
        self.ctx = Context(
            catalogue=data,
            search=SearchIndex(data),
            tokens=TokenStore(token_ttl_s, clock),
            features_forbidden=lambda: self.faults.spec.spotify_features_403,
            recent_requests=self.stats.recent,
            rate_per_s=self.limiter.rate,
        )

    def handle(self, request: Request) -> Response:
        """Answer one request as the matching upstream API (or a control endpoint) would."""
        if request.path == "/_sandbox" or request.path.startswith("/_sandbox/"):
            return self.control(request)
        routed = route(request.path)
        if routed is None:
            prefixes = {api.name: api.prefix for api in APIS}
            return json_response(404, {"error": "no simulated API at this path", "apis": prefixes})
        api, path = routed
        self.stats.arrive(api.name)
        decision = self.faults.decide(api.fault_scope)
        response, violation = self._answer(api, path, request, decision)
        if api.headers is not None:
            response.headers.update(api.headers(self.ctx))
        response.delay_s += self.latency_s + decision.delay_s
        self.stats.finish(api.name, response.status, violation, decision.action)
        return response

    def _answer(
        self, api: Api, path: str, request: Request, decision: Decision
    ) -> tuple[Response, bool]:
        """The response and whether the request broke the rate limit."""
        if decision.action == "down":
            return api.failure(500), False
        if decision.action == "storm":
            return api.too_many(decision.retry_after), False
        if api.rate_limited:
            allowed, retry_after = self.limiter.check(api.name)
            if not allowed:
                return api.too_many(retry_after), True
        if decision.action == "error":
            return api.failure(decision.status), False
        try:
            response = api.handle(request, path, self.ctx)
        except Exception:
            # A simulator bug must look like an upstream 500, not kill the connection.
            logger.exception("sandbox handler failed for %s %s", request.method, request.path)
            return api.failure(500), False
        if decision.action == "malformed":
            response = malformed(response, decision.html)
        return response, False

    def control(self, request: Request) -> Response:
        """The /_sandbox endpoints: stats, reset, faults, token expiry, health."""
        action = (request.method, request.path.rstrip("/"))
        if action == ("GET", "/_sandbox/stats"):
            return json_response(200, self.snapshot())
        if action == ("POST", "/_sandbox/reset"):
            self.stats.reset()
            self.limiter.reset()
            return json_response(200, {"reset": True})
        if action == ("GET", "/_sandbox/faults"):
            return json_response(200, self.faults.describe())
        if action == ("POST", "/_sandbox/faults"):
            return self._set_faults(request.body)
        if action == ("POST", "/_sandbox/expire-tokens"):
            self.ctx.tokens.expire_all()
            return json_response(200, {"expired": True})
        if action in (("GET", "/_sandbox/health"), ("GET", "/_sandbox")):
            return json_response(200, {"status": "ok", "apis": {a.name: a.prefix for a in APIS}})
        return json_response(404, {"error": f"no control endpoint {request.method} {request.path}"})

    def _set_faults(self, body: bytes) -> Response:
        try:
            spec = spec_from_json(json.loads(body or b"{}"))
        except (ValueError, TypeError) as exc:
            return json_response(400, {"error": str(exc)})
        self.faults.replace(spec)
        logger.info("faults set to %r", spec.to_spec())
        return json_response(200, self.faults.describe())

    def snapshot(self) -> dict[str, Any]:
        """Stats of every API plus the active configuration."""
        payload = self.stats.snapshot(self.limiter.describe)
        payload["config"] = {
            "rate_scale": self.rate_scale,
            "latency_ms": self.latency_s * 1000.0,
            "faults": self.faults.spec.to_spec(),
            "catalogue_size": len(self.ctx.catalogue),
            "catalogue_seed": self.ctx.catalogue.seed,
        }
        return payload
