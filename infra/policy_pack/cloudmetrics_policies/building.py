"""Turn plain check functions into pulumi_policy policies.

A check yields one message per violation; it never reports directly, so it reads like the rule
it enforces and can be run by tests with any resource.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable

from pulumi_policy import (
    EnforcementLevel,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)

NOTHING_TO_JUDGE = "no properties: the engine's stand-in for a resource this run does not create"

ResourceCheck = Callable[[ResourceValidationArgs], Iterable[str]]
StackCheck = Callable[[StackValidationArgs], Iterable[tuple[str, str]]]
"""Yields (message, URN of the offending resource)."""


def fsbp(control: str) -> str:
    """Policy name of a Security Hub FSBP control: "ELB.16" -> "fsbp-elb.16"."""
    return f"fsbp-{control.lower()}"


def resource_policy(
    name: str,
    description: str,
    types: Collection[str] | Callable[[str], bool],
    check: ResourceCheck,
) -> ResourceValidationPolicy:
    """A policy running `check` on resources of `types` (a collection or a predicate)."""

    def applies(resource_type: str) -> bool:
        return types(resource_type) if callable(types) else resource_type in types

    def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
        # No properties at all is not a resource to judge but the engine's stand-in for one it
        # will not create in this run: a create outside `--target` (or excluded) is stubbed with
        # its old inputs, none, and still sent to the pack (pkg/resource/deploy/
        # step_generator.go). Judging that stub fails every mandatory policy that wants a
        # setting; the resource is judged with its real inputs by the run that creates it.
        if not any(True for _ in args.props):
            args.not_applicable(NOTHING_TO_JUDGE)
        if applies(args.resource_type):
            for message in check(args):
                report_violation(message, None)

    return ResourceValidationPolicy(
        name=name,
        description=description,
        validate=validate,
        enforcement_level=EnforcementLevel.MANDATORY,
    )


def stack_policy(name: str, description: str, check: StackCheck) -> StackValidationPolicy:
    def validate(args: StackValidationArgs, report_violation: ReportViolation) -> None:
        for message, urn in check(args):
            report_violation(message, urn)

    return StackValidationPolicy(
        name=name,
        description=description,
        validate=validate,
        enforcement_level=EnforcementLevel.MANDATORY,
    )
