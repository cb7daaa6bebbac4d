"""docs/operations.md: the sections the issue asks for, and every variable in its tables."""

from __future__ import annotations

import re

from tests.deploy.conftest import DEPLOY, ROOT
from tests.deploy.docs import anchors, documented_variables
from tests.deploy.variables import code_variables, compose_variables, env_example_variables

GUIDE = ROOT / "docs" / "operations.md"
SECTIONS = {
    "configuration",
    "running-with-real-credentials",
    "scaling-workers-across-machines",
    "monitoring",
    "troubleshooting",
    # The seed service's troubleshooting topics, answered for this system.
    "circuit-breakers-keep-opening",
    "low-enrichment-success-rate",
    "high-api-response-times",
    "memory-issues",
}


def test_the_guide_has_every_section_of_the_issue() -> None:
    assert SECTIONS - anchors(GUIDE) == set()


def test_every_link_inside_the_guide_reaches_a_heading() -> None:
    links = set(re.findall(r"\]\(#([\w-]+)\)", GUIDE.read_text()))
    assert links - anchors(GUIDE) == set()


def test_the_configuration_table_lists_every_variable() -> None:
    used = code_variables() | env_example_variables()
    for path in [ROOT / "docker-compose.yml", *DEPLOY.glob("compose.*.yml")]:
        used |= compose_variables(path)
    assert used - documented_variables(GUIDE) == set()


def test_the_configuration_table_lists_no_variable_nothing_reads() -> None:
    used = code_variables() | env_example_variables() | {"GUNICORN_CMD_ARGS"}
    for path in [ROOT / "docker-compose.yml", *DEPLOY.glob("compose.*.yml")]:
        used |= compose_variables(path)
    assert documented_variables(GUIDE) - used == set()


def test_the_check_ids_listed_are_the_ones_the_code_raises() -> None:
    listed = set(re.findall(r"`(songnodes\.[EWI]\d{3})`", GUIDE.read_text()))
    code = "".join(path.read_text() for path in (ROOT / "enrichment").glob("checks*.py"))
    raised = set(re.findall(r'id="(songnodes\.[EWI]\d{3})"', code))
    assert listed == raised
