"""The one AWS provider every resource uses: pinned account and region, default tags."""

from __future__ import annotations

import pulumi_aws as aws
from cloudmetrics_shared.tags import default_tags

from cloudmetrics_infra.settings import StackSettings


def aws_provider(settings: StackSettings, region: str | None = None) -> aws.Provider:
    """The stack's provider, or one for another region (CloudFront's certificate and web ACL
    live in us-east-1) with the same account pin and tags."""
    # allowed_account_ids makes a stack refuse to touch any other account, e.g. when someone
    # runs `pulumi up` for prod with dev credentials.
    return aws.Provider(
        "aws" if region is None else f"aws-{region}",
        region=region or settings.region,
        allowed_account_ids=[settings.account_id],
        default_tags=aws.ProviderDefaultTagsArgs(
            tags=default_tags(settings.environment, settings.owner, settings.cost_centre)
        ),
    )
