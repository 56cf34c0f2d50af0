"""The functions `dagger call` offers. Each builds its graph with a plain function
from a sibling module and awaits only the leaf, so the graphs can be inspected
offline (tests/ci) and every step stays a command of the project.
"""

from typing import Annotated

import anyio
import dagger
from dagger import Doc, function, object_type

from cloudmetrics_ci.aws import AwsCredentials
from cloudmetrics_ci.build import service_image
from cloudmetrics_ci.checks import lint_container, test_container
from cloudmetrics_ci.decorators import check_function, service_function, uncached_function
from cloudmetrics_ci.deploy import DaggerEngine, run_deploy
from cloudmetrics_ci.deploy_steps import SMOKE_KEY_VARIABLE, DeploySteps, DeployTarget
from cloudmetrics_ci.environments import Environment
from cloudmetrics_ci.freshness import new_run_id
from cloudmetrics_ci.migrate import MigrationDirection, migration_container
from cloudmetrics_ci.smoke import smoke_container
from cloudmetrics_ci.source import Source
from cloudmetrics_ci.stack import local_stack

Revision = Annotated[
    str,
    Doc("Git commit the image is built from: its OCI revision label and its tag in ECR."),
]
LOCAL_REVISION = "local"


@object_type
class CloudmetricsCi:
    """Build, check and ship CloudMetrics; the same functions run on laptops and in CI."""

    source: Source

    @function
    def build(self, revision: Revision = LOCAL_REVISION) -> dagger.Container:
        """The service image (`dagger call build --revision=$(git rev-parse HEAD) export ...`)."""
        return service_image(self.source, revision)

    @check_function
    async def lint(self) -> str:
        """`make lint` in a container, with PostgreSQL 16 and Redis 7 bound."""
        return await lint_container(self.source).stdout()

    @check_function
    async def test(self) -> str:
        """`make test` in a container: the whole suite on PostgreSQL 16 and Redis 7."""
        return await test_container(self.source).stdout()

    @function
    async def ci(self) -> str:
        """Lint and test side by side; fails if either fails."""
        results: dict[str, str] = {}

        async def run(name: str, container: dagger.Container) -> None:
            results[name] = await container.stdout()

        async with anyio.create_task_group() as group:
            group.start_soon(run, "lint", lint_container(self.source))
            group.start_soon(run, "test", test_container(self.source))
        return "\n".join(f"== {name}\n{results[name]}" for name in ("lint", "test"))

    @uncached_function
    async def migrate(
        self,
        database_url: Annotated[
            dagger.Secret, Doc("postgresql:// URL of the database, e.g. env://DATABASE_URL")
        ],
        direction: Annotated[
            MigrationDirection, Doc("up, down, redo, status or verify")
        ] = MigrationDirection.up,
        target: Annotated[
            str | None,
            Doc("Migration id (up and down only): stop after it, or roll back to it"),
        ] = None,
        revision: Revision = LOCAL_REVISION,
    ) -> str:
        """`cloudmetrics migrate` from the service image against the given database."""
        image = service_image(self.source, revision)
        container = migration_container(image, database_url, direction, target, new_run_id())
        return await container.stdout()

    @uncached_function
    async def smoke(
        self,
        url: Annotated[str, Doc("Base URL of a running deployment, e.g. https://dev.example.com")],
        revision: Revision = LOCAL_REVISION,
        expect_release: Annotated[
            str | None, Doc("Fail unless /health reports this releaseId (a git commit id)")
        ] = None,
        api_key: Annotated[
            dagger.Secret | None,
            Doc("A read,write API key of that deployment, e.g. env://CLOUDMETRICS_API_KEY"),
        ] = None,
    ) -> str:
        """`cloudmetrics smoke --url` from the service image."""
        image = service_image(self.source, revision)
        secrets = {SMOKE_KEY_VARIABLE: api_key} if api_key is not None else {}
        return await smoke_container(
            image, url, new_run_id(), expect_release=expect_release, secrets=secrets
        ).stdout()

    @service_function
    def stack(self, revision: Revision = LOCAL_REVISION) -> dagger.Service:
        """Local stack: the service on PostgreSQL, Redis and Kafka, migrated.

        `dagger call stack up --ports=8000:8000` (or `dagger up`), then
        http://127.0.0.1:8000/health.
        """
        return local_stack(service_image(self.source, revision))

    @uncached_function
    async def deploy(
        self,
        env: Annotated[Environment, Doc("dev, staging or prod")],
        revision: Revision,
        aws_access_key_id: Annotated[dagger.Secret, Doc("env://AWS_ACCESS_KEY_ID")],
        aws_secret_access_key: Annotated[dagger.Secret, Doc("env://AWS_SECRET_ACCESS_KEY")],
        pulumi_backend_url: Annotated[
            dagger.Secret, Doc("s3://<state bucket>?region=<region>, e.g. env://PULUMI_BACKEND_URL")
        ],
        aws_session_token: Annotated[
            dagger.Secret | None, Doc("env://AWS_SESSION_TOKEN (OIDC and SSO sessions)")
        ] = None,
        aws_region: Annotated[str, Doc("Region of the environment")] = "eu-west-1",
        migration_target: Annotated[
            str | None,
            Doc("URN of the migration task definition, if infra/ ever moves it"),
        ] = None,
        source_repository: Annotated[
            str | None,
            Doc(
                "staging and prod: the previous environment's ECR repository URL; its image"
                " of --revision is copied by digest, never rebuilt"
            ),
        ] = None,
    ) -> str:
        """Ship `revision` to `env`: publish, migrate in the VPC, roll out, verify, smoke test."""
        credentials = AwsCredentials(
            access_key_id=aws_access_key_id,
            secret_access_key=aws_secret_access_key,
            session_token=aws_session_token,
            region=aws_region,
        )
        target = DeployTarget(
            env=env,
            revision=revision,
            credentials=credentials,
            backend_url=pulumi_backend_url,
            run_id=new_run_id(),
            migration_target=migration_target,
            source_repository=source_repository,
        )
        steps = DeploySteps(self.source, service_image(self.source, revision), target)
        report = await run_deploy(steps, DaggerEngine())
        return report.summary()
