"""Several processes share one rate limit, measured where it matters: at the upstream."""

from __future__ import annotations

from typing import Any

import pytest
import requests

from sandbox import server
from sandbox.catalogue import catalogue
from tests.jobs.workers import sandbox_env
from tests.subprocesses import start_snippet

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

RATE = 20.0
CALLS_PER_PROCESS = 25
CHILD = """
import json
from enrichment.sources.deezer import DeezerSource
source = DeezerSource()
ids = {ids}
found = sum(source.track(deezer_id) is not None for deezer_id in ids)
print(json.dumps(found))
"""


def test_processes_hammering_one_api_cause_no_limit_violation_at_the_sandbox() -> None:
    # The sandbox enforces exactly our rate with a burst of 2: any overshoot is a violation.
    sandbox = server.start(0, limits={"deezer": f"{RATE}:2"})
    try:
        recordings = [r for r in catalogue().recordings if "deezer" in r.sources]
        env = sandbox_env(sandbox.url) | {"DEEZER_RATE_LIMIT": str(RATE)}
        children = []
        for number in range(3):
            chunk = recordings[number * CALLS_PER_PROCESS : (number + 1) * CALLS_PER_PROCESS]
            code = CHILD.format(ids=[r.deezer_id for r in chunk])
            children.append(start_snippet(code, **env))
        for child in children:
            out, err = child.communicate(timeout=120)
            assert child.returncode == 0, err
            assert out.strip().splitlines()[-1] == str(CALLS_PER_PROCESS)
        stats: dict[str, Any] = requests.get(f"{sandbox.url}/_sandbox/stats", timeout=5).json()
    finally:
        sandbox.stop()
    deezer = stats["apis"]["deezer"]
    assert deezer["requests"] == 3 * CALLS_PER_PROCESS
    assert deezer["limit_violations"] == 0
    assert deezer["peak_rate_1s"] <= RATE + 2  # the sandbox's own burst allowance
