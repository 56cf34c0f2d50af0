"""One stack of real peers for the Prometheus tests: the service as a process, a node_exporter,
a scrape target the test controls, Prometheus A (scrapes, keeps its own TSDB, remote-writes to
the service) and Prometheus B (empty storage, remote-reads the service)."""

from __future__ import annotations

import time
from collections.abc import Generator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass

import httpx

from tests.api.live_service import service_environment
from tests.support.capture import Captured, capturing_receiver
from tests.support.exposition import Exposition, serving_exposition
from tests.support.prometheus import Prometheus, running_node_exporter, running_prometheus
from tests.support.server import running_server

# What the controlled target serves at first: a series the staleness test makes disappear,
# and a gauge whose value is NaN (a summary without observations exports such values).
TARGET_TEXT = """\
# TYPE oracle_vanishing gauge
oracle_vanishing{kind="probe"} 7
# TYPE oracle_not_a_number gauge
oracle_not_a_number NaN
# TYPE oracle_steady gauge
oracle_steady 1
"""


@dataclass(frozen=True)
class Peers:
    service_url: str
    key: str
    writer: Prometheus  # A
    reader: Prometheus  # B
    target: Exposition
    target_address: str
    started: float
    # What A also remote-writes to a plain receiver: its requests, byte for byte.
    captured: Captured

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.key}"}

    def service_get(self, path: str, **params: str | list[str]) -> httpx.Response:
        return httpx.get(f"{self.service_url}{path}", params=params, headers=self.headers)

    def written_until(self) -> float:
        """The newest sample timestamp A has sent to the service (0 before its first send)."""
        value = self.writer.metric_value(
            "max(prometheus_remote_storage_queue_highest_sent_timestamp_seconds)"
        )
        return value or 0.0


def _writer_config(
    service: str, capture: str, node: str, target: str, itself: str
) -> dict[str, object]:
    return {
        "global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
        "scrape_configs": [
            {"job_name": "node", "static_configs": [{"targets": [node]}]},
            {"job_name": "target", "static_configs": [{"targets": [target]}]},
            # Its own metrics hold histograms, which node_exporter has none of.
            {"job_name": "prometheus", "static_configs": [{"targets": [itself]}]},
        ],
        "remote_write": [
            {
                "url": f"{service}/api/v1/write",
                "authorization": {"credentials_file": "key"},
                "queue_config": {
                    "batch_send_deadline": "1s",
                    "min_backoff": "100ms",
                    "max_backoff": "1s",
                },
                "metadata_config": {"send_interval": "2s"},
            },
            {
                "url": capture,
                "queue_config": {"batch_send_deadline": "1s"},
                "metadata_config": {"send_interval": "2s"},
            },
        ],
    }


def _reader_config(service: str, _itself: str) -> dict[str, object]:
    return {
        "global": {"scrape_interval": "1m"},
        "remote_read": [
            {
                "url": f"{service}/api/v1/read",
                "read_recent": True,
                "authorization": {"credentials_file": "key"},
            }
        ],
    }


@contextmanager
def running_peers(database_url: str, redis_url: str, key: str) -> Generator[Peers]:
    with ExitStack() as stack:
        environment = service_environment(database_url, redis_url, RATE_LIMIT_PER_MINUTE="0")
        service = stack.enter_context(running_server(environment, startup_timeout=90)).url
        node = stack.enter_context(running_node_exporter())
        target = Exposition(TARGET_TEXT)
        target_address = stack.enter_context(serving_exposition(target))
        capture, captured = stack.enter_context(capturing_receiver())
        writer = stack.enter_context(
            running_prometheus(
                lambda itself: _writer_config(service, capture, node, target_address, itself),
                {"key": key},
            )
        )
        reader = stack.enter_context(
            running_prometheus(lambda itself: _reader_config(service, itself), {"key": key})
        )
        yield Peers(service, key, writer, reader, target, target_address, time.time(), captured)
