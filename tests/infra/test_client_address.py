"""The client's own address survives both hops (CloudFront, then the ALB), as uvicorn reads
X-Forwarded-For with the FORWARDED_ALLOW_IPS the stack gives the service."""

from __future__ import annotations

import asyncio
import ipaddress

from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from tests.infra.mock_cloud import CLOUDFRONT_ORIGIN_CIDRS, Snapshot
from tests.infra.snapshot_views import config_parameter

CLIENT = "203.0.113.7"


def client_seen(trusted: str, peer: str, forwarded_for: str) -> str:
    """What the service takes for the client's address, by uvicorn's own middleware."""
    seen: list[str] = []

    async def app(scope: dict[str, object], receive: object, send: object) -> None:
        client = scope["client"]
        assert isinstance(client, tuple)
        seen.append(str(client[0]))  # pyright: ignore[reportUnknownArgumentType]

    middleware = ProxyHeadersMiddleware(app, trusted_hosts=trusted)  # pyright: ignore[reportArgumentType]
    scope = {
        "type": "http",
        "scheme": "http",
        "client": (peer, 50000),
        "headers": [(b"x-forwarded-for", forwarded_for.encode())],
    }
    asyncio.run(middleware(scope, None, None))  # pyright: ignore[reportArgumentType]
    return seen[0]


def _alb_node(stack: Snapshot) -> str:
    balancer = stack.one("aws:lb/loadBalancer:LoadBalancer").inputs
    subnet = stack.by_id(balancer["subnets"][0]).inputs["cidrBlock"]
    return str(next(ipaddress.ip_network(subnet).hosts()) + 10)


def _edge_node() -> str:
    return str(next(ipaddress.ip_network(CLOUDFRONT_ORIGIN_CIDRS[1]).hosts()) + 5)


def test_the_client_behind_cloudfront_and_the_alb_is_found(stack: Snapshot) -> None:
    trusted = config_parameter(stack, "FORWARDED_ALLOW_IPS").inputs["value"]
    # CloudFront appends the viewer's address, the ALB appends CloudFront's.
    assert client_seen(trusted, _alb_node(stack), f"{CLIENT}, {_edge_node()}") == CLIENT


def test_an_address_the_client_wrote_itself_is_ignored(stack: Snapshot) -> None:
    trusted = config_parameter(stack, "FORWARDED_ALLOW_IPS").inputs["value"]
    forged = f"10.0.0.1, 198.51.100.1, {CLIENT}, {_edge_node()}"
    assert client_seen(trusted, _alb_node(stack), forged) == CLIENT


def test_trusting_only_the_alb_would_take_cloudfront_for_the_client(stack: Snapshot) -> None:
    # Why CloudFront's ranges are in the list: without them every client of one edge location
    # would share one address (and one rate limit).
    balancer = stack.one("aws:lb/loadBalancer:LoadBalancer").inputs
    subnets = ",".join(stack.by_id(subnet).inputs["cidrBlock"] for subnet in balancer["subnets"])
    edge = _edge_node()
    assert client_seen(subnets, _alb_node(stack), f"{CLIENT}, {edge}") == edge
