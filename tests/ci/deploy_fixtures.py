"""A deploy plan and stack outputs for the deploy tests, with recognisable secret values."""

from typing import Final

import dagger
from cloudmetrics_ci.aws import AwsCredentials
from cloudmetrics_ci.build import service_image
from cloudmetrics_ci.deploy_plan import DeployPlan, DeployTarget
from cloudmetrics_ci.environments import Environment
from cloudmetrics_ci.outputs import StackOutputs
from dagger import dag

REVISION: Final = "fedcba9876543210fedcba9876543210fedcba98"
RUN_ID: Final = "run-42"
SECRET_VALUES: Final = {
    "AWS_ACCESS_KEY_ID": "AKIAEXAMPLEKEYID0000",
    "AWS_SECRET_ACCESS_KEY": "example/secret/access/key/value/000000000",
    "AWS_SESSION_TOKEN": "example-session-token-value",
    "PULUMI_BACKEND_URL": "s3://example-pulumi-state?region=eu-west-1",
}

OUTPUTS: Final = StackOutputs(
    alb_url="https://dev.cloudmetrics.example.com",
    ecr_repository_url="123456789012.dkr.ecr.eu-west-1.amazonaws.com/cloudmetrics-dev",
    cluster_name="cloudmetrics-dev",
    service_name="cloudmetrics-dev-api",
    migration_task_definition_arn=(
        "arn:aws:ecs:eu-west-1:123456789012:task-definition/cloudmetrics-dev-migrate:7"
    ),
    private_subnet_ids=("subnet-a", "subnet-b", "subnet-c"),
    service_security_group_id="sg-service",
)


def secret(name: str) -> dagger.Secret:
    return dag.set_secret(name.lower(), SECRET_VALUES[name])


def deploy_plan(source: dagger.Directory, env: Environment = Environment.dev) -> DeployPlan:
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
    )
    return DeployPlan(source, service_image(source, REVISION), target)
