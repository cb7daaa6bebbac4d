"""A deployment on this machine for tests: gunicorn web, a worker container, a real Prometheus.

Each process is started as compose starts its container (the same entry points and config
files), on a free loopback port, with a metrics directory of its own: the web's /metrics and
the worker's :<port>/metrics serve what they would in their own containers.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import yaml

from tests.deploy.conftest import ALERTS, DEPLOY, load_yaml
from tests.subprocesses import ROOT, child_env

T = TypeVar("T")
CONFIG = DEPLOY / "prometheus" / "prometheus.yml"
WEB_JOB = "songnodes-web"
WORKER_JOB = "songnodes-worker"


def free_port() -> int:
    """A loopback port nothing listens on (the OS picks it)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def container_env(directory: Path) -> dict[str, str]:
    """A process's own metrics files, as if in its own container (nothing shared)."""
    return {
        "PROMETHEUS_METRICS_DIR": str(directory),
        "PROMETHEUS_MULTIPROC_DIR": str(directory / "host"),
    }


def launch(args: list[str], log: Path, **env: str) -> subprocess.Popen[bytes]:
    """Start a process in the repository against the test database; output to `log`."""
    with log.open("wb") as output:
        return subprocess.Popen(
            args,
            cwd=ROOT,
            env=child_env(**env),
            stdin=subprocess.DEVNULL,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own group: stopped (or killed) with its children
        )


def web(port: int, directory: Path, **env: str) -> subprocess.Popen[bytes]:
    """The web container's command: gunicorn with deploy/gunicorn.conf.py, one process."""
    args = [sys.executable, "-m", "gunicorn", "--config", "deploy/gunicorn.conf.py"]
    args += ["--bind", f"127.0.0.1:{port}", "--workers", "1", "songnodes.wsgi"]
    return launch(args, directory / "web.log", **container_env(directory), **env)


def worker(port: int, directory: Path, **env: str) -> subprocess.Popen[bytes]:
    """The worker container's command: `python -m deploy.worker`, metrics on `port`."""
    args = [sys.executable, "-m", "deploy.worker", "--processes", "1", "--concurrency", "4"]
    env = {**container_env(directory), "WORKER_METRICS_PORT": str(port), **env}
    return launch(args, directory / "worker.log", **env)


def prometheus(binary: str, config: Path, port: int) -> subprocess.Popen[bytes]:
    """A Prometheus server with its own storage beside its config file."""
    args = [binary, f"--config.file={config}", f"--web.listen-address=127.0.0.1:{port}"]
    args += [f"--storage.tsdb.path={config.parent / 'data'}", "--log.level=warn"]
    return launch(args, config.parent / "prometheus.log")


def stop(process: subprocess.Popen[bytes], grace: float = 40) -> None:
    """SIGTERM, wait (SIGKILL after `grace` s: a hang guard), then nothing of its group left."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)


def scrape_config(web_target: str, worker_targets: Path) -> dict[str, Any]:
    """deploy/prometheus/prometheus.yml pointed at this machine's processes, scraped every 1 s.

    The web's static target becomes our gunicorn; the worker job keeps its file_sd_configs
    (how machines outside compose are listed) with our worker in the file, and drops the
    compose-only DNS discovery.
    """
    config = load_yaml(CONFIG)
    config["global"].update(scrape_interval="1s", evaluation_interval="1s")
    config["rule_files"] = [str(ALERTS)]
    jobs = {job["job_name"]: job for job in config["scrape_configs"]}
    assert set(jobs) == {WEB_JOB, WORKER_JOB}, "a new scrape job: point it at a test process"
    jobs[WEB_JOB]["static_configs"] = [{"targets": [web_target]}]
    jobs[WORKER_JOB].pop("dns_sd_configs")
    jobs[WORKER_JOB]["file_sd_configs"] = [{"files": [str(worker_targets)]}]
    return config


def write_config(directory: Path, web_target: str, worker_target: str) -> Path:
    """The config file (and the worker targets file it lists) in `directory`."""
    targets = directory / "workers.yml"
    targets.write_text(yaml.safe_dump([{"targets": [worker_target]}]))
    config = directory / "prometheus.yml"
    config.write_text(yaml.safe_dump(scrape_config(web_target, targets)))
    return config


def get(url: str) -> tuple[int, bytes]:
    """Status and body of a GET (0 and b"" when nothing answers yet)."""
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()
    except OSError:
        return 0, b""


def api(base_url: str, path: str, **params: str) -> Any:
    """The `data` of a Prometheus HTTP API answer."""
    query = f"?{urllib.parse.urlencode(params)}" if params else ""
    status, body = get(f"{base_url}/api/v1/{path}{query}")
    assert status == 200, f"{path} {params}: HTTP {status}: {body[:500]!r}"
    answer = json.loads(body)
    assert answer["status"] == "success", answer
    return answer["data"]


def poll(check: Callable[[], T], timeout: float, what: str, every: float = 0.5) -> T:
    """check() until it returns something truthy; a hang guard, not a speed target."""
    deadline = time.monotonic() + timeout
    while True:
        found = check()
        if found:
            return found
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up after {timeout:.0f} s waiting for {what}")
        time.sleep(every)


def answers(url: str) -> bool:
    """Does GET url answer 200?"""
    return get(url)[0] == 200


def log_tail(process: subprocess.Popen[bytes], log: Path, lines: int = 30) -> str:
    """A process's state and the end of its log, for a failure message."""
    text = log.read_text(errors="replace").splitlines() if log.exists() else []
    text = [line for line in text if "gunicorn.access" not in line][-lines:]  # not every scrape
    return f"{log.name} (exit {process.poll()}):\n" + "\n".join(text)
