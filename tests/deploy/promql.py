"""A parser-free look at PromQL: which metrics and labels an expression uses, and sanity checks.

Runs without promtool or Prometheus (test_promtool.py and test_prometheus.py use the real ones
where installed); this catches what breaks dashboards silently: a metric or a label the code does
not export, an unknown function, unbalanced brackets.
"""

from __future__ import annotations

import re

AGGREGATIONS = frozenset(
    {"sum", "min", "max", "avg", "count", "stddev", "stdvar", "topk", "bottomk", "quantile"}
    | {"count_values", "group", "limitk", "limit_ratio"}
)
FUNCTIONS = frozenset(
    {"abs", "absent", "absent_over_time", "ceil", "changes", "clamp", "clamp_max", "clamp_min"}
    | {"day_of_month", "day_of_week", "day_of_year", "days_in_month", "delta", "deriv", "exp"}
    | {"floor", "histogram_quantile", "histogram_count", "histogram_sum", "histogram_fraction"}
    | {"holt_winters", "hour", "idelta", "increase", "irate", "label_join", "label_replace"}
    | {"ln", "log2", "log10", "minute", "month", "predict_linear", "rate", "resets", "round"}
    | {"scalar", "sgn", "sort", "sort_desc", "sqrt", "time", "timestamp", "vector", "year"}
    | {"avg_over_time", "min_over_time", "max_over_time", "sum_over_time", "count_over_time"}
    | {"quantile_over_time", "stddev_over_time", "stdvar_over_time", "last_over_time"}
    | {"present_over_time"}
)
KEYWORDS = frozenset(
    {"by", "without", "on", "ignoring", "group_left", "group_right", "and", "or", "unless"}
    | {"offset", "bool", "inf", "nan", "atan2"}
)
# Labels every scraped series gets from Prometheus itself.
TARGET_LABELS = frozenset({"job", "instance"})

_STRING = re.compile(r'"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\'')
_SELECTOR = re.compile(r"([A-Za-z_:][\w:]*)?\s*\{([^{}]*)\}")
_RANGE = re.compile(r"\[[^\[\]]*\]")
_GROUPING = re.compile(r"\b(by|without|on|ignoring|group_left|group_right)\s*\(([^()]*)\)")
_OFFSET = re.compile(r"\boffset\s+-?\w+")
_NUMBER = re.compile(r"(?<![\w:])\d+(\.\d+)?([eE][+-]?\d+)?")
_WORD = re.compile(r"[A-Za-z_:][\w:]*")
_MATCHER_LABEL = re.compile(r"([A-Za-z_]\w*)\s*(=~|!~|!=|=)")


def _without_strings(expr: str) -> str:
    return _STRING.sub('""', expr)


def metric_names(expr: str) -> set[str]:
    """The metric (sample) names an expression selects."""
    text = _without_strings(expr)
    names = {match.group(1) for match in _SELECTOR.finditer(text) if match.group(1)}
    text = _SELECTOR.sub(lambda match: f" {match.group(1) or ''} ", text)
    text = _GROUPING.sub(" ", _RANGE.sub(" ", _OFFSET.sub(" ", text)))
    text = _NUMBER.sub(" ", text)
    for match in _WORD.finditer(text):
        word = match.group(0)
        if word in KEYWORDS or text[match.end() :].lstrip().startswith("("):
            continue  # a keyword, or a function / aggregation call
        names.add(word)
    return names


def label_names(expr: str) -> set[str]:
    """Labels an expression matches on or groups by."""
    text = _without_strings(expr)
    labels = {
        label for match in _SELECTOR.finditer(text) for label, _ in _MATCHER_LABEL.findall(match[2])
    }
    for match in _GROUPING.finditer(_RANGE.sub(" ", text)):
        labels |= {label.strip() for label in match.group(2).split(",") if label.strip()}
    return labels


def problems(expr: str) -> list[str]:
    """What is visibly wrong with an expression (empty when it looks sound)."""
    text = _without_strings(expr)
    found = []
    for opening, closing in ("()", "{}", "[]"):
        depth = 0
        for character in text:
            depth += (character == opening) - (character == closing)
            if depth < 0:
                break
        if depth != 0:
            found.append(f"unbalanced {opening}{closing}")
    for match in re.finditer(r"([A-Za-z_][\w:]*)\s*\(", _GROUPING.sub(" ", text)):
        name = match.group(1)
        if name not in AGGREGATIONS | FUNCTIONS | KEYWORDS:
            found.append(f"unknown function {name}()")
    if not metric_names(expr):
        found.append("selects no metric")
    return found
