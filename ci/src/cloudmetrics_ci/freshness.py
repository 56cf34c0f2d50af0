"""Marking commands that act on the outside world so the engine re-runs them.

The engine caches an exec by its inputs. A migration, a smoke test or a
`pulumi up` must run every time it is asked for, so these containers carry a
per-invocation run id. Builds never get one: their cache is the point.
"""

import uuid
from typing import Final

import dagger

RUN_ID_VARIABLE: Final = "CLOUDMETRICS_RUN_ID"
STEP_VARIABLE: Final = "CLOUDMETRICS_STEP"


def new_run_id() -> str:
    """A fresh identifier for one invocation of a side-effecting function."""
    return uuid.uuid4().hex


def for_run(container: dagger.Container, run_id: str) -> dagger.Container:
    """`container` with execs from here on keyed to this run."""
    return container.with_env_variable(RUN_ID_VARIABLE, run_id)


def for_step(container: dagger.Container, step: str) -> dagger.Container:
    """`container` with execs from here on keyed to one step of the run, too.

    Within a run, two steps may run the same command in the same container: the stack's
    outputs are read before `pulumi up` and again after it. Keyed to the run alone, the
    second read is the engine's cached result of the first (the outputs from before the
    update), so each step carries its own name.
    """
    return container.with_env_variable(STEP_VARIABLE, step)
