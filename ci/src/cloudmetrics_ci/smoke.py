"""`cloudmetrics smoke` from the service image against a running deployment."""

from collections.abc import Mapping

import dagger

from cloudmetrics_ci.freshness import for_run


def smoke_command(url: str, expect_release: str | None = None) -> list[str]:
    """The CLI call; with a release, `/health` must report exactly that one."""
    command = ["cloudmetrics", "smoke", "--url", url]
    if expect_release is not None:
        command += ["--expect-release", expect_release]
    return command


def smoke_container(
    image: dagger.Container,
    url: str,
    run_id: str,
    *,
    expect_release: str | None = None,
    secrets: Mapping[str, dagger.Secret] | None = None,
    expect: dagger.ReturnType = dagger.ReturnType.SUCCESS,
) -> dagger.Container:
    """The service image checking the deployment at `url` end to end.

    `secrets` become secret variables of the smoke run (an API key, say): one entry
    per credential the smoke check needs, never a plain value.
    """
    container = for_run(image, run_id)
    for name, secret in (secrets or {}).items():
        container = container.with_secret_variable(name, secret)
    return container.with_exec(smoke_command(url, expect_release), expect=expect)
