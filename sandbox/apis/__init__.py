"""The simulated APIs, discovered: every sandbox/apis/<name>.py declaring `SIMULATED`."""

# Adding an API to the sandbox is one module here (plus its entry in the provider registry,
# which gives its URL prefix); nothing else lists the APIs.

from __future__ import annotations

import importlib
import pkgutil

from sandbox.apis.common import Api, Simulated

__all__ = ["APIS", "SIMULATED_APIS", "Api", "Simulated", "route"]


def _discover() -> tuple[Simulated, ...]:
    found = []
    for module in pkgutil.iter_modules(__path__):
        declared = getattr(importlib.import_module(f"{__name__}.{module.name}"), "SIMULATED", None)
        if isinstance(declared, Simulated):
            found.append(declared)
    return tuple(sorted(found, key=lambda simulated: simulated.position))


SIMULATED_APIS: tuple[Simulated, ...] = _discover()
# Every endpoint family, in position order; names key stats, limits and fault scopes.
APIS: tuple[Api, ...] = tuple(api for simulated in SIMULATED_APIS for api in simulated.apis)


def route(path: str) -> tuple[Api, str] | None:
    """The API serving `path` and the rest of the path after its prefix."""
    for api in APIS:
        if path == api.prefix or path.startswith(api.prefix + "/"):
            return api, path[len(api.prefix) :]
    return None
