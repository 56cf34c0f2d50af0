"""`cloudmetrics migrate` from the service image against a database given as a secret."""

import enum

import dagger

from cloudmetrics_ci.freshness import for_run


@dagger.enum_type
class MigrationDirection(enum.Enum):
    """What `cloudmetrics migrate` should do. Member names are the CLI values."""

    up = "up"
    """Apply pending migrations (stopping after the target, when given)."""
    down = "down"
    """Roll back the newest migration (or every one after the target, when given)."""
    redo = "redo"
    """Roll back and re-apply the latest migration."""
    status = "status"
    """Show applied and pending migrations."""
    verify = "verify"
    """Check applied migrations against their files' checksums."""


# Only these subcommands take a target (`--to ID`).
TARGETED_DIRECTIONS = frozenset({MigrationDirection.up, MigrationDirection.down})


class MigrationTargetError(ValueError):
    """A target was given for a direction that does not take one."""


def migrate_command(direction: MigrationDirection, target: str | None) -> list[str]:
    """The CLI invocation; the target, when given, bounds how far it goes."""
    command = ["cloudmetrics", "migrate", direction.value]
    if target:
        if direction not in TARGETED_DIRECTIONS:
            raise MigrationTargetError(f"`migrate {direction.value}` takes no target")
        command += ["--to", target]
    return command


def migration_container(
    image: dagger.Container,
    database_url: dagger.Secret,
    direction: MigrationDirection,
    target: str | None,
    run_id: str,
) -> dagger.Container:
    """The service image running one migration command."""
    return for_run(image.with_secret_variable("DATABASE_URL", database_url), run_id).with_exec(
        migrate_command(direction, target)
    )
