"""Typed settings of the bootstrap stack (one stack per AWS account)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
from cloudmetrics_shared import placeholders
from cloudmetrics_shared.environments import ENVIRONMENTS
from cloudmetrics_shared.environments import PROJECT as MAIN_PROJECT
from cloudmetrics_shared.environments import iam_path as environment_iam_path

PROJECT = "cloudmetrics-bootstrap"


class SettingsError(ValueError):
    """A bootstrap configuration value is missing or unusable; the message names the key."""


@dataclass(frozen=True)
class BootstrapSettings:
    region: str
    account_id: str
    github_repository: str
    """owner/name of the repository whose workflows may deploy."""
    environments: tuple[str, ...]
    """The cloudmetrics environments (GitHub environments) deployed into this account."""
    owner: str
    cost_centre: str

    @property
    def state_bucket_name(self) -> str:
        # Bucket names are global; the account id makes ours unique and predictable.
        return f"{MAIN_PROJECT}-pulumi-state-{self.account_id}"

    @staticmethod
    def secrets_key_alias(environment: str) -> str:
        return f"alias/{MAIN_PROJECT}-pulumi-{environment}"

    @staticmethod
    def iam_path(environment: str) -> str:
        """The IAM path of the roles the cloudmetrics stack of `environment` creates."""
        return environment_iam_path(environment)

    @staticmethod
    def from_pulumi_config() -> BootstrapSettings:
        config = pulumi.Config(PROJECT)
        environments: Sequence[object] = config.require_object("environments")
        return BootstrapSettings.from_values(
            region=pulumi.Config("aws").require("region"),
            account_id=config.require("accountId"),
            github_repository=config.require("githubRepository"),
            environments=environments,
            owner=config.require("owner"),
            cost_centre=config.require("costCentre"),
        )

    @staticmethod
    def from_values(
        *,
        region: str,
        account_id: str,
        github_repository: str,
        environments: Sequence[object],
        owner: str,
        cost_centre: str,
    ) -> BootstrapSettings:
        refused = placeholders.problems(
            {
                f"{PROJECT}:accountId": account_id,
                f"{PROJECT}:githubRepository": github_repository,
            },
            {f"{PROJECT}:accountId": placeholders.Kind.ACCOUNT_ID},
        )
        if refused:
            raise SettingsError("placeholder values must be replaced: " + "; ".join(refused))
        if not re.fullmatch(r"\d{12}", account_id):
            raise SettingsError(f"{PROJECT}:accountId must be a 12-digit AWS account id")
        if not re.fullmatch(r"[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+", github_repository):
            raise SettingsError(f"{PROJECT}:githubRepository must be owner/name")
        names = tuple(str(environment) for environment in environments)
        if not names or any(name not in ENVIRONMENTS for name in names):
            raise SettingsError(f"{PROJECT}:environments must list some of {ENVIRONMENTS}")
        return BootstrapSettings(region, account_id, github_repository, names, owner, cost_centre)
