"""Three environments, one program: the same resources, differing only in configured values."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, cast

import yaml

from tests.infra.mock_cloud import ENVIRONMENTS, IMAGE_TAG, INFRA, Snapshot
from tests.infra.reading import parsed, web_container

# Properties whose values come from a stack's sizes and counts (Pulumi.<env>.yaml).
SIZED_PROPERTIES = {
    "instanceClass",
    "allocatedStorage",
    "maxAllocatedStorage",
    "deletionProtection",
    "enableDeletionProtection",
    "nodeType",
    "replicasPerNodeGroup",
    "snapshotRetentionLimit",
    "desiredCount",
    "minCapacity",
    "maxCapacity",
    "cpu",
    "memory",
    "targetValue",
    "retentionInDays",
    "threshold",
    "alarmDescription",
    "value",
}
CONTRACT_OUTPUTS = {
    "albUrl",
    "ecrRepositoryUrl",
    "clusterName",
    "serviceName",
    "migrationTaskDefinitionArn",
    "privateSubnetIds",
    "serviceSecurityGroupId",
}


def stack_file(environment: str) -> dict[str, Any]:
    path = Path(INFRA / f"Pulumi.{environment}.yaml")
    return cast("dict[str, Any]", yaml.safe_load(path.read_text()))


def identity(snapshot: Snapshot) -> set[tuple[str, str]]:
    return {(resource.type, resource.name) for resource in snapshot.resources}


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


def normalised(snapshot: Snapshot, value: Any) -> Any:
    """Replace the values that name the environment (not its sizes) with placeholders."""
    if not isinstance(value, str):
        return value
    config = stack_file(snapshot.environment)["config"]
    for key in ("accountId", "domainName", "hostedZoneId", "alarmEmail", "costCentre"):
        value = value.replace(config[f"cloudmetrics:{key}"], f"<{key}>")
    value = value.replace(config["cloudmetrics:vpcCidr"].rsplit(".", 2)[0], "<vpc>")
    return re.sub(rf"(?<![a-z]){snapshot.environment}(?![a-z])", "<env>", value)


def test_the_three_stacks_declare_the_same_resources(stacks: dict[str, Snapshot]) -> None:
    dev = identity(stacks["dev"])
    assert len(dev) == len(stacks["dev"].resources), "logical names must be unique"
    for environment in ENVIRONMENTS:
        assert identity(stacks[environment]) == dev, environment


def test_resources_differ_only_in_configured_values(stacks: dict[str, Snapshot]) -> None:
    unexplained: set[str] = set()
    for resource in stacks["dev"].resources:
        shapes = [
            {
                path: normalised(stacks[env], value)
                for path, value in flatten(dict(stacks[env].named(resource.name).inputs)).items()
            }
            for env in ENVIRONMENTS
        ]
        assert all(shape.keys() == shapes[0].keys() for shape in shapes), resource.name
        for path in shapes[0]:
            values = {repr(shape[path]) for shape in shapes}
            leaf = re.sub(r"\[\d+\]$", "", path).rsplit(".", 1)[-1]
            if len(values) > 1 and leaf not in SIZED_PROPERTIES:
                unexplained.add(f"{resource.name}{path}: {sorted(values)}")
    assert not unexplained, "values that differ between stacks without config:\n" + "\n".join(
        sorted(unexplained)
    )


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
    private = [
        subnet.id
        for subnet in stack.resources
        if subnet.name.startswith("network-private-") and subnet.type == "aws:ec2/subnet:Subnet"
    ]
    assert stack.outputs["privateSubnetIds"] == private
    assert stack.outputs["serviceSecurityGroupId"] == stack.named("firewall-service").id
    assert (
        stack.outputs["migrationTaskDefinitionArn"] == stack.named("migrations-task").state["arn"]
    )


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
