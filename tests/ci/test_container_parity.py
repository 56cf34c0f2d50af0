"""The container-parity runner reads the check containers' graphs and uploads like the engine.

The run itself (a private network namespace, a throwaway PostgreSQL, the whole suite)
is `.ci/run`'s last two steps; these check what it is built from.
"""

import re
from pathlib import Path

import pytest
from cloudmetrics_ci.source import SOURCE_IGNORE

from scripts.parity import graph_work
from scripts.parity.namespace import hosts_file, link_uv
from tests.ci.conftest import REPOSITORY


@pytest.mark.parametrize(
    ("path", "left_out"),
    [
        (".git/HEAD", True),
        (".venv/bin/python", True),
        ("ci/sdk/dagger/__init__.py", True),
        ("service/cloudmetrics/__pycache__/app.cpython-311.pyc", True),
        ("tests/x.pyc", True),
        ("build/lib/a.py", True),
        ("ci/src/cloudmetrics_ci/build.py", False),
        ("service/cloudmetrics/app.py", False),
        (".gitattributes", False),
        ("requirements/dev.txt", False),
        ("infra/venv/bin/python", True),
        ("infra/policy_pack/venv/bin/python", True),
        ("infra/cloudmetrics_infra/venv.py", False),
    ],
)
def test_upload_leaves_out_what_the_source_ignore_list_names(path: str, left_out: bool) -> None:
    assert graph_work.ignored(path, list(SOURCE_IGNORE)) is left_out


def test_upload_copies_the_tree_without_the_ignored_parts(tmp_path: Path) -> None:
    tree = tmp_path / "tree"
    for name in (".git/HEAD", "a/__pycache__/m.pyc", "a/m.py", "README.md"):
        (tree / name).parent.mkdir(parents=True, exist_ok=True)
        (tree / name).write_text(name)
    copied = graph_work.upload(tree, tmp_path / "up", list(SOURCE_IGNORE))
    assert copied == 2
    assert sorted(
        p.relative_to(tmp_path / "up").as_posix()
        for p in (tmp_path / "up").rglob("*")
        if p.is_file()
    ) == ["README.md", "a/m.py"]


@pytest.mark.parametrize("check", ["test", "lint"])
def test_work_is_read_from_the_check_container_graph(check: str) -> None:
    work = graph_work.read(check)
    kinds = [operation[0] for operation in work.operations]
    # The system layer is the machine's: only its packages are kept, to be checked.
    assert {"make", "redis-server"} <= set(work.packages)
    assert work.mount_points == ["/src"]
    env = {op[1]: op[2] for op in work.operations if op[0] == "env"}
    assert env["TEST_POSTGRES_URL"] == "postgresql://postgres@postgres:5432/postgres"
    assert env["DEBIAN_FRONTEND"] == "noninteractive"
    services = {op[1]: op[2:4] for op in work.operations if op[0] == "service"}
    assert services == {"postgres": ["postgres", 5432], "redis": ["redis", 6379]}
    execs = [op[1] for op in work.operations if op[0] == "exec"]
    assert execs[-1] == ["make", "--old-file=.venv/.installed", check]
    # The dev lock arrives and is synced before the source is copied, as in the graph.
    copies = [i for i, op in enumerate(work.operations) if op[0] == "copy"]
    assert work.operations[copies[0]][1:] == ["requirements/dev.txt", "/src/requirements/dev.txt"]
    assert work.operations[copies[1]][1:] == [".", "/src"]
    assert kinds.index("service") > copies[1]


def test_each_alias_gets_its_own_loopback_address() -> None:
    text, addresses = hosts_file(["postgres", "redis"])
    assert addresses == {"postgres": "127.0.0.2", "redis": "127.0.0.3"}
    assert "127.0.0.2\tpostgres" in text.splitlines()
    assert "127.0.0.1\tlocalhost" in text.splitlines()


# The suite's settings (and the service's own defaults, which test_settings checks) are
# the only places that may spell the local servers' addresses.
ADDRESS_HOMES = {
    "tests/support/suite_servers.py",
    "tests/support/addresses.py",
    "tests/service/test_settings.py",
    "tests/ci/test_container_parity.py",
}
LITERAL_ADDRESS = re.compile(r"(127\.0\.0\.1|localhost)[\"']?(:|, *)(5432|6379)\b")


def test_no_test_spells_the_local_servers_addresses() -> None:
    # In the check container and the parity run they are `postgres` and `redis`: a test
    # with 127.0.0.1:5432 passes here and fails there.
    offenders = [
        f"{path.relative_to(REPOSITORY)}:{number}"
        for path in sorted((REPOSITORY / "tests").rglob("*.py"))
        if path.relative_to(REPOSITORY).as_posix() not in ADDRESS_HOMES
        for number, line in enumerate(path.read_text().splitlines(), start=1)
        if LITERAL_ADDRESS.search(line)
    ]
    assert offenders == []
    assert LITERAL_ADDRESS.search('TcpProxy("127.0.0.1", 6379)')
    assert LITERAL_ADDRESS.search("postgresql://u@127.0.0.1:5432/x")


def test_uv_is_linked_over_one_the_interpreter_already_has(tmp_path: Path) -> None:
    # A `pip install uv` into the machine's Python puts a uv in the prefix's bin.
    image_bin = tmp_path / "usr-local" / "bin"
    image_bin.mkdir(parents=True)
    (image_bin / "uv").write_text("the interpreter's own uv")
    tools = tmp_path / "tools"
    tools.mkdir()
    for name in ("uv", "uvx"):
        (tools / name).write_text(name)
    link_uv(image_bin, tools / "uv")
    assert (image_bin / "uv").resolve() == tools / "uv"
    assert (image_bin / "uvx").resolve() == tools / "uvx"
