"""API_TRUSTED_NETWORKS: is a request's client inside a network whose callers need no token?

The client address is the one the throttles and the failed-authentication counter use:
REMOTE_ADDR, or the X-Forwarded-For entry API_NUM_PROXIES proxies back. With no proxy
declared a forged X-Forwarded-For header is never read, so it cannot make a caller trusted.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from rest_framework.throttling import BaseThrottle

from songnodes.env import Network


def client_address(request: Any) -> str:
    """The client's address as the API throttles see it (API_NUM_PROXIES honoured)."""
    return str(BaseThrottle().get_ident(request))


def is_trusted_address(address: str, networks: Iterable[Network] | None = None) -> bool:
    """Is the address inside one of the networks (API_TRUSTED_NETWORKS by default)?"""
    chosen = settings.API_TRUSTED_NETWORKS if networks is None else networks
    try:
        parsed = ipaddress.ip_address(address.strip())
    except ValueError:
        return False
    # A dual-stack socket reports an IPv4 client as ::ffff:a.b.c.d.
    mapped = getattr(parsed, "ipv4_mapped", None)
    return any((mapped or parsed) in network for network in chosen)


def is_trusted(request: Any) -> bool:
    """Does the request come from API_TRUSTED_NETWORKS?"""
    return bool(settings.API_TRUSTED_NETWORKS) and is_trusted_address(client_address(request))


def public_networks(networks: Iterable[Network]) -> list[Network]:
    """The networks that include addresses outside private, loopback and link-local ranges."""
    return [network for network in networks if not _all_private(network)]


def _all_private(network: Network) -> bool:
    first, last = network[0], network[-1]
    # A network is private when both ends are and no public range lies between: the private
    # ranges are contiguous blocks, so one private block holding both ends decides it.
    return any(
        first in block and last in block
        for block in _PRIVATE_BLOCKS
        if block.version == network.version
    )


_PRIVATE_BLOCKS = [
    ipaddress.ip_network(block)
    for block in (
        "10.0.0.0/8",
        "172.16.0.0/12",
        "192.168.0.0/16",
        "127.0.0.0/8",
        "169.254.0.0/16",
        "100.64.0.0/10",  # carrier-grade NAT, e.g. Kubernetes pod networks
        "::1/128",
        "fc00::/7",
        "fe80::/10",
    )
]
