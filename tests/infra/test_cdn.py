"""CloudFront is the public entrance: cached fingerprinted assets, everything else passed
through, HTTPS with a us-east-1 certificate, the WAF at the edge."""

from __future__ import annotations

import dataclasses
from typing import Any

from cloudmetrics_policies.catalogue import POLICIES

from tests.infra.mock_cloud import Snapshot
from tests.infra.policy_harness import run

CACHING_OPTIMIZED = "658327ea-f89d-4fab-a63d-7e88639e58f6"
CACHING_DISABLED = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"


def distribution(stack: Snapshot) -> dict[str, Any]:
    return dict(stack.one("aws:cloudfront/distribution:Distribution").inputs)


def test_fingerprinted_assets_are_cached_at_the_edge(stack: Snapshot) -> None:
    (assets,) = distribution(stack)["orderedCacheBehaviors"]
    assert assets["pathPattern"] == "/assets/*"
    assert assets["cachePolicyId"] == CACHING_OPTIMIZED
    assert sorted(assets["allowedMethods"]) == ["GET", "HEAD"]
    assert assets["compress"] is True
    assert assets["viewerProtocolPolicy"] == "redirect-to-https"


def test_pages_and_the_api_pass_through_uncached(stack: Snapshot) -> None:
    default = distribution(stack)["defaultCacheBehavior"]
    assert default["cachePolicyId"] == CACHING_DISABLED
    # Every header but Host (cookies, Authorization, the CSRF token), every query string.
    assert default["originRequestPolicyId"] == "b689b0a8-53d0-40ab-baf2-68738e2966ac"
    assert {"POST", "DELETE", "PUT", "PATCH"} <= set(default["allowedMethods"])
    assert default["viewerProtocolPolicy"] == "redirect-to-https"


def test_the_origin_is_the_alb_over_https_only(stack: Snapshot) -> None:
    (origin,) = distribution(stack)["origins"]
    domain = stack.named("edge-certificate").inputs["domainName"]
    assert origin["domainName"] == f"origin.{domain}"
    config = origin["customOriginConfig"]
    assert config["originProtocolPolicy"] == "https-only"
    assert config["originSslProtocols"] == ["TLSv1.2"]


def test_the_public_name_points_at_cloudfront_with_a_us_east_1_certificate(
    stack: Snapshot,
) -> None:
    settings = distribution(stack)
    certificate = stack.named("edge-certificate")
    domain = certificate.inputs["domainName"]
    assert settings["aliases"] == [domain]
    viewer = settings["viewerCertificate"]
    assert (
        viewer["acmCertificateArn"]
        == stack.named("edge-certificate-validation").state["certificateArn"]
    )
    assert viewer["minimumProtocolVersion"] == "TLSv1.2_2021"
    assert viewer["sslSupportMethod"] == "sni-only"
    twin = stack.named("aws-us-east-1")
    assert (certificate.provider or "").endswith(f"::{twin.id}")
    records = {
        (r.inputs["name"], r.inputs["type"]): r.inputs
        for r in stack.of_type("aws:route53/record:Record")
    }
    distribution_resource = stack.one("aws:cloudfront/distribution:Distribution")
    assert distribution(stack)["isIpv6Enabled"] is True
    # IPv4 and IPv6 alike: an A and an AAAA alias of the distribution.
    for record_type in ("A", "AAAA"):
        (alias,) = records[domain, record_type]["aliases"]
        assert alias["name"] == distribution_resource.state["domainName"]
        assert alias["zoneId"] == "Z2FDTNDATAQYW2"
    assert stack.outputs["albUrl"] == f"https://{domain}"


def test_the_waf_guards_the_edge_not_the_alb(stack: Snapshot) -> None:
    acl = stack.one("aws:wafv2/webAcl:WebAcl")
    assert acl.inputs["scope"] == "CLOUDFRONT"
    assert distribution(stack)["webAclId"] == acl.state["arn"]
    # A CloudFront web ACL is named by the distribution; an association is for regional ones.
    assert stack.of_type("aws:wafv2/webAclAssociation:WebAclAssociation") == []


def test_an_alb_that_forwards_anyone_is_not_covered_by_the_edge_waf(stack: Snapshot) -> None:
    # ELB.16 accepts the ALB because its listener refuses what lacks CloudFront's header; one
    # that forwards by default would be reachable around the WAF, and is reported.
    (policy,) = [policy for policy in POLICIES if policy.name == "fsbp-elb.16"]
    assert run(policy, stack).violations == []
    https = stack.one("aws:lb/listener:Listener")
    forward = [{"type": "forward", "targetGroupArn": "any"}]
    opened = dataclasses.replace(
        stack,
        resources=[
            dataclasses.replace(
                resource,
                inputs={**https.inputs, "defaultActions": forward},
                state={**https.state, "defaultActions": forward},
            )
            if resource is https
            else resource
            for resource in stack.resources
        ],
    )
    assert [message for message, _ in run(policy, opened).violations] == [
        "application load balancer has no WAF web ACL"
    ]
