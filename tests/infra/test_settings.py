"""Stack settings refuse values that would deploy something broken, before anything is created."""

from __future__ import annotations

import json
from typing import Any

import pytest
from cloudmetrics_infra.settings import SettingsError, StackSettings

from tests.infra.stack_builds import build_stack, estate_config


def values(environment: str = "dev", **changes: Any) -> dict[str, Any]:
    """The stack file's cloudmetrics:* values as the program sees them, with changes applied."""
    flat = estate_config(environment)
    parsed: dict[str, Any] = {
        key.removeprefix("cloudmetrics:"): json.loads(value) if value[:1] == "{" else value
        for key, value in flat.items()
        if key.startswith("cloudmetrics:")
    }
    parsed["imageTag"] = "3f2a9c1"
    for dotted, value in changes.items():
        section, _, key = dotted.partition("__")
        if key:
            parsed[section] = {**parsed[section], key: value}
        else:
            parsed[section] = value
    return parsed


def settings(environment: str = "dev", **changes: Any) -> StackSettings:
    return StackSettings.from_values(environment, "eu-west-1", values(environment, **changes))


def test_every_stack_file_is_accepted() -> None:
    for environment in ("dev", "staging", "prod"):
        assert settings(environment).environment == environment


@pytest.mark.parametrize("tag", [None, "", "latest", "v1 2"])
def test_image_tag_must_be_a_fixed_tag(tag: str | None) -> None:
    with pytest.raises(SettingsError, match="imageTag"):
        settings(imageTag=tag)


def test_connection_budget_overrun_is_refused() -> None:
    with pytest.raises(SettingsError, match="connection budget"):
        settings(service__maxTasks=20, service__desiredCount=1)


def test_max_connections_beyond_the_instance_memory_is_refused() -> None:
    with pytest.raises(SettingsError, match="maxConnections"):
        settings(database__maxConnections=5000)


def test_unknown_instance_class_is_refused() -> None:
    with pytest.raises(SettingsError, match="instanceClass"):
        settings(database__instanceClass="db.t2.micro")


def test_failover_needs_a_replica_per_shard() -> None:
    with pytest.raises(SettingsError, match="replicasPerShard"):
        settings(cache__replicasPerShard=0)


def test_task_size_must_be_a_fargate_size() -> None:
    with pytest.raises(SettingsError, match="Fargate"):
        settings(service__cpu=512, service__memory=8192)


def test_task_counts_must_be_ordered() -> None:
    with pytest.raises(SettingsError, match="minTasks"):
        settings(service__minTasks=4, service__desiredCount=2)


def test_account_id_must_be_twelve_digits() -> None:
    with pytest.raises(SettingsError, match="accountId"):
        settings(accountId="1234")


def test_unknown_stack_names_are_refused() -> None:
    with pytest.raises(SettingsError, match="stack"):
        StackSettings.from_values("qa", "eu-west-1", values())


def test_the_program_itself_stops_on_bad_settings() -> None:
    # Through Pulumi's config, as `pulumi up` would run it: nothing is declared.
    with pytest.raises(SettingsError, match="connection budget"):
        build_stack(
            "dev",
            {
                "cloudmetrics:service": json.dumps(
                    {**values()["service"], "maxTasks": 40, "desiredCount": 1}
                )
            },
        )


def test_the_committed_placeholders_stop_the_program_naming_each_key() -> None:
    # The files as committed, through Pulumi's config: a first `pulumi preview` stops here.
    with pytest.raises(SettingsError) as refused:
        build_stack("dev", as_committed=True)
    message = str(refused.value)
    for key in ("accountId", "hostedZoneId", "domainName", "alarmEmail"):
        assert f"cloudmetrics:{key}:" in message, key


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("accountId", "123456789012"),
        ("accountId", "444444444444"),
        ("hostedZoneId", "Z0PLACEHOLDERDEV"),
        ("hostedZoneId", "ZEXAMPLE123"),
        ("domainName", "api.example.com"),
        ("domainName", "api.cloudmetrics.test"),
        ("alarmEmail", "alerts@example.org"),
        ("owner", "<team>"),
    ],
)
def test_each_kind_of_placeholder_is_refused_by_name(key: str, value: str) -> None:
    with pytest.raises(SettingsError, match=f"cloudmetrics:{key}"):
        settings(**{key: value})
