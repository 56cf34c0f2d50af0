"""Evaluate a WAFv2 web ACL, as declared, against a request, the way AWS WAF does.

Rules run in priority order; a terminating action (Block, Allow) ends the evaluation, Count adds
the rule's labels and goes on; a rule sees only the labels of rules evaluated before it. A
managed rule group's contents are AWS's and not in the program, so the groups are modelled here
by the rules the estate depends on, as AWS documents them (AWSManagedRulesCommonRuleSet's body
and query-string rules, its user-agent rule); a rule the group overrides to Count only labels.
Statements are evaluated from the declared tree: and/or/not, label match, byte match on the
URI path, rate-based (a single request never reaches a rate limit).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

# The common rule set's documented limits and patterns: what the modelled rules look for.
BODY_SIZE_LIMIT = 8 * 1024
QUERY_SIZE_LIMIT = 2 * 1024
# CloudFront hands WAF at most the first 16 KB of a body by default: patterns past it go unseen.
CLOUDFRONT_BODY_INSPECTION = 16 * 1024
CORE_RULE_SET_LABELS = "awswaf:managed:aws:core-rule-set:"
_XSS = re.compile(rb"<\s*script|javascript:|onerror\s*=", re.IGNORECASE)
_LFI = re.compile(rb"\.\./|/etc/passwd", re.IGNORECASE)
_SSRF = re.compile(rb"169\.254\.169\.254")


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    body: bytes = b""
    query: str = ""
    headers: Mapping[str, str] = field(
        default_factory=lambda: {"user-agent": "Prometheus/3.0.0", "host": "api.example.net"}
    )


Verdict = Literal["ALLOW", "BLOCK"]


@dataclass
class Evaluation:
    verdict: Verdict
    terminating_rule: str | None
    labels: list[str]


def _common_rule_set(request: Request) -> dict[str, tuple[str, bool]]:
    """The modelled rules of AWSManagedRulesCommonRuleSet: name -> (label, matched)."""
    seen_body = request.body[:CLOUDFRONT_BODY_INSPECTION]
    query = request.query.encode()
    return {
        "NoUserAgent_HEADER": ("NoUserAgent_Header", "user-agent" not in request.headers),
        "SizeRestrictions_BODY": ("SizeRestrictions_Body", len(request.body) > BODY_SIZE_LIMIT),
        "CrossSiteScripting_BODY": ("CrossSiteScripting_Body", bool(_XSS.search(seen_body))),
        "GenericLFI_BODY": ("GenericLFI_Body", bool(_LFI.search(seen_body))),
        "EC2MetaDataSSRF_BODY": ("EC2MetaDataSSRF_Body", bool(_SSRF.search(seen_body))),
        "SizeRestrictions_QUERYSTRING": (
            "SizeRestrictions_QueryString",
            len(query) > QUERY_SIZE_LIMIT,
        ),
        "CrossSiteScripting_QUERYARGUMENTS": (
            "CrossSiteScripting_QueryArguments",
            bool(_XSS.search(query)),
        ),
        "GenericLFI_QUERYARGUMENTS": ("GenericLFI_QueryArguments", bool(_LFI.search(query))),
        "GenericLFI_URIPATH": ("GenericLFI_URIPath", bool(_LFI.search(request.path.encode()))),
    }


GroupModel = Callable[[Request], dict[str, tuple[str, bool]]]
# Groups whose rules none of the modelled requests trips (known bad inputs such as Log4j
# lookups, bad reputation addresses) contribute nothing.
GROUP_MODELS: dict[str, GroupModel] = {
    "AWSManagedRulesCommonRuleSet": _common_rule_set,
    "AWSManagedRulesKnownBadInputsRuleSet": lambda request: {},
    "AWSManagedRulesAmazonIpReputationList": lambda request: {},
}


def _path_matches(statement: Mapping[str, Any], request: Request) -> bool:
    if "uriPath" not in statement["fieldToMatch"]:
        raise NotImplementedError(f"byte match on {statement['fieldToMatch']}")
    transformations = {t["type"] for t in statement.get("textTransformations", [])}
    path = request.path.lower() if "LOWERCASE" in transformations else request.path
    wanted = statement["searchString"]
    match statement["positionalConstraint"]:
        case "EXACTLY":
            return path == wanted
        case "STARTS_WITH":
            return path.startswith(wanted)
        case "ENDS_WITH":
            return path.endswith(wanted)
        case "CONTAINS":
            return wanted in path
        case other:
            raise NotImplementedError(f"positional constraint {other}")


def _matches(statement: Mapping[str, Any], request: Request, labels: Sequence[str]) -> bool:
    if "andStatement" in statement:
        return all(_matches(s, request, labels) for s in statement["andStatement"]["statements"])
    if "orStatement" in statement:
        return any(_matches(s, request, labels) for s in statement["orStatement"]["statements"])
    if "notStatement" in statement:
        return not _matches(statement["notStatement"]["statement"], request, labels)
    if "labelMatchStatement" in statement:
        key = statement["labelMatchStatement"]["key"]
        return key in labels
    if "byteMatchStatement" in statement:
        return _path_matches(statement["byteMatchStatement"], request)
    if "rateBasedStatement" in statement:
        return False
    raise NotImplementedError(f"statement {sorted(statement)}")


def evaluate(rules: Sequence[Mapping[str, Any]], request: Request) -> Evaluation:
    labels: list[str] = []
    for rule in sorted(rules, key=lambda rule: rule["priority"]):
        statement = rule["statement"]
        if "managedRuleGroupStatement" in statement:
            group: Mapping[str, Any] = statement["managedRuleGroupStatement"]
            declared: list[Mapping[str, Any]] = group.get("ruleActionOverrides") or []
            overrides = {
                str(override["name"]): str(next(iter(override["actionToUse"]))).upper()
                for override in declared
            }
            override_action: Mapping[str, Any] = rule.get("overrideAction") or {}
            counts_only = "count" in override_action
            for name, (label, matched) in GROUP_MODELS[str(group["name"])](request).items():
                if not matched:
                    continue
                labels.append(CORE_RULE_SET_LABELS + label)
                # Every modelled rule of AWS's groups blocks unless overridden.
                if overrides.get(name, "BLOCK") == "BLOCK" and not counts_only:
                    return Evaluation("BLOCK", f"{rule['name']}:{name}", labels)
            continue
        if not _matches(statement, request, labels):
            continue
        action = next(iter(rule["action"]))
        if action == "block":
            return Evaluation("BLOCK", rule["name"], labels)
        if action == "allow":
            return Evaluation("ALLOW", rule["name"], labels)
    return Evaluation("ALLOW", None, labels)
