"""The VPC: three zones, public and private tiers, a NAT gateway per zone, flow logs."""

from __future__ import annotations

import ipaddress

from tests.infra.mock_cloud import Snapshot

SUBNET = "aws:ec2/subnet:Subnet"


def subnets(stack: Snapshot, tier: str) -> list[dict[str, object]]:
    return [dict(s.inputs) for s in stack.of_type(SUBNET) if s.inputs["tags"]["Tier"] == tier]


def test_each_tier_spans_three_distinct_availability_zones(stack: Snapshot) -> None:
    for tier in ("public", "private"):
        zones = [subnet["availabilityZone"] for subnet in subnets(stack, tier)]
        assert len(zones) == 3
        assert len(set(zones)) == 3, tier


def test_subnets_are_disjoint_and_inside_the_vpc(stack: Snapshot) -> None:
    vpc = ipaddress.IPv4Network(stack.one("aws:ec2/vpc:Vpc").inputs["cidrBlock"])
    blocks = [ipaddress.IPv4Network(str(s.inputs["cidrBlock"])) for s in stack.of_type(SUBNET)]
    assert all(block.subnet_of(vpc) for block in blocks)
    assert all(not a.overlaps(b) for i, a in enumerate(blocks) for b in blocks[i + 1 :])


def test_private_subnets_reach_the_internet_only_through_their_zones_nat(stack: Snapshot) -> None:
    for index in range(3):
        table = stack.named(f"network-private-{index}-rt")
        assert table.inputs["routes"] == [
            {"cidrBlock": "0.0.0.0/0", "natGatewayId": f"network-nat-{index}-id"}
        ]
        nat = stack.named(f"network-nat-{index}")
        assert nat.inputs["subnetId"] == f"network-public-{index}-id"
        association = stack.named(f"network-private-{index}-rta")
        assert association.inputs["subnetId"] == f"network-private-{index}-id"
        assert association.inputs["routeTableId"] == table.id


def test_public_subnets_route_to_the_internet_gateway(stack: Snapshot) -> None:
    table = stack.named("network-public-rt")
    assert table.inputs["routes"] == [{"cidrBlock": "0.0.0.0/0", "gatewayId": "network-igw-id"}]
    associated = {
        rta.inputs["subnetId"]
        for rta in stack.of_type("aws:ec2/routeTableAssociation:RouteTableAssociation")
        if rta.inputs["routeTableId"] == table.id
    }
    assert associated == {f"network-public-{index}-id" for index in range(3)}
