"""Throwaway PostgreSQL, Redis and Kafka services for checks and the local stack."""

from typing import Final

import dagger
from dagger import dag

from cloudmetrics_ci import images

POSTGRES_ALIAS: Final = "postgres"
REDIS_ALIAS: Final = "redis"
KAFKA_ALIAS: Final = "kafka"
POSTGRES_PORT: Final = 5432
REDIS_PORT: Final = 6379
KAFKA_PORT: Final = 9092
KAFKA_CONTROLLER_PORT: Final = 9093


def postgres() -> dagger.Service:
    """PostgreSQL 16 with trust authentication, as on development machines.

    The data lives and dies with the service, so no password is needed and
    none is hard-coded.
    """
    return (
        dag.container()
        .from_(images.POSTGRES)
        .with_env_variable("POSTGRES_HOST_AUTH_METHOD", "trust")
        .with_env_variable("POSTGRES_USER", "postgres")
        .with_exposed_port(POSTGRES_PORT)
        .as_service(use_entrypoint=True)
    )


def redis() -> dagger.Service:
    """Redis 7 without persistence: a cache, like production's ElastiCache."""
    return (
        dag.container()
        .from_(images.REDIS)
        .with_exposed_port(REDIS_PORT)
        .as_service(args=["redis-server", "--save", "", "--appendonly", "no"], use_entrypoint=True)
    )


def kafka() -> dagger.Service:
    """A single Kafka node that is both broker and KRaft controller.

    It advertises itself under its service alias so that containers bound to it
    reach the broker, not their own localhost.
    """
    listeners = f"PLAINTEXT://:{KAFKA_PORT},CONTROLLER://:{KAFKA_CONTROLLER_PORT}"
    settings = {
        "KAFKA_NODE_ID": "1",
        "KAFKA_PROCESS_ROLES": "broker,controller",
        "KAFKA_LISTENERS": listeners,
        "KAFKA_ADVERTISED_LISTENERS": f"PLAINTEXT://{KAFKA_ALIAS}:{KAFKA_PORT}",
        "KAFKA_CONTROLLER_LISTENER_NAMES": "CONTROLLER",
        "KAFKA_LISTENER_SECURITY_PROTOCOL_MAP": "CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT",
        "KAFKA_CONTROLLER_QUORUM_VOTERS": f"1@localhost:{KAFKA_CONTROLLER_PORT}",
        "KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR": "1",
        "KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR": "1",
        "KAFKA_TRANSACTION_STATE_LOG_MIN_ISR": "1",
        "KAFKA_GROUP_INITIAL_REBALANCE_DELAY_MS": "0",
    }
    container = dag.container().from_(images.KAFKA)
    for name, value in settings.items():
        container = container.with_env_variable(name, value)
    return container.with_exposed_port(KAFKA_PORT).as_service(use_entrypoint=True)


def with_databases(container: dagger.Container) -> dagger.Container:
    """Bind PostgreSQL and Redis and point the test suite and libpq at them.

    TEST_POSTGRES_URL and TEST_REDIS_URL are the suite's own settings (they
    default to 127.0.0.1, where nothing listens inside a container).
    """
    admin_url = f"postgresql://postgres@{POSTGRES_ALIAS}:{POSTGRES_PORT}/postgres"
    return (
        container.with_service_binding(POSTGRES_ALIAS, postgres())
        .with_service_binding(REDIS_ALIAS, redis())
        .with_env_variable("TEST_POSTGRES_URL", admin_url)
        .with_env_variable("TEST_REDIS_URL", f"redis://{REDIS_ALIAS}:{REDIS_PORT}/0")
        .with_env_variable("PGHOST", POSTGRES_ALIAS)
        .with_env_variable("PGPORT", str(POSTGRES_PORT))
        .with_env_variable("PGUSER", "postgres")
    )
