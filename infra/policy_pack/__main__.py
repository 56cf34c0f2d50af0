"""The policy pack's entry point: Pulumi runs this to serve the policies to the engine.

Only this file starts the pack's server (PolicyPack does so when constructed); the policies
themselves live in cloudmetrics_policies, importable and testable without it.
"""

from cloudmetrics_policies.catalogue import POLICIES
from pulumi_policy import EnforcementLevel, PolicyPack

PolicyPack(
    name="cloudmetrics",
    enforcement_level=EnforcementLevel.MANDATORY,
    policies=list(POLICIES),
)
