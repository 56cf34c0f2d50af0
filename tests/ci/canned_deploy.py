"""Deploy steps, stack outputs and a canned engine for the deploy tests."""

import json
from dataclasses import dataclass, field
from typing import Any, Final

import dagger
from cloudmetrics_ci.aws import AwsCredentials
from cloudmetrics_ci.build import service_image
from cloudmetrics_ci.deploy_steps import (
    ECR_PASSWORD_FILE,
    SMOKE_KEY_FILE,
    DeploySteps,
    DeployTarget,
    Outcome,
)
from cloudmetrics_ci.environments import Environment
from cloudmetrics_ci.promotion import PROMOTE_SCRIPT
from cloudmetrics_ci.pulumi import SmokeKeyOutputs, StackOutputs
from dagger import dag

from tests.ci.graph import Plan

REVISION: Final = "fedcba9876543210fedcba9876543210fedcba98"
OLD_REVISION: Final = "0123456789abcdef0123456789abcdef01234567"
RUN_ID: Final = "run-42"
DIGEST: Final = "sha256:" + "ab" * 32
OTHER_DIGEST: Final = "sha256:" + "cd" * 32
SOURCE_REPOSITORY: Final = "111111111111.dkr.ecr.eu-west-1.amazonaws.com/cloudmetrics-dev"
SECRET_VALUES: Final = {
    "AWS_ACCESS_KEY_ID": "AKIAEXAMPLEKEYID0000",
    "AWS_SECRET_ACCESS_KEY": "example/secret/access/key/value/000000000",
    "AWS_SESSION_TOKEN": "example-session-token-value",
    "PULUMI_BACKEND_URL": "s3://example-pulumi-state?region=eu-west-1",
    "CLOUDMETRICS_API_KEY": "cm_0123456789abcdef_" + "Sm0keKey-_" * 4 + "xyz",
}
SMOKE_KEY_SECRET_ARN: Final = (
    "arn:aws:secretsmanager:eu-west-1:123456789012:secret:cloudmetrics-dev/smoke-api-key-AbCdEf"
)
REGISTRATION_TASK_DEFINITION_ARN: Final = (
    "arn:aws:ecs:eu-west-1:123456789012:task-definition/cloudmetrics-dev-register-smoke-key:3"
)

OUTPUTS: Final = StackOutputs(
    alb_url="https://dev.cloudmetrics.example.com",
    ecr_repository_url="123456789012.dkr.ecr.eu-west-1.amazonaws.com/cloudmetrics",
    cluster_name="cloudmetrics-dev",
    service_name="cloudmetrics-dev-api",
    migration_task_definition_arn=(
        "arn:aws:ecs:eu-west-1:123456789012:task-definition/cloudmetrics-dev-migrate:7"
    ),
    private_subnet_ids=("subnet-a", "subnet-b", "subnet-c"),
    service_security_group_id="sg-service",
)
RAW_OUTPUTS: Final = {
    "albUrl": OUTPUTS.alb_url,
    "ecrRepositoryUrl": OUTPUTS.ecr_repository_url,
    "clusterName": OUTPUTS.cluster_name,
    "serviceName": OUTPUTS.service_name,
    "migrationTaskDefinitionArn": OUTPUTS.migration_task_definition_arn,
    "privateSubnetIds": list(OUTPUTS.private_subnet_ids),
    "serviceSecurityGroupId": OUTPUTS.service_security_group_id,
    "smokeKeyTaskDefinitionArn": REGISTRATION_TASK_DEFINITION_ARN,
    "smokeKeySecretArn": SMOKE_KEY_SECRET_ARN,
}
SMOKE_KEY_OUTPUTS: Final = SmokeKeyOutputs(
    registration_task_definition_arn=REGISTRATION_TASK_DEFINITION_ARN,
    secret_arn=SMOKE_KEY_SECRET_ARN,
)
SERVICE_TASK_DEFINITION: Final = "arn:aws:ecs:eu-west-1:123456789012:task-definition/api:12"


def secret(name: str) -> dagger.Secret:
    return dag.set_secret(name.lower(), SECRET_VALUES[name])


def deploy_steps(source: dagger.Directory, env: Environment = Environment.dev) -> DeploySteps:
    credentials = AwsCredentials(
        access_key_id=secret("AWS_ACCESS_KEY_ID"),
        secret_access_key=secret("AWS_SECRET_ACCESS_KEY"),
        session_token=secret("AWS_SESSION_TOKEN"),
        region="eu-west-1",
    )
    target = DeployTarget(
        env=env,
        revision=REVISION,
        credentials=credentials,
        backend_url=secret("PULUMI_BACKEND_URL"),
        run_id=RUN_ID,
        source_repository=None if env is Environment.dev else SOURCE_REPOSITORY,
    )
    return DeploySteps(source, service_image(source, REVISION), target)


def ok(document: object = None) -> Outcome:
    return Outcome(0, "" if document is None else json.dumps(document))


def image_found(digest: str = DIGEST) -> Outcome:
    return ok({"images": [{"imageDigest": digest, "imageTag": REVISION}], "failures": []})


IMAGE_MISSING: Final = ok({"images": [], "failures": [{"failureCode": "ImageNotFound"}]})


def service(state: str = "COMPLETED", task_definition: str = SERVICE_TASK_DEFINITION) -> Outcome:
    primary = {"status": "PRIMARY", "rolloutState": state, "taskDefinition": task_definition}
    return ok({"services": [{"deployments": [primary]}]})


def task_definition(revision: str = REVISION) -> Outcome:
    image = f"{OUTPUTS.ecr_repository_url}:{revision}"
    return ok(
        {
            "taskDefinition": {
                "taskDefinitionArn": SERVICE_TASK_DEFINITION,
                "containerDefinitions": [{"name": "api", "image": image}],
            }
        }
    )


MIGRATION_TASK: Final = "arn:task/1"
REGISTRATION_TASK: Final = "arn:task/2"


def started(task_arn: str) -> Outcome:
    return ok({"tasks": [{"taskArn": task_arn}], "failures": []})


def stopped(
    exit_code: int | None, task_arn: str = MIGRATION_TASK, name: str = "migrate"
) -> Outcome:
    container: dict[str, Any] = {"name": name}
    if exit_code is not None:
        container["exitCode"] = exit_code
    task = {"taskArn": task_arn, "containers": [container], "stoppedReason": "exited"}
    return ok({"tasks": [task]})


def healthy() -> dict[str, Outcome]:
    """A deploy where everything goes well and the tag is not yet in the registry."""
    return {
        "check config": ok(),
        "outputs": ok(RAW_OUTPUTS),
        "source lookup": image_found(),
        "target lookup": IMAGE_MISSING,
        "promote": Outcome(0, DIGEST + "\n"),
        "migration task definition": ok(),
        "run task": started(MIGRATION_TASK),
        "describe task": stopped(0),
        "roll out": ok(),
        "describe service": service(),
        "describe task definition": task_definition(),
        "run registration": started(REGISTRATION_TASK),
        "describe registration": stopped(0, REGISTRATION_TASK, "cloudmetrics"),
        "read smoke key": ok(),
        "smoke": ok(),
    }


def step_key(container: dagger.Container) -> str:
    """Which step's command a container ends with."""
    command = Plan(container).execs[-1]
    if command[:2] == ["pulumi", "up"]:
        return "migration task definition" if "--target" in command else "roll out"
    if command[:2] == ["cloudmetrics", "smoke"]:
        return "smoke"
    if command[:3] == ["sh", "-c", PROMOTE_SCRIPT]:
        return "promote"
    if command[:2] == ["sh", "-c"] and "aws secretsmanager get-secret-value" in command[2]:
        return "read smoke key"
    if command[:3] == ["aws", "ecs", "run-task"]:
        family = command[command.index("--task-definition") + 1]
        return "run registration" if family.endswith("-register-smoke-key") else "run task"
    if command[:3] == ["aws", "ecs", "describe-tasks"]:
        task = command[command.index("--tasks") + 1]
        return "describe registration" if task == REGISTRATION_TASK else "describe task"
    if command[:3] == ["aws", "ecr", "batch-get-image"]:
        registry_id = command[command.index("--registry-id") + 1]
        return "source lookup" if SOURCE_REPOSITORY.startswith(registry_id) else "target lookup"
    keys = {
        "pulumi stack output": "outputs",
        "aws ecs describe-services": "describe service",
        "aws ecs describe-task-definition": "describe task definition",
    }
    if " ".join(command[:3]) in keys:
        return keys[" ".join(command[:3])]
    if any(part.endswith("check_stack_config.py") for part in command):
        return "check config"
    raise AssertionError(f"no canned result for {command}")


@dataclass
class CannedEngine:
    """Answers each step from `outcomes`, and records everything the deploy asked for."""

    outcomes: dict[str, Outcome] = field(default_factory=healthy)
    ran: list[str] = field(default_factory=lambda: [])
    awaited: list[dagger.Container | dagger.File] = field(default_factory=lambda: [])
    published: list[tuple[dagger.Container, str]] = field(default_factory=lambda: [])
    publish_digest: str = DIGEST
    # What the smoke key secret holds, as the read step's file would.
    smoke_key: str = SECRET_VALUES["CLOUDMETRICS_API_KEY"] + "\n"

    async def exit_code(self, container: dagger.Container) -> int:
        self.ran.append(step_key(container))
        self.awaited.append(container)
        return self.outcomes[step_key(container)].exit_code

    async def stdout(self, container: dagger.Container) -> str:
        return self.outcomes[step_key(container)].stdout

    async def contents(self, file: dagger.File) -> str:
        self.awaited.append(file)
        path = Plan(file).calls("file")[-1].args["path"]
        if path == SMOKE_KEY_FILE:
            self.ran.append("smoke key file")
            return self.smoke_key
        assert path == ECR_PASSWORD_FILE, path
        self.ran.append("ecr login")
        return "ecr-token-value\n"

    async def publish(self, container: dagger.Container, address: str) -> str:
        self.ran.append("publish")
        self.awaited.append(container)
        self.published.append((container, address))
        return f"{address}@{self.publish_digest}"
