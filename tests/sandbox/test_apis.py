"""The simulated APIs are discovered from their modules and agree with the provider registry."""

from __future__ import annotations

from enrichment.sources import registry
from sandbox.apis import APIS, SIMULATED_APIS, route
from sandbox.catalogue import Catalogue
from sandbox.hardcases import DESCRIPTIONS
from sandbox.server import env_lines


def test_every_registry_api_has_one_sandbox_module() -> None:
    assert sorted(s.name for s in SIMULATED_APIS) == sorted(api.name for api in registry.APIS)
    assert len({s.position for s in SIMULATED_APIS}) == len(SIMULATED_APIS)


def test_each_sandbox_path_of_the_registry_is_served_by_its_api() -> None:
    for api in registry.APIS:
        for path in api.sandbox_paths.values():
            routed = route(path.rstrip("/"))
            assert routed is not None and routed[0].fault_scope == api.name, path


def test_print_env_holds_every_registry_path_and_sandbox_credential() -> None:
    lines = dict(line.split("=", 1) for line in env_lines("http://sandbox:1"))
    for api in registry.APIS:
        for variable, path in api.sandbox_paths.items():
            assert lines.pop(variable) == f"http://sandbox:1{path}"
    for credential in registry.all_credentials():
        if credential.sandbox_value:
            assert lines.pop(credential.variable) == credential.sandbox_value
    assert lines == {}


def test_every_api_module_contributes_its_hard_cases(data: Catalogue) -> None:
    for simulated in SIMULATED_APIS:
        for name, case in simulated.hard_cases.items():
            assert DESCRIPTIONS[name] == case.description
            assert all(case.applies(r) for r in data.hard_cases[name])


def test_rate_limited_apis_state_a_window() -> None:
    limited = [api for api in APIS if api.rate_limited]
    assert limited and all(api.window_s >= 1.0 for api in limited)
