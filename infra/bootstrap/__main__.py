"""Pulumi entry point of the per-account bootstrap."""

import pulumi
from cloudmetrics_bootstrap.bootstrap import build_bootstrap
from cloudmetrics_bootstrap.settings import BootstrapSettings

bootstrap = build_bootstrap(BootstrapSettings.from_pulumi_config())
for output_name, value in bootstrap.outputs.items():
    pulumi.export(output_name, value)
