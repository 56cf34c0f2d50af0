"""Replay the pipeline's containers in real podman containers, from the module's own graphs.

    .venv/bin/python scripts/replay.py test          # make test in the check container
    .venv/bin/python scripts/replay.py lint          # make lint in the check container
    .venv/bin/python scripts/replay.py policy-pack   # the Pulumi container up to its first CLI call

Each graph is read from ci/ (`checks.test_container`, `checks.lint_container`,
`pulumi.infra_workspace`) and executed by scripts/replay/runner.py on stand-in images
(scripts/replay/stand_ins.py, whose table every replay prints). Needs root, podman, mmdebstrap
(first run only) and `make install`. See docs/adr/0048-replay-the-graphs-in-podman.md.
"""

from __future__ import annotations

import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPOSITORY = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPOSITORY))
sys.path.insert(0, str(REPOSITORY / "ci" / "src"))
from cloudmetrics_ci import checks, pulumi  # noqa: E402
from cloudmetrics_ci.source import SOURCE_IGNORE  # noqa: E402
from dagger import dag  # noqa: E402

from scripts.parity.graph_work import upload  # noqa: E402
from scripts.replay import graph, runner, stand_ins  # noqa: E402
from scripts.replay.podman import podman  # noqa: E402

POLICY_IMPORT = "import pulumi_policy, sys; print('pulumi_policy', pulumi_policy.__file__)"


def _graphs() -> dict[str, Callable[[Any], Any]]:
    return {
        "test": checks.test_container,
        "lint": checks.lint_container,
        "policy-pack": pulumi.infra_workspace,
    }


def main(argv: list[str]) -> int:
    graphs = _graphs()
    if len(argv) != 2 or argv[1] not in graphs:
        print(f"usage: {argv[0]} {'|'.join(graphs)}", file=sys.stderr)
        return 2
    what = argv[1]
    started = time.monotonic()
    print(stand_ins.table(), flush=True)
    container = graphs[what](dag.host().directory(str(REPOSITORY)))
    with tempfile.TemporaryDirectory(prefix="cloudmetrics-replay-upload-") as scratch:
        files = upload(REPOSITORY, Path(scratch) / "upload", list(SOURCE_IGNORE))
        print(f"replay: {what}: uploaded {files} files as the module's Source ignore list says")
        stop = "pulumi" if what == "policy-pack" else None
        run = runner.Run(REPOSITORY, Path(scratch) / "upload", stop_before=stop)
        try:
            name = run.container(graph.fields_of(container), what)
            if what == "policy-pack":
                # The analyzer shim runs the pack with this interpreter.
                python = f"{pulumi.POLICY_PACK_VENV}/bin/python"
                print(podman("exec", name, python, "-c", POLICY_IMPORT).strip())
        except runner.StepFailed as error:
            print(f"replay: {what} FAILED: {error} ({time.monotonic() - started:.0f}s)")
            return 1
        finally:
            run.close()
    print(f"replay: {what} passed in {time.monotonic() - started:.0f}s", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
