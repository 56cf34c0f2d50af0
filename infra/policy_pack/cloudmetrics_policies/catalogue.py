"""Every policy of the pack, in one list: what __main__.py serves and what the tests run."""

from __future__ import annotations

from pulumi_policy import Policy

from cloudmetrics_policies import compute, data, edge, ours

POLICIES: tuple[Policy, ...] = (*edge.POLICIES, *compute.POLICIES, *data.POLICIES, *ours.POLICIES)
