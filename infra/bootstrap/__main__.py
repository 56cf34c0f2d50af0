"""Pulumi entry point of the per-account bootstrap."""

import sys
from pathlib import Path

# Pulumi runs this file from infra/bootstrap/; the code it shares with the main program
# (cloudmetrics_shared) lives one level up, in infra/.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import pulumi
from cloudmetrics_bootstrap.bootstrap import build_bootstrap
from cloudmetrics_bootstrap.settings import BootstrapSettings

bootstrap = build_bootstrap(BootstrapSettings.from_pulumi_config())
for output_name, value in bootstrap.outputs.items():
    pulumi.export(output_name, value)
