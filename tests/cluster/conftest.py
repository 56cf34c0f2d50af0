from __future__ import annotations

from collections.abc import Generator
from pathlib import Path

import pytest

from tests.support.redis_cluster import RedisClusterUnavailable, redis_cluster


@pytest.fixture(scope="session")
def redis_cluster_ports(tmp_path_factory: pytest.TempPathFactory) -> Generator[list[int]]:
    workdir: Path = tmp_path_factory.mktemp("redis-cluster")
    try:
        with redis_cluster(workdir) as ports:
            yield ports
    except RedisClusterUnavailable as error:
        pytest.fail(f"could not start a local Redis Cluster: {error}")


@pytest.fixture(scope="session")
def redis_cluster_url(redis_cluster_ports: list[int]) -> str:
    # Like ElastiCache's configuration endpoint: any node; the client discovers the rest.
    return f"redis://127.0.0.1:{redis_cluster_ports[0]}/0"
