"""The local stack: the service image on PostgreSQL, Redis and Kafka, migrated first."""

import dagger
from cloudmetrics_ci import CloudmetricsCi

from tests.ci.graph import Plan, images


def stack(module: CloudmetricsCi) -> Plan:
    return Plan(module.stack())


def only_image(plan: Plan) -> str:
    (address,) = images(plan.obj)
    return address


def test_is_a_service_for_dagger_up(module: CloudmetricsCi) -> None:
    assert isinstance(module.stack(), dagger.Service)
    plan = stack(module)
    assert plan.fields[-1].name == "asService"
    assert 8000 in [f.args["port"] for f in plan.calls("withExposedPort")]


def test_binds_postgres_redis_and_kafka(module: CloudmetricsCi) -> None:
    bindings = stack(module).bindings
    assert set(bindings) == {"postgres", "redis", "kafka"}
    assert only_image(bindings["postgres"]).startswith("postgres:16.")
    assert only_image(bindings["redis"]).startswith("redis:7.")
    assert only_image(bindings["kafka"]).startswith("apache/kafka:4.")


def test_kafka_runs_kraft_and_advertises_its_alias(module: CloudmetricsCi) -> None:
    kafka = stack(module).bindings["kafka"]
    env = kafka.env
    assert set(env["KAFKA_PROCESS_ROLES"].split(",")) == {"broker", "controller"}
    assert env["KAFKA_ADVERTISED_LISTENERS"] == "PLAINTEXT://kafka:9092"
    assert "ZOOKEEPER" not in " ".join(env)


def test_migrates_before_serving(module: CloudmetricsCi) -> None:
    (as_service,) = stack(module).calls("asService")
    command = " ".join(as_service.args["args"])
    assert command.index("cloudmetrics prestart --create-database --wait") < command.index(
        "exec cloudmetrics serve"
    )
    # `&&`: the server never starts on a database the migrations failed on.
    assert "&& exec cloudmetrics serve" in command


def test_service_is_pointed_at_its_backing_services(module: CloudmetricsCi) -> None:
    env = stack(module).env
    assert env["DATABASE_URL"] == "postgresql://postgres@postgres:5432/cloudmetrics"
    assert env["REDIS_URL"] == "redis://redis:6379/0"
    assert env["KAFKA_BOOTSTRAP_SERVERS"] == "kafka:9092"
    assert env["HOST"] == "0.0.0.0"  # noqa: S104 - the value under test


def test_runs_the_same_image_as_production(module: CloudmetricsCi) -> None:
    built = Plan(module.build())
    served = stack(module)
    assert served.fields[: len(built.fields)] == built.fields
    assert served.fields[len(built.fields)].name == "withoutDockerHealthcheck"


def test_is_ready_when_port_8000_answers_not_after_the_image_health_check(
    module: CloudmetricsCi,
) -> None:
    # Since dagger v0.20.1 a HEALTHCHECK replaces the exposed-port wait; the image's runs
    # every 30 s. The stack drops it after the image's own, so only the port is waited on.
    served = stack(module)
    dropped = served.position("withoutDockerHealthcheck")
    assert dropped > served.position("withDockerHealthcheck")
    assert not [f for f in served.fields[dropped:] if f.name == "withDockerHealthcheck"], (
        "a health check is set again after it was dropped"
    )
    exposed = [i for i, f in enumerate(served.fields) if f.name == "withExposedPort"]
    assert max(exposed) > dropped
    assert served.fields[max(exposed)].args["port"] == 8000
