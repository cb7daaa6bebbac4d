"""Headless Chromium driven over the DevTools protocol on a pipe (standard library only).

`--remote-debugging-pipe` makes Chromium read commands from fd 3 and write replies to fd 4,
each a JSON message ending in NUL: no websocket, no driver binary, no extra package.
"""

from __future__ import annotations

import base64
import contextlib
import fcntl
import json
import os
import select
import subprocess
import time
from pathlib import Path
from typing import Any

FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--remote-debugging-pipe",
)


class BrowserError(RuntimeError):
    """Chromium answered with an error, closed the pipe, or did not answer in time."""


class Browser:
    """One headless Chromium process and one page in it."""

    def __init__(self, binary: str, profile: Path, timeout: float = 30.0) -> None:
        self.timeout = timeout
        self._next_id = 0
        self._buffer = b""
        commands_read, self._commands = os.pipe()
        self._replies, replies_write = os.pipe()
        # Chromium's ends go to fds 3 and 4 by bash redirection (no Python runs in the child);
        # parked above 10 first so that placing them cannot clobber each other.
        child_read = fcntl.fcntl(commands_read, fcntl.F_DUPFD, 10)
        child_write = fcntl.fcntl(replies_write, fcntl.F_DUPFD, 10)
        command = [binary, *FLAGS, f"--user-data-dir={profile}", "about:blank"]
        # Chromium's own messages, kept to explain a browser that dies or never answers.
        self.log = profile.with_name(profile.name + ".log")
        self.log.parent.mkdir(parents=True, exist_ok=True)
        log = self.log.open("wb")
        self.process = subprocess.Popen(
            ["/bin/bash", "-c", f'exec "$@" 3<&{child_read} 4>&{child_write}', "bash", *command],
            pass_fds=(child_read, child_write),
            stdout=subprocess.DEVNULL,
            stderr=log,
        )
        log.close()
        for fd in (commands_read, replies_write, child_read, child_write):
            os.close(fd)
        try:
            target = self.call("Target.createTarget", {"url": "about:blank"})["targetId"]
            attached = self.call("Target.attachToTarget", {"targetId": target, "flatten": True})
        except BrowserError:
            self.close()  # no browser left behind by a failed start
            raise
        self.session = attached["sessionId"]

    def call(self, method: str, params: dict[str, Any] | None = None, page: bool = False) -> Any:
        """Send one command and wait for its reply (events in between are dropped)."""
        self._next_id += 1
        message: dict[str, Any] = {"id": self._next_id, "method": method, "params": params or {}}
        if page:
            message["sessionId"] = self.session
        os.write(self._commands, json.dumps(message).encode() + b"\0")
        deadline = time.monotonic() + self.timeout
        while True:
            reply = self._read_message(deadline)
            if reply.get("id") == self._next_id:
                if "error" in reply:
                    raise BrowserError(f"{method}: {reply['error']}")
                return reply.get("result", {})

    def _read_message(self, deadline: float) -> dict[str, Any]:
        while b"\0" not in self._buffer:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not select.select([self._replies], [], [], remaining)[0]:
                raise BrowserError(f"Chromium did not answer in time{self._log_tail()}")
            chunk = os.read(self._replies, 1 << 16)
            if not chunk:
                raise BrowserError(f"Chromium closed the pipe{self._log_tail()}")
            self._buffer += chunk
        raw, self._buffer = self._buffer.split(b"\0", 1)
        return json.loads(raw)

    def _log_tail(self, lines: int = 20) -> str:
        """The end of Chromium's messages, for an error."""
        try:
            tail = self.log.read_text(errors="replace").splitlines()[-lines:]
        except OSError:
            return ""
        return "; Chromium said:\n" + "\n".join(tail) if tail else ""

    def set_cookie(self, name: str, value: str, url: str) -> None:
        self.call("Network.setCookie", {"name": name, "value": value, "url": url}, page=True)

    def goto(self, url: str) -> None:
        """Load a page and wait until it has finished loading."""
        self.call("Page.navigate", {"url": url}, page=True)
        self.wait_for(f"location.href === {json.dumps(url)} && document.readyState === 'complete'")

    def wait_for(self, condition: str) -> None:
        """Poll a JavaScript condition until it holds."""
        deadline = time.monotonic() + self.timeout
        while not self.evaluate(f"Boolean({condition})"):
            if time.monotonic() > deadline:
                raise BrowserError(f"timed out waiting for {condition}")
            time.sleep(0.05)

    def evaluate(self, expression: str) -> Any:
        """The value of a JavaScript expression in the page."""
        params = {"expression": expression, "returnByValue": True}
        result = self.call("Runtime.evaluate", params, page=True)
        if "exceptionDetails" in result:
            raise BrowserError(f"{expression}: {result['exceptionDetails']}")
        return result["result"].get("value")

    def screenshot(self, path: Path, width: int = 1400) -> Path:
        """Save the whole page (up to 6000 px tall) as a PNG."""
        self._viewport(width, 900)  # measure at a normal height, not the last page's
        height = min(int(self.evaluate("document.documentElement.scrollHeight")), 6000)
        self._viewport(width, height)
        data = self.call("Page.captureScreenshot", {"format": "png"}, page=True)["data"]
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(base64.b64decode(data))
        return path

    def _viewport(self, width: int, height: int) -> None:
        metrics = {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False}
        self.call("Emulation.setDeviceMetricsOverride", metrics, page=True)

    def close(self) -> None:
        with contextlib.suppress(BrowserError, OSError):  # already gone: a broken pipe
            self.call("Browser.close")
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        os.close(self._commands)
        os.close(self._replies)

    def __enter__(self) -> Browser:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
