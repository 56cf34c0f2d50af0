"""What the mock cloud answers for each resource type and provider function: one small function
per type, in tables the mocks look up (a new type is one entry, not one more branch).

- ARNS: the ARN AWS would give a resource of the type (default: service, region, account, name);
- COMPUTED: outputs AWS computes (endpoints, ids, generated values) beyond the inputs;
- INVOKES: provider functions' results.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

REGION_ZONES = ["eu-west-1a", "eu-west-1b", "eu-west-1c", "eu-west-1d"]
ELB_ACCOUNT_ARN = "arn:aws:iam::156460612806:root"
# A few of the real entries of com.amazonaws.global.cloudfront.origin-facing.
CLOUDFRONT_PREFIX_LIST_ID = "pl-4fa04526"
CLOUDFRONT_ORIGIN_CIDRS = ["13.124.199.0/24", "130.176.0.0/18", "15.158.0.0/16", "64.252.64.0/18"]


@dataclass(frozen=True)
class Declared:
    """A resource as the program declared it, in the account and region it is created in."""

    type: str
    name: str
    inputs: Mapping[str, Any]
    region: str
    account: str

    @property
    def physical(self) -> str:
        """The name AWS knows it by: the first naming input the type has, else the logical name."""
        if self.inputs.get("name"):
            return str(self.inputs["name"])
        if self.inputs.get("namePrefix"):
            # With name_prefix, AWS (through the provider) appends a unique 26-character suffix.
            return f"{self.inputs['namePrefix']}20261207000000000000000001"
        for key in ("bucket", "identifier", "replicationGroupId", "family"):
            if self.inputs.get(key):
                return str(self.inputs[key])
        return self.name


# ARNs ---------------------------------------------------------------------------------------


def _role_arn(it: Declared) -> str:
    # A role's ARN carries its path and its name (the logical name when none is given).
    path, name = it.inputs.get("path", "/"), it.inputs.get("name") or it.name
    return f"arn:aws:iam::{it.account}:role{path}{name}"


def _service_arn(it: Declared) -> str:
    cluster = str(it.inputs.get("cluster", "")).rsplit("/", 1)[-1]
    return f"arn:aws:ecs:{it.region}:{it.account}:service/{cluster}/{it.physical}"


ARNS: dict[str, Callable[[Declared], str]] = {
    "aws:ssm/parameter:Parameter": lambda it: (
        f"arn:aws:ssm:{it.region}:{it.account}:parameter{it.physical}"
    ),
    "aws:s3/bucket:Bucket": lambda it: f"arn:aws:s3:::{it.physical}",
    "aws:iam/role:Role": _role_arn,
    "aws:ecr/repository:Repository": lambda it: (
        f"arn:aws:ecr:{it.region}:{it.account}:repository/{it.physical}"
    ),
    "aws:ecs/cluster:Cluster": lambda it: (
        f"arn:aws:ecs:{it.region}:{it.account}:cluster/{it.physical}"
    ),
    "aws:ecs/service:Service": _service_arn,
    # Secrets Manager appends a dash and six random characters to the name.
    "aws:secretsmanager/secret:Secret": lambda it: (
        f"arn:aws:secretsmanager:{it.region}:{it.account}:secret:{it.physical}-AbCdEf"
    ),
    "aws:cloudwatch/logGroup:LogGroup": lambda it: (
        f"arn:aws:logs:{it.region}:{it.account}:log-group:{it.physical}"
    ),
}


def arn(it: Declared) -> str:
    answer = ARNS.get(it.type)
    if answer is not None:
        return answer(it)
    service = it.type.split(":")[1].split("/")[0]
    return f"arn:aws:{service}:{it.region}:{it.account}:{it.name}/{it.physical}"


# Computed outputs ---------------------------------------------------------------------------


def stream(seed: str, length: int, alphabet: str) -> str:
    """`length` characters of `alphabet`, made up from `seed`: stable from one run to the next."""
    digest = b""
    while len(digest) < length:
        digest += hashlib.sha256(f"{seed}:{len(digest)}".encode()).digest()
    return "".join(alphabet[byte % len(alphabet)] for byte in digest[:length])


def _password(it: Declared) -> dict[str, Any]:
    """A RandomPassword's result over the alphabet its inputs allow, as the provider builds it
    (upper, lower and numeric default to true; `overrideSpecial` replaces the special set)."""
    inputs = it.inputs
    alphabet = ""
    if inputs.get("upper", True):
        alphabet += "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    if inputs.get("lower", True):
        alphabet += "abcdefghijklmnopqrstuvwxyz"
    if inputs.get("numeric", True):
        alphabet += "0123456789"
    if inputs.get("special", True):
        alphabet += inputs.get("overrideSpecial") or "!@#$%&*()-_=+[]{}<>:?"
    return {"result": stream(it.name, int(inputs["length"]), alphabet)}


def _random_id(it: Declared) -> dict[str, Any]:
    # terraform-provider-random: hex.EncodeToString of byteLength random bytes.
    return {"hex": stream(it.name, 2 * int(it.inputs["byteLength"]), "0123456789abcdef")}


def _database(it: Declared) -> dict[str, Any]:
    identifier = it.inputs["identifier"]
    return {
        "address": f"{identifier}.abc123.{it.region}.rds.amazonaws.com",
        "masterUserSecrets": [
            {
                "secretArn": (
                    f"arn:aws:secretsmanager:{it.region}:{it.account}:"
                    f"secret:rds!db-{identifier}-AbCdEf"
                ),
                "secretStatus": "active",
            }
        ],
    }


def _load_balancer(it: Declared) -> dict[str, Any]:
    name = it.inputs.get("name", it.name)
    return {
        "arnSuffix": f"app/{name}/0123456789abcdef",
        "dnsName": f"{name}.{it.region}.elb.amazonaws.com",
        "zoneId": "Z32O12XQLNTSW2",
    }


def _certificate(it: Declared) -> dict[str, Any]:
    domain = it.inputs["domainName"]
    return {
        "domainValidationOptions": [
            {
                "domainName": domain,
                "resourceRecordName": f"_x1.{domain}.",
                "resourceRecordType": "CNAME",
                "resourceRecordValue": "_x2.acm-validations.aws.",
            }
        ]
    }


COMPUTED: dict[str, Callable[[Declared], dict[str, Any]]] = {
    "random:index/randomPassword:RandomPassword": _password,
    "random:index/randomId:RandomId": _random_id,
    "aws:kms/key:Key": lambda it: {"keyId": f"{it.name}-key-id"},
    "aws:ec2/vpc:Vpc": lambda it: {"defaultNetworkAclId": f"{it.name}-default-acl-id"},
    "aws:rds/instance:Instance": _database,
    "aws:elasticache/replicationGroup:ReplicationGroup": lambda it: {
        "configurationEndpointAddress": (
            f"clustercfg.{it.inputs['replicationGroupId']}.abc123.euw1.cache.amazonaws.com"
        )
    },
    "aws:ecr/repository:Repository": lambda it: {
        "repositoryUrl": f"{it.account}.dkr.ecr.{it.region}.amazonaws.com/{it.inputs['name']}"
    },
    "aws:lb/loadBalancer:LoadBalancer": _load_balancer,
    "aws:lb/targetGroup:TargetGroup": _load_balancer,
    "aws:acm/certificate:Certificate": _certificate,
    "aws:acm/certificateValidation:CertificateValidation": lambda it: {
        "certificateArn": it.inputs["certificateArn"]
    },
    "aws:route53/record:Record": lambda it: {"fqdn": it.inputs["name"]},
    "aws:cloudfront/distribution:Distribution": lambda it: {
        "domainName": f"d{len(it.name)}abcdef.cloudfront.net"
    },
}


def computed(it: Declared) -> dict[str, Any]:
    answer = COMPUTED.get(it.type)
    return answer(it) if answer is not None else {}


# Provider functions -------------------------------------------------------------------------


def _prefix_list(region: str) -> dict[str, Any]:
    entries = [{"cidr": cidr, "description": ""} for cidr in CLOUDFRONT_ORIGIN_CIDRS]
    return {
        "id": CLOUDFRONT_PREFIX_LIST_ID,
        "name": "com.amazonaws.global.cloudfront.origin-facing",
        "entries": entries,
        "addressFamily": "IPv4",
        "maxEntries": 55,
        "arn": f"arn:aws:ec2:{region}:aws:prefix-list/{CLOUDFRONT_PREFIX_LIST_ID}",
        "ownerId": "AWS",
        "tags": {},
        "version": 1,
        "filters": [],
    }


INVOKES: dict[str, Callable[[str], dict[str, Any]]] = {
    "aws:index/getAvailabilityZones:getAvailabilityZones": lambda _region: {
        "names": REGION_ZONES,
        "zoneIds": ["euw1-az1", "euw1-az2", "euw1-az3", "euw1-az4"],
    },
    "aws:elb/getServiceAccount:getServiceAccount": lambda _region: {
        "arn": ELB_ACCOUNT_ARN,
        "id": "156460612806",
    },
    "aws:ec2/getManagedPrefixList:getManagedPrefixList": _prefix_list,
}
