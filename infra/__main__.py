"""Pulumi entry point: read the stack settings, build the estate, export what the pipeline reads."""

import pulumi
from cloudmetrics_infra.estate import build_estate
from cloudmetrics_infra.settings import StackSettings

estate = build_estate(StackSettings.from_pulumi_config())
for output_name, value in estate.outputs.items():
    pulumi.export(output_name, value)
