"""The origin behind CloudFront: an ALB that speaks HTTPS (TLS 1.3 policy) to CloudFront only.

CloudFront (cdn.py) is the public entrance and redirects HTTP to HTTPS itself. The ALB has its
own name (origin.<domain>) for its certificate; its HTTPS listener answers 403 unless the request
carries the secret header CloudFront adds, and its security group admits only CloudFront's
origin-facing addresses.

The target group checks /ready (database reachable, schema at head): a task that cannot serve
requests gets no traffic. The container's own health check is the cheaper /health, so a database
outage drains traffic without making ECS kill every task.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from cloudmetrics_infra.access_logs import LOG_PREFIX, AccessLogs, AccessLogsArgs
from cloudmetrics_infra.cdn import ORIGIN_VERIFY_HEADER, origin_domain
from cloudmetrics_infra.certificates import dns_validated_certificate
from cloudmetrics_infra.settings import SERVICE_PORT, StackSettings

TLS_POLICY = "ELBSecurityPolicy-TLS13-1-2-2021-06"
READINESS_PATH = "/ready"


@dataclass(frozen=True)
class LoadBalancerArgs:
    settings: StackSettings
    vpc_id: pulumi.Input[str]
    subnet_ids: pulumi.Input[list[str]]
    security_group_id: pulumi.Input[str]
    origin_secret: pulumi.Input[str]
    """The value CloudFront sends in X-Origin-Verify; without it the listener answers 403."""


class LoadBalancer(pulumi.ComponentResource):
    load_balancer: aws.lb.LoadBalancer
    target_group: aws.lb.TargetGroup
    https_listener: aws.lb.Listener
    forward_rule: aws.lb.ListenerRule

    def __init__(
        self, name: str, args: LoadBalancerArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("cloudmetrics:infra:LoadBalancer", name, None, opts)
        settings = args.settings
        child = pulumi.ResourceOptions(parent=self)

        access_logs = AccessLogs(f"{name}-access-logs", AccessLogsArgs(settings), child)
        certificate_arn = dns_validated_certificate(
            name,
            domain_name=origin_domain(settings),
            hosted_zone_id=settings.hosted_zone_id,
            parent=self,
        )

        self.load_balancer = aws.lb.LoadBalancer(
            f"{name}-alb",
            name=settings.name_prefix,
            load_balancer_type="application",
            internal=False,
            subnets=args.subnet_ids,
            security_groups=[args.security_group_id],
            drop_invalid_header_fields=True,
            desync_mitigation_mode="defensive",
            enable_deletion_protection=settings.load_balancer_deletion_protection,
            access_logs={
                "bucket": access_logs.bucket.bucket,
                "prefix": LOG_PREFIX,
                "enabled": True,
            },
            opts=pulumi.ResourceOptions(parent=self, depends_on=access_logs.ready),
        )
        self.target_group = aws.lb.TargetGroup(
            f"{name}-targets",
            name=settings.name_prefix,
            port=SERVICE_PORT,
            protocol="HTTP",
            target_type="ip",
            vpc_id=args.vpc_id,
            deregistration_delay=30,
            health_check={
                "path": READINESS_PATH,
                "matcher": "200",
                "interval": 15,
                "timeout": 5,
                "healthy_threshold": 2,
                "unhealthy_threshold": 3,
            },
            opts=child,
        )
        self.https_listener = aws.lb.Listener(
            f"{name}-https",
            load_balancer_arn=self.load_balancer.arn,
            port=443,
            protocol="HTTPS",
            ssl_policy=TLS_POLICY,
            certificate_arn=certificate_arn,
            # Anyone who is not our CloudFront distribution (another distribution shares the
            # prefix list) gets a 403 without reaching the service.
            default_actions=[
                {
                    "type": "fixed-response",
                    "fixed_response": {
                        "content_type": "text/plain",
                        "message_body": "Forbidden",
                        "status_code": "403",
                    },
                }
            ],
            opts=child,
        )
        self.forward_rule = aws.lb.ListenerRule(
            f"{name}-from-cloudfront",
            listener_arn=self.https_listener.arn,
            priority=1,
            conditions=[
                {
                    "http_header": {
                        "http_header_name": ORIGIN_VERIFY_HEADER,
                        "values": [args.origin_secret],
                    }
                }
            ],
            actions=[{"type": "forward", "target_group_arn": self.target_group.arn}],
            opts=child,
        )
        aws.route53.Record(
            f"{name}-dns",
            zone_id=settings.hosted_zone_id,
            name=origin_domain(settings),
            type="A",
            aliases=[
                {
                    "name": self.load_balancer.dns_name,
                    "zone_id": self.load_balancer.zone_id,
                    "evaluate_target_health": True,
                }
            ],
            opts=child,
        )
        self.register_outputs({"dnsName": self.load_balancer.dns_name})
