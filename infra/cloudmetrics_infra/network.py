"""VPC over three availability zones: public subnets for the ALB and NAT, private for the rest."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws
from cloudmetrics_shared.iam import allow, document, service_trust_policy

from cloudmetrics_infra.settings import AVAILABILITY_ZONES, StackSettings

# What AWS documents a flow-log delivery role needs (VPC User Guide, "IAM role for publishing
# flow logs to CloudWatch Logs").
FLOW_LOG_ACTIONS = (
    "logs:CreateLogGroup",
    "logs:CreateLogStream",
    "logs:PutLogEvents",
    "logs:DescribeLogStreams",
)
# Listing log groups has no per-group resource: it is granted over this account's groups.
FLOW_LOG_LISTING = "logs:DescribeLogGroups"


@dataclass(frozen=True)
class NetworkArgs:
    settings: StackSettings


class Network(pulumi.ComponentResource):
    vpc: aws.ec2.Vpc
    public_subnet_ids: pulumi.Output[list[str]]
    private_subnet_ids: pulumi.Output[list[str]]

    def __init__(
        self, name: str, args: NetworkArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("cloudmetrics:infra:Network", name, None, opts)
        settings = args.settings
        child = pulumi.ResourceOptions(parent=self)
        public_cidrs, private_cidrs = settings.subnet_cidrs()

        zones = aws.get_availability_zones_output(
            state="available",
            # Local and Wavelength zones lack NAT gateways and most services.
            filters=[{"name": "opt-in-status", "values": ["opt-in-not-required"]}],
            opts=pulumi.InvokeOutputOptions(parent=self),
        ).names.apply(lambda names: sorted(names)[:AVAILABILITY_ZONES])

        self.vpc = aws.ec2.Vpc(
            f"{name}-vpc",
            cidr_block=settings.vpc_cidr,
            enable_dns_hostnames=True,
            enable_dns_support=True,
            tags={"Name": settings.name_prefix},
            opts=child,
        )
        # Security Hub EC2.2: the default security group admits nothing and lets nothing out;
        # managing it with no rules strips the ones AWS creates.
        aws.ec2.DefaultSecurityGroup(f"{name}-default-sg", vpc_id=self.vpc.id, opts=child)

        internet_gateway = aws.ec2.InternetGateway(
            f"{name}-igw", vpc_id=self.vpc.id, tags={"Name": settings.name_prefix}, opts=child
        )
        public_routes = aws.ec2.RouteTable(
            f"{name}-public-rt",
            vpc_id=self.vpc.id,
            routes=[{"cidr_block": "0.0.0.0/0", "gateway_id": internet_gateway.id}],
            tags={"Name": f"{settings.name_prefix}-public"},
            opts=child,
        )

        public_subnets: list[aws.ec2.Subnet] = []
        private_subnets: list[aws.ec2.Subnet] = []
        for index in range(AVAILABILITY_ZONES):
            zone = zones.apply(lambda names, i=index: names[i])
            public = aws.ec2.Subnet(
                f"{name}-public-{index}",
                vpc_id=self.vpc.id,
                cidr_block=public_cidrs[index],
                availability_zone=zone,
                # Security Hub EC2.15: nothing here needs an automatic public address; the ALB
                # and NAT gateways bring their own.
                map_public_ip_on_launch=False,
                tags={"Name": f"{settings.name_prefix}-public-{index}", "Tier": "public"},
                opts=child,
            )
            aws.ec2.RouteTableAssociation(
                f"{name}-public-{index}-rta",
                subnet_id=public.id,
                route_table_id=public_routes.id,
                opts=child,
            )
            # One NAT gateway per zone: losing a zone must not cut the others off the internet.
            address = aws.ec2.Eip(
                f"{name}-nat-{index}-eip",
                domain="vpc",
                tags={"Name": f"{settings.name_prefix}-nat-{index}"},
                opts=child,
            )
            nat = aws.ec2.NatGateway(
                f"{name}-nat-{index}",
                subnet_id=public.id,
                allocation_id=address.id,
                tags={"Name": f"{settings.name_prefix}-{index}"},
                opts=pulumi.ResourceOptions(parent=self, depends_on=[internet_gateway]),
            )
            private = aws.ec2.Subnet(
                f"{name}-private-{index}",
                vpc_id=self.vpc.id,
                cidr_block=private_cidrs[index],
                availability_zone=zone,
                map_public_ip_on_launch=False,
                tags={"Name": f"{settings.name_prefix}-private-{index}", "Tier": "private"},
                opts=child,
            )
            private_routes = aws.ec2.RouteTable(
                f"{name}-private-{index}-rt",
                vpc_id=self.vpc.id,
                routes=[{"cidr_block": "0.0.0.0/0", "nat_gateway_id": nat.id}],
                tags={"Name": f"{settings.name_prefix}-private-{index}"},
                opts=child,
            )
            aws.ec2.RouteTableAssociation(
                f"{name}-private-{index}-rta",
                subnet_id=private.id,
                route_table_id=private_routes.id,
                opts=child,
            )
            public_subnets.append(public)
            private_subnets.append(private)

        self._network_acls(name, settings, public_subnets, private_subnets)
        self._flow_logs(name, settings)

        self.public_subnet_ids = pulumi.Output.all(*[subnet.id for subnet in public_subnets])
        self.private_subnet_ids = pulumi.Output.all(*[subnet.id for subnet in private_subnets])
        self.register_outputs(
            {
                "vpcId": self.vpc.id,
                "publicSubnetIds": self.public_subnet_ids,
                "privateSubnetIds": self.private_subnet_ids,
            }
        )

    def _network_acls(
        self,
        name: str,
        settings: StackSettings,
        public: list[aws.ec2.Subnet],
        private: list[aws.ec2.Subnet],
    ) -> None:
        """Security Hub EC2.21: remote administration is closed at the subnet edge too.

        Network ACLs are stateless, so an inbound rule also judges replies to connections made
        from inside. The ALB and the NAT gateways in the public subnets use ephemeral ports
        1024-65535 for theirs, which include 3389: the public ACL denies only 22 (below every
        ephemeral range), the private one 22 and 3389 (tasks are Linux, ephemeral ports
        32768-60999). Security groups close 3389 everywhere. Everything else passes to them.
        """
        self._network_acl(f"{name}-public-acl", settings, "public", public, (22,))
        self._network_acl(f"{name}-private-acl", settings, "private", private, (22, 3389))
        # Subnets all belong to the ACLs above; the default one keeps no rules at all.
        aws.ec2.DefaultNetworkAcl(
            f"{name}-default-acl",
            default_network_acl_id=self.vpc.default_network_acl_id,
            tags={"Name": f"{settings.name_prefix}-unused"},
            opts=pulumi.ResourceOptions(parent=self),
        )

    def _network_acl(
        self,
        name: str,
        settings: StackSettings,
        tier: str,
        subnets: list[aws.ec2.Subnet],
        denied_ports: tuple[int, ...],
    ) -> None:
        anywhere = "0.0.0.0/0"
        denied = [
            aws.ec2.NetworkAclIngressArgs(
                protocol="tcp",
                rule_no=10 * (index + 1),
                action="deny",
                cidr_block=anywhere,
                from_port=port,
                to_port=port,
            )
            for index, port in enumerate(denied_ports)
        ]
        aws.ec2.NetworkAcl(
            name,
            vpc_id=self.vpc.id,
            subnet_ids=[subnet.id for subnet in subnets],
            ingress=[
                *denied,
                aws.ec2.NetworkAclIngressArgs(
                    protocol="-1",
                    rule_no=100,
                    action="allow",
                    cidr_block=anywhere,
                    from_port=0,
                    to_port=0,
                ),
            ],
            egress=[
                aws.ec2.NetworkAclEgressArgs(
                    protocol="-1",
                    rule_no=100,
                    action="allow",
                    cidr_block=anywhere,
                    from_port=0,
                    to_port=0,
                )
            ],
            tags={"Name": f"{settings.name_prefix}-{tier}", "Tier": tier},
            opts=pulumi.ResourceOptions(parent=self),
        )

    def _flow_logs(self, name: str, settings: StackSettings) -> None:
        """Security Hub EC2.6: every accepted and rejected flow goes to CloudWatch Logs."""
        child = pulumi.ResourceOptions(parent=self)
        log_group = aws.cloudwatch.LogGroup(
            f"{name}-flow-logs",
            name=f"/{settings.name_prefix}/vpc-flow-logs",
            retention_in_days=settings.log_retention_days,
            opts=child,
        )
        role = aws.iam.Role(
            f"{name}-flow-logs-role",
            path=settings.iam_path,
            permissions_boundary=settings.role_boundary_arn,
            assume_role_policy=service_trust_policy(
                "vpc-flow-logs.amazonaws.com", settings.account_id
            ),
            opts=child,
        )
        aws.iam.RolePolicy(
            f"{name}-flow-logs-policy",
            role=role.id,
            policy=log_group.arn.apply(
                lambda arn: document(
                    [
                        allow(FLOW_LOG_ACTIONS, [arn, f"{arn}:*"]),
                        allow(
                            [FLOW_LOG_LISTING],
                            [f"arn:aws:logs:{settings.region}:{settings.account_id}:log-group:*"],
                        ),
                    ]
                )
            ),
            opts=child,
        )
        aws.ec2.FlowLog(
            f"{name}-flow-log",
            vpc_id=self.vpc.id,
            traffic_type="ALL",
            log_destination_type="cloud-watch-logs",
            log_destination=log_group.arn,
            iam_role_arn=role.arn,
            max_aggregation_interval=60,
            opts=child,
        )
