"""The `cloudmetrics` command: every pipeline step is one of its subcommands.

Subcommands import their heavy dependencies inside the command body, so the container health
check (`cloudmetrics healthcheck`, run every few seconds) starts fast.
"""

from __future__ import annotations

import click

from cloudmetrics.cli.healthcheck import healthcheck
from cloudmetrics.cli.keys import keys
from cloudmetrics.cli.maintain import maintain
from cloudmetrics.cli.migrate import migrate
from cloudmetrics.cli.prestart import prestart
from cloudmetrics.cli.projects import projects
from cloudmetrics.cli.roles import roles
from cloudmetrics.cli.serve import serve
from cloudmetrics.cli.smoke import smoke
from cloudmetrics.cli.users import users
from cloudmetrics.cli.with_local_servers import with_local_servers


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="cloudmetrics")
def main() -> None:
    """CloudMetrics API service and its operational commands."""


main.add_command(serve)
main.add_command(healthcheck)
main.add_command(prestart)
main.add_command(migrate)
main.add_command(smoke)
main.add_command(maintain)
main.add_command(projects)
main.add_command(keys)
main.add_command(users)
main.add_command(roles)
main.add_command(with_local_servers)
