"""Replay the pipeline's containers in real podman containers, from the module's own graphs.

    .venv/bin/python scripts/replay.py test          # make test in the check container
    .venv/bin/python scripts/replay.py lint          # make lint in the check container
    .venv/bin/python scripts/replay.py policy-pack   # the Pulumi container up to its first CLI call
    .venv/bin/python scripts/replay.py build         # the service image: non-root user, healthcheck

Each graph is read from ci/ (`checks.test_container`, `checks.lint_container`,
`pulumi.infra_workspace`) and executed by scripts/replay/runner.py on stand-in images
(scripts/replay/stand_ins.py, whose table every replay prints). Needs root, podman, mmdebstrap
(first run only) and `make install`. See docs/adr/0048-replay-the-graphs-in-podman.md.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPOSITORY = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPOSITORY))
sys.path.insert(0, str(REPOSITORY / "ci" / "src"))
from cloudmetrics_ci import build, checks, pulumi  # noqa: E402
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
        "build": lambda source: build.service_image(source, _revision()),
    }


def _revision() -> str:
    completed = subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=REPOSITORY, capture_output=True, text=True, check=False
    )
    return completed.stdout.strip() or "0000000"


def _check_service_image(run: runner.Run, name: str, fields: tuple[Any, ...]) -> None:
    """The built image run as its own user: `cloudmetrics healthcheck` against its server."""
    (default_args,) = [f.args["args"] for f in fields if f.name == "withDefaultArgs"]
    image = f"localhost/cloudmetrics-replay/service:{run.id}"
    podman("commit", "--quiet", name, image)
    try:
        size = int(podman("image", "inspect", "--format", "{{.Size}}", image).strip())
        print(f"replay: service image {size / 1e6:.0f} MB (on the stand-in base)", flush=True)
    finally:
        podman("rmi", "--force", image)
    if run.exec_as_graph(name, ["sh", "-c", 'test "$(id -u)" != 0']) != 0:
        raise runner.StepFailed(["id", "-u"], 1)
    run.exec_as_graph(name, list(default_args), detach=True)
    deadline = time.monotonic() + 60
    while run.exec_as_graph(name, ["cloudmetrics", "healthcheck"]) != 0:
        if time.monotonic() > deadline:
            raise runner.StepFailed(["cloudmetrics", "healthcheck"], 1)
        time.sleep(1)
    print("replay: `cloudmetrics healthcheck` exit 0 as the image's non-root user", flush=True)


def _stop(signum: int, frame: object) -> None:
    # A stopped replay still removes its containers, network and secrets (Run.close).
    raise SystemExit(128 + signum)


def main(argv: list[str]) -> int:
    signal.signal(signal.SIGTERM, _stop)
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
            elif what == "build":
                _check_service_image(run, name, graph.fields_of(container))
        except runner.StepFailed as error:
            print(f"replay: {what} FAILED: {error} ({time.monotonic() - started:.0f}s)")
            return 1
        finally:
            run.close()
    print(f"replay: {what} passed in {time.monotonic() - started:.0f}s", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
