"""Mocks that answer for AWS and keep a plain record of every resource a program declared.

The record holds the inputs as the engine received them (camelCase wire names) after every
Output resolved, so policy tests are plain Python over dictionaries.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import pulumi
from cloudmetrics_shared.environments import ENVIRONMENTS
from pulumi.output import Unknown
from pulumi.runtime.rpc import UNKNOWN

__all__ = ["ENVIRONMENTS", "IMAGE_TAG", "INFRA", "RecordingMocks", "Resource", "Snapshot"]

INFRA = Path(__file__).resolve().parents[2] / "infra"
IMAGE_TAG = "3f2a9c1"
REGION_ZONES = ["eu-west-1a", "eu-west-1b", "eu-west-1c", "eu-west-1d"]
ELB_ACCOUNT_ARN = "arn:aws:iam::156460612806:root"
# A few of the real entries of com.amazonaws.global.cloudfront.origin-facing.
CLOUDFRONT_PREFIX_LIST_ID = "pl-4fa04526"
CLOUDFRONT_ORIGIN_CIDRS = ["13.124.199.0/24", "130.176.0.0/18", "15.158.0.0/16", "64.252.64.0/18"]


@dataclass(frozen=True)
class Resource:
    type: str
    name: str
    inputs: Mapping[str, Any]
    state: Mapping[str, Any]
    provider: str | None
    id: str
    urn: str = ""
    parent: str = ""
    dependencies: tuple[str, ...] = ()
    """URNs of the resources this one was declared to depend on (depends_on)."""
    property_dependencies: Mapping[str, tuple[str, ...]] = field(default_factory=lambda: {})
    """Input property -> URNs of the resources whose outputs it was made from."""

    def json(self, key: str) -> Any:
        """An input the program passed as a JSON document (policies, container definitions)."""
        value = self.inputs[key]
        return json.loads(value) if isinstance(value, str) else value


@dataclass
class Snapshot:
    environment: str
    resources: list[Resource] = field(default_factory=lambda: [])
    outputs: dict[str, Any] = field(default_factory=lambda: {})
    invokes: list[tuple[str, str]] = field(default_factory=lambda: [])
    """(function token, provider reference) of every provider function the program called."""
    urns: list[str] = field(default_factory=lambda: [])

    def of_type(self, type_: str) -> list[Resource]:
        return [resource for resource in self.resources if resource.type == type_]

    def one(self, type_: str) -> Resource:
        found = self.of_type(type_)
        assert len(found) == 1, f"expected one {type_}, found {len(found)}"
        return found[0]

    def named(self, name: str) -> Resource:
        found = [resource for resource in self.resources if resource.name == name]
        assert len(found) == 1, f"expected one resource named {name}, found {len(found)}"
        return found[0]

    def by_id(self, id_: str) -> Resource:
        found = [resource for resource in self.resources if resource.id == id_]
        assert len(found) == 1, f"expected one resource with id {id_}, found {len(found)}"
        return found[0]

    def by_urn(self, urn: str) -> Resource:
        found = [resource for resource in self.resources if resource.urn == urn]
        assert len(found) == 1, f"expected one resource with URN {urn}, found {len(found)}"
        return found[0]

    def aws(self) -> Iterator[Resource]:
        """Every AWS resource (not components, not the provider itself)."""
        for resource in self.resources:
            if resource.type.startswith("aws:"):
                yield resource


# How the wire format marks a secret value: {SIGNATURE_KEY: SECRET_SIGNATURE, "value": ...}.
SIGNATURE_KEY = "4dabf18193072939515e22adb298388d"
SECRET_SIGNATURE = "1b47061264138c4ac30d75fd1eb44270"


def _revealed(value: Any) -> Any:
    """The value with secret markers removed (the provider marks e.g. SSM values secret).

    Unknown values (a preview's outputs of resources not created yet) become the engine's
    unknown marker, which is what a policy pack receives for them.
    """
    if isinstance(value, Unknown):
        return UNKNOWN
    if isinstance(value, dict):
        entries = cast("dict[str, Any]", value)
        if entries.get(SIGNATURE_KEY) == SECRET_SIGNATURE:
            return _revealed(entries["value"])
        return {key: _revealed(item) for key, item in entries.items()}
    if isinstance(value, list):
        return [_revealed(item) for item in cast("list[Any]", value)]
    return value


def _inputs(args: pulumi.runtime.MockResourceArgs) -> dict[str, Any]:
    # The engine's inputs are an untyped dict; their keys are always property names.
    raw = cast("dict[str, Any]", args.inputs)  # pyright: ignore[reportUnknownMemberType]
    return {key: _revealed(value) for key, value in raw.items()}


def _arn(args: pulumi.runtime.MockResourceArgs, region: str, account: str) -> str:
    service = args.typ.split(":")[1].split("/")[0]
    inputs = _inputs(args)
    # With name_prefix, AWS (through the provider) appends a unique 26-character suffix.
    prefixed = (
        f"{inputs['namePrefix']}20261207000000000000000001" if "namePrefix" in inputs else None
    )
    physical = str(
        inputs.get("name")
        or prefixed
        or inputs.get("bucket")
        or inputs.get("identifier")
        or inputs.get("replicationGroupId")
        or inputs.get("family")
        or args.name
    )
    if args.typ == "aws:ssm/parameter:Parameter":
        return f"arn:aws:ssm:{region}:{account}:parameter{physical}"
    if args.typ == "aws:s3/bucket:Bucket":
        return f"arn:aws:s3:::{physical}"
    if args.typ == "aws:iam/role:Role":
        # A role's ARN carries its path and its name (the logical name when none is given).
        return (
            f"arn:aws:iam::{account}:role{inputs.get('path', '/')}{inputs.get('name') or args.name}"
        )
    if args.typ == "aws:ecr/repository:Repository":
        return f"arn:aws:ecr:{region}:{account}:repository/{physical}"
    if args.typ == "aws:ecs/cluster:Cluster":
        return f"arn:aws:ecs:{region}:{account}:cluster/{physical}"
    if args.typ == "aws:ecs/service:Service":
        cluster = str(inputs.get("cluster", "")).rsplit("/", 1)[-1]
        return f"arn:aws:ecs:{region}:{account}:service/{cluster}/{physical}"
    if args.typ == "aws:secretsmanager/secret:Secret":
        # Secrets Manager appends a dash and six random characters to the name.
        return f"arn:aws:secretsmanager:{region}:{account}:secret:{physical}-AbCdEf"
    if args.typ == "aws:cloudwatch/logGroup:LogGroup":
        return f"arn:aws:logs:{region}:{account}:log-group:{physical}"
    return f"arn:aws:{service}:{region}:{account}:{args.name}/{physical}"


def _stream(seed: str, length: int, alphabet: str) -> str:
    """`length` characters of `alphabet`, made up from `seed`: stable from one run to the next."""
    digest = b""
    while len(digest) < length:
        digest += hashlib.sha256(f"{seed}:{len(digest)}".encode()).digest()
    return "".join(alphabet[byte % len(alphabet)] for byte in digest[:length])


def _password(name: str, inputs: Mapping[str, Any]) -> str:
    """A RandomPassword's result over the alphabet its inputs allow, as the provider builds it
    (upper, lower and numeric default to true; `overrideSpecial` replaces the special set)."""
    alphabet = ""
    if inputs.get("upper", True):
        alphabet += "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    if inputs.get("lower", True):
        alphabet += "abcdefghijklmnopqrstuvwxyz"
    if inputs.get("numeric", True):
        alphabet += "0123456789"
    if inputs.get("special", True):
        alphabet += inputs.get("overrideSpecial") or "!@#$%&*()-_=+[]{}<>:?"
    return _stream(name, int(inputs["length"]), alphabet)


class RecordingMocks(pulumi.runtime.Mocks):
    """Answers like AWS would, closely enough for references between resources to resolve."""

    def __init__(self, snapshot: Snapshot, region: str, account: str, preview: bool) -> None:
        self.snapshot = snapshot
        self.region = region
        self.account = account
        self.preview = preview

    def new_resource(
        self, args: pulumi.runtime.MockResourceArgs
    ) -> tuple[str | None, dict[str, Any]]:
        inputs = _inputs(args)
        if self.preview:
            # As in a first `pulumi preview`: nothing exists, so ids and every computed output
            # are unknown, and so is every input made from them.
            self.snapshot.resources.append(
                Resource(args.typ, args.name, inputs, dict(inputs), args.provider, "")
            )
            return None, dict(inputs)
        resource_id = f"{args.name}-id"
        state: dict[str, Any] = {**inputs, "arn": _arn(args, self.region, self.account)}
        state.setdefault("name", inputs.get("name", args.name))
        state |= self._computed(args.typ, args.name, inputs)
        self.snapshot.resources.append(
            Resource(args.typ, args.name, inputs, state, args.provider, resource_id)
        )
        return resource_id, state

    def _computed(self, type_: str, name: str, inputs: Mapping[str, Any]) -> dict[str, Any]:
        if type_ == "random:index/randomPassword:RandomPassword":
            return {"result": _password(name, inputs)}
        if type_ == "random:index/randomId:RandomId":
            # terraform-provider-random: hex.EncodeToString of byteLength random bytes.
            return {"hex": _stream(name, 2 * int(inputs["byteLength"]), "0123456789abcdef")}
        if type_ == "aws:kms/key:Key":
            return {"keyId": f"{name}-key-id"}
        if type_ == "aws:ec2/vpc:Vpc":
            return {"defaultNetworkAclId": f"{name}-default-acl-id"}
        if type_ == "aws:rds/instance:Instance":
            return {
                "address": f"{inputs['identifier']}.abc123.{self.region}.rds.amazonaws.com",
                "masterUserSecrets": [
                    {
                        "secretArn": (
                            f"arn:aws:secretsmanager:{self.region}:{self.account}:"
                            f"secret:rds!db-{inputs['identifier']}-AbCdEf"
                        ),
                        "secretStatus": "active",
                    }
                ],
            }
        if type_ == "aws:elasticache/replicationGroup:ReplicationGroup":
            return {
                "configurationEndpointAddress": (
                    f"clustercfg.{inputs['replicationGroupId']}.abc123.euw1.cache.amazonaws.com"
                )
            }
        if type_ == "aws:ecr/repository:Repository":
            return {
                "repositoryUrl": (
                    f"{self.account}.dkr.ecr.{self.region}.amazonaws.com/{inputs['name']}"
                )
            }
        if type_ in ("aws:lb/loadBalancer:LoadBalancer", "aws:lb/targetGroup:TargetGroup"):
            return {
                "arnSuffix": f"app/{inputs.get('name', name)}/0123456789abcdef",
                "dnsName": f"{inputs.get('name', name)}.{self.region}.elb.amazonaws.com",
                "zoneId": "Z32O12XQLNTSW2",
            }
        if type_ == "aws:acm/certificate:Certificate":
            return {
                "domainValidationOptions": [
                    {
                        "domainName": inputs["domainName"],
                        "resourceRecordName": f"_x1.{inputs['domainName']}.",
                        "resourceRecordType": "CNAME",
                        "resourceRecordValue": "_x2.acm-validations.aws.",
                    }
                ]
            }
        if type_ == "aws:acm/certificateValidation:CertificateValidation":
            return {"certificateArn": inputs["certificateArn"]}
        if type_ == "aws:route53/record:Record":
            return {"fqdn": inputs["name"]}
        if type_ == "aws:cloudfront/distribution:Distribution":
            return {"domainName": f"d{len(name)}abcdef.cloudfront.net"}
        return {}

    def call(
        self, args: pulumi.runtime.MockCallArgs
    ) -> tuple[dict[str, Any], list[tuple[str, str]] | None]:
        self.snapshot.invokes.append((args.token, args.provider))
        if args.token == "aws:index/getAvailabilityZones:getAvailabilityZones":
            return {
                "names": REGION_ZONES,
                "zoneIds": ["euw1-az1", "euw1-az2", "euw1-az3", "euw1-az4"],
            }, []
        if args.token == "aws:elb/getServiceAccount:getServiceAccount":
            return {"arn": ELB_ACCOUNT_ARN, "id": "156460612806"}, []
        if args.token == "aws:ec2/getManagedPrefixList:getManagedPrefixList":
            entries = [{"cidr": cidr, "description": ""} for cidr in CLOUDFRONT_ORIGIN_CIDRS]
            return {
                "id": CLOUDFRONT_PREFIX_LIST_ID,
                "name": "com.amazonaws.global.cloudfront.origin-facing",
                "entries": entries,
                "addressFamily": "IPv4",
                "maxEntries": 55,
                "arn": f"arn:aws:ec2:{self.region}:aws:prefix-list/{CLOUDFRONT_PREFIX_LIST_ID}",
                "ownerId": "AWS",
                "tags": {},
                "version": 1,
                "filters": [],
            }, []
        raise NotImplementedError(
            f"the program calls an invoke the mocks do not know: {args.token}"
        )
