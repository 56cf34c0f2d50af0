"""Security Hub FSBP controls for images, tasks and permissions (ECR, ECS, IAM), by control id."""

from __future__ import annotations

from typing import Any

from tests.infra.mock_cloud import Snapshot
from tests.infra.reading import allow_statements, as_list, migration_container, web_container


def task_containers(stack: Snapshot) -> list[dict[str, Any]]:
    return [web_container(stack), migration_container(stack)]


# --- ECR ---------------------------------------------------------------------------------


def test_ecr_1_images_are_scanned_on_push(stack: Snapshot) -> None:
    repository = stack.one("aws:ecr/repository:Repository").inputs
    assert repository["imageScanningConfiguration"] == {"scanOnPush": True}


def test_ecr_2_tags_are_immutable(stack: Snapshot) -> None:
    assert stack.one("aws:ecr/repository:Repository").inputs["imageTagMutability"] == "IMMUTABLE"


def test_ecr_3_repository_has_a_lifecycle_policy(stack: Snapshot) -> None:
    policy = stack.one("aws:ecr/lifecyclePolicy:LifecyclePolicy")
    assert policy.inputs["repository"] == stack.one("aws:ecr/repository:Repository").inputs["name"]
    assert all(rule["action"]["type"] == "expire" for rule in policy.json("policy")["rules"])


# --- ECS ---------------------------------------------------------------------------------


def test_ecs_2_services_get_no_public_addresses(stack: Snapshot) -> None:
    network = stack.one("aws:ecs/service:Service").inputs["networkConfiguration"]
    assert network["assignPublicIp"] is False


def test_ecs_3_tasks_do_not_share_the_hosts_process_namespace(stack: Snapshot) -> None:
    for task in stack.of_type("aws:ecs/taskDefinition:TaskDefinition"):
        assert task.inputs.get("pidMode") != "host"


def test_ecs_4_containers_are_not_privileged(stack: Snapshot) -> None:
    assert all(container["privileged"] is False for container in task_containers(stack))


def test_ecs_5_containers_have_read_only_root_filesystems(stack: Snapshot) -> None:
    assert all(container["readonlyRootFilesystem"] is True for container in task_containers(stack))


def test_ecs_8_no_credentials_in_container_environment(stack: Snapshot) -> None:
    forbidden = {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "ECS_ENGINE_AUTH_DATA"}
    for container in task_containers(stack):
        assert not forbidden & {entry["name"] for entry in container["environment"]}


def test_ecs_9_task_definitions_have_a_logging_configuration(stack: Snapshot) -> None:
    for container in task_containers(stack):
        assert container["logConfiguration"]["logDriver"] == "awslogs"


def test_ecs_10_fargate_services_run_the_latest_platform(stack: Snapshot) -> None:
    service = stack.one("aws:ecs/service:Service").inputs
    assert service["launchType"] == "FARGATE"
    assert service["platformVersion"] == "LATEST"


def test_ecs_12_clusters_use_container_insights(stack: Snapshot) -> None:
    settings = stack.one("aws:ecs/cluster:Cluster").inputs["settings"]
    assert {"name": "containerInsights", "value": "enabled"} in settings


def test_ecs_17_task_definitions_do_not_use_host_networking(stack: Snapshot) -> None:
    for task in stack.of_type("aws:ecs/taskDefinition:TaskDefinition"):
        assert task.inputs["networkMode"] == "awsvpc"


def test_ecs_20_containers_run_as_a_non_root_user(stack: Snapshot) -> None:
    for container in task_containers(stack):
        user = container["user"].split(":")[0]
        assert user not in {"", "0", "root"}


# --- IAM ---------------------------------------------------------------------------------


def test_iam_1_no_policy_grants_full_administrative_privileges(stack: Snapshot) -> None:
    for resource, statement in allow_statements(stack):
        full = "*" in as_list(statement["Action"]) and "*" in as_list(statement["Resource"])
        assert not full, resource.name


def test_iam_21_no_policy_grants_wildcard_service_actions(stack: Snapshot) -> None:
    for resource, statement in allow_statements(stack):
        assert all("*" not in action for action in as_list(statement["Action"])), resource.name
        assert "NotAction" not in statement, resource.name
