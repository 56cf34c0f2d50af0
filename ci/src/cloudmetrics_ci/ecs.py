"""The one-off migration task: run it inside the VPC, wait, and read its exit code."""

import json
from dataclasses import dataclass
from typing import Any, Final, cast

from cloudmetrics_ci.outputs import StackOutputs

STARTED_BY: Final = "cloudmetrics-deploy"


class MigrationTaskError(RuntimeError):
    """The migration task did not start, or stopped without exit code 0."""


def run_task_command(outputs: StackOutputs) -> list[str]:
    """Start the migration task in the private subnets with the service's security group."""
    network = {
        "awsvpcConfiguration": {
            "subnets": list(outputs.private_subnet_ids),
            "securityGroups": [outputs.service_security_group_id],
            "assignPublicIp": "DISABLED",
        }
    }
    return [
        "aws",
        "ecs",
        "run-task",
        "--cluster",
        outputs.cluster_name,
        "--task-definition",
        outputs.migration_task_family,
        "--launch-type",
        "FARGATE",
        "--count",
        "1",
        "--started-by",
        STARTED_BY,
        "--network-configuration",
        json.dumps(network, separators=(",", ":")),
        "--output",
        "json",
    ]


def wait_command(outputs: StackOutputs, task_arn: str) -> list[str]:
    """Block until the task stops (the CLI waiter gives up after about ten minutes)."""
    return [
        "aws",
        "ecs",
        "wait",
        "tasks-stopped",
        "--cluster",
        outputs.cluster_name,
        "--tasks",
        task_arn,
    ]


def describe_command(outputs: StackOutputs, task_arn: str) -> list[str]:
    """The stopped task with its containers' exit codes."""
    return [
        "aws",
        "ecs",
        "describe-tasks",
        "--cluster",
        outputs.cluster_name,
        "--tasks",
        task_arn,
        "--output",
        "json",
    ]


def _tasks(text: str, command: str) -> list[dict[str, Any]]:
    try:
        raw: object = json.loads(text)
    except json.JSONDecodeError as error:
        raise MigrationTaskError(f"`aws ecs {command}` printed no JSON: {error}") from error
    if not isinstance(raw, dict):
        raise MigrationTaskError(f"`aws ecs {command}` printed an unexpected document")
    document = cast(dict[str, Any], raw)
    failures: object = document.get("failures")
    if failures:
        raise MigrationTaskError(f"`aws ecs {command}` reported failures: {failures}")
    tasks: object = document.get("tasks")
    if not isinstance(tasks, list) or not tasks:
        raise MigrationTaskError(f"`aws ecs {command}` returned no task")
    return cast(list[dict[str, Any]], tasks)


def started_task_arn(run_task_output: str) -> str:
    """The ARN of the task `aws ecs run-task` started."""
    arn = _tasks(run_task_output, "run-task")[0].get("taskArn")
    if not isinstance(arn, str) or not arn:
        raise MigrationTaskError("`aws ecs run-task` returned a task without an ARN")
    return arn


@dataclass(frozen=True)
class StoppedTask:
    """How the migration task ended."""

    exit_codes: dict[str, int | None]
    stopped_reason: str

    @property
    def succeeded(self) -> bool:
        """Every container exited, and with 0."""
        return bool(self.exit_codes) and all(code == 0 for code in self.exit_codes.values())


def stopped_task(describe_output: str) -> StoppedTask:
    """Read the exit codes out of `aws ecs describe-tasks`."""
    task = _tasks(describe_output, "describe-tasks")[0]
    containers = cast(list[dict[str, Any]], task.get("containers") or [])
    exit_codes: dict[str, int | None] = {}
    for container in containers:
        code = container.get("exitCode")
        exit_codes[str(container.get("name", "?"))] = code if isinstance(code, int) else None
    return StoppedTask(exit_codes=exit_codes, stopped_reason=str(task.get("stoppedReason", "")))
