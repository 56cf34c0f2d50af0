"""Just enough of IAM's policy evaluation to ask "may this role do X to Y?" offline.

An explicit Deny wins over any Allow; `*` in an action or resource matches any run of
characters (slashes included) and `?` any one character, as IAM's wildcards do. A statement with
`NotAction` applies to every action it does not list, one with `NotResource` to every
resource it does not list.

A statement's Condition must hold in the request's context (condition key -> value or values);
the operators the estate uses are modelled (StringEquals, StringLike, ArnEquals, ArnLike, Bool,
each with IfExists); a key the context lacks fails the condition, unless IfExists. Every
condition operator of a statement must hold, and in each, every key (with any of its values).

A role with a permissions boundary may do only what both its identity policies and the boundary
allow (`allowed_under_boundary`).

A request to another account's resource needs both sides (IAM's cross-account evaluation): the
caller's identity policies must allow it and so must the resource's policy, for that caller.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any, cast

from tests.infra.snapshot_views import as_list


def matches(pattern: str, value: str) -> bool:
    regex = re.escape(pattern).replace(r"\*", ".*").replace(r"\?", ".")
    return re.fullmatch(regex, value, flags=re.IGNORECASE if ":" not in value else 0) is not None


Context = Mapping[str, str | list[str]]
Operator = Callable[[str, str], bool]
_OPERATORS: dict[str, Operator] = {
    "StringEquals": lambda pattern, value: pattern == value,
    "StringLike": matches,
    "ArnEquals": lambda pattern, value: pattern == value,
    "ArnLike": matches,
    "Bool": lambda pattern, value: pattern.lower() == value.lower(),
}


def _condition_holds(condition: Mapping[str, Any], context: Context) -> bool:
    for operator, keys in condition.items():
        if_exists = operator.endswith("IfExists")
        compare = _OPERATORS[operator.removesuffix("IfExists")]
        for key, patterns in cast("Mapping[str, Any]", keys).items():
            if key not in context:
                if if_exists:
                    continue
                return False
            values = [str(value) for value in as_list(context[key])]
            wanted = [str(pattern) for pattern in as_list(patterns)]
            if not any(compare(p, v) for p in wanted for v in values):
                return False
    return True


def _applies(
    statement: Mapping[str, Any], action: str, resource: str, context: Context | None = None
) -> bool:
    if not _condition_holds(statement.get("Condition", {}), context or {}):
        return False
    if "NotAction" in statement:
        acts = not any(matches(a, action) for a in as_list(statement["NotAction"]))
    else:
        acts = any(matches(a, action) for a in as_list(statement.get("Action", [])))
    if not acts:
        return False
    if "NotResource" in statement:
        return not any(matches(r, resource) for r in as_list(statement["NotResource"]))
    return any(matches(r, resource) for r in as_list(statement.get("Resource", [])))


def denied(
    statements: Iterable[Mapping[str, Any]],
    action: str,
    resource: str,
    context: Context | None = None,
) -> bool:
    return any(s["Effect"] == "Deny" and _applies(s, action, resource, context) for s in statements)


def allowed(
    statements: Iterable[Mapping[str, Any]],
    action: str,
    resource: str,
    context: Context | None = None,
) -> bool:
    """Allowed by these statements alone (an explicit Deny among them wins)."""
    listed = list(statements)
    return not denied(listed, action, resource, context) and any(
        s["Effect"] == "Allow" and _applies(s, action, resource, context) for s in listed
    )


def allowed_under_boundary(
    identity: Iterable[Mapping[str, Any]],
    boundary: Iterable[Mapping[str, Any]],
    action: str,
    resource: str,
    context: Context | None = None,
) -> bool:
    """What a role carrying a permissions boundary may do: what both allow."""
    return allowed(identity, action, resource, context) and allowed(
        boundary, action, resource, context
    )


def names(statement: Mapping[str, Any], principal_arn: str) -> bool:
    """Whether a resource policy statement's Principal covers this role: its ARN, its account
    (which hands the decision to the account's own policies), or anyone."""
    principal = statement.get("Principal")
    if principal == "*":
        return True
    if not isinstance(principal, Mapping):
        return False
    account = principal_arn.split(":")[4]
    named = as_list(cast("Mapping[str, Any]", principal).get("AWS", []))
    return any(
        entry in ("*", principal_arn, account, f"arn:aws:iam::{account}:root") for entry in named
    )


def allowed_across_accounts(
    identity: Iterable[Mapping[str, Any]],
    resource_policy: Iterable[Mapping[str, Any]],
    principal_arn: str,
    action: str,
    resource: str,
) -> bool:
    """May the role `principal_arn` (with these identity policies) do `action` to `resource`
    of another account, whose policy is `resource_policy` (statements without a Resource apply
    to the resource they are attached to, as in ECR repository policies)?"""
    for_caller = [
        {"Resource": resource, **statement}
        for statement in resource_policy
        if names(statement, principal_arn)
    ]
    return allowed(identity, action, resource) and allowed(for_caller, action, resource)
