"""The public entrance: HTTPS with a TLS 1.3 policy and an ACM certificate, HTTP redirected."""

from __future__ import annotations

from tests.infra.mock_cloud import Resource, Snapshot


def listener(stack: Snapshot, port: int) -> Resource:
    (found,) = [
        lst for lst in stack.of_type("aws:lb/listener:Listener") if lst.inputs["port"] == port
    ]
    return found


def test_https_listener_uses_a_tls13_policy_and_the_validated_certificate(stack: Snapshot) -> None:
    https = listener(stack, 443).inputs
    assert https["protocol"] == "HTTPS"
    assert https["sslPolicy"].startswith("ELBSecurityPolicy-TLS13-")
    validation = stack.one("aws:acm/certificateValidation:CertificateValidation")
    assert https["certificateArn"] == validation.state["certificateArn"]
    certificate = stack.one("aws:acm/certificate:Certificate")
    assert validation.inputs["certificateArn"] == certificate.state["arn"]
    assert certificate.inputs["validationMethod"] == "DNS"


def test_certificate_covers_the_environments_domain(stack: Snapshot) -> None:
    certificate = stack.one("aws:acm/certificate:Certificate").inputs
    assert stack.outputs["albUrl"] == f"https://{certificate['domainName']}"
    records = {r.inputs["name"]: r.inputs for r in stack.of_type("aws:route53/record:Record")}
    alias = records[certificate["domainName"]]
    assert alias["type"] == "A"
    assert (
        alias["aliases"][0]["name"]
        == stack.one("aws:lb/loadBalancer:LoadBalancer").state["dnsName"]
    )


def test_http_only_redirects_to_https(stack: Snapshot) -> None:
    (action,) = listener(stack, 80).inputs["defaultActions"]
    assert action["type"] == "redirect"
    assert action["redirect"] == {"port": "443", "protocol": "HTTPS", "statusCode": "HTTP_301"}


def test_https_forwards_to_the_service_target_group(stack: Snapshot) -> None:
    (action,) = listener(stack, 443).inputs["defaultActions"]
    assert action == {
        "type": "forward",
        "targetGroupArn": stack.one("aws:lb/targetGroup:TargetGroup").state["arn"],
    }


def test_only_two_listeners_exist(stack: Snapshot) -> None:
    assert sorted(lst.inputs["port"] for lst in stack.of_type("aws:lb/listener:Listener")) == [
        80,
        443,
    ]
