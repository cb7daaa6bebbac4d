"""A benchmark's figures, each with the reference it is measured against in the same run.

Every benchmark ends with `common.ratios(name, legacy, details, measured=[Figure(...), ...])`;
its JSON (bench/output/results/<name>.json) then carries the figures, their references and
targets, and the host the run had (date, CPU model, cores, load average), and `bench.report`
renders any benchmark's figures the same way: no per-benchmark code in the report.

A target reads "<ratio|value> <op> <number>", e.g. "ratio >= 0.95" or "value == 0"; an empty
target makes the figure informative.
"""

from __future__ import annotations

import operator
import os
import platform
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

_OPS: dict[str, Callable[[float, float], bool]] = {
    ">=": operator.ge,
    "<=": operator.le,
    ">": operator.gt,
    "<": operator.lt,
    "==": operator.eq,
}


@dataclass(frozen=True)
class Figure:
    """One measured value, its reference measured in the same run, and its target."""

    key: str
    label: str
    value: float
    reference: float | None = None
    reference_label: str = ""
    unit: str = ""
    target: str = ""

    @property
    def ratio(self) -> float | None:
        """value / reference, or None without a (non-zero) reference."""
        if self.reference is None or self.reference == 0:
            return None
        return self.value / self.reference

    def met(self) -> bool | None:
        """Whether the target holds; None when the figure has none (informative)."""
        return target_met(self.target, self.value, self.ratio)

    def as_dict(self) -> dict[str, Any]:
        ratio = self.ratio
        return {
            **asdict(self),
            "ratio": None if ratio is None else round(ratio, 4),
            "met": self.met(),
        }


def target_met(target: str, value: float, ratio: float | None) -> bool | None:
    """Evaluate "<ratio|value> <op> <number>" against a figure; None if there is no target."""
    if not target:
        return None
    subject, op, number = target.split()
    if op not in _OPS or subject not in ("ratio", "value"):
        raise ValueError(f"target {target!r} is not '<ratio|value> <op> <number>'")
    measured = ratio if subject == "ratio" else value
    return measured is not None and _OPS[op](measured, float(number))


def cpu_model() -> str:
    """The CPU's model name (from /proc/cpuinfo where there is one)."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def host() -> dict[str, Any]:
    """The machine a run had: CPU model, cores, load average (1, 5, 15 min), date."""
    return {
        "at": datetime.now(UTC).isoformat(timespec="seconds"),
        "cpu": cpu_model(),
        "cores": os.cpu_count(),
        "load_avg": [round(x, 2) for x in os.getloadavg()],
    }


def figures_from(record: Mapping[str, Any]) -> list[dict[str, Any]]:
    """A result record's figures; older records (ratios only) shown as informative values."""
    if record.get("figures"):
        return list(record["figures"])
    return [
        {"key": key, "label": key, "value": value, "reference": None, "ratio": None}
        for key, value in record.get("ratios", {}).items()
    ]
