"""Typed wrappers around two dagger-io decorators.

In dagger-io 0.21.11 `function`'s overloads omit the `cache` keyword and `check`
returns a union of function and decorator, so strict type checking rejects
both at every use. The wrappers call the SDK unchanged and give back the
function with its own type.
"""

from collections.abc import Callable
from typing import Any, TypeVar, cast

import dagger

F = TypeVar("F", bound=Callable[..., Any])


def uncached_function(func: F) -> F:
    """Expose `func` as a Dagger function the engine never serves from cache.

    Deploy-like functions change the world: a cached result would report a
    deploy that did not happen.
    """
    decorate = cast(
        Callable[[F], F],
        dagger.function(cache="never"),  # pyright: ignore[reportCallIssue]
    )
    return decorate(func)


def check_function(func: F) -> F:
    """Expose `func` as a Dagger function that `dagger check` also runs."""
    dagger.check(func)
    return cast(F, dagger.function(func))
