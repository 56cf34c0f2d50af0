"""A real Prometheus writes to the service and another reads it back: the same PromQL answers.

Prometheus A scrapes a node_exporter, itself and a target the test controls every second,
keeps its own TSDB and remote-writes to the service; Prometheus B has empty storage and
remote-reads the service (`read_recent: true`). Every query of the corpus, evaluated at fixed
times inside a window A has wholly sent, must give the same answer from both. Where answers
legitimately differ (staleness markers and NaN, which the service does not store: ADR 0026),
the last test says exactly how.
"""

from __future__ import annotations

import asyncio
import math
import time
from typing import Any

import pytest

from cloudmetrics.http.content_encoding import unsnappy
from cloudmetrics.protocols.prometheus.remote_write import decode_write_request
from tests.protocols.peers import Peers
from tests.support.polling import eventually

# The checks share one stack (the service, a node_exporter, two Prometheus servers), so they
# are one test, run in order: a test per check could land on several workers, each starting a
# stack. Its start and the data it must gather take time on a loaded machine.
pytestmark = pytest.mark.timeout(900)

# Seconds of data every query of the corpus needs before its evaluation time, at most.
HISTORY = 30
EVALUATIONS = (0.0, 4.5, 9.0, 13.5)

CORPUS = (
    'node_cpu_seconds_total{mode="idle"}',
    'node_cpu_seconds_total{mode!="idle"}',
    'node_cpu_seconds_total{mode=~"user|system"}',
    'node_cpu_seconds_total{mode!~"i.*|s.*"}',
    '{__name__=~"node_load(1|5)"}',
    '{__name__="node_memory_MemTotal_bytes", job="node"}',
    'rate(node_cpu_seconds_total{mode="user"}[10s])',
    # Network devices of their own: other programs on the machine (containers) make and remove
    # interfaces, and a series that disappears is where answers legitimately differ (the
    # staleness check below, ADR 0026).
    'increase(node_network_receive_bytes_total{device=~"eth0|ifb.*"}[10s])',
    "sum by (mode) (rate(node_cpu_seconds_total[10s]))",
    "avg_over_time(node_memory_MemFree_bytes[15s])",
    "histogram_quantile(0.9, sum by (le) "
    "(rate(prometheus_http_request_duration_seconds_bucket[15s])))",
    'topk(2, node_network_receive_bytes_total{device=~"eth0|ifb.*"})',
    "count(node_cpu_seconds_total)",
    "count by (job) (up)",
    'up{job="node"} == 1',
    "node_load1 offset 5s",
    "absent(no_such_metric)",
    'scrape_samples_scraped{job="node"}',
    "oracle_steady",
)


def _answer(result: list[dict[str, Any]]) -> dict[frozenset[tuple[str, str]], float]:
    return {frozenset(item.get("metric", {}).items()): float(item["value"][1]) for item in result}


def _same(mine: float, theirs: float) -> bool:
    if math.isnan(mine) or math.isnan(theirs):
        return math.isnan(mine) and math.isnan(theirs)
    return math.isclose(mine, theirs, rel_tol=1e-9, abs_tol=1e-12)


async def _written_past(peers: Peers, moment: float, within: float = 120) -> None:
    await eventually(
        lambda: asyncio.to_thread(peers.written_until),
        lambda sent: sent >= moment,
        within=within,
        interval=0.5,
    )


async def _failed_samples(peers: Peers) -> float | None:
    return await asyncio.to_thread(
        peers.writer.metric_value, "sum(prometheus_remote_storage_samples_failed_total)"
    )


async def _scraped_series_arrive_with_their_labels_and_none_is_refused(peers: Peers) -> None:
    # A few scrapes in, and all of them sent.
    moment = max(time.time(), peers.started + 8)
    await _written_past(peers, moment + 1)
    theirs = await asyncio.to_thread(peers.writer.series, '{job="node"}', moment - 4, moment)
    answer = await asyncio.to_thread(
        peers.service_get, "/api/v1/series", **{"match[]": '{job="node"}'}
    )
    assert answer.status_code == 200, answer.text[:500]
    mine = answer.json()["data"]
    assert len(theirs) > 50
    assert sorted(map(sorted_items, mine)) == sorted(map(sorted_items, theirs))
    sent = await asyncio.to_thread(
        peers.writer.metric_value, "sum(prometheus_remote_storage_samples_total)"
    )
    assert sent is not None
    assert sent > 0
    assert await _failed_samples(peers) == 0


def sorted_items(labels: dict[str, str]) -> list[tuple[str, str]]:
    return sorted(labels.items())


async def _what_a_real_prometheus_sends_decodes_with_the_declared_messages(peers: Peers) -> None:
    def decoded() -> list[Any]:
        return [
            decode_write_request(unsnappy(body, 10 * 1024 * 1024))
            for headers, body in peers.captured.snapshot()
            if headers.get("content-encoding") == "snappy"
        ]

    requests = await eventually(
        lambda: asyncio.to_thread(decoded),
        lambda found: any(r.samples for r in found) and any(r.metadata for r in found),
        within=120,
        interval=0.5,
    )
    samples = [sample for request in requests for sample in request.samples]
    ups = [s for s in samples if s.name == "up" and s.tags.get("job") == "node"]
    assert ups
    assert all(s.value == 1.0 for s in ups)
    assert all(abs(s.timestamp.timestamp() - time.time()) < 600 for s in samples)
    kinds = {m.name: m.type for request in requests for m in request.metadata}
    assert kinds["node_cpu_seconds_total"] == "counter"
    assert kinds["node_load1"] == "gauge"


async def _promql_answers_the_same_from_the_writer_and_from_remote_read(peers: Peers) -> None:
    last = max(peers.started + HISTORY + max(EVALUATIONS), time.time())
    await _written_past(peers, last + 2)
    differences: list[str] = []
    compared = 0
    for offset in EVALUATIONS:
        moment = last - offset
        for expression in CORPUS:
            theirs = _answer(await asyncio.to_thread(peers.writer.query, expression, moment))
            mine = _answer(await asyncio.to_thread(peers.reader.query, expression, moment))
            compared += len(theirs)
            if theirs.keys() != mine.keys() or not all(
                _same(mine[labels], value) for labels, value in theirs.items()
            ):
                differences.append(f"{expression} at {moment:.1f}: A {theirs} B {mine}")
    assert not differences, "\n".join(differences[:5])
    # The corpus selected something: a comparison of empty answers proves nothing.
    assert compared > 100


async def _staleness_and_nan_are_where_answers_legitimately_differ(peers: Peers) -> None:
    removed = time.time()
    peers.target.text = "\n".join(
        line for line in peers.target.text.splitlines() if "oracle_vanishing" not in line
    )
    # A has scraped the target without the series (and written its staleness marker), and
    # has sent everything up to then.
    await _written_past(peers, removed + 3)
    moment = removed + 2.5

    async def both(expression: str) -> tuple[dict[Any, float], dict[Any, float]]:
        theirs = await asyncio.to_thread(peers.writer.query, expression, moment)
        mine = await asyncio.to_thread(peers.reader.query, expression, moment)
        return _answer(theirs), _answer(mine)

    # A series that disappeared: A's staleness marker ends it at once; the service skipped the
    # marker, so B still finds the last value within the 5-minute lookback.
    theirs, mine = await both("oracle_vanishing")
    assert theirs == {}
    assert list(mine.values()) == [7.0]
    # NaN values: A stores them; the service skips them, so B has no such series at all.
    theirs, mine = await both("oracle_not_a_number")
    assert [math.isnan(value) for value in theirs.values()] == [True]
    assert mine == {}
    # The control: a steady series answers the same.
    theirs, mine = await both("oracle_steady")
    assert (
        theirs
        == mine
        == {
            frozenset(
                {
                    ("__name__", "oracle_steady"),
                    ("instance", peers.target_address),
                    ("job", "target"),
                }
            ): 1.0
        }
    )
    # Neither the markers nor the NaN made any request fail.
    assert await _failed_samples(peers) == 0


async def test_prometheus_writes_here_and_another_prometheus_reads_the_same_back(
    peers: Peers,
) -> None:
    await _scraped_series_arrive_with_their_labels_and_none_is_refused(peers)
    await _what_a_real_prometheus_sends_decodes_with_the_declared_messages(peers)
    await _promql_answers_the_same_from_the_writer_and_from_remote_read(peers)
    # Last: it makes a series disappear.
    await _staleness_and_nan_are_where_answers_legitimately_differ(peers)
