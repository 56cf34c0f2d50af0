"""AWS credentials as secrets, and the AWS CLI container that uses them."""

from dataclasses import dataclass

import dagger
from dagger import dag

from cloudmetrics_ci import images


@dataclass(frozen=True)
class AwsCredentials:
    """What the OIDC role (or a developer's session) hands to the pipeline."""

    access_key_id: dagger.Secret
    secret_access_key: dagger.Secret
    session_token: dagger.Secret | None
    region: str

    def apply(self, container: dagger.Container) -> dagger.Container:
        """`container` with the credentials as secret variables, never plain ones."""
        with_keys = container.with_secret_variable(
            "AWS_ACCESS_KEY_ID", self.access_key_id
        ).with_secret_variable("AWS_SECRET_ACCESS_KEY", self.secret_access_key)
        if self.session_token is not None:
            with_keys = with_keys.with_secret_variable("AWS_SESSION_TOKEN", self.session_token)
        return with_keys.with_env_variable("AWS_REGION", self.region).with_env_variable(
            "AWS_DEFAULT_REGION", self.region
        )


def aws_cli(credentials: AwsCredentials) -> dagger.Container:
    """The pinned AWS CLI image, authenticated, printing JSON without a pager."""
    return credentials.apply(
        dag.container()
        .from_(images.AWS_CLI)
        .with_env_variable("AWS_PAGER", "")
        .with_env_variable("AWS_RETRY_MODE", "standard")
    )
