"""API_TRUSTED_NETWORKS: callers inside need no token; everyone else is unaffected."""

from __future__ import annotations

import ipaddress
from typing import Any

import pytest
from django.core.checks import run_checks
from rest_framework.test import APIClient

from enrichment.trusted_networks import public_networks
from songnodes.env import Environment
from tests.api.conftest import seed_body

pytestmark = pytest.mark.django_db
COMPOSE_NETWORK = "172.28.0.0/16"


@pytest.fixture
def trusted(settings: Any) -> None:
    """The SongNodes compose network is trusted."""
    settings.API_TRUSTED_NETWORKS = (ipaddress.ip_network(COMPOSE_NETWORK),)


def client_at(address: str, **headers: Any) -> APIClient:
    """A client without credentials, calling from `address`."""
    return APIClient(REMOTE_ADDR=address, **headers)


def test_a_caller_in_a_trusted_network_may_write_without_a_token(trusted: None) -> None:
    response = client_at("172.28.0.7").post("/enrich", seed_body(sync=False))
    assert response.status_code == 202


def test_a_caller_in_a_trusted_network_may_read_without_a_token(trusted: None) -> None:
    assert client_at("172.28.0.7").get("/stats").status_code == 200


def test_an_ipv4_client_on_a_dual_stack_socket_is_recognised(trusted: None) -> None:
    assert client_at("::ffff:172.28.0.7").get("/stats").status_code == 200


def test_a_caller_outside_the_trusted_networks_still_needs_a_token(trusted: None) -> None:
    assert client_at("10.1.2.3").post("/enrich", seed_body(sync=False)).status_code == 401


def test_nobody_is_trusted_by_default() -> None:
    assert client_at("127.0.0.1").post("/enrich", seed_body(sync=False)).status_code == 401


def test_a_forged_forwarded_for_header_is_not_read_without_a_proxy(trusted: None) -> None:
    client = client_at("203.0.113.9", HTTP_X_FORWARDED_FOR="172.28.0.7")
    assert client.post("/enrich", seed_body(sync=False)).status_code == 401


def test_behind_a_declared_proxy_the_forwarded_client_address_decides(
    trusted: None, settings: Any
) -> None:
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}
    inside = client_at("10.0.0.2", HTTP_X_FORWARDED_FOR="172.28.0.7")
    outside = client_at("172.28.0.2", HTTP_X_FORWARDED_FOR="198.51.100.4")
    assert inside.post("/enrich", seed_body(sync=False)).status_code == 202
    assert outside.post("/enrich", seed_body(sync=False)).status_code == 401


def test_wrong_tokens_from_a_trusted_network_are_refused_but_never_lock_it_out(
    trusted: None, settings: Any
) -> None:
    settings.AUTH_FAILURE_LIMIT = 2
    client = client_at("172.28.0.7", HTTP_AUTHORIZATION="Token " + "0" * 40)
    codes = {client.get("/stats").status_code for _ in range(4)}
    assert codes == {401}
    assert client_at("172.28.0.7").get("/stats").status_code == 200


def test_the_environment_reads_networks_and_refuses_host_bits() -> None:
    env = Environment({"API_TRUSTED_NETWORKS": "172.28.0.0/16, 10.0.0.0/8", "BAD": "10.0.0.1/8"})
    assert [str(n) for n in env.networks("API_TRUSTED_NETWORKS")] == [COMPOSE_NETWORK, "10.0.0.0/8"]
    assert env.networks("BAD") == ()
    assert env.invalid == {"BAD": "10.0.0.1/8"}


def test_an_unreadable_network_is_a_check_error_naming_the_variable(settings: Any) -> None:
    settings.INVALID_SETTINGS = {"API_TRUSTED_NETWORKS": "172.28.0.0/33"}
    settings.SETTING_KINDS = {"API_TRUSTED_NETWORKS": "networks"}
    errors = [m for m in run_checks() if m.id == "songnodes.E008"]
    assert [m.obj for m in errors] == ["API_TRUSTED_NETWORKS"]
    assert "CIDR" in errors[0].msg


@pytest.mark.parametrize("network", ["0.0.0.0/0", "8.8.8.0/24", "::/0", "172.0.0.0/8"])
def test_a_trusted_network_with_public_addresses_is_warned_about(
    settings: Any, network: str
) -> None:
    settings.API_TRUSTED_NETWORKS = (ipaddress.ip_network(network),)
    warnings = [m for m in run_checks() if m.id == "songnodes.W030"]
    assert len(warnings) == 1
    assert network in warnings[0].msg


@pytest.mark.parametrize("network", [COMPOSE_NETWORK, "10.0.0.0/8", "fd00::/8", "127.0.0.1/32"])
def test_private_networks_are_not_warned_about(network: str) -> None:
    assert public_networks([ipaddress.ip_network(network)]) == []
