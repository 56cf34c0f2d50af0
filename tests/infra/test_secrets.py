"""No secret in a task definition's plain environment; configuration arrives as `secrets`."""

from __future__ import annotations

import json
import re
from typing import Any

from cloudmetrics_infra.settings import SERVICE_PORT

from tests.infra.mock_cloud import CLOUDFRONT_ORIGIN_CIDRS, Snapshot
from tests.infra.snapshot_views import (
    CREDENTIALS,
    DATABASE_LOGIN,
    ONE_OFF_TASKS,
    config_parameter,
    configuration,
    container,
    database_login,
    injected,
    role_secret,
    roles_container,
    sources,
    web_container,
)

PLAIN_ENVIRONMENT = {"HOST", "PORT", "RELEASE_ID"}
SERVICE_CONFIGURATION = {
    "DATABASE_URL",
    "REDIS_URL",
    "LOG_LEVEL",
    "WEB_CONCURRENCY",
    "DATABASE_POOL_MAX_SIZE",
    "REDIS_CLUSTER",
    "FORWARDED_ALLOW_IPS",
    "SESSION_COOKIE_SECURE",
}
SECRET_LOOKING = re.compile(r"pass|secret|token|key|credential", re.IGNORECASE)


def containers(stack: Snapshot) -> list[dict[str, Any]]:
    """Every task definition's container: the service's and the one-off tasks'."""
    return [
        web_container(stack),
        *(container(stack.named(task)) for task in ONE_OFF_TASKS),
        roles_container(stack),
    ]


def test_plain_environment_holds_no_configuration_and_no_secret(stack: Snapshot) -> None:
    for definition in containers(stack):
        names = {entry["name"] for entry in definition["environment"]}
        assert names == PLAIN_ENVIRONMENT
        for entry in definition["environment"]:
            assert not SECRET_LOOKING.search(entry["name"] + entry["value"]), entry
            assert "arn:aws:secretsmanager" not in entry["value"]


def test_configuration_comes_from_this_environments_parameters(stack: Snapshot) -> None:
    for definition in containers(stack):
        settings = configuration(definition)
        assert set(settings) == SERVICE_CONFIGURATION
        for variable in SERVICE_CONFIGURATION:
            parameter = config_parameter(stack, variable)
            assert parameter.inputs["name"] == f"/cloudmetrics/{stack.environment}/{variable}"
            assert settings[variable] == parameter.state["arn"]


def test_each_task_gets_only_the_credentials_its_command_uses(stack: Snapshot) -> None:
    # The service uses the database, Redis and the CSRF key; migrate, maintain and the smoke
    # key's registration use the database alone; the roles step also sets the roles' passwords.
    web = set(injected(web_container(stack))) & CREDENTIALS
    assert web == DATABASE_LOGIN | {"REDIS_PASSWORD", "SESSION_SECRET"}
    for task in ONE_OFF_TASKS:
        credentials = set(injected(container(stack.named(task)))) & CREDENTIALS
        assert credentials == DATABASE_LOGIN, task
    roles = set(injected(roles_container(stack))) & CREDENTIALS
    assert roles == DATABASE_LOGIN | {"DATABASE_OWNER_PASSWORD", "DATABASE_SERVICE_PASSWORD"}


def test_only_the_roles_step_connects_as_the_master_user(stack: Snapshot) -> None:
    """docs/adr/0058: the master's password stays RDS-managed and reaches one container."""
    instance = stack.one("aws:rds/instance:Instance")
    assert instance.inputs["manageMasterUserPassword"] is True
    assert "password" not in instance.inputs
    master = instance.state["masterUserSecrets"][0]["secretArn"]
    owner, service = role_secret(stack, "owner"), role_secret(stack, "service")
    assert database_login(roles_container(stack)) == master
    assert database_login(web_container(stack)) == service
    assert database_login(container(stack.named("smoke-key-registration-task"))) == service
    assert database_login(container(stack.named("migrations-task"))) == owner
    assert database_login(container(stack.named("maintenance-task"))) == owner
    passwords = injected(roles_container(stack))
    assert passwords["DATABASE_OWNER_PASSWORD"] == f"{owner}:password::"
    assert passwords["DATABASE_SERVICE_PASSWORD"] == f"{service}:password::"


def test_the_database_roles_secrets_hold_their_role_and_a_generated_password(
    stack: Snapshot,
) -> None:
    for role in ("owner", "service"):
        secret = stack.named(f"database-roles-{role}-secret")
        version = stack.named(f"database-roles-{role}-secret-value").inputs
        generated = stack.named(f"database-roles-{role}-password")
        assert secret.inputs["namePrefix"] == f"cloudmetrics-{stack.environment}/database-{role}-"
        assert version["secretId"] == secret.id
        assert json.loads(version["secretString"]) == {
            "username": f"cloudmetrics_{role}",
            "password": generated.state["result"],
        }
        assert generated.inputs["length"] >= 32


def test_database_url_carries_no_password_and_verifies_the_server(stack: Snapshot) -> None:
    url = config_parameter(stack, "DATABASE_URL").inputs["value"]
    # verify-full: the certificate must chain to the RDS CA bundle in the image and name the
    # endpoint; "require" would encrypt to whoever answers.
    # No userinfo at all: each task's role comes from its own secret (PGUSER, PGPASSWORD).
    match = re.fullmatch(
        r"postgresql://([^@/]+)/(\w+)"
        r"\?sslmode=verify-full&sslrootcert=/app/certs/rds-global-bundle\.pem",
        url,
    )
    assert match, url
    instance = stack.one("aws:rds/instance:Instance")
    assert match.group(1) == f"{instance.state['address']}:5432"


def test_redis_url_uses_tls_to_the_cluster_configuration_endpoint(stack: Snapshot) -> None:
    cache = stack.one("aws:elasticache/replicationGroup:ReplicationGroup")
    url = config_parameter(stack, "REDIS_URL").inputs["value"]
    assert url == f"rediss://{cache.state['configurationEndpointAddress']}:6379/0"


def test_service_uses_a_cluster_client_for_the_cluster_mode_cache(stack: Snapshot) -> None:
    cache = stack.one("aws:elasticache/replicationGroup:ReplicationGroup")
    assert cache.inputs["clusterMode"] == "enabled"
    assert config_parameter(stack, "REDIS_CLUSTER").inputs["value"] == "true"


def test_forwarded_addresses_are_believed_only_from_the_alb_and_cloudfront(
    stack: Snapshot,
) -> None:
    # "*" would make uvicorn take the left-most X-Forwarded-For entry, which the client writes.
    # Two hops append to it: CloudFront (the client's address), then the ALB (CloudFront's).
    trusted = config_parameter(stack, "FORWARDED_ALLOW_IPS").inputs["value"].split(",")
    balancer = stack.one("aws:lb/loadBalancer:LoadBalancer").inputs
    subnets = {stack.by_id(subnet).inputs["cidrBlock"] for subnet in balancer["subnets"]}
    assert len(subnets) == 3
    assert set(trusted) == subnets | set(CLOUDFRONT_ORIGIN_CIDRS)
    assert len(trusted) == len(set(trusted))
    assert sources(stack, "firewall-service") == {("firewall-alb-id", SERVICE_PORT)}


def test_redis_password_is_the_auth_token_from_secrets_manager(stack: Snapshot) -> None:
    cache = stack.one("aws:elasticache/replicationGroup:ReplicationGroup").inputs
    token = stack.named("cache-auth-token")
    version = stack.named("cache-auth-secret-value").inputs
    secret = stack.named("cache-auth-secret")
    assert cache["authToken"] == token.state["result"] == version["secretString"]
    assert version["secretId"] == secret.id
    assert injected(web_container(stack))["REDIS_PASSWORD"] == secret.state["arn"]


def test_no_parameter_holds_a_secure_string_or_a_credential(stack: Snapshot) -> None:
    # Nothing in Parameter Store is secret, so plain String parameters are right; a credential
    # appearing here would be a mistake this catches.
    for parameter in stack.of_type("aws:ssm/parameter:Parameter"):
        assert parameter.inputs["type"] == "String"
        assert "password" not in parameter.inputs["value"].lower()


def test_release_id_is_the_image_tag(stack: Snapshot) -> None:
    environment = {entry["name"]: entry["value"] for entry in web_container(stack)["environment"]}
    assert web_container(stack)["image"].endswith(f":{environment['RELEASE_ID']}")


def test_every_web_task_signs_csrf_tokens_with_one_generated_secret(stack: Snapshot) -> None:
    """A form served by one task must be accepted by the next: one key, from Secrets Manager."""
    generated = stack.named("session-value")
    version = stack.named("session-secret-value").inputs
    secret = stack.named("session-secret")
    assert generated.inputs["length"] >= 32  # the service refuses shorter keys
    assert version["secretString"] == generated.state["result"]
    assert version["secretId"] == secret.id
    assert secret.inputs["name"] == f"cloudmetrics-{stack.environment}/session-secret"
    # Only the service's tasks serve forms; every one of them runs this task definition.
    assert injected(web_container(stack))["SESSION_SECRET"] == secret.state["arn"]
    assert config_parameter(stack, "SESSION_COOKIE_SECURE").inputs["value"] == "true"
