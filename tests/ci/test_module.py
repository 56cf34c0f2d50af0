"""What `dagger call` will see: function names, caching, checks, the source argument."""

import json
from typing import Any

from cloudmetrics_ci import CloudmetricsCi
from cloudmetrics_ci.environments import Environment
from cloudmetrics_ci.migrate import MigrationDirection

from tests.ci.conftest import REPOSITORY


def registered() -> Any:
    module: Any = getattr(CloudmetricsCi, "__dagger_module__")  # noqa: B009 - set by the SDK
    return module._objects["CloudmetricsCi"]


def test_dagger_json_points_at_this_module() -> None:
    config = json.loads((REPOSITORY / "dagger.json").read_text())
    assert config == {
        "name": "cloudmetrics-ci",
        "engineVersion": "v0.21.11",
        "sdk": {"source": "python"},
        "source": "ci",
    }
    # The runtime imports the snake_case package and the PascalCase class.
    assert (REPOSITORY / "ci" / "src" / "cloudmetrics_ci" / "__init__.py").is_file()
    assert CloudmetricsCi.__name__ == "CloudmetricsCi"


def test_functions_users_type() -> None:
    assert set(registered().functions) == {
        "build",
        "lint",
        "test",
        "ci",
        "migrate",
        "smoke",
        "stack",
        "deploy",
    }


def test_lint_and_test_are_checks_and_nothing_else_is() -> None:
    checks = {name for name, fn in registered().functions.items() if fn.check}
    assert checks == {"lint", "test"}


def test_the_local_stack_is_what_dagger_up_starts() -> None:
    services = {name for name, fn in registered().functions.items() if fn.service}
    assert services == {"stack"}


def test_functions_that_act_on_the_world_are_never_cached() -> None:
    never = {name for name, fn in registered().functions.items() if fn.cache_policy == "never"}
    assert never == {"deploy", "migrate", "smoke"}


def test_source_defaults_to_the_repository_without_local_clutter() -> None:
    (source,) = registered().get_constructor().parameters.values()
    assert source.default_path == "."
    for ignored in (".git", ".venv", ".tools", "ci/sdk", "**/__pycache__"):
        assert ignored in source.ignore


def test_secrets_are_typed_as_secrets() -> None:
    deploy = registered().functions["deploy"].parameters
    for name in ("aws_access_key_id", "aws_secret_access_key", "aws_session_token"):
        assert "Secret" in str(deploy[name].resolved_type), name
    assert "Secret" in str(deploy["pulumi_backend_url"].resolved_type)
    migrate = registered().functions["migrate"].parameters
    assert "Secret" in str(migrate["database_url"].resolved_type)
    smoke = registered().functions["smoke"].parameters
    assert "Secret" in str(smoke["api_key"].resolved_type)


def test_deploy_takes_env_and_revision_without_defaults() -> None:
    deploy = registered().functions["deploy"].parameters
    assert deploy["env"].resolved_type is Environment
    assert deploy["env"].signature.default is deploy["env"].signature.empty
    assert deploy["revision"].signature.default is deploy["revision"].signature.empty


def test_enum_members_are_the_cli_values() -> None:
    assert [member.name for member in Environment] == ["dev", "staging", "prod"]
    assert all(member.name == member.value for member in MigrationDirection)


def test_every_function_and_argument_is_described_for_dagger_functions() -> None:
    obj = registered()
    for name, fn in obj.functions.items():
        assert fn.doc, f"{name} has no description"
        for parameter in fn.parameters.values():
            assert parameter.doc, f"{name} --{parameter.name} has no Doc(...)"
    for parameter in obj.get_constructor().parameters.values():
        assert parameter.doc, parameter.name
