"""CloudFront in front of the ALB: the environment's public address.

- `/assets/*` (fingerprinted, immutable files) is cached at the edge with AWS's
  CachingOptimized policy and compressed there; everything else (pages, the API) passes
  through uncached (CachingDisabled) with every header, cookie and query string but Host.
- The WAF web ACL sits here (scope CLOUDFRONT): it sees every client's real address, which the
  ALB behind CloudFront no longer does.
- The ALB accepts only CloudFront: its security group admits CloudFront's origin-facing
  managed prefix list, and its listener forwards only requests carrying the secret origin
  header CloudFront adds (the prefix list alone would admit anyone's distribution).
- The viewer certificate and the web ACL must live in us-east-1, whatever the stack's region.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from cloudmetrics_infra.certificates import dns_validated_certificate
from cloudmetrics_infra.settings import StackSettings

# AWS-managed policies (their ids are fixed and documented by CloudFront).
CACHING_OPTIMIZED = "658327ea-f89d-4fab-a63d-7e88639e58f6"
CACHING_DISABLED = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"
ALL_VIEWER_EXCEPT_HOST_HEADER = "b689b0a8-53d0-40ab-baf2-68738e2966ac"
# Route 53 alias records for any CloudFront distribution use this zone.
CLOUDFRONT_ZONE_ID = "Z2FDTNDATAQYW2"
ORIGIN_FACING_PREFIX_LIST = "com.amazonaws.global.cloudfront.origin-facing"
ORIGIN_VERIFY_HEADER = "X-Origin-Verify"
ASSETS_PATH_PATTERN = "/assets/*"
ORIGIN_ID = "alb"
CLOUDFRONT_REGION = "us-east-1"
ALL_METHODS = ["GET", "HEAD", "OPTIONS", "PUT", "POST", "PATCH", "DELETE"]


def origin_domain(settings: StackSettings) -> str:
    """The ALB's own name (its certificate's): CloudFront connects to it over HTTPS."""
    return f"origin.{settings.domain_name}"


@dataclass(frozen=True)
class ContentDeliveryArgs:
    settings: StackSettings
    origin_secret: pulumi.Input[str]
    web_acl_arn: pulumi.Input[str]
    us_east_1: aws.Provider
    """CloudFront's certificates must be issued in us-east-1."""


class ContentDelivery(pulumi.ComponentResource):
    distribution: aws.cloudfront.Distribution
    url: pulumi.Output[str]

    def __init__(
        self, name: str, args: ContentDeliveryArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("cloudmetrics:infra:ContentDelivery", name, None, opts)
        settings = args.settings
        child = pulumi.ResourceOptions(parent=self)
        certificate_arn = dns_validated_certificate(
            name,
            domain_name=settings.domain_name,
            hosted_zone_id=settings.hosted_zone_id,
            parent=self,
            provider=args.us_east_1,
        )
        self.distribution = aws.cloudfront.Distribution(
            f"{name}-distribution",
            enabled=True,
            comment=f"{settings.name_prefix} public entrance",
            aliases=[settings.domain_name],
            http_version="http2and3",
            is_ipv6_enabled=True,
            price_class="PriceClass_100",
            web_acl_id=args.web_acl_arn,
            origins=[
                {
                    "origin_id": ORIGIN_ID,
                    "domain_name": origin_domain(settings),
                    "custom_origin_config": {
                        "http_port": 80,
                        "https_port": 443,
                        "origin_protocol_policy": "https-only",
                        "origin_ssl_protocols": ["TLSv1.2"],
                        "origin_read_timeout": 30,
                        "origin_keepalive_timeout": 5,
                    },
                    "custom_headers": [
                        {"name": ORIGIN_VERIFY_HEADER, "value": args.origin_secret},
                    ],
                }
            ],
            default_cache_behavior={
                "target_origin_id": ORIGIN_ID,
                "viewer_protocol_policy": "redirect-to-https",
                "allowed_methods": ALL_METHODS,
                "cached_methods": ["GET", "HEAD"],
                "cache_policy_id": CACHING_DISABLED,
                "origin_request_policy_id": ALL_VIEWER_EXCEPT_HOST_HEADER,
                "compress": True,
            },
            ordered_cache_behaviors=[
                {
                    "path_pattern": ASSETS_PATH_PATTERN,
                    "target_origin_id": ORIGIN_ID,
                    "viewer_protocol_policy": "redirect-to-https",
                    "allowed_methods": ["GET", "HEAD"],
                    "cached_methods": ["GET", "HEAD"],
                    "cache_policy_id": CACHING_OPTIMIZED,
                    "compress": True,
                }
            ],
            restrictions={"geo_restriction": {"restriction_type": "none"}},
            viewer_certificate={
                "acm_certificate_arn": certificate_arn,
                "ssl_support_method": "sni-only",
                "minimum_protocol_version": "TLSv1.2_2021",
            },
            opts=child,
        )
        # The distribution answers on IPv4 and IPv6 (is_ipv6_enabled): an alias of each type,
        # or IPv6-only clients could not resolve the name at all.
        for suffix, record_type in (("", "A"), ("-ipv6", "AAAA")):
            aws.route53.Record(
                f"{name}-dns{suffix}",
                zone_id=settings.hosted_zone_id,
                name=settings.domain_name,
                type=record_type,
                aliases=[
                    {
                        "name": self.distribution.domain_name,
                        "zone_id": CLOUDFRONT_ZONE_ID,
                        "evaluate_target_health": False,
                    }
                ],
                opts=child,
            )
        self.url = pulumi.Output.from_input(f"https://{settings.domain_name}")
        self.register_outputs(
            {"url": self.url, "distributionDomainName": self.distribution.domain_name}
        )
