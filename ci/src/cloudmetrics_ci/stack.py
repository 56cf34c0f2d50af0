"""The local ephemeral stack: PostgreSQL, Redis and Kafka beside the service.

`dagger call stack up --ports=8000:8000` serves the API on the host. The data
lives only as long as the session.
"""

from typing import Final

import dagger

from cloudmetrics_ci import services
from cloudmetrics_ci.build import SERVICE_PORT

DATABASE_NAME: Final = "cloudmetrics"
# `prestart` waits for PostgreSQL and Redis (up to a minute), creates the
# database and applies the migrations; only then does the server start.
START_COMMAND: Final = [
    "sh",
    "-c",
    "cloudmetrics prestart --create-database --wait 60 && exec cloudmetrics serve",
]


def local_stack(image: dagger.Container) -> dagger.Service:
    """The service image as a service, bound to its own backing services."""
    database_url = (
        f"postgresql://postgres@{services.POSTGRES_ALIAS}:{services.POSTGRES_PORT}/{DATABASE_NAME}"
    )
    return (
        # Since dagger v0.20.1 an image HEALTHCHECK replaces the exposed-port wait, and
        # the image's (every 30 s, for ECS-like runtimes) would hold `up` back by 30 s or
        # more. Without it the stack is ready as soon as port 8000 answers, which happens
        # only after prestart has migrated.
        image.without_docker_healthcheck()
        .with_service_binding(services.POSTGRES_ALIAS, services.postgres())
        .with_service_binding(services.REDIS_ALIAS, services.redis())
        .with_service_binding(services.KAFKA_ALIAS, services.kafka())
        .with_env_variable("DATABASE_URL", database_url)
        .with_env_variable("REDIS_URL", f"redis://{services.REDIS_ALIAS}:{services.REDIS_PORT}/0")
        .with_env_variable(
            "KAFKA_BOOTSTRAP_SERVERS", f"{services.KAFKA_ALIAS}:{services.KAFKA_PORT}"
        )
        # The service's spelling (DEBUG, INFO, WARNING, ERROR); tests/ci feeds every
        # variable set here to the service's own settings parser.
        .with_env_variable("LOG_LEVEL", "INFO")
        .with_exposed_port(SERVICE_PORT)
        .as_service(args=START_COMMAND)
    )
