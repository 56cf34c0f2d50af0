"""zizmor (offline) finds nothing in the workflows, and would say so if it did."""

import json
import subprocess
import sys
from pathlib import Path

from tests.support.make_plan import planned_commands
from tests.workflows.conftest import REPOSITORY

ZIZMOR = Path(sys.executable).parent / "zizmor"


def audit(path: Path) -> tuple[int, list[dict[str, object]]]:
    completed = subprocess.run(
        [str(ZIZMOR), "--offline", "--format=json", str(path)],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    return completed.returncode, json.loads(completed.stdout or "[]")


def test_workflows_have_no_findings() -> None:
    returncode, findings = audit(REPOSITORY / ".github" / "workflows")
    assert findings == []
    assert returncode == 0


def test_the_audit_reports_a_careless_workflow(tmp_path: Path) -> None:
    careless = tmp_path / "careless.yml"
    careless.write_text(
        "name: careless\n"
        "on: pull_request\n"
        "jobs:\n"
        "  build:\n"
        "    runs-on: ubuntu-24.04\n"
        "    steps:\n"
        "      - uses: actions/checkout@v4\n"
        "      - run: echo ${{ github.event.pull_request.title }}\n"
    )
    returncode, findings = audit(careless)
    assert returncode != 0
    idents = {finding["ident"] for finding in findings}
    assert {"unpinned-uses", "artipacked", "template-injection"} <= idents


def test_make_lint_runs_the_same_audit() -> None:
    assert ".venv/bin/zizmor --offline .github/workflows" in planned_commands("lint")
