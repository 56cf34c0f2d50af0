"""Every policy of the pack catches the breakage it exists for.

Each entry breaks one thing in a copy of a real stack's record (a property changed, a resource
removed) and expects the named policy, and only through that change, to report a violation.
"""

from __future__ import annotations

import copy
import dataclasses
import json
from collections.abc import Callable
from typing import Any

import pytest
from cloudmetrics_policies.catalogue import POLICIES

from tests.infra.mock_cloud import Resource, Snapshot
from tests.infra.policy_harness import run

Props = dict[str, Any]


@dataclasses.dataclass(frozen=True)
class Breakage:
    target: str
    """Type of the resource to break (the first of that type), or `name=<logical name>`."""
    change: Callable[[Props], object] | None = None
    """Edits the resource's properties (inputs and outputs alike) in place."""
    drop: bool = False
    environment: str = "dev"


def put(**values: Any) -> Callable[[Props], object]:
    return lambda props: props.update(values)


def in_json(key: str, edit: Callable[[Any], object]) -> Callable[[Props], object]:
    def change(props: Props) -> None:
        document = json.loads(props[key])
        edit(document)
        props[key] = json.dumps(document)

    return change


def first_container(**values: Any) -> Callable[[Props], object]:
    return in_json("containerDefinitions", lambda containers: containers[0].update(values))


def first_environment(name: str, value: str) -> Callable[[Props], object]:
    return in_json(
        "containerDefinitions",
        lambda containers: containers[0]["environment"].append({"name": name, "value": value}),
    )


def first_statement(**values: Any) -> Callable[[Props], object]:
    return in_json("policy", lambda document: document["Statement"][0].update(values))


def first_rule(**values: Any) -> Callable[[Props], object]:
    return lambda props: props["rules"][0].update(values)


RDS = "aws:rds/instance:Instance"
REDIS = "aws:elasticache/replicationGroup:ReplicationGroup"
TASK = "aws:ecs/taskDefinition:TaskDefinition"
ALB = "aws:lb/loadBalancer:LoadBalancer"
WORLD_SSH = {"cidrIpv4": "0.0.0.0/0", "fromPort": 22, "toPort": 22}
ALB_INGRESS = "name=firewall-alb-in-443"


def world(**ports: Any) -> Callable[[Props], object]:
    """The rule opened to the whole IPv4 internet (instead of CloudFront's prefix list)."""
    return put(cidrIpv4="0.0.0.0/0", prefixListId=None, **ports)


BREAKAGES: dict[str, Breakage] = {
    "fsbp-acm.1": Breakage("aws:acm/certificate:Certificate", put(validationMethod="EMAIL")),
    "fsbp-acm.2": Breakage("aws:acm/certificate:Certificate", put(keyAlgorithm="RSA_1024")),
    "fsbp-ec2.2": Breakage(
        "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup",
        put(ingress=[{"protocol": "-1", "fromPort": 0, "toPort": 0, "self": True}]),
    ),
    "fsbp-ec2.6": Breakage("aws:ec2/flowLog:FlowLog", drop=True),
    "fsbp-ec2.15": Breakage("aws:ec2/subnet:Subnet", put(mapPublicIpOnLaunch=True)),
    "fsbp-ec2.18": Breakage(ALB_INGRESS, world(fromPort=8443, toPort=8443)),
    "fsbp-ec2.19": Breakage(ALB_INGRESS, world(fromPort=5432, toPort=5432)),
    "fsbp-ec2.21": Breakage("aws:ec2/networkAcl:NetworkAcl", lambda props: props["ingress"].pop(0)),
    "fsbp-ec2.53": Breakage(ALB_INGRESS, put(**WORLD_SSH)),
    "fsbp-ec2.54": Breakage(ALB_INGRESS, put(cidrIpv6="::/0", fromPort=3389, toPort=3389)),
    "fsbp-elb.1": Breakage(
        "name=entrance-https",
        put(protocol="HTTP", defaultActions=[{"type": "forward", "targetGroupArn": "arn:tg"}]),
    ),
    "fsbp-elb.4": Breakage(ALB, put(dropInvalidHeaderFields=False)),
    "fsbp-elb.5": Breakage(ALB, put(accessLogs={"enabled": False, "bucket": "b"})),
    "fsbp-elb.6": Breakage(ALB, put(enableDeletionProtection=False), environment="prod"),
    "fsbp-elb.12": Breakage(ALB, put(desyncMitigationMode="monitor")),
    "fsbp-elb.13": Breakage(ALB, lambda props: props.update(subnets=props["subnets"][:1])),
    # The ALB answers anyone by default: the edge's web ACL no longer stands in front of it.
    "fsbp-elb.16": Breakage(
        "name=entrance-https",
        put(defaultActions=[{"type": "forward", "targetGroupArn": "arn:tg"}]),
    ),
    "fsbp-elb.17": Breakage("name=entrance-https", put(sslPolicy="ELBSecurityPolicy-2016-08")),
    "fsbp-waf.10": Breakage("aws:wafv2/webAcl:WebAcl", put(rules=[])),
    "fsbp-waf.11": Breakage(
        "aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration", drop=True
    ),
    "fsbp-waf.12": Breakage(
        "aws:wafv2/webAcl:WebAcl",
        first_rule(visibilityConfig={"cloudwatchMetricsEnabled": False}),
    ),
    # The managed group as it was: its body-size rule blocks every ingest batch over 8 KB.
    "waf-spares-the-api": Breakage(
        "aws:wafv2/webAcl:WebAcl",
        lambda props: props["rules"][1]["statement"]["managedRuleGroupStatement"].pop(
            "ruleActionOverrides"
        ),
    ),
    "fsbp-ecr.1": Breakage(
        "aws:ecr/repository:Repository", put(imageScanningConfiguration={"scanOnPush": False})
    ),
    "fsbp-ecr.2": Breakage("aws:ecr/repository:Repository", put(imageTagMutability="MUTABLE")),
    "fsbp-ecr.3": Breakage("aws:ecr/lifecyclePolicy:LifecyclePolicy", drop=True),
    "fsbp-ecs.2": Breakage(
        "aws:ecs/service:Service",
        lambda props: props["networkConfiguration"].update(assignPublicIp=True),
    ),
    "fsbp-ecs.3": Breakage(TASK, put(pidMode="host")),
    "fsbp-ecs.4": Breakage(TASK, first_container(privileged=True)),
    "fsbp-ecs.5": Breakage(TASK, first_container(readonlyRootFilesystem=False)),
    "fsbp-ecs.8": Breakage(TASK, first_environment("AWS_SECRET_ACCESS_KEY", "x")),
    "fsbp-ecs.9": Breakage(TASK, first_container(logConfiguration={})),
    "fsbp-ecs.10": Breakage("aws:ecs/service:Service", put(platformVersion="1.3.0")),
    "fsbp-ecs.12": Breakage(
        "aws:ecs/cluster:Cluster",
        put(settings=[{"name": "containerInsights", "value": "disabled"}]),
    ),
    "fsbp-ecs.17": Breakage(TASK, put(networkMode="host")),
    "fsbp-ecs.20": Breakage(TASK, first_container(user="0")),
    "fsbp-iam.1": Breakage(
        "aws:iam/rolePolicy:RolePolicy", first_statement(Action="*", Resource="*")
    ),
    "fsbp-iam.21": Breakage("aws:iam/rolePolicy:RolePolicy", first_statement(Action="s3:*")),
    "fsbp-elasticache.1": Breakage(REDIS, put(snapshotRetentionLimit=0)),
    "fsbp-elasticache.2": Breakage(REDIS, put(autoMinorVersionUpgrade=False)),
    "fsbp-elasticache.3": Breakage(REDIS, put(automaticFailoverEnabled=False)),
    "fsbp-elasticache.4": Breakage(REDIS, put(atRestEncryptionEnabled=False)),
    "fsbp-elasticache.5": Breakage(REDIS, put(transitEncryptionMode="preferred")),
    "fsbp-elasticache.6": Breakage(REDIS, lambda props: props.pop("authToken")),
    "fsbp-elasticache.7": Breakage(REDIS, put(subnetGroupName="default")),
    "fsbp-rds.2": Breakage(RDS, put(publiclyAccessible=True)),
    "fsbp-rds.3": Breakage(RDS, put(storageEncrypted=False)),
    "fsbp-rds.5": Breakage(RDS, put(multiAz=False)),
    "fsbp-rds.6": Breakage(RDS, put(monitoringInterval=0)),
    "fsbp-rds.8": Breakage(RDS, put(deletionProtection=False), environment="prod"),
    "fsbp-rds.9": Breakage(RDS, put(enabledCloudwatchLogsExports=["upgrade"])),
    "fsbp-rds.10": Breakage(RDS, put(iamDatabaseAuthenticationEnabled=False)),
    "fsbp-rds.11": Breakage(RDS, put(backupRetentionPeriod=1)),
    "fsbp-rds.13": Breakage(RDS, put(autoMinorVersionUpgrade=False)),
    "fsbp-rds.17": Breakage(RDS, put(copyTagsToSnapshot=False)),
    "fsbp-rds.25": Breakage(RDS, put(username="postgres")),
    "fsbp-s3.5": Breakage(
        "aws:s3/bucketPolicy:BucketPolicy",
        in_json("policy", lambda document: document["Statement"].pop()),
    ),
    "fsbp-s3.8": Breakage(
        "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", put(blockPublicPolicy=False)
    ),
    "fsbp-sns.1": Breakage("aws:sns/topic:Topic", lambda props: props.pop("kmsMasterKeyId")),
    "fsbp-kms.4": Breakage("aws:kms/key:Key", put(enableKeyRotation=False)),
    "no-wildcard-iam-actions": Breakage("aws:kms/key:Key", first_statement(Action=["kms:*"])),
    "ecr-repository-policy-grants-only-pulls": Breakage(
        "aws:ecr/repositoryPolicy:RepositoryPolicy", first_statement(Principal="*")
    ),
    "no-secret-in-task-environment": Breakage(TASK, first_environment("DB_PASSWORD", "hunter2")),
    "tags-on-every-resource": Breakage(
        "aws:s3/bucket:Bucket", put(tagsAll={"Project": "cloudmetrics"})
    ),
    "iam-roles-carry-the-boundary": Breakage("aws:iam/role:Role", put(permissionsBoundary=None)),
    "world-open-only-on-the-load-balancer": Breakage(
        "name=firewall-alb-to-service-in",
        lambda props: props.update(cidrIpv4="0.0.0.0/0", referencedSecurityGroupId=None),
    ),
}


def broken(snapshot: Snapshot, breakage: Breakage) -> Snapshot:
    resources = copy.deepcopy(snapshot.resources)
    if breakage.target.startswith("name="):
        index = next(i for i, r in enumerate(resources) if r.name == breakage.target[5:])
    else:
        index = next(i for i, r in enumerate(resources) if r.type == breakage.target)
    resource: Resource = resources[index]
    if breakage.drop:
        del resources[index]
    else:
        assert breakage.change is not None
        # Separate copies: a mock resource's outputs share nested values with its inputs.
        inputs, state = copy.deepcopy(dict(resource.inputs)), copy.deepcopy(dict(resource.state))
        breakage.change(inputs)
        breakage.change(state)
        resources[index] = dataclasses.replace(resource, inputs=inputs, state=state)
    return dataclasses.replace(snapshot, resources=resources)


def test_every_policy_has_a_breakage() -> None:
    assert set(BREAKAGES) == {policy.name for policy in POLICIES}


@pytest.mark.parametrize("policy", POLICIES, ids=[policy.name for policy in POLICIES])
def test_the_policy_catches_its_breakage(policy: Any, stacks: dict[str, Snapshot]) -> None:
    breakage = BREAKAGES[policy.name]
    snapshot = stacks[breakage.environment]
    assert run(policy, snapshot).violations == []
    assert run(policy, broken(snapshot, breakage)).violations != []
