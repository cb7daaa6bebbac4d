"""No unit test asserts that something is fast: a busy CI machine must not fail the suite.

A speed target belongs to `bench/` (a ratio to a reference measured in the same run). A test of
ordering or spacing may assert a *minimum* elapsed time, never a maximum. This test reads every
test module and fails on an `assert` that bounds a clock difference from above, e.g.
`assert time.perf_counter() - started < 1.0`, or the same through a variable
(`took = time.monotonic() - started` ... `assert took < 0.6`).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parent
CLOCKS = {"perf_counter", "monotonic", "time", "perf_counter_ns", "monotonic_ns", "time_ns"}
# Justified exceptions: (path relative to tests/, function name) -> why. None today.
ALLOWED: dict[tuple[str, str], str] = {}


def _is_clock_call(node: ast.AST) -> bool:
    """time.monotonic(), perf_counter(), time.time() and the like."""
    if not isinstance(node, ast.Call):
        return False
    func = node.func
    name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
    return name in CLOCKS


def _is_clock_difference(node: ast.AST, elapsed_names: set[str]) -> bool:
    """A difference with a clock reading in it, or a name that holds one."""
    if isinstance(node, ast.Name):
        return node.id in elapsed_names
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Sub):
        return any(_is_clock_call(side) for side in (node.left, node.right))
    if isinstance(node, ast.BinOp):  # e.g. (now() - started) * 1000
        return _is_clock_difference(node.left, elapsed_names) or _is_clock_difference(
            node.right, elapsed_names
        )
    return False


def _elapsed_names(function: ast.AST) -> set[str]:
    """Names assigned a clock difference inside a function."""
    names: set[str] = set()
    for node in ast.walk(function):
        if isinstance(node, ast.Assign) and _is_clock_difference(node.value, names):
            names |= {target.id for target in node.targets if isinstance(target, ast.Name)}
    return names


def _bounds_from_above(compare: ast.Compare, elapsed: set[str]) -> bool:
    """`elapsed < x`, `elapsed <= x`, `x > elapsed`, `x >= elapsed` (chains included)."""
    operands = [compare.left, *compare.comparators]
    for position, operator in enumerate(compare.ops):
        left, right = operands[position], operands[position + 1]
        if isinstance(operator, ast.Lt | ast.LtE) and _is_clock_difference(left, elapsed):
            return True
        if isinstance(operator, ast.Gt | ast.GtE) and _is_clock_difference(right, elapsed):
            return True
    return False


def speed_assertions(source: str) -> list[tuple[str, int]]:
    """(function name, line) of every assert bounding an elapsed time from above."""
    found = []
    for function in ast.walk(ast.parse(source)):
        if not isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        elapsed = _elapsed_names(function)
        for node in ast.walk(function):
            if not isinstance(node, ast.Assert):
                continue
            for compare in ast.walk(node.test):
                if isinstance(compare, ast.Compare) and _bounds_from_above(compare, elapsed):
                    found.append((function.name, node.lineno))
    return found


def test_no_test_asserts_an_upper_bound_on_elapsed_time() -> None:
    offenders = []
    for path in sorted(TESTS.rglob("*.py")):
        relative = str(path.relative_to(TESTS))
        for name, line in speed_assertions(path.read_text()):
            if (relative, name) not in ALLOWED:
                offenders.append(f"tests/{relative}:{line} in {name}")
    assert offenders == [], "speed belongs in bench/, not in a unit test: " + ", ".join(offenders)


@pytest.mark.parametrize(
    "snippet",
    [
        "def t():\n    started = time.perf_counter()\n    assert time.perf_counter() - started < 1",
        "def t():\n    s = monotonic()\n    took = monotonic() - s\n    assert took <= 0.6",
        "def t():\n    s = time.monotonic()\n    assert 0.24 <= time.monotonic() - s < 0.6",
        "def t():\n    s = time.time()\n    assert 2 > (time.time() - s) * 1000",
    ],
)
def test_the_check_catches_upper_bounds(snippet: str) -> None:
    assert speed_assertions(snippet) == [("t", snippet.count("\n") + 1)]


@pytest.mark.parametrize(
    "snippet",
    [
        "def t():\n    s = time.perf_counter()\n    assert time.perf_counter() - s >= 0.15",
        "def t():\n    deadline = time.monotonic() + 5\n    while time.monotonic() < deadline:\n"
        "        pass",
        "def t():\n    assert len(items) < 3",
    ],
)
def test_the_check_allows_lower_bounds_and_deadlines(snippet: str) -> None:
    assert speed_assertions(snippet) == []
