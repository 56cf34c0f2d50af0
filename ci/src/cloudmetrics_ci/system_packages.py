"""Debian packages for the check containers: programs the suite runs that PyPI does not provide.

- `make`: `make lint` and `make test` are what the check containers run.
- The PostgreSQL server programs of the service's major version (package
  `postgresql-<major>`, which brings its client too): the migration round-trip test runs
  the pg_dump of its server's major version, and the TLS tests start a TLS-only server of
  their own with `initdb` and `pg_ctl`, all from /usr/lib/postgresql/<major>/bin
  (tests/support/suite_servers.py). The client alone fails the TLS tests. Bookworm's own
  PostgreSQL is 15, so 16 comes from the PostgreSQL project's apt repository (PGDG), set
  up the documented way: `postgresql-common` ships the setup script and the repository's
  signing key.
- `redis-server` and `redis-cli` (package `redis-server`): tests/cluster starts
  a throwaway three-node Redis Cluster from them.
- `chromium` and `chromium-driver`: the dashboard's browser tests drive Debian's Chromium
  with Playwright (which never downloads a browser of its own).
- `prometheus` and `prometheus-node-exporter`: the protocol tests run a real Prometheus that
  scrapes a real node_exporter, remote-writes to the service and remote-reads it back.
- `skopeo` and `docker-registry`: the promotion tests copy images with the deploy's own script
  between two real registries.
"""

from typing import Final

import dagger
from dagger import dag

from cloudmetrics_ci import images

PGDG_SETUP_SCRIPT: Final = "/usr/share/postgresql-common/pgdg/apt.postgresql.org.sh"
POSTGRES_SERVER: Final = f"postgresql-{images.POSTGRES_MAJOR}"
PACKAGES: Final = (
    "make",
    POSTGRES_SERVER,
    "redis-server",
    "chromium",
    "chromium-driver",
    "prometheus",
    "prometheus-node-exporter",
    "skopeo",
    "docker-registry",
)
APT_INSTALL: Final = ["apt-get", "install", "--yes", "--no-install-recommends"]

# Downloaded packages and package lists survive between runs on named volumes,
# so a rebuild of this layer (a new base image) downloads only what changed.
APT_ARCHIVES_PATH: Final = "/var/cache/apt"
APT_LISTS_PATH: Final = "/var/lib/apt/lists"
APT_ARCHIVES_VOLUME: Final = "cloudmetrics-apt-archives"
APT_LISTS_VOLUME: Final = "cloudmetrics-apt-lists"
# Debian images delete every downloaded package after each install, which
# would leave the archives volume empty.
DOCKER_CLEAN_CONFIG: Final = "/etc/apt/apt.conf.d/docker-clean"
# invoke-rc.d asks this before starting a service: 101 means "not now". Packages
# start no daemons at install time; the suite starts its own servers.
POLICY_RC_D: Final = "/usr/sbin/policy-rc.d"
NO_DAEMONS_POLICY: Final = "#!/bin/sh\nexit 101\n"


def with_system_packages(container: dagger.Container) -> dagger.Container:
    """`container` (Debian) with make, PostgreSQL's programs, Redis and the suite's peers."""
    # apt is not safe to run twice at once on the same lists and archives.
    locked = dagger.CacheSharingMode.LOCKED
    return (
        container.with_env_variable("DEBIAN_FRONTEND", "noninteractive")
        .with_new_file(POLICY_RC_D, NO_DAEMONS_POLICY, permissions=0o755)
        .with_exec(["rm", "-f", DOCKER_CLEAN_CONFIG])
        .with_mounted_cache(
            APT_ARCHIVES_PATH, dag.cache_volume(APT_ARCHIVES_VOLUME), sharing=locked
        )
        .with_mounted_cache(APT_LISTS_PATH, dag.cache_volume(APT_LISTS_VOLUME), sharing=locked)
        .with_exec(["apt-get", "update"])
        .with_exec([*APT_INSTALL, "postgresql-common"])
        # Adds the PGDG repository for this Debian release and runs apt-get update.
        .with_exec([PGDG_SETUP_SCRIPT, "-y"])
        .with_exec([*APT_INSTALL, *PACKAGES])
    )
