"""Typed wrappers around two dagger-io decorators.

In dagger-io 0.21.11 `function`'s overloads omit the `cache` keyword, and
`check` and `up` return a union of function and decorator, so strict type
checking rejects them at every use. The wrappers call the SDK unchanged and give back the
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


def service_function(func: F) -> F:
    """Expose `func`, which returns a Service, to `dagger call` and to `dagger up`."""
    dagger.up(func)
    return cast(F, dagger.function(func))
