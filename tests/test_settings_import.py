"""Importing settings has no side effect; the processes that run prepare themselves first."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import psutil
import pytest

from songnodes.bootstrap import create_secret_key, prepare, read_secret_key

ROOT = Path(__file__).resolve().parent.parent
IMPORT_SETTINGS = """
import json, os, sys
import django
os.environ['DJANGO_SETTINGS_MODULE'] = 'songnodes.settings'
before = dict(os.environ)
import songnodes.settings as settings
print(json.dumps({
    "environ_unchanged": dict(os.environ) == before,
    "imported": [name for name in ("pgserver", "prometheus_client") if name in sys.modules],
    "secret_key": settings.SECRET_KEY,
    "host": settings.DATABASES["default"]["HOST"],
}))
"""


def files_under(directory: Path) -> set[Path]:
    """Every file and directory below `directory`."""
    return set(directory.rglob("*"))


def processes_mentioning(text: str) -> list[int]:
    """The ids of the processes whose command line contains `text` (a server for a data dir)."""
    found = []
    for process in psutil.process_iter(["pid", "cmdline"]):
        if text in " ".join(process.info["cmdline"] or []):
            found.append(process.info["pid"])
    return found


@pytest.mark.slow
def test_importing_settings_in_a_clean_checkout_starts_nothing_and_writes_nothing(
    tmp_path: Path,
) -> None:
    checkout = tmp_path / "checkout"
    ignore = shutil.ignore_patterns("__pycache__")
    for package in ("songnodes", "enrichment"):
        shutil.copytree(ROOT / package, checkout / package, ignore=ignore)
    home, data_dir = tmp_path / "home", tmp_path / "data"
    home.mkdir()
    before = files_under(tmp_path)
    result = subprocess.run(
        [sys.executable, "-c", IMPORT_SETTINGS],
        cwd=checkout,
        # Nothing inherited: no DATABASE_URL, no PROMETHEUS_*, no SECRET_KEY.
        env={
            "PATH": os.environ.get("PATH", ""),
            "HOME": str(home),
            "SONGNODES_DATA_DIR": str(data_dir),
            "PYTHONDONTWRITEBYTECODE": "1",  # Python's own caches are not settings' doing
        },
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["environ_unchanged"]
    assert report["imported"] == []  # neither pgserver nor the metrics library
    assert report["host"] == ""  # the embedded server is located on the first connection
    assert report["secret_key"] == ""  # only prepare() generates one
    assert not data_dir.exists()
    assert files_under(tmp_path) == before
    assert processes_mentioning(str(tmp_path)) == []


def test_prepare_makes_the_directories_the_key_and_the_metrics_variable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SONGNODES_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.delenv("PROMETHEUS_METRICS_DIR", raising=False)
    monkeypatch.delenv("PROMETHEUS_MULTIPROC_DIR", raising=False)
    prepare()
    key = read_secret_key(tmp_path / "data")
    assert len(key) > 40
    assert (tmp_path / "data" / "static").is_dir()
    metrics = Path(os.environ["PROMETHEUS_MULTIPROC_DIR"])
    assert metrics.is_dir() and metrics.parent == tmp_path / "data" / "prometheus"
    prepare()  # a second process of the same checkout
    assert read_secret_key(tmp_path / "data") == key


def test_a_secret_key_from_the_environment_writes_no_key_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SONGNODES_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("SECRET_KEY", "from-the-environment")
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path / "metrics"))
    prepare()
    assert read_secret_key(tmp_path) == ""


def test_the_generated_key_is_kept_private_and_never_replaced(tmp_path: Path) -> None:
    path = tmp_path / "secret_key"
    create_secret_key(path)
    key = path.read_text()
    create_secret_key(path)
    assert path.read_text() == key
    assert path.stat().st_mode & 0o777 == 0o600
    assert sorted(p.name for p in tmp_path.iterdir()) == ["secret_key"]  # no draft left


def test_the_test_session_itself_was_prepared() -> None:
    assert Path(os.environ["PROMETHEUS_MULTIPROC_DIR"]).is_dir()
