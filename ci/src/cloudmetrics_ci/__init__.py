"""Dagger module for the CloudMetrics pipeline.

The Dagger runtime loads the main object from this package by name.
"""

from cloudmetrics_ci.main import CloudmetricsCi as CloudmetricsCi
