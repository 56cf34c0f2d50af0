"""`cloudmetrics smoke` from the service image against a running deployment."""

import dagger

from cloudmetrics_ci.freshness import for_run


def smoke_container(image: dagger.Container, url: str, run_id: str) -> dagger.Container:
    """The service image checking the deployment at `url` end to end."""
    return for_run(image, run_id).with_exec(["cloudmetrics", "smoke", "--url", url])
