"""No exec in any function's graph can print a credential to the engine's log.

Every exec's stdout and stderr are streamed into the progress log (and in dagger 0.21
`redirect_stdout` only adds a file beside it, dagger/dagger#8798). So a command that
prints a credential may only run with its stdout going straight to a file by a shell
redirect, inside the process. Walked here: every container of every function, including
each one a deploy awaits (dev push, dev re-run, promotion).
"""

import re
from collections.abc import Iterator
from typing import Any, Final

import dagger
import pytest
from cloudmetrics_ci import CloudmetricsCi, checks
from cloudmetrics_ci.deploy import run_deploy
from cloudmetrics_ci.deploy_steps import smoke_key_script
from cloudmetrics_ci.environments import Environment
from cloudmetrics_ci.migrate import MigrationDirection, migration_container
from cloudmetrics_ci.smoke import smoke_container
from dagger import dag
from dagger.client.base import Type

from tests.ci.canned_deploy import CannedEngine, deploy_steps, image_found
from tests.ci.graph import walk

# Commands (or flags) whose output is a credential.
PRINTS_A_CREDENTIAL: Final = (
    "get-login-password",
    "get-authorization-token",
    "get-secret-value",
    "get-session-token",
    "assume-role",
    "export-credentials",
    "--with-decryption",
    "--show-secrets",
    "print-access-token",
)
# `sh -c '[umask NNN && ]<command> > /file'`: one redirect of stdout to a file, no pipe.
TO_A_FILE: Final = re.compile(r"(?:umask [0-7]{3} && )?[^|;&<>`$]+ > /[\w./-]+")


def leaks(obj: Type) -> Iterator[str]:
    """Every exec in `obj`'s graph that could print a credential to the log."""
    for field in walk(obj):
        if field.name != "withExec":
            continue
        args: dict[str, Any] = field.args
        argv: list[str] = args["args"]
        text = " ".join(argv)
        if not any(token in text for token in PRINTS_A_CREDENTIAL):
            continue
        safe = (
            argv[:2] == ["sh", "-c"]
            and len(argv) == 3
            and TO_A_FILE.fullmatch(argv[2]) is not None
            and "redirectStdout" not in args
            and "redirectStderr" not in args
        )
        if not safe:
            yield f"{argv} { ({k: v for k, v in args.items() if k != 'args'}) }"


async def deploy_graphs(source: dagger.Directory) -> list[Type]:
    awaited: list[Type] = []
    scenarios = [
        (Environment.dev, CannedEngine()),
        (
            Environment.dev,
            CannedEngine(outcomes={**CannedEngine().outcomes, "target lookup": image_found()}),
        ),
        (Environment.staging, CannedEngine()),
    ]
    for env, engine in scenarios:
        await run_deploy(deploy_steps(source, env), engine)
        awaited += engine.awaited
    return awaited


async def test_no_function_graph_can_print_a_credential(
    module: CloudmetricsCi, source: dagger.Directory
) -> None:
    secret = dag.set_secret("database-url", "postgresql://u:p@h/d")
    graphs: list[Type] = [
        module.build("0123456789abcdef0123456789abcdef01234567"),
        checks.lint_container(source),
        checks.test_container(source),
        module.stack(),
        migration_container(module.build(), secret, MigrationDirection.up, None, "run"),
        smoke_container(module.build(), "https://x", "run", expect_release="abc1234"),
        *await deploy_graphs(source),
    ]
    found = [leak for graph in graphs for leak in leaks(graph)]
    assert found == []
    # The deploy does log in to ECR and read the smoke key: the walk did reach both execs.
    execs = [
        " ".join(f.args["args"]) for graph in graphs for f in walk(graph) if f.name == "withExec"
    ]
    assert any("get-login-password" in text for text in execs)
    assert any("secretsmanager get-secret-value" in text for text in execs)


@pytest.mark.parametrize(
    ("argv", "options"),
    [
        (["aws", "ecr", "get-login-password"], {}),
        (["aws", "ecr", "get-login-password"], {"redirect_stdout": "/run/p"}),
        (["sh", "-c", "aws ecr get-login-password | tee /run/p"], {}),
        (["sh", "-c", "aws ecr get-login-password > /run/p; cat /run/p"], {}),
        (["sh", "-c", "aws ecr get-login-password > /run/p"], {"redirect_stdout": "/run/q"}),
        (["pulumi", "stack", "output", "--json", "--show-secrets"], {}),
        (["aws", "secretsmanager", "get-secret-value", "--secret-id", "arn:x"], {}),
        (["sh", "-c", "aws secretsmanager get-secret-value --secret-id arn:x | tee /run/k"], {}),
    ],
)
def test_a_command_that_prints_a_credential_is_caught(
    argv: list[str], options: dict[str, str]
) -> None:
    container = dag.container().from_("amazon/aws-cli:2.31.0").with_exec(argv, **options)  # type: ignore[arg-type]
    assert list(leaks(container))


@pytest.mark.parametrize(
    "script",
    [
        "umask 077 && aws ecr get-login-password > /tmp/ecr-password",
        smoke_key_script(
            "arn:aws:secretsmanager:eu-west-1:123456789012:secret:cloudmetrics-dev/smoke-api-key-AbCdEf"
        ),
    ],
)
def test_a_shell_redirect_to_a_file_is_accepted(script: str) -> None:
    container = dag.container().from_("amazon/aws-cli:2.31.0").with_exec(["sh", "-c", script])
    assert list(leaks(container)) == []
