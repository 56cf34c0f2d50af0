"""The deploy's smoke key: made in each environment's estate, in the service's key format, and
handed only to the task that registers it, as a task secret."""

from __future__ import annotations

import re
import string
from typing import Any

from cloudmetrics.identity.key_format import parse_key
from tests.infra.mock_cloud import INFRA, Snapshot
from tests.infra.snapshot_views import TASK_DEFINITION, container, injected

URL_SAFE_BASE64 = set(string.ascii_letters + string.digits + "-_")
VARIABLE = "CLOUDMETRICS_SMOKE_KEY"


def registration(stack: Snapshot) -> dict[str, Any]:
    return container(stack.named("smoke-key-registration-task"))


def test_each_environment_keeps_its_smoke_key_in_its_own_secret(stack: Snapshot) -> None:
    secret = stack.named("smoke-key-secret")
    version = stack.named("smoke-key-secret-value").inputs
    assert secret.inputs["name"] == f"cloudmetrics-{stack.environment}/smoke-api-key"
    assert secret.parent == stack.named("smoke-key").urn
    assert version["secretId"] == secret.id
    # Encrypted like the other secrets of the estate: with Secrets Manager's own key.
    assert "kmsKeyId" not in secret.inputs


def test_the_key_has_the_services_key_format(stack: Snapshot) -> None:
    text = stack.named("smoke-key-secret-value").inputs["secretString"]
    key = parse_key(text)
    assert key is not None, "the service would refuse this key"
    assert key.id == stack.named("smoke-key-id").state["hex"]
    assert text.endswith(stack.named("smoke-key-secret-part").state["result"])


def test_the_secret_part_is_drawn_from_exactly_the_url_safe_alphabet(stack: Snapshot) -> None:
    """What the provider draws from, read from the inputs: the mocks only echo it back."""
    password = stack.named("smoke-key-secret-part").inputs
    alphabet = ""
    for kind, characters in (
        ("upper", string.ascii_uppercase),
        ("lower", string.ascii_lowercase),
        ("numeric", string.digits),
        ("special", password.get("overrideSpecial") or "!@#$%&*()-_=+[]{}<>:?"),
    ):
        if password.get(kind, True):  # the provider's defaults are all true
            alphabet += characters
    assert set(alphabet) == URL_SAFE_BASE64
    assert password["length"] == 43
    # No minimum counts: every character is drawn uniformly from all 64 (258 bits).
    assert not any(password.get(f"min{kind}") for kind in ("Upper", "Lower", "Numeric", "Special"))
    assert stack.named("smoke-key-id").inputs["byteLength"] == 8


def test_a_new_key_id_brings_a_new_secret_part(stack: Snapshot) -> None:
    # Rotation replaces the id; the service would refuse the old id with a new secret.
    key_id = stack.named("smoke-key-id").state["hex"]
    assert stack.named("smoke-key-secret-part").inputs["keepers"] == {"keyId": key_id}


def test_only_the_registration_task_gets_the_key_and_only_as_a_secret(stack: Snapshot) -> None:
    secret_arn = stack.named("smoke-key-secret").state["arn"]
    text = stack.named("smoke-key-secret-value").inputs["secretString"]
    for task in stack.of_type(TASK_DEFINITION):
        definition = task.inputs["containerDefinitions"]
        assert text not in definition, task.name
        references = [
            entry["name"]
            for entry in container(task)["secrets"]
            if entry["valueFrom"].startswith(secret_arn)
        ]
        expected = [VARIABLE] if task.name == "smoke-key-registration-task" else []
        assert references == expected, task.name
    plain = {entry["name"] for entry in registration(stack)["environment"]}
    assert plain == {"HOST", "PORT", "RELEASE_ID"}


def test_the_registration_task_registers_the_key_from_its_secret(stack: Snapshot) -> None:
    task = stack.named("smoke-key-registration-task")
    assert task.inputs["family"] == f"cloudmetrics-{stack.environment}-register-smoke-key"
    assert registration(stack)["command"] == [
        "cloudmetrics",
        "keys",
        "ensure",
        "--project",
        "smoke",
        "--scope",
        "read,write",
        "--name",
        "smoke",
        "--from-env",
        VARIABLE,
    ]
    # Same image, configuration and roles as the migration task: it reaches the same database.
    migration = stack.named("migrations-task")
    assert registration(stack)["image"] == container(migration)["image"]
    for role in ("executionRoleArn", "taskRoleArn"):
        assert task.inputs[role] == migration.inputs[role]
    registration_secrets = set(injected(registration(stack)))
    assert registration_secrets == set(injected(container(migration))) | {VARIABLE}


def test_no_resource_but_the_secret_version_holds_the_key(stack: Snapshot) -> None:
    text = stack.named("smoke-key-secret-value").inputs["secretString"]
    holders = [r.name for r in stack.resources if text in str(dict(r.inputs))]
    assert holders == ["smoke-key-secret-value"]
    assert text not in str(stack.outputs)


def test_the_runbooks_rotation_names_real_resources(stack: Snapshot) -> None:
    runbook = (INFRA.parent / "docs" / "runbook.md").read_text()
    rotation = runbook[runbook.index("## Rotate the smoke key") :]
    rotation = rotation[: rotation.index("\n## ")]
    urns = re.findall(r"--(?:target|replace) '([^']+)'", rotation)
    named = {stack.by_urn(urn.replace("<env>", stack.environment)).name for urn in urns}
    assert named == {"smoke-key-id", "smoke-key-secret-part", "smoke-key-secret-value"}
