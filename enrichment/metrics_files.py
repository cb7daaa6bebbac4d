"""Prometheus multiprocess files with their disk blocks reserved: a full disk is an error.

prometheus_client memory-maps each process's sample file and grows it with truncate(), which
makes a sparse file: when the disk is full, the first write to a new page kills the process
with SIGBUS and no message. Reserving the blocks first (posix_fallocate) turns that into an
OSError naming the file and the directory to free, raised where the metric is updated.
"""

from __future__ import annotations

import errno
import os
import struct
from collections.abc import Callable
from typing import Any

from prometheus_client import values
from prometheus_client.mmap_dict import _INITIAL_MMAP_SIZE, MmapedDict

# prometheus_client is untyped: the two methods extended here, typed once.
_open_file: Callable[..., None] = MmapedDict.__init__
_add_entry: Callable[..., Any] = MmapedDict._init_value
# Filesystems that cannot reserve blocks: the file stays sparse, as prometheus_client has it.
_UNSUPPORTED = {errno.EOPNOTSUPP, errno.EINVAL, errno.ENOSYS}


class DiskFullError(OSError):
    """No room left on the disk of the Prometheus multiprocess files."""


def reserve(descriptor: int, size: int, filename: str) -> None:
    """Make sure the file's first `size` bytes have disk blocks behind them."""
    if not hasattr(os, "posix_fallocate"):
        return
    try:
        os.posix_fallocate(descriptor, 0, size)
    except OSError as error:
        if error.errno in _UNSUPPORTED:
            return
        raise DiskFullError(
            error.errno,
            f"cannot grow the Prometheus metrics file {filename} to {size} bytes "
            f"({os.strerror(error.errno or 0)}): free space on that disk, or point "
            "PROMETHEUS_METRICS_DIR at one with room",
        ) from error


def _entry_size(key: str) -> int:
    """Bytes one new sample takes in the file (prometheus_client's layout)."""
    encoded = key.encode("utf-8")
    padded = len(encoded) + (8 - (len(encoded) + 4) % 8)
    return struct.calcsize(f"i{padded}sdd")


class ReservedMmapedDict(MmapedDict):
    """prometheus_client's MmapedDict, reserving blocks before mapping more of its file."""

    def __init__(self, filename: str, read_mode: bool = False) -> None:
        if not read_mode:
            with open(filename, "a+b") as file:
                if os.fstat(file.fileno()).st_size == 0:
                    reserve(file.fileno(), _INITIAL_MMAP_SIZE, filename)
        _open_file(self, filename, read_mode)

    def _init_value(self, key: str) -> Any:
        needed, capacity = self._used + _entry_size(key), self._capacity
        while needed > capacity:
            capacity *= 2
        if capacity != self._capacity:
            reserve(self._f.fileno(), capacity, self._fname)
        return _add_entry(self, key)


def install() -> None:
    """Make prometheus_client open its multiprocess files through ReservedMmapedDict."""
    vars(values)["MmapedDict"] = ReservedMmapedDict
