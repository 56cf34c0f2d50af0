"""The metrics API's settings come from the environment, like the rest."""

from __future__ import annotations

import pytest

from cloudmetrics.settings import Settings, SettingsError


def test_limits_are_read_from_the_environment() -> None:
    settings = Settings.from_environ(
        {
            "INGEST_MAX_POINTS": "500",
            "INGEST_MAX_BODY_BYTES": "65536",
            "INGEST_PAST_WINDOW": "3600",
            "INGEST_FUTURE_WINDOW": "60",
            "INGEST_MAX_TAGS": "4",
            "QUERY_MAX_BUCKETS": "100",
            "CATALOGUE_CACHE_TTL": "30",
            "RATE_LIMIT_PER_MINUTE": "0",
        }
    )

    assert settings.ingest.max_points == 500
    assert settings.ingest.max_body_bytes == 65536
    assert settings.ingest.past_window_seconds == 3600
    assert settings.ingest.future_window_seconds == 60
    assert settings.ingest.max_tags == 4
    assert settings.query.max_buckets == 100
    assert settings.query.catalogue_ttl_seconds == 30
    assert settings.rate_limit.per_minute == 0


@pytest.mark.parametrize(
    ("variable", "value"),
    [("INGEST_MAX_POINTS", "0"), ("QUERY_MAX_BUCKETS", "many"), ("RATE_LIMIT_PER_MINUTE", "-1")],
)
def test_invalid_limits_name_the_variable(variable: str, value: str) -> None:
    with pytest.raises(SettingsError, match=variable):
        Settings.from_environ({variable: value})
