"""The ALB behind CloudFront: HTTPS only, TLS 1.3 policy, its own certificate, and a listener
that forwards only what carries CloudFront's secret origin header."""

from __future__ import annotations

from tests.infra.mock_cloud import Resource, Snapshot


def listener(stack: Snapshot, port: int) -> Resource:
    (found,) = [
        lst for lst in stack.of_type("aws:lb/listener:Listener") if lst.inputs["port"] == port
    ]
    return found


def origin_certificate(stack: Snapshot) -> Resource:
    (found,) = [
        certificate
        for certificate in stack.of_type("aws:acm/certificate:Certificate")
        if certificate.name == "entrance-certificate"
    ]
    return found


def test_https_listener_uses_a_tls13_policy_and_the_validated_certificate(stack: Snapshot) -> None:
    https = listener(stack, 443).inputs
    assert https["protocol"] == "HTTPS"
    assert https["sslPolicy"].startswith("ELBSecurityPolicy-TLS13-")
    validation = stack.named("entrance-certificate-validation")
    assert https["certificateArn"] == validation.state["certificateArn"]
    certificate = origin_certificate(stack)
    assert validation.inputs["certificateArn"] == certificate.state["arn"]
    assert certificate.inputs["validationMethod"] == "DNS"


def test_the_alb_has_a_name_of_its_own_under_the_domain(stack: Snapshot) -> None:
    public = stack.named("edge-certificate").inputs["domainName"]
    origin = origin_certificate(stack).inputs["domainName"]
    assert origin == f"origin.{public}"
    records = {r.inputs["name"]: r.inputs for r in stack.of_type("aws:route53/record:Record")}
    (alias,) = records[origin]["aliases"]
    assert alias["name"] == stack.one("aws:lb/loadBalancer:LoadBalancer").state["dnsName"]


def test_requests_without_the_origin_header_get_a_403(stack: Snapshot) -> None:
    (action,) = listener(stack, 443).inputs["defaultActions"]
    assert action["type"] == "fixed-response"
    assert action["fixedResponse"]["statusCode"] == "403"


def test_only_cloudfronts_secret_header_reaches_the_service(stack: Snapshot) -> None:
    rule = stack.one("aws:lb/listenerRule:ListenerRule").inputs
    assert rule["listenerArn"] == listener(stack, 443).state["arn"]
    (condition,) = rule["conditions"]
    header = condition["httpHeader"]
    secret = stack.named("origin-secret").state["result"]
    assert header == {"httpHeaderName": "X-Origin-Verify", "values": [secret]}
    (action,) = rule["actions"]
    assert action == {
        "type": "forward",
        "targetGroupArn": stack.one("aws:lb/targetGroup:TargetGroup").state["arn"],
    }
    (origin,) = stack.one("aws:cloudfront/distribution:Distribution").inputs["origins"]
    assert origin["customHeaders"] == [{"name": "X-Origin-Verify", "value": secret}]


def test_the_only_listener_is_https(stack: Snapshot) -> None:
    # CloudFront redirects HTTP to HTTPS; the ALB admits nobody on 80.
    assert [lst.inputs["port"] for lst in stack.of_type("aws:lb/listener:Listener")] == [443]
