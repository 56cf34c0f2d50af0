"""The deploy's order lives in `deploy_steps.py`; the runbook and the pipeline guide, which a
person reads when a deploy fails, name the steps in that order, checked here against the code
so neither can drift from it."""

from __future__ import annotations

import re
from pathlib import Path

from cloudmetrics_ci.deploy_steps import DeployStep

DOCS = Path(__file__).resolve().parents[2] / "docs"
IN_ORDER = [step.value for step in DeployStep]


def _one_line(text: str) -> str:
    return re.sub(r"\s+", " ", text)


def test_the_runbook_names_the_steps_in_the_deploys_order() -> None:
    runbook = (DOCS / "runbook.md").read_text()
    sentence = re.search(r"The steps, in order: (.*?)\.\n", runbook, re.S)
    assert sentence is not None
    assert re.findall(r"`([^`]+)`", _one_line(sentence.group(1))) == IN_ORDER
    assert re.findall(r"^## `([^`]+)`$", runbook, re.M) == IN_ORDER


def test_the_pipeline_guides_step_table_follows_the_deploys_order() -> None:
    guide = (DOCS / "pipeline.md").read_text()
    rows = re.findall(r"^\| (\d+) \| `([^`]+)` \|", guide, re.M)
    assert [int(number) for number, _ in rows] == list(range(len(IN_ORDER)))
    assert [name for _, name in rows] == IN_ORDER
