"""Helpers shared by the simulated APIs: paging and error bodies."""

from __future__ import annotations

from sandbox.base import Response, json_response


def int_param(value: str, default: int, low: int, high: int) -> int | None:
    """Parse a numeric query parameter; None when it is not a number in [low, high]."""
    if value == "":
        return default
    try:
        number = int(value)
    except ValueError:
        return None
    return number if low <= number <= high else None


def html_error_page(status: int = 502) -> bytes:
    """The kind of HTML a proxy sends when the service behind it fails."""
    return (
        f"<html><head><title>{status} Bad Gateway</title></head><body>"
        f"<center><h1>{status} Bad Gateway</h1></center><hr><center>nginx</center>"
        "</body></html>"
    ).encode()


def malformed(response: Response, html: bool) -> Response:
    """A 200 whose body cannot be parsed: an HTML error page or the JSON cut in half."""
    if html:
        return Response(200, html_error_page(), {"Content-Type": "text/html"}, response.delay_s)
    cut = response.body[: max(1, len(response.body) // 2)]
    return Response(200, cut, dict(response.headers), response.delay_s)


def method_not_allowed() -> Response:
    """405 for a method the simulated endpoint does not serve."""
    return json_response(405, {"error": {"status": 405, "message": "Method not allowed"}})
