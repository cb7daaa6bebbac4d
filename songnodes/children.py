"""Child processes that only their parent stops: own session, and gone when the parent is.

A terminal's Ctrl-C (SIGINT) or a `kill -- -PGID` reaches every process of the foreground
group at once. A Procrastinate worker takes the first signal as "finish the running jobs"
and the next one as "quit now", so when its supervisor passed the stop on, the worker quit
with its jobs still `doing`. Children started here sit in their own session: group signals
reach only the parent, which stops them in order. Because a group signal no longer reaches
them, they ask the kernel (Linux) for a SIGTERM, their graceful stop, when the parent dies,
so not even a SIGKILLed parent leaves one behind.
"""

from __future__ import annotations

import ctypes
import os
import signal
import subprocess
import sys
from collections.abc import Sequence
from typing import Any

PARENT_VARIABLE = "SONGNODES_STOP_WITH_PARENT"
STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)
_PR_SET_PDEATHSIG = 1  # <linux/prctl.h>


def spawn(
    command: Sequence[str], env: dict[str, str] | None = None, **popen: Any
) -> subprocess.Popen[Any]:
    """Start command in its own session, to be stopped with this process (a Popen)."""
    child_env = dict(os.environ if env is None else env)
    child_env[PARENT_VARIABLE] = str(os.getpid())
    return subprocess.Popen(list(command), env=child_env, start_new_session=True, **popen)


def stop_with_parent() -> None:
    """In a child started by spawn(): get SIGTERM once the parent is gone."""
    # Popped, so that what this process starts itself does not take its parent for ours.
    parent = os.environ.pop(PARENT_VARIABLE, "")
    if not parent.isdigit():
        return
    if sys.platform.startswith("linux"):
        ctypes.CDLL(None).prctl(_PR_SET_PDEATHSIG, int(signal.SIGTERM), 0, 0, 0)
    if os.getppid() != int(parent):  # the parent died before we asked
        os.kill(os.getpid(), signal.SIGTERM)


def ignore_stop_signals() -> None:
    """While stopping children: a second Ctrl-C must not cut the stop short."""
    for signum in STOP_SIGNALS:
        signal.signal(signum, signal.SIG_IGN)
