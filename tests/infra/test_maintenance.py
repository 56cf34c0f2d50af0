"""The scheduled storage maintenance task: what it runs, where, when, and with which rights."""

from __future__ import annotations

from tests.infra.mock_cloud import Snapshot
from tests.infra.snapshot_views import (
    configuration,
    container,
    database_login,
    injected,
    migration_container,
    role_policy,
    role_secret,
    web_container,
)


def test_the_task_runs_cloudmetrics_maintain_with_the_service_configuration(
    stack: Snapshot,
) -> None:
    task = stack.named("maintenance-task")
    maintain = container(task)
    web = web_container(stack)

    assert maintain["command"] == ["cloudmetrics", "maintain"]
    assert maintain["image"] == web["image"]
    # The same settings (retention, ingest window) from the same parameters; of the
    # credentials, only the database's.
    assert configuration(maintain) == configuration(web)
    # It creates and drops partitions: it connects as the owner role (docs/adr/0058).
    assert set(injected(maintain)) - set(configuration(maintain)) == {"PGUSER", "PGPASSWORD"}
    assert database_login(maintain) == role_secret(stack, "owner")
    assert maintain.get("environment") == web.get("environment")
    assert "portMappings" not in maintain or maintain["portMappings"] == []
    assert task.inputs["family"] == f"cloudmetrics-{stack.environment}-maintain"
    assert task.inputs["requiresCompatibilities"] == ["FARGATE"]
    assert task.inputs["executionRoleArn"] == stack.named("task-roles-execution").state["arn"]
    assert task.inputs["taskRoleArn"] == stack.named("task-roles-task").state["arn"]
    assert maintain["logConfiguration"] == {
        **migration_container(stack)["logConfiguration"],
        "options": {
            **migration_container(stack)["logConfiguration"]["options"],
            "awslogs-stream-prefix": "maintain",
        },
    }


def test_an_hourly_schedule_starts_it_in_the_private_subnets(stack: Snapshot) -> None:
    rule = stack.named("maintenance-schedule")
    target = stack.named("maintenance-target")
    cluster = stack.one("aws:ecs/cluster:Cluster")
    network = target.inputs["ecsTarget"]["networkConfiguration"]

    assert rule.inputs["scheduleExpression"] == "rate(1 hour)"
    assert target.inputs["rule"] == rule.inputs["name"]
    assert target.inputs["arn"] == cluster.state["arn"]
    assert (
        target.inputs["ecsTarget"]["taskDefinitionArn"]
        == stack.named("maintenance-task").state["arn"]
    )
    assert target.inputs["ecsTarget"]["launchType"] == "FARGATE"
    assert network["assignPublicIp"] is False
    assert network["subnets"] == stack.outputs["privateSubnetIds"]
    # The service's group: the one the database accepts connections from.
    assert network["securityGroups"] == [stack.named("firewall-service").id]


def test_the_scheduler_may_run_only_this_task_on_this_cluster(stack: Snapshot) -> None:
    role = stack.named("maintenance-scheduler")
    target = stack.named("maintenance-target")
    statements = role_policy(stack, "maintenance-scheduler")
    task_arn = stack.named("maintenance-task").state["arn"]
    cluster_arn = stack.one("aws:ecs/cluster:Cluster").state["arn"]
    roles = {
        stack.named("task-roles-execution").state["arn"],
        stack.named("task-roles-task").state["arn"],
    }

    assert target.inputs["roleArn"] == role.state["arn"]
    assert "events.amazonaws.com" in role.inputs["assumeRolePolicy"]
    grants = {statement["Action"][0]: statement for statement in statements}
    assert set(grants) == {"ecs:RunTask", "iam:PassRole"}
    assert grants["ecs:RunTask"]["Resource"] == [task_arn]
    assert grants["ecs:RunTask"]["Condition"] == {"ArnEquals": {"ecs:cluster": cluster_arn}}
    assert set(grants["iam:PassRole"]["Resource"]) == roles
    assert grants["iam:PassRole"]["Condition"] == {
        "StringEquals": {"iam:PassedToService": "ecs-tasks.amazonaws.com"}
    }
