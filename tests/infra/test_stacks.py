"""Three environments, one program: the same resources, differing only in configured values."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, cast

import pytest
import yaml

from tests.infra.mock_cloud import ENVIRONMENTS, IMAGE_TAG, INFRA, Snapshot
from tests.infra.snapshot_views import parsed, web_container
from tests.infra.stack_builds import build_stack, estate_config

CONTRACT_OUTPUTS = {
    "albUrl",
    "ecrRepositoryUrl",
    "clusterName",
    "serviceName",
    "migrationTaskDefinitionArn",
    "privateSubnetIds",
    "serviceSecurityGroupId",
    "smokeKeyTaskDefinitionArn",
    "smokeKeySecretArn",
}


def stack_file(environment: str) -> dict[str, Any]:
    path = Path(INFRA / f"Pulumi.{environment}.yaml")
    return cast("dict[str, Any]", yaml.safe_load(path.read_text()))


# Declared only where the promotion order has a next environment to pull the images (dev and
# staging; test_registry_access.py proves each one).
PROMOTION_GRANT = ("aws:ecr/repositoryPolicy:RepositoryPolicy", "registry-promotion-pull")
NEXT_ACCOUNT = "cloudmetrics:nextEnvironmentAccountId"


def identity(snapshot: Snapshot) -> set[tuple[str, str]]:
    return {(resource.type, resource.name) for resource in snapshot.resources} - {PROMOTION_GRANT}


def flatten(value: Any, path: str = "") -> dict[str, Any]:
    value = parsed(value)
    if isinstance(value, dict):
        items = cast("dict[str, Any]", value).items()
        return {k: v for key, item in items for k, v in flatten(item, f"{path}.{key}").items()}
    if isinstance(value, list):
        entries = cast("list[Any]", value)
        return {
            k: v
            for index, item in enumerate(entries)
            for k, v in flatten(item, f"{path}[{index}]").items()
        }
    return {path: value}


def described(snapshot: Snapshot, *names: str) -> dict[tuple[str, str], dict[str, Any]]:
    """Every resource's flattened inputs, with the given environment names replaced by <env>."""
    pattern = re.compile(rf"(?<![a-z])({'|'.join(names)})(?![a-z])")

    def without_names(value: Any) -> Any:
        return pattern.sub("<env>", value) if isinstance(value, str) else value

    return {
        (resource.type, resource.name): {
            path: without_names(value) for path, value in flatten(dict(resource.inputs)).items()
        }
        for resource in snapshot.resources
        if (resource.type, resource.name) != PROMOTION_GRANT
    }


def test_the_three_stacks_declare_the_same_resources(stacks: dict[str, Snapshot]) -> None:
    dev = identity(stacks["dev"])
    for environment in ENVIRONMENTS:
        every = [(resource.type, resource.name) for resource in stacks[environment].resources]
        assert len(set(every)) == len(every), "logical names must be unique"
        assert identity(stacks[environment]) == dev, environment


@pytest.fixture(scope="session")
def stacks_on_dev_config() -> dict[str, Snapshot]:
    """staging and prod as the program declares them when handed dev's stack file.

    Each keeps its own next environment's account: which environment comes next is the
    environment's place in the promotion order, and prod has none.
    """
    return {
        environment: build_stack(
            environment,
            {NEXT_ACCOUNT: estate_config(environment)[NEXT_ACCOUNT]},
            config_of="dev",
        )
        for environment in ENVIRONMENTS
        if environment != "dev"
    }


def test_stacks_differ_only_where_their_stack_files_differ(
    stacks: dict[str, Snapshot], stacks_on_dev_config: dict[str, Snapshot]
) -> None:
    # Same file, different stack: any difference beyond the environment's name is something
    # the code decides by environment (say, a prod-only setting) instead of by configuration.
    dev = described(stacks["dev"], "dev")
    for environment, snapshot in stacks_on_dev_config.items():
        other = described(snapshot, "dev", environment)
        assert other.keys() == dev.keys(), environment
        differences = [
            f"{name}{path}: dev={dev[(type_, name)].get(path)!r} {environment}={shape.get(path)!r}"
            for (type_, name), shape in other.items()
            for path in shape.keys() | dev[(type_, name)].keys()
            if shape.get(path) != dev[(type_, name)].get(path)
        ]
        assert not differences, f"{environment} on dev's configuration:\n" + "\n".join(differences)


def test_sizes_really_come_from_each_stack_file(stacks: dict[str, Snapshot]) -> None:
    for environment in ENVIRONMENTS:
        database = stack_file(environment)["config"]["cloudmetrics:database"]
        instance = stacks[environment].one("aws:rds/instance:Instance")
        assert instance.inputs["instanceClass"] == database["instanceClass"]
    assert (
        len(
            {
                stacks[env].one("aws:rds/instance:Instance").inputs["instanceClass"]
                for env in ENVIRONMENTS
            }
        )
        > 1
    )


def test_stack_files_have_the_same_keys() -> None:
    keys = {environment: set(stack_file(environment)["config"]) for environment in ENVIRONMENTS}
    assert keys["staging"] == keys["dev"] == keys["prod"]
    sections = ("cloudmetrics:service", "cloudmetrics:database", "cloudmetrics:cache")
    for section in sections:
        shapes = {env: set(stack_file(env)["config"][section]) for env in ENVIRONMENTS}
        assert shapes["staging"] == shapes["dev"] == shapes["prod"], section


def test_each_stack_encrypts_its_secrets_with_its_own_kms_alias() -> None:
    for environment in ENVIRONMENTS:
        provider = stack_file(environment)["secretsprovider"]
        assert provider.startswith(f"awskms://alias/cloudmetrics-pulumi-{environment}?")


def test_default_provider_is_disabled_so_nothing_escapes_the_tagged_one() -> None:
    for environment in ENVIRONMENTS:
        assert stack_file(environment)["config"]["pulumi:disable-default-providers"] == ["aws"]


def test_stack_exports_the_outputs_the_pipeline_reads(stack: Snapshot) -> None:
    assert set(stack.outputs) == CONTRACT_OUTPUTS
    assert stack.outputs["albUrl"].startswith("https://")
    # In the program's order (by name); the snapshot lists resources as their registrations
    # finished, which is not deterministic.
    private = [
        subnet.id
        for subnet in sorted(stack.resources, key=lambda resource: resource.name)
        if subnet.name.startswith("network-private-") and subnet.type == "aws:ec2/subnet:Subnet"
    ]
    assert stack.outputs["privateSubnetIds"] == private
    assert stack.outputs["serviceSecurityGroupId"] == stack.named("firewall-service").id
    assert (
        stack.outputs["migrationTaskDefinitionArn"] == stack.named("migrations-task").state["arn"]
    )
    registration = stack.named("smoke-key-registration-task")
    assert stack.outputs["smokeKeyTaskDefinitionArn"] == registration.state["arn"]
    assert stack.outputs["smokeKeySecretArn"] == stack.named("smoke-key-secret").state["arn"]


def test_image_tag_selects_the_image_from_this_environments_repository(stack: Snapshot) -> None:
    repository = stack.one("aws:ecr/repository:Repository")
    assert web_container(stack)["image"] == f"{repository.state['repositoryUrl']}:{IMAGE_TAG}"
    assert stack.outputs["ecrRepositoryUrl"] == repository.state["repositoryUrl"]


def test_migration_task_definition_has_the_urn_the_pipeline_targets(stack: Snapshot) -> None:
    # `pulumi up --target` in ci/ names this URN before it runs the migration task.
    urn = (
        f"urn:pulumi:{stack.environment}::cloudmetrics::"
        "cloudmetrics:infra:MigrationTask$aws:ecs/taskDefinition:TaskDefinition::migrations-task"
    )
    assert urn in stack.urns


def test_urns_named_in_the_infrastructure_docs_exist(stack: Snapshot) -> None:
    # docs/infrastructure.md tells people which URNs to --target / --exclude on a first deploy.
    text = (INFRA.parent / "docs" / "infrastructure.md").read_text()
    documented = set(re.findall(r"urn:pulumi:<env>::[^' ]+", text))
    assert len(documented) >= 3
    for urn in documented:
        assert urn.replace("<env>", stack.environment) in stack.urns, urn
