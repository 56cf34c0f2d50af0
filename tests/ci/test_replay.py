"""The podman replay (scripts/replay.py): what it reads from the graphs and how it stands in.

The replays themselves run real containers (`.ci/run`); these check what they are built from.
"""

from collections.abc import Callable, Iterator
from typing import Any

import dagger
import pytest
from cloudmetrics_ci import build, checks, images, pulumi

from scripts.replay import graph, runner, stand_ins

GRAPHS: dict[str, Callable[[dagger.Directory], dagger.Container]] = {
    "test": checks.test_container,
    "lint": checks.lint_container,
    "policy-pack": pulumi.infra_workspace,
    "build": lambda source: build.service_image(source, "0123456789abcdef"),
}


def pinned_images() -> list[str]:
    return sorted(
        value
        for name, value in vars(images).items()
        if name.isupper() and isinstance(value, str) and ":" in value
    )


@pytest.mark.parametrize("image", pinned_images())
def test_every_pinned_image_has_a_stand_in_or_says_why_not(image: str) -> None:
    assert image in stand_ins.STAND_INS or image in stand_ins.WITHOUT_STAND_IN
    assert image in stand_ins.table()


def containers(fields: tuple[Any, ...]) -> Iterator[tuple[Any, ...]]:
    """`fields` and every container graph nested in it (copy sources, services)."""
    yield fields
    for field in fields:
        for value in field.args.values():
            if isinstance(value, dagger.File | dagger.Directory):
                source = graph.origin(value, stand_ins.REPOSITORY)
                if source.kind == "container":
                    yield from containers(source.container)
            elif isinstance(value, dagger.Service):
                yield from containers(graph.service(value).container)


@pytest.mark.parametrize("what", sorted(GRAPHS))
def test_the_runner_knows_every_call_of_the_graphs_it_replays(
    what: str, source: dagger.Directory
) -> None:
    fields = graph.fields_of(GRAPHS[what](source))
    for nested in containers(fields):
        calls = {f.name for f in nested if not (f.type_name == "Query" and f.name == "container")}
        assert calls <= runner.KNOWN_CALLS, calls - runner.KNOWN_CALLS
        image = next(f.args["address"] for f in nested if f.name == "from")
        assert image in stand_ins.STAND_INS, image


def test_pgdg_is_the_one_substituted_install() -> None:
    assert stand_ins.substituted([stand_ins.PGDG_SETUP, "-y"]) is None
    install = ["apt-get", "install", "--yes", "make", "postgresql-16", "postgresql-common"]
    assert stand_ins.substituted(install) == [
        "apt-get",
        "install",
        "--yes",
        "make",
        "postgresql-15",
        "postgresql-common",
    ]
    # A graph without a server package gets none: the TLS tests then fail in the replay.
    assert stand_ins.substituted(["apt-get", "install", "make"]) == ["apt-get", "install", "make"]
    assert stand_ins.substituted(["make", "test"]) == ["make", "test"]


@pytest.mark.parametrize(
    ("pinned", "stored"),
    [
        ("postgres:16.10-bookworm", "localhost/postgres:16.10-bookworm"),
        ("pulumi/pulumi-python-3.11:3.272.0", "localhost/pulumi/pulumi-python-3.11:3.272.0"),
        ("ghcr.io/astral-sh/uv:0.13.9", "ghcr.io/astral-sh/uv:0.13.9"),
        ("quay.io/skopeo/stable:v1.18.0", "quay.io/skopeo/stable:v1.18.0"),
    ],
)
def test_short_names_are_found_where_podman_build_stores_them(pinned: str, stored: str) -> None:
    assert runner.reference(pinned) == stored


def test_the_system_layer_is_the_cached_prefix_shared_by_lint_and_test(
    source: dagger.Directory,
) -> None:
    keys: set[str | None] = set()
    for what in ("lint", "test"):
        calls = [
            f
            for f in graph.fields_of(GRAPHS[what](source))
            if not (f.type_name == "Query" and f.name == "container")
        ]
        prefix = runner._pure_prefix(calls)  # pyright: ignore[reportPrivateUsage]
        # It ends where the first file arrives from outside (uv, out of its image).
        assert calls[prefix].name == "withFile"
        installs = [c for c in calls[:prefix] if c.name == "withExec"]
        assert any(c.args["args"][:2] == ["apt-get", "install"] for c in installs)
        keys.add(runner._prefix_key(calls[:prefix], "sha256:stand-in"))  # pyright: ignore[reportPrivateUsage]
    (key,) = keys
    assert key is not None


def test_only_unreachable_downloads_are_stood_in_for() -> None:
    # Amazon RDS's CA bundle is the build's one download; AWS is unreachable from here.
    assert set(stand_ins.HTTP_STAND_INS) == {build.RDS_CA_BUNDLE_URL}
    assert any(build.RDS_CA_BUNDLE_URL in line for line in stand_ins.SUBSTITUTIONS)


def test_a_rebuilt_stand_in_invalidates_the_cached_steps(source: dagger.Directory) -> None:
    calls = [f for f in graph.fields_of(checks.test_container(source)) if f.name != "container"]
    prefix = calls[: runner._pure_prefix(calls)]  # pyright: ignore[reportPrivateUsage]
    before = runner._prefix_key(prefix, "sha256:one")  # pyright: ignore[reportPrivateUsage]
    after = runner._prefix_key(prefix, "sha256:two")  # pyright: ignore[reportPrivateUsage]
    assert before != after
