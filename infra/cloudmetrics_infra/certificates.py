"""An ACM certificate for one name, validated through a DNS record in our hosted zone.

CloudFront's certificate (for the public name, issued in us-east-1) and the ALB's (for the
origin's name, in the stack's region) are made the same way, by this one function. It declares
its resources as children of the component that asks, under the names they were deployed with,
so their URNs are the ones in every stack's state and nothing is replaced.
"""

from __future__ import annotations

import pulumi
import pulumi_aws as aws


def dns_validated_certificate(
    name: str,
    *,
    domain_name: str,
    hosted_zone_id: str,
    parent: pulumi.Resource,
    provider: aws.Provider | None = None,
) -> pulumi.Output[str]:
    """The certificate's ARN, known once ACM has validated it.

    `provider` issues the certificate elsewhere than the stack's region (CloudFront's must be in
    us-east-1); the validation record is in Route 53, which is global, so it takes the default.
    """
    in_region = pulumi.ResourceOptions(parent=parent, provider=provider)
    certificate = aws.acm.Certificate(
        f"{name}-certificate",
        domain_name=domain_name,
        validation_method="DNS",
        key_algorithm="RSA_2048",
        opts=in_region,
    )
    # One domain, so ACM asks for exactly one validation record.
    option = certificate.domain_validation_options.apply(lambda options: options[0])
    record = aws.route53.Record(
        f"{name}-certificate-validation-record",
        zone_id=hosted_zone_id,
        name=option.apply(lambda o: o.resource_record_name or ""),
        type=option.apply(lambda o: o.resource_record_type or ""),
        records=[option.apply(lambda o: o.resource_record_value or "")],
        ttl=60,
        allow_overwrite=True,
        opts=pulumi.ResourceOptions(parent=parent),
    )
    validation = aws.acm.CertificateValidation(
        f"{name}-certificate-validation",
        certificate_arn=certificate.arn,
        validation_record_fqdns=[record.fqdn],
        opts=in_region,
    )
    return validation.certificate_arn
