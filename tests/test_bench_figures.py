"""Benchmark figures carry their same-run reference and target; the report reads any of them."""

from __future__ import annotations

import pytest

from bench.figures import Figure, figures_from, host, target_met


def test_a_figure_is_a_ratio_to_its_reference_and_meets_its_target() -> None:
    figure = Figure("throughput", "tracks/s", 9.12, 9.35, "bound", "tracks/s", "ratio >= 0.95")
    assert figure.ratio == pytest.approx(0.9754, abs=1e-4)
    assert figure.met() is True
    stored = figure.as_dict()
    assert stored["ratio"] == 0.9754 and stored["met"] is True and stored["reference"] == 9.35


def test_targets_read_the_value_or_the_ratio() -> None:
    assert target_met("value == 0", 0, None) is True
    assert target_met("value == 0", 3, 0.001) is False
    assert target_met("ratio <= 0.05", 27, 0.045) is True
    assert target_met("ratio >= 0.95", 9.0, None) is False  # no reference: not met
    assert target_met("", 1, 1) is None  # informative
    with pytest.raises(ValueError, match="target"):
        target_met("speed >= 1", 1, 1)


def test_a_figure_without_a_reference_has_no_ratio() -> None:
    assert Figure("peak", "peak", 4, None).ratio is None
    assert Figure("peak", "peak", 4, 0).ratio is None


def test_older_records_show_their_key_values_as_informative_figures() -> None:
    (figure,) = figures_from({"name": "scale", "ratios": {"stats_ms": 4.0}})
    assert (figure["label"], figure["value"], figure["ratio"]) == ("stats_ms", 4.0, None)
    assert figures_from({"figures": [{"key": "k", "value": 1}], "ratios": {"x": 2}}) == [
        {"key": "k", "value": 1}
    ]


def test_a_run_records_its_machine_and_load() -> None:
    box = host()
    assert box["cores"] >= 1 and len(box["load_avg"]) == 3 and box["at"].endswith("+00:00")
