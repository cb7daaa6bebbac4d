"""HTTP server for the sandbox (ThreadingHTTPServer) and its command line."""

# python -m sandbox --port 8099 [--rate-scale X | --no-limits] [--latency-ms M]
#                   [--faults SPEC] [--limits API=RATE[:BURST],...] [--print-env]

from __future__ import annotations

import argparse
import logging
import sys
import threading
import time
from collections.abc import Mapping, Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from enrichment.sources import registry
from sandbox.app import Sandbox
from sandbox.base import Request
from sandbox.faults import APIS as FAULT_SCOPES
from sandbox.faults import FaultSpec, parse_faults
from sandbox.limits import DEFAULT_LIMITS, Limit, parse_limits

DEFAULT_PORT = 8099


class Handler(BaseHTTPRequestHandler):
    """Hands every request to the Sandbox and writes its response (keep-alive)."""

    protocol_version = "HTTP/1.1"
    server_version = "SongNodesSandbox/1.0"
    # Headers and body are written separately; without this Nagle adds ~40 ms per request.
    disable_nagle_algorithm = True
    server: SandboxServer

    def _dispatch(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length > 0 else b""
        request = Request.build(self.command, self.path, dict(self.headers.items()), body)
        response = self.server.sandbox.handle(request)
        if response.delay_s > 0:
            time.sleep(response.delay_s)
        self.send_response(response.status)
        for name, value in response.headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(response.body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(response.body)

    do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = _dispatch

    def log_message(self, format: str, *args: Any) -> None:
        if self.server.verbose:
            super().log_message(format, *args)


class SandboxServer(ThreadingHTTPServer):
    """A threading HTTP server bound to one Sandbox."""

    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 256

    def __init__(self, host: str, port: int, sandbox: Sandbox, verbose: bool = False) -> None:
        self.sandbox = sandbox
        self.verbose = verbose
        self._thread: threading.Thread | None = None
        super().__init__((host, port), Handler)

    @property
    def url(self) -> str:
        """Base URL clients should use (0.0.0.0 is reached through 127.0.0.1)."""
        host, port = str(self.server_address[0]), self.server_address[1]
        shown = "127.0.0.1" if host in ("0.0.0.0", "") else host
        return f"http://{shown}:{port}"

    def start_background(self) -> SandboxServer:
        """Serve from a daemon thread (tests, benchmarks)."""
        self._thread = threading.Thread(
            target=self.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close the socket."""
        self.shutdown()
        self.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)


def make_server(
    port: int = DEFAULT_PORT,
    *,
    rate_scale: float = 1.0,
    latency_ms: float = 0,
    faults: str | FaultSpec | None = None,
    limits: str | Mapping[str, float | Limit] | None = None,
    host: str = "127.0.0.1",
    verbose: bool = False,
    **options: Any,
) -> SandboxServer:
    """A bound but not yet serving sandbox server (port 0 picks a free port)."""
    app = Sandbox(
        rate_scale=rate_scale, latency_ms=latency_ms, faults=faults, limits=limits, **options
    )
    return SandboxServer(host, port, app, verbose)


def start(port: int = 0, **settings: Any) -> SandboxServer:
    """A sandbox serving from a background thread; call .stop() when done."""
    return make_server(port, **settings).start_background()


def serve(
    port: int = DEFAULT_PORT,
    *,
    rate_scale: float = 1.0,
    latency_ms: float = 0,
    faults: str | FaultSpec | None = None,
    limits: str | Mapping[str, float | Limit] | None = None,
    host: str = "127.0.0.1",
    **options: Any,
) -> None:
    """Serve the sandbox in the foreground until interrupted."""
    server = make_server(
        port, rate_scale=rate_scale, latency_ms=latency_ms, faults=faults, limits=limits,
        host=host, **options,
    )  # fmt: skip
    print(f"sandbox listening on {server.url} (stats: {server.url}/_sandbox/stats)", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


def env_lines(base_url: str) -> list[str]:
    """The registry's <SOURCE>_API_URL lines pointing at a sandbox, then fake credentials."""
    base = base_url.rstrip("/")
    lines = [
        f"{variable}={base}{path}"
        for api in registry.APIS
        for variable, path in api.sandbox_paths.items()
    ]
    # The sandbox accepts any non-empty credential; these only fill the variables.
    credentials = registry.all_credentials()
    return lines + [f"{c.variable}={c.sandbox_value}" for c in credentials if c.sandbox_value]


def build_parser() -> argparse.ArgumentParser:
    """The command-line options of `python -m sandbox` / `manage.py sandbox`."""
    parser = argparse.ArgumentParser(prog="sandbox", description="Serve the fake upstream APIs.")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument(
        "--rate-scale", type=float, default=1.0, help="multiply every limit (0 = off)"
    )
    parser.add_argument("--no-limits", action="store_true", help="disable rate-limit enforcement")
    parser.add_argument("--latency-ms", type=float, default=0.0, help="added to every response")
    parser.add_argument(
        "--faults", default="", help=f"e.g. error_rate=0.05,storm={FAULT_SCOPES[0]}:10:5"
    )
    parser.add_argument(
        "--limits",
        default="",
        help=f"API=RATE[:BURST] (requests/s), comma-separated; APIs: {', '.join(DEFAULT_LIMITS)}",
    )
    parser.add_argument("--token-ttl", type=int, default=3600, help="Spotify token lifetime (s)")
    parser.add_argument("--print-env", action="store_true", help="print the env lines and exit")
    parser.add_argument("--verbose", action="store_true", help="log every request")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Parse arguments, then print the environment or serve until interrupted."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.print_env:
        host = "127.0.0.1" if args.host in ("0.0.0.0", "") else args.host
        print("\n".join(env_lines(f"http://{host}:{args.port}")))
        return 0
    try:
        faults = parse_faults(args.faults)
        limits = parse_limits(args.limits or None)
    except ValueError as exc:
        parser.error(str(exc))
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING)
    serve(
        args.port,
        rate_scale=0.0 if args.no_limits else args.rate_scale,
        latency_ms=args.latency_ms,
        faults=faults,
        limits=limits,
        host=args.host,
        token_ttl_s=args.token_ttl,
        verbose=args.verbose,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
