"""Who may talk to whom: the whole traffic policy of the estate in one file.

Only the load balancer accepts outside traffic, and only from CloudFront (its origin-facing
managed prefix list, on 443: CloudFront is the public entrance). The service accepts its
port from the load balancer only; the database and cache accept their port from the service only.
Rules are standalone resources (not inline) so each one is visible and testable; the AWS provider
removes the allow-all egress rule AWS adds to new groups, so a group without egress rules sends
nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from cloudmetrics_infra.cdn import ORIGIN_FACING_PREFIX_LIST
from cloudmetrics_infra.settings import CACHE_PORT, DATABASE_PORT, SERVICE_PORT, StackSettings

ANYWHERE_IPV4 = "0.0.0.0/0"
HTTPS_PORT = 443


@dataclass(frozen=True)
class SecurityGroupsArgs:
    settings: StackSettings
    vpc_id: pulumi.Input[str]


class SecurityGroups(pulumi.ComponentResource):
    load_balancer: aws.ec2.SecurityGroup
    service: aws.ec2.SecurityGroup
    database: aws.ec2.SecurityGroup
    cache: aws.ec2.SecurityGroup
    cloudfront_cidrs: pulumi.Output[list[str]]

    def __init__(
        self, name: str, args: SecurityGroupsArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("cloudmetrics:infra:SecurityGroups", name, None, opts)
        self._name = name
        self._child = pulumi.ResourceOptions(parent=self)
        prefix = args.settings.name_prefix

        self.load_balancer = self._group("alb", f"{prefix}-alb", "Load balancer", args.vpc_id)
        self.service = self._group("service", f"{prefix}-service", "Service tasks", args.vpc_id)
        self.database = self._group("database", f"{prefix}-database", "PostgreSQL", args.vpc_id)
        self.cache = self._group("cache", f"{prefix}-cache", "Redis", args.vpc_id)

        cloudfront = aws.ec2.get_managed_prefix_list_output(
            name=ORIGIN_FACING_PREFIX_LIST, opts=pulumi.InvokeOutputOptions(parent=self)
        )
        # The addresses CloudFront connects from: the service trusts them to have appended the
        # client's address to X-Forwarded-For (config.trusted_proxies).
        self.cloudfront_cidrs = cloudfront.entries.apply(
            lambda entries: sorted(entry.cidr for entry in entries)
        )
        # One rule: CloudFront's prefix list weighs ~55 entries against the group's rule quota
        # (60 by default), so a second one (port 80) would not fit. CloudFront redirects HTTP.
        aws.vpc.SecurityGroupIngressRule(
            f"{name}-alb-in-{HTTPS_PORT}",
            security_group_id=self.load_balancer.id,
            description="CloudFront (origin-facing addresses) on 443",
            ip_protocol="tcp",
            from_port=HTTPS_PORT,
            to_port=HTTPS_PORT,
            prefix_list_id=cloudfront.id,
            opts=self._child,
        )
        self._link("alb-to-service", self.load_balancer, self.service, SERVICE_PORT)
        self._link("service-to-database", self.service, self.database, DATABASE_PORT)
        self._link("service-to-cache", self.service, self.cache, CACHE_PORT)
        # Tasks pull images and read parameters and secrets through the NAT gateways; AWS APIs
        # all speak HTTPS, so nothing else leaves for the internet.
        aws.vpc.SecurityGroupEgressRule(
            f"{name}-service-out-https",
            security_group_id=self.service.id,
            description="AWS APIs (ECR, SSM, Secrets Manager, CloudWatch Logs) via NAT",
            ip_protocol="tcp",
            from_port=HTTPS_PORT,
            to_port=HTTPS_PORT,
            cidr_ipv4=ANYWHERE_IPV4,
            opts=self._child,
        )
        self.register_outputs(
            {
                "loadBalancerSecurityGroupId": self.load_balancer.id,
                "serviceSecurityGroupId": self.service.id,
                "databaseSecurityGroupId": self.database.id,
                "cacheSecurityGroupId": self.cache.id,
            }
        )

    def _group(
        self, role: str, group_name: str, description: str, vpc_id: pulumi.Input[str]
    ) -> aws.ec2.SecurityGroup:
        return aws.ec2.SecurityGroup(
            f"{self._name}-{role}",
            name=group_name,
            description=description,
            vpc_id=vpc_id,
            tags={"Name": group_name},
            opts=self._child,
        )

    def _link(
        self,
        label: str,
        source: aws.ec2.SecurityGroup,
        target: aws.ec2.SecurityGroup,
        port: int,
    ) -> None:
        """Let `source` reach `target` on one TCP port: egress on one side, ingress on the other."""
        aws.vpc.SecurityGroupEgressRule(
            f"{self._name}-{label}-out",
            security_group_id=source.id,
            description=f"{label} on {port}",
            ip_protocol="tcp",
            from_port=port,
            to_port=port,
            referenced_security_group_id=target.id,
            opts=self._child,
        )
        aws.vpc.SecurityGroupIngressRule(
            f"{self._name}-{label}-in",
            security_group_id=target.id,
            description=f"{label} on {port}",
            ip_protocol="tcp",
            from_port=port,
            to_port=port,
            referenced_security_group_id=source.id,
            opts=self._child,
        )
