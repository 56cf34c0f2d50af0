"""What the deploy assumes about infra/ and the service, checked against them.

The pipeline selects stacks without a passphrase and runs the Pulumi CLI of
infra's pinned version; if infra/ changes any of that, these fail here rather
than in the middle of a deploy. The URN the deploy targets is checked against
what the program declares under Pulumi's mocks.
"""

import importlib.util
import re
from types import ModuleType

import pytest
from cloudmetrics_ci import deploy_steps, images, pulumi
from cloudmetrics_ci.environments import Environment

from cloudmetrics.cli.smoke import API_KEY_VARIABLE
from cloudmetrics.identity.key_format import new_key, parse_key
from tests.ci.conftest import REPOSITORY
from tests.infra.stack_builds import build_stack

INFRA = REPOSITORY / "infra"


def test_pulumi_project_name() -> None:
    project = (INFRA / "Pulumi.yaml").read_text()
    assert re.search(rf"^name:\s*{pulumi.PULUMI_PROJECT}\s*$", project, re.MULTILINE)


@pytest.mark.parametrize("env", list(Environment))
def test_the_deploy_targets_the_migration_task_definition_the_program_declares(
    env: Environment,
) -> None:
    declared = build_stack(env.stack)
    assert pulumi.migration_urn(env) in declared.urns


@pytest.mark.parametrize("env", list(Environment))
def test_every_stack_file_names_its_own_kms_key(env: Environment) -> None:
    # The pipeline sets no PULUMI_CONFIG_PASSPHRASE: secrets must be KMS-encrypted.
    stack = (INFRA / f"Pulumi.{env.stack}.yaml").read_text()
    provider = re.search(r"^secretsprovider:\s*(\S+)", stack, re.MULTILINE)
    assert provider is not None
    assert provider.group(1).startswith(f"awskms://alias/cloudmetrics-pulumi-{env.value}?")


def test_pulumi_cli_image_matches_the_pulumi_package_infra_pins() -> None:
    lock = (INFRA / "requirements.txt").read_text()
    assert "--hash=sha256:" in lock
    pinned = re.search(r"^pulumi==(\S+) ", lock, re.MULTILINE)
    assert pinned is not None
    assert images.PULUMI.endswith(f":{pinned.group(1)}")


def test_pulumi_cli_image_runs_the_python_infra_locks_are_compiled_for() -> None:
    # The unsuffixed image runs its default Python (3.13), not the locks' 3.11.
    for lock in ("requirements.txt", "policy_pack/requirements.txt"):
        header = (INFRA / lock).read_text()
        version = re.search(r"--python-version (\S+)", header)
        assert version is not None, lock
        assert images.PULUMI.startswith(f"pulumi/pulumi-python-{version.group(1)}:"), lock


def _stack_config_check() -> ModuleType:
    """infra/'s stack configuration check, imported from its file as the deploy runs it."""
    spec = importlib.util.spec_from_file_location(
        "check_stack_config", INFRA / pulumi.STACK_CONFIG_CHECK
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("env", list(Environment))
def test_the_policy_pack_and_the_stack_config_check_are_where_the_deploy_runs_them(
    env: Environment, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Both belong to infra/ (the CrossGuard pack, the placeholder check); the deploy runs
    # them from the infra directory it copies to /infra.
    pack = pulumi.POLICY_PACK.removeprefix(pulumi.INFRA_DIR + "/")
    assert (INFRA / pack / "PulumiPolicy.yaml").is_file()
    check = _stack_config_check()
    # It finds its files from its own location, not the working directory (/infra).
    assert INFRA == check.INFRA
    monkeypatch.chdir(REPOSITORY / "service")
    # The arguments the deploy passes parse (argparse would exit 2) and name a stack file
    # that exists (main returns 2 when not); 0 or 1 is the check's verdict on that file.
    arguments = pulumi.stack_config_check_command(env)
    assert arguments[:2] == [pulumi.INFRA_PYTHON, pulumi.STACK_CONFIG_CHECK]
    assert check.main(arguments[2:]) in (0, 1)


def test_the_deploy_accepts_exactly_the_keys_the_service_accepts() -> None:
    made = [new_key().text for _ in range(50)]
    near_misses = [made[0][:-1], made[0] + "A", made[0].upper(), made[0].replace("cm_", "cx_")]
    for text in made + near_misses:
        accepted = deploy_steps.SMOKE_KEY_PATTERN.fullmatch(text) is not None
        assert accepted == (parse_key(text) is not None), text


def test_the_smoke_command_reads_the_variable_the_deploy_sets() -> None:
    assert API_KEY_VARIABLE == deploy_steps.SMOKE_KEY_VARIABLE
