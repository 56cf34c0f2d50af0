"""The database and the cache live in private subnets only, unreachable from the internet."""

from __future__ import annotations

from tests.infra.mock_cloud import Snapshot


def private_subnet_ids(stack: Snapshot) -> set[str]:
    """Subnets whose route table sends the internet through a NAT gateway, not the IGW."""
    private: set[str] = set()
    for association in stack.of_type("aws:ec2/routeTableAssociation:RouteTableAssociation"):
        table = stack.by_id(association.inputs["routeTableId"])
        routes = table.inputs["routes"]
        if routes and all("gatewayId" not in route for route in routes):
            private.add(association.inputs["subnetId"])
    return private


def test_there_are_three_private_subnets(stack: Snapshot) -> None:
    assert len(private_subnet_ids(stack)) == 3


def test_database_subnet_group_holds_only_private_subnets(stack: Snapshot) -> None:
    group = stack.one("aws:rds/subnetGroup:SubnetGroup")
    assert set(group.inputs["subnetIds"]) == private_subnet_ids(stack)
    instance = stack.one("aws:rds/instance:Instance")
    assert instance.inputs["dbSubnetGroupName"] == group.inputs["name"]


def test_cache_subnet_group_holds_only_private_subnets(stack: Snapshot) -> None:
    group = stack.one("aws:elasticache/subnetGroup:SubnetGroup")
    assert set(group.inputs["subnetIds"]) == private_subnet_ids(stack)
    cache = stack.one("aws:elasticache/replicationGroup:ReplicationGroup")
    assert cache.inputs["subnetGroupName"] == group.inputs["name"]


def test_tasks_run_in_private_subnets_without_public_addresses(stack: Snapshot) -> None:
    network = stack.one("aws:ecs/service:Service").inputs["networkConfiguration"]
    assert set(network["subnets"]) == private_subnet_ids(stack)
    assert network["assignPublicIp"] is False


def test_only_the_load_balancer_sits_in_public_subnets(stack: Snapshot) -> None:
    balancer = stack.one("aws:lb/loadBalancer:LoadBalancer")
    assert balancer.inputs["internal"] is False
    public = {f"network-public-{index}-id" for index in range(3)}
    assert set(balancer.inputs["subnets"]) == public
    assert not public & private_subnet_ids(stack)
